"""Explanations of scheduling decisions: why each node passed or failed and how it scored.

A decision is a compact JSON dict. Rejected nodes are grouped by the plugin and
reasons that rejected them; score columns equal on every node are stored once.
`node_table` expands a decision into one row per node, as the UI shows it.
"""

from __future__ import annotations

import numpy as np

PASSED = "Passed"
NOT_RUN = "NotRun"


def compact(values: np.ndarray):
    """A list of ints, or a single int when every node has the same value."""
    if len(values) and bool((values == values[0]).all()):
        return int(values[0])
    return values.tolist()


def build(
    pod,
    snap,
    *,
    result: str,
    node: int | None,
    message: str,
    outcome=None,
    scores=None,
    start: int = 0,
    num_to_find: int = 0,
    preemption=None,
) -> dict:
    """The explanation of one scheduling attempt."""
    names = snap.names
    d: dict = {
        "pod": pod.key,
        "result": result,
        "node": names[node] if node is not None else None,
        "message": message,
        "numAllNodes": snap.n,
        "numFeasibleNodesToFind": num_to_find,
        "startIndex": start,
    }
    if outcome is not None:
        d["evaluatedNodes"] = outcome.processed
        d["preFilter"] = outcome.pre_filter
        d["filterPlugins"] = outcome.plugins_run
        d["rejected"] = [
            {
                "plugin": s.plugin,
                "code": s.code,
                "reasons": list(s.reasons),
                "nodes": [names[i] for i in nodes.tolist()],
            }
            for s, nodes in outcome.rejected
        ]
        if outcome.pre_filter_status is not None:
            d["rejectedAtPreFilter"] = outcome.pre_filter_status.to_dict()
        d["feasible"] = [names[i] for i in outcome.feasible.tolist()]
    if scores is not None:
        d["scores"] = {
            "nodes": [names[i] for i in scores.nodes.tolist()],
            "skipped": scores.skipped,
            "plugins": [
                {
                    "name": name,
                    "weight": weight,
                    "raw": compact(raw),
                    "normalized": compact(norm),
                }
                for name, weight, raw, norm in scores.plugins
            ],
            "total": compact(scores.total),
        }
    if preemption is not None:
        d["preemption"] = preemption
    return d


def _at(column, k: int) -> int:
    return column if isinstance(column, int) else column[k]


def node_table(decision: dict) -> dict[str, dict]:
    """Per node: each filter plugin's verdict, each score plugin's raw/normalized/weighted score."""
    plugins = decision.get("filterPlugins") or []
    table: dict[str, dict] = {}
    for group in decision.get("rejected") or []:
        for name in group["nodes"]:
            verdicts, passed = {}, True
            for p in plugins:
                if p == group["plugin"]:
                    verdicts[p], passed = group["reasons"], False
                else:
                    verdicts[p] = PASSED if passed else NOT_RUN
            table[name] = {"filter": verdicts}
    for name in decision.get("feasible") or []:
        table[name] = {"filter": dict.fromkeys(plugins, PASSED)}
    scores = decision.get("scores")
    if scores:
        for k, name in enumerate(scores["nodes"]):
            row = table.setdefault(name, {"filter": dict.fromkeys(plugins, PASSED)})
            row["scores"] = {
                p["name"]: {
                    "raw": _at(p["raw"], k),
                    "normalized": _at(p["normalized"], k),
                    "weighted": _at(p["normalized"], k) * p["weight"],
                }
                for p in scores["plugins"]
            }
            row["total"] = _at(scores["total"], k)
    return table
