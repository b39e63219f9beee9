"""InterPodAffinity: required pod (anti-)affinity filters; preferred terms score.

Counts of matching pods are kept per node by the snapshot and summed per topology
domain with `bincount`, so only pods that carry affinity terms of their own are
visited one by one.
"""

from __future__ import annotations

import numpy as np

from cluster.scheduler import status as st
from cluster.scheduler.plugins.helper import MAX_NODE_SCORE
from cluster.scheduler.snapshot import pod_matcher

NAME = "InterPodAffinity"
WEIGHT = 2
HARD_POD_AFFINITY_WEIGHT = 1
ERR_REASON_EXISTING_ANTI_AFFINITY = (
    "node(s) didn't satisfy existing pods anti-affinity rules"
)
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
STATUSES = [
    None,
    st.unresolvable(ERR_REASON_AFFINITY, plugin=NAME),
    st.unschedulable(ERR_REASON_ANTI_AFFINITY, plugin=NAME),
    st.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY, plugin=NAME),
]


def _term_clause(term) -> tuple:
    return (term.namespaces, term.ns_selector, term.selector, False)


def _domain_counts(
    snap, key: str, per_node: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per node: its domain's total of `per_node`, and whether the node has the key."""
    codes, vocab = snap.label_column(key)
    has = codes >= 0
    per_domain = np.bincount(
        codes[has], weights=per_node[has], minlength=len(vocab) + 1
    )
    return np.where(has, per_domain[np.maximum(codes, 0)], 0), has


def _existing_anti_mask(ctx) -> np.ndarray:
    """Nodes in a domain where an existing pod's required anti-affinity selects this pod."""
    snap, pod = ctx.snap, ctx.pod
    blocked = np.zeros(snap.n, dtype=bool)
    for other, i in snap.affinity_pods.values():
        for term in other.anti_affinity_terms:
            value = snap.labels[i].get(term.topology_key)
            if value is not None and term.matches(pod, snap.ns_labels):
                codes, vocab = snap.label_column(term.topology_key)
                blocked |= codes == vocab[value]
    return blocked


def pre_filter(ctx):
    """Skip pods without required terms when no existing pod has required anti-affinity."""
    snap, pod = ctx.snap, ctx.pod
    existing_anti = any(p.anti_affinity_terms for p, _ in snap.affinity_pods.values())
    if not pod.affinity_terms and not pod.anti_affinity_terms and not existing_anti:
        return st.Status(st.SKIP)
    n = snap.n
    affinity_ok = np.ones(n, dtype=bool)
    if pod.affinity_terms:
        # An existing pod counts only if it matches every affinity term at once.
        per_node = snap.pod_counts(
            pod_matcher(*(_term_clause(t) for t in pod.affinity_terms))
        )
        pods_exist = np.ones(n, dtype=bool)
        all_keys = np.ones(n, dtype=bool)
        any_count = False
        for term in pod.affinity_terms:
            dom, has = _domain_counts(snap, term.topology_key, per_node)
            pods_exist &= dom > 0
            all_keys &= has
            any_count = any_count or bool((per_node[has] > 0).any())
        self_match = all(t.matches(pod, snap.ns_labels) for t in pod.affinity_terms)
        affinity_ok = all_keys & (pods_exist | (not any_count and self_match))
    anti_bad = np.zeros(n, dtype=bool)
    for term in pod.anti_affinity_terms:
        dom, _ = _domain_counts(
            snap, term.topology_key, snap.pod_counts(pod_matcher(_term_clause(term)))
        )
        anti_bad |= dom > 0
    existing_bad = (
        _existing_anti_mask(ctx) if existing_anti else np.zeros(n, dtype=bool)
    )
    codes = np.where(
        ~affinity_ok, 1, np.where(anti_bad, 2, np.where(existing_bad, 3, 0))
    )
    ctx.state[NAME] = codes.astype(np.int32)
    return None


def filter(ctx, nodes: np.ndarray):
    """Apply the affinity, anti-affinity and existing-pods anti-affinity checks, in that order."""
    return ctx.state[NAME][nodes], STATUSES


def pre_score(ctx, nodes: np.ndarray):
    """Sum term weights per topology domain; skip when nothing contributes."""
    snap, pod = ctx.snap, ctx.pod
    per_key: dict[str, np.ndarray] = {}

    def add(key: str, per_node: np.ndarray) -> None:
        # Only terms that select some pod on a node with the key make an entry (as in k8s).
        if not per_node[snap.label_column(key)[0] >= 0].any():
            return
        dom, _ = _domain_counts(snap, key, per_node)
        per_key[key] = per_key.get(key, 0) + dom

    for term in pod.preferred_affinity:
        add(
            term.topology_key,
            term.weight * snap.pod_counts(pod_matcher(_term_clause(term))),
        )
    for term in pod.preferred_anti_affinity:
        add(
            term.topology_key,
            -term.weight * snap.pod_counts(pod_matcher(_term_clause(term))),
        )
    for other, i in snap.affinity_pods.values():
        weighted = [(t, HARD_POD_AFFINITY_WEIGHT) for t in other.affinity_terms]
        weighted += [(t, t.weight) for t in other.preferred_affinity]
        weighted += [(t, -t.weight) for t in other.preferred_anti_affinity]
        for term, weight in weighted:
            if snap.labels[i].get(term.topology_key) is not None and term.matches(
                pod, snap.ns_labels
            ):
                one = np.zeros(snap.n, dtype=np.int64)
                one[i] = weight
                add(term.topology_key, one)
    if not per_key:
        return st.Status(st.SKIP)
    ctx.state[NAME + "/score"] = sum(per_key.values())
    return None


def score(ctx, nodes: np.ndarray) -> np.ndarray:
    """The node's domains' summed weights."""
    return np.asarray(ctx.state[NAME + "/score"], dtype=np.int64)[nodes]


def normalize(ctx, nodes: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """100 × (s − min) / (max − min), truncated; all 0 when max == min."""
    if not len(raw):
        return raw
    lo, hi = int(raw.min()), int(raw.max())
    if hi == lo:
        return np.zeros(len(raw), dtype=np.int64)
    return (MAX_NODE_SCORE * ((raw - lo) / (hi - lo))).astype(np.int64)
