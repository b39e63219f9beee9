"""The scheduling cycle for one pod: PreFilter → Filter → PostFilter → PreScore → Score → select.

Plugins are modules with optional `pre_filter`, `filter`, `pre_score`, `score` and
`normalize` functions working on arrays of node indices. A filter returns a code
per node (0 passes) and the Status each other code stands for. A node leaves the
candidate set at the first plugin that rejects it, so every rejected node carries
the reasons of exactly one plugin, as in kube-scheduler.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from cluster.scheduler import status as st
from cluster.scheduler.listers import Listers
from cluster.scheduler.plugins import (
    image_locality,
    inter_pod_affinity,
    node_affinity,
    node_name,
    node_ports,
    node_resources_balanced_allocation,
    node_resources_fit,
    node_unschedulable,
    pod_topology_spread,
    taint_toleration,
    volume_binding,
    volume_restrictions,
)
from cluster.scheduler.podinfo import PodInfo
from cluster.scheduler.snapshot import Snapshot

PRE_FILTER_PLUGINS = (
    node_affinity,
    node_ports,
    volume_restrictions,
    volume_binding,
    pod_topology_spread,
    inter_pod_affinity,
)
FILTER_PLUGINS = (
    node_unschedulable,
    node_name,
    taint_toleration,
    node_affinity,
    node_ports,
    node_resources_fit,
    volume_binding,
    pod_topology_spread,
    inter_pod_affinity,
)
SCORE_PLUGINS = (
    taint_toleration,
    node_affinity,
    node_resources_fit,
    pod_topology_spread,
    inter_pod_affinity,
    node_resources_balanced_allocation,
    image_locality,
)
MIN_FEASIBLE_NODES_TO_FIND = 100
# 1.31+: nodes left out by a PreFilterResult (only NodeAffinity gives one here).
ABSENT_NODES_STATUS = st.unresolvable(
    f"node(s) didn't satisfy plugin(s) [{node_affinity.NAME}]",
    plugin=node_affinity.NAME,
)
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


@dataclass
class CycleContext:
    """Everything one scheduling attempt reads, plus the plugins' per-cycle state."""

    pod: PodInfo
    snap: Snapshot
    listers: Listers
    nominated: list = field(
        default_factory=list
    )  # (PodInfo, node index) of nominated pods
    state: dict = field(default_factory=dict)
    _required: np.ndarray | None = None
    _nominated_cols: dict | None = None
    _nominated_done: bool = False

    def required_node_affinity(self) -> np.ndarray:
        """Nodes matching the pod's nodeSelector and required node affinity."""
        if self._required is None:
            self._required = node_affinity.required_mask(self.snap, self.pod)
        return self._required

    def nominated_columns(self) -> dict | None:
        """Requests of pods nominated to each node that outrank or equal this pod."""
        if not self._nominated_done:
            self._nominated_done = True
            rel = [
                (p, i)
                for p, i in self.nominated
                if p.uid != self.pod.uid and p.priority >= self.pod.priority
            ]
            if rel:
                cols = {
                    k: np.zeros(self.snap.n, dtype=np.int64)
                    for k in ("pods", "cpu", "memory", "ephemeral-storage")
                }
                for p, i in rel:
                    cols["pods"][i] += 1
                    cols["cpu"][i] += p.cpu
                    cols["memory"][i] += p.memory
                    cols["ephemeral-storage"][i] += p.ephemeral
                self._nominated_cols = cols
        return self._nominated_cols


@dataclass
class FilterOutcome:
    """Which nodes passed, which were rejected by which status, and how many were examined."""

    feasible: np.ndarray
    rejected: list  # [(Status, node indices)]
    processed: int
    pre_filter: dict  # plugin name -> "Success" | "Skip" | Status dict
    pre_filter_status: st.Status | None = None
    plugins_run: list = field(default_factory=list)

    def node_statuses(self, num_all: int) -> dict[int, st.Status]:
        """Status of every node that failed (all nodes share a PreFilter rejection)."""
        if self.pre_filter_status is not None:
            return dict.fromkeys(range(num_all), self.pre_filter_status)
        out: dict[int, st.Status] = {}
        for status, nodes in self.rejected:
            for i in nodes.tolist():
                out[i] = status
        return out


@dataclass
class ScoreOutcome:
    """Per-plugin raw and normalised scores over the feasible nodes, and their weighted total."""

    nodes: np.ndarray
    plugins: list  # [(name, weight, raw, normalized)]
    skipped: list
    total: np.ndarray


def num_feasible_nodes_to_find(num_all: int, percentage: int = 0) -> int:
    """How many feasible nodes to look for before scoring (adaptive percentageOfNodesToScore)."""
    if num_all < MIN_FEASIBLE_NODES_TO_FIND or percentage >= 100:
        return num_all
    pct = percentage
    if pct <= 0:
        pct = max(50 - num_all // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all * pct // 100, MIN_FEASIBLE_NODES_TO_FIND)


def run_pre_filter(ctx: CycleContext) -> tuple[st.Status | None, set, dict]:
    """Run PreFilter plugins; return the rejection (if any), skipped plugins and a summary."""
    rejection, skipped, summary = None, set(), {}
    for pl in PRE_FILTER_PLUGINS:
        s = pl.pre_filter(ctx)
        if s is None:
            summary[pl.NAME] = st.SUCCESS
        elif s.code == st.SKIP:
            summary[pl.NAME] = st.SKIP
            skipped.add(pl.NAME)
        else:
            summary[pl.NAME] = s.to_dict()
            if s.code == st.UNRESOLVABLE:
                return s, skipped, summary
            rejection = s
    return rejection, skipped, summary


def run_filters(
    ctx: CycleContext, order: np.ndarray, limit: int, skipped: set
) -> tuple:
    """Filter nodes in `order` until `limit` pass; return feasible, rejected groups, processed, plugins."""
    alive = np.ones(len(order), dtype=bool)
    groups: list = []
    run: list = []
    for pl in FILTER_PLUGINS:
        if pl.NAME in skipped:
            continue
        pos = np.flatnonzero(alive)
        if not len(pos):
            break
        run.append(pl.NAME)
        codes, statuses = pl.filter(ctx, order[pos])
        bad = np.flatnonzero(codes)
        if not len(bad):
            continue
        bad_pos, bad_codes = pos[bad], codes[bad]
        alive[bad_pos] = False
        for code in np.unique(bad_codes).tolist():
            groups.append((statuses[code], bad_pos[bad_codes == code]))
    feasible_pos = np.flatnonzero(alive)
    processed = len(order)
    if len(feasible_pos) >= limit and limit < len(order):
        processed = int(feasible_pos[limit - 1]) + 1
        feasible_pos = feasible_pos[:limit]
        groups = [(s, p[p < processed]) for s, p in groups]
    groups = [(s, order[p]) for s, p in groups if len(p)]
    return order[feasible_pos], groups, processed, run


def find_nodes_that_fit(
    ctx: CycleContext, start: int, percentage: int = 0
) -> FilterOutcome:
    """PreFilter, then the nominated node alone, then every node from the rotating start index."""
    n = ctx.snap.n
    rejection, skipped, summary = run_pre_filter(ctx)
    if rejection is not None:
        return FilterOutcome(np.zeros(0, dtype=np.int64), [], 0, summary, rejection)
    nominated = ctx.snap.index.get(ctx.pod.nominated_node)
    if nominated is not None:
        feasible, groups, _, run = run_filters(ctx, np.array([nominated]), 1, skipped)
        if len(feasible):
            return FilterOutcome(feasible, [], 0, summary, None, run)
    order = (np.arange(n) + start) % n if n else np.zeros(0, dtype=np.int64)
    absent: list = []
    names = ctx.state.get(node_affinity.PRE_FILTER_RESULT)
    if names is not None:
        # A PreFilterResult: only the named nodes are filtered; the others count
        # as rejected by the plugins that named them.
        named = np.array([ctx.snap.names[i] in names for i in order], dtype=bool)
        if (~named).any():
            absent = [(ABSENT_NODES_STATUS, order[~named])]
        order = order[named]
    feasible, groups, processed, run = run_filters(
        ctx, order, num_feasible_nodes_to_find(len(order), percentage), skipped
    )
    return FilterOutcome(feasible, absent + groups, processed, summary, None, run)


def fits_on(ctx: CycleContext, i: int) -> st.Status:
    """Run PreFilter and Filter for a single node (used by preemption's dry runs)."""
    rejection, skipped, _ = run_pre_filter(ctx)
    if rejection is not None:
        return rejection
    _, groups, _, _ = run_filters(ctx, np.array([i]), 1, skipped)
    return groups[0][0] if groups else st.Status()


def run_scores(ctx: CycleContext, nodes: np.ndarray) -> ScoreOutcome:
    """PreScore, Score and NormalizeScore for each score plugin, then the weighted sum."""
    total = np.zeros(len(nodes), dtype=np.int64)
    plugins, skipped = [], []
    for pl in SCORE_PLUGINS:
        pre = getattr(pl, "pre_score", None)
        if pre is not None and (s := pre(ctx, nodes)) is not None and s.code == st.SKIP:
            skipped.append(pl.NAME)
            continue
        raw = pl.score(ctx, nodes)
        norm = pl.normalize(ctx, nodes, raw) if hasattr(pl, "normalize") else raw
        total += norm * pl.WEIGHT
        plugins.append((pl.NAME, pl.WEIGHT, raw, norm))
    return ScoreOutcome(nodes, plugins, skipped, total)


def select_host(total: np.ndarray, rng: random.Random) -> int:
    """Position of a top-scoring node, uniformly at random among ties."""
    best = np.flatnonzero(total == total.max())
    return int(best[rng.randrange(len(best))]) if len(best) > 1 else int(best[0])
