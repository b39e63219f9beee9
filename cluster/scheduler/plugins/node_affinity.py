"""NodeAffinity: nodeSelector and required node affinity filter; preferred terms score."""

from __future__ import annotations

import numpy as np

from cluster.objects import selectors
from cluster.scheduler import status as st
from cluster.scheduler.plugins.helper import default_normalize

NAME = "NodeAffinity"
WEIGHT = 2
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
STATUSES = [None, st.unresolvable(ERR_REASON_POD, plugin=NAME)]


def _term_mask(snap, term: dict) -> np.ndarray:
    """Nodes matching one NodeSelectorTerm; a term with no requirements matches none."""
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return np.zeros(snap.n, dtype=bool)
    mask = snap.nodes_matching(selectors.from_node_selector_term(term)).copy()
    for f in fields:
        if f.get("key") != "metadata.name":
            return np.zeros(snap.n, dtype=bool)
        names = set(f.get("values") or ())
        hit = np.array([n in names for n in snap.names], dtype=bool)
        mask &= hit if f.get("operator") == "In" else ~hit
    return mask


def required_mask(snap, pod) -> np.ndarray:
    """Nodes satisfying the pod's nodeSelector and required node affinity."""
    mask = np.ones(snap.n, dtype=bool)
    if pod.node_selector:
        reqs = tuple(
            selectors.Requirement(k, "In", (str(v),))
            for k, v in sorted(pod.node_selector.items())
        )
        mask &= snap.nodes_matching(reqs)
    if pod.required_node_terms is not None:
        any_term = np.zeros(snap.n, dtype=bool)
        for term in pod.required_node_terms:
            any_term |= _term_mask(snap, term)
        mask &= any_term
    return mask


def pre_filter(ctx):
    """Skip the filter for pods with neither a nodeSelector nor required node affinity;
    name the only nodes worth filtering when every term pins `metadata.name`."""
    pod = ctx.pod
    if not pod.node_selector and pod.required_node_terms is None:
        return st.Status(st.SKIP)
    ctx.state[NAME] = required_mask(ctx.snap, pod)
    names = node_names(pod.required_node_terms or [])
    if names is not None and not names:
        return st.unresolvable(ERR_REASON_CONFLICT, plugin=NAME)
    if names is not None:
        ctx.state[PRE_FILTER_RESULT] = names
    return None


# Where pre_filter leaves the PreFilterResult: the node names, for the framework.
PRE_FILTER_RESULT = "NodeAffinity/nodeNames"


def node_names(terms: list[dict]) -> set[str] | None:
    """The nodes the required terms name through `metadata.name In` (a term without
    one allows every node, so then None); terms are ORed, a term's fields ANDed."""
    if not terms:
        return None
    union: set[str] = set()
    for term in terms:
        named = None
        for f in term.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("operator") == "In":
                values = set(f.get("values") or ())
                named = values if named is None else named & values
        if named is None:
            return None
        union |= named
    return union


def filter(ctx, nodes: np.ndarray):
    """Reject nodes outside the pod's required node affinity."""
    return (~ctx.state[NAME][nodes]).astype(np.int32), STATUSES


def pre_score(ctx, nodes: np.ndarray):
    """Skip scoring when the pod has no preferred terms."""
    return None if ctx.pod.preferred_node_terms else st.Status(st.SKIP)


def score(ctx, nodes: np.ndarray) -> np.ndarray:
    """Sum the weights of the preferred terms each node matches."""
    total = np.zeros(len(nodes), dtype=np.int64)
    for pref in ctx.pod.preferred_node_terms:
        weight = int(pref.get("weight") or 0)
        if weight:
            total += weight * _term_mask(ctx.snap, pref.get("preference") or {})[nodes]
    return total


def normalize(ctx, nodes: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Scale by the best node."""
    return default_normalize(raw)
