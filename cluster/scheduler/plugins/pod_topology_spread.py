"""PodTopologySpread: keep matching pods evenly spread over topology domains.

Hard (DoNotSchedule) constraints filter; soft (ScheduleAnyway) constraints, or the
system defaults (hostname maxSkew 3, zone maxSkew 5) for pods selected by a
Service or controller, score.
"""

from __future__ import annotations

import math

import numpy as np

from cluster.scheduler import status as st
from cluster.scheduler.plugins.helper import MAX_NODE_SCORE, tolerated
from cluster.scheduler.podinfo import SpreadConstraint
from cluster.scheduler.snapshot import HOSTNAME, ZONE, pod_matcher

NAME = "PodTopologySpread"
WEIGHT = 2
ERR_REASON_CONSTRAINTS_NOT_MATCH = (
    "node(s) didn't match pod topology spread constraints"
)
ERR_REASON_NODE_LABEL_NOT_MATCH = (
    ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
)
SYSTEM_DEFAULT_CONSTRAINTS = ((HOSTNAME, 3), (ZONE, 5))
STATUSES = [
    None,
    st.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH, plugin=NAME),
    st.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH, plugin=NAME),
]


def _constraints(ctx, mode: str) -> list[SpreadConstraint]:
    pod = ctx.pod
    if pod.spread:
        return [c for c in pod.spread if c.when_unsatisfiable == mode]
    if mode != "ScheduleAnyway":
        return []
    selector = ctx.listers.default_spread_selector(pod)
    if not selector:
        return []
    return [
        SpreadConstraint(skew, key, mode, selector)
        for key, skew in SYSTEM_DEFAULT_CONSTRAINTS
    ]


def _counts(ctx, c: SpreadConstraint) -> np.ndarray:
    # Terminating pods do not count towards a domain (countPodsMatchSelector).
    return ctx.snap.pod_counts(
        pod_matcher((frozenset((ctx.pod.namespace,)), None, c.selector, True))
    )


def _has_all_keys(snap, constraints) -> np.ndarray:
    mask = np.ones(snap.n, dtype=bool)
    for c in constraints:
        mask &= snap.label_column(c.topology_key)[0] >= 0
    return mask


def _included(ctx, c: SpreadConstraint) -> np.ndarray:
    """Nodes counted for a constraint under its nodeAffinityPolicy and nodeTaintsPolicy."""
    snap = ctx.snap
    mask = np.ones(snap.n, dtype=bool)
    if c.node_affinity_policy == "Honor":
        mask &= ctx.required_node_affinity()
    if c.node_taints_policy == "Honor":
        ok = np.array(
            [
                all(
                    t[2] not in ("NoSchedule", "NoExecute")
                    or tolerated(ctx.pod.tolerations, t)
                    for t in taints
                )
                for taints in snap.taint_sigs
            ],
            dtype=bool,
        )
        mask &= ok[snap.taint_sig]
    return mask


def pre_filter(ctx):
    """Count matching pods per domain for every hard constraint."""
    constraints = _constraints(ctx, "DoNotSchedule")
    if not constraints:
        return st.Status(st.SKIP)
    snap = ctx.snap
    eligible = _has_all_keys(snap, constraints)
    state = []
    for c in constraints:
        codes, vocab = snap.label_column(c.topology_key)
        inc = eligible & _included(ctx, c)
        per_domain = np.bincount(
            codes[inc], weights=_counts(ctx, c)[inc], minlength=len(vocab) + 1
        )
        present = np.unique(codes[inc])
        if len(present) < c.min_domains:
            global_min = 0
        else:
            global_min = int(per_domain[present].min()) if len(present) else math.inf
        self_match = (
            1 if c.selector is not None and _matches(c.selector, ctx.pod.labels) else 0
        )
        state.append((c, codes, per_domain.astype(np.int64), global_min, self_match))
    ctx.state[NAME] = state
    return None


def _matches(selector, labels) -> bool:
    return all(r.matches(labels) for r in selector)


def filter(ctx, nodes: np.ndarray):
    """Reject nodes missing a topology label, or where placing the pod exceeds maxSkew."""
    codes_out = np.zeros(len(nodes), dtype=np.int32)
    for c, codes, per_domain, global_min, self_match in ctx.state[NAME]:
        node_codes = codes[nodes]
        missing = node_codes < 0
        match = np.where(missing, 0, per_domain[np.maximum(node_codes, 0)])
        skew = match + self_match - global_min
        codes_out = np.where(
            codes_out != 0,
            codes_out,
            np.where(missing, 1, np.where(skew > c.max_skew, 2, 0)),
        ).astype(np.int32)
    return codes_out, STATUSES


def pre_score(ctx, nodes: np.ndarray):
    """Prepare per-domain counts and normalising weights over the feasible nodes."""
    constraints = _constraints(ctx, "ScheduleAnyway")
    if not len(nodes) or not constraints:
        return st.Status(st.SKIP)
    snap = ctx.snap
    require_all = bool(ctx.pod.spread)
    ignored = (
        ~_has_all_keys(snap, constraints)[nodes]
        if require_all
        else np.zeros(len(nodes), dtype=bool)
    )
    considered = nodes[~ignored]
    prepared = []
    for c in constraints:
        codes, vocab = snap.label_column(c.topology_key)
        counts = _counts(ctx, c)
        if c.topology_key == HOSTNAME:
            weight = math.log(len(considered) + 2)
            prepared.append((c, codes, None, counts, weight))
            continue
        # A node without the key forms the domain "" (as Go's map lookup returns "").
        empty = vocab.get("", len(vocab))
        domain = np.where(codes < 0, empty, codes)
        candidate = np.zeros(len(vocab) + 1, dtype=bool)
        candidate[domain[considered]] = True
        inc = _included(ctx, c)
        if require_all:
            inc &= _has_all_keys(snap, constraints)
        per_domain = np.bincount(
            domain[inc], weights=counts[inc], minlength=len(vocab) + 1
        )
        per_domain = np.where(candidate, per_domain, 0).astype(np.int64)
        prepared.append(
            (c, codes, per_domain, counts, math.log(int(candidate.sum()) + 2))
        )
    ctx.state[NAME + "/score"] = (prepared, ignored)
    return None


def score(ctx, nodes: np.ndarray) -> np.ndarray:
    """Σ over constraints of count × ln(domains + 2) + (maxSkew − 1), rounded."""
    prepared, ignored = ctx.state[NAME + "/score"]
    total = np.zeros(len(nodes), dtype=np.float64)
    for c, codes, per_domain, counts, weight in prepared:
        node_codes = codes[nodes]
        has = node_codes >= 0
        cnt = (
            counts[nodes]
            if per_domain is None
            else per_domain[np.maximum(node_codes, 0)]
        )
        total += np.where(has, cnt * weight + (c.max_skew - 1), 0.0)
    # Go's math.Round rounds halves away from zero; scores are never negative.
    raw = np.floor(total + 0.5).astype(np.int64)
    return np.where(ignored, 0, raw)


def normalize(ctx, nodes: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """100 × (max + min − s) / max over the nodes not ignored; ignored nodes get 0."""
    _, ignored = ctx.state[NAME + "/score"]
    kept = raw[~ignored]
    if not len(kept):
        return np.zeros(len(raw), dtype=np.int64)
    hi, lo = int(kept.max()), int(kept.min())
    if hi == 0:
        return np.where(ignored, 0, MAX_NODE_SCORE).astype(np.int64)
    return np.where(ignored, 0, MAX_NODE_SCORE * (hi + lo - raw) // hi).astype(np.int64)
