"""Whether a pod's nodeSelector and required node affinity accept a node.

The check the scheduler's NodeAffinity filter, the DaemonSet controller and the kubelet's
own admission share (component-helpers' RequiredNodeAffinity).
"""

from __future__ import annotations

from cluster.objects import pods as P
from cluster.objects import selectors


def matches(pod_spec: dict, node: dict) -> bool:
    node_labels = P.labels(node)
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if node_labels.get(key) != value:
            return False
    required = (
        ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms")
    return not required or any(term_matches(t, node) for t in required)


def term_matches(term: dict, node: dict) -> bool:
    """One nodeSelectorTerm: its label expressions and its `metadata.name` fields."""
    if not selectors.matches(selectors.from_node_selector_term(term), P.labels(node)):
        return False
    fields = {"metadata.name": P.name(node)}
    for e in term.get("matchFields") or []:
        have = fields.get(e["key"])
        if (e["operator"] == "In") != (have in (e.get("values") or [])):
            return False
    return True
