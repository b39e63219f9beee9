"""The scheduler's cache snapshot: nodes as numpy columns, updated as pods are assumed.

Filters and scores read whole columns at once (allocatable and requested resources,
label codes, taint signatures), so one pod is evaluated against thousands of nodes
with a handful of vector operations instead of a Python loop per node.
"""

from __future__ import annotations

import numpy as np

from cluster.objects import quantity, selectors
from cluster.scheduler.podinfo import CPU, EPHEMERAL, MEMORY, PodInfo

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


def _alloc(node: dict, name: str) -> int:
    status = node.get("status") or {}
    value = (status.get("allocatable") or status.get("capacity") or {}).get(name)
    if value is None:
        return 0
    return quantity.millicores(value) if name == CPU else quantity.to_int(value)


def _node_order(nodes: list[dict]) -> list[dict]:
    # The cache's node tree lists nodes zone by zone in turn (round robin over zones).
    by_zone: dict[str, list[dict]] = {}
    for n in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        zone = ((n["metadata"].get("labels") or {}).get(ZONE)) or ""
        by_zone.setdefault(zone, []).append(n)
    zones = list(by_zone.values())
    out: list[dict] = []
    i = 0
    while len(out) < len(nodes):
        for z in zones:
            if i < len(z):
                out.append(z[i])
        i += 1
    return out


class Snapshot:
    """Nodes, the pods bound or assumed on them, and derived columns."""

    def __init__(
        self, nodes: list[dict], pods: list[PodInfo], ns_labels: dict | None = None
    ):
        self.nodes = _node_order(nodes)
        self.n = len(self.nodes)
        self.names = [n["metadata"]["name"] for n in self.nodes]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.labels = [n["metadata"].get("labels") or {} for n in self.nodes]
        self.ns_labels = ns_labels or {}
        self.alloc_cpu = np.array([_alloc(n, CPU) for n in self.nodes], dtype=np.int64)
        self.alloc_mem = np.array(
            [_alloc(n, MEMORY) for n in self.nodes], dtype=np.int64
        )
        self.alloc_eph = np.array(
            [_alloc(n, EPHEMERAL) for n in self.nodes], dtype=np.int64
        )
        self.alloc_pods = np.array(
            [_alloc(n, "pods") for n in self.nodes], dtype=np.int64
        )
        self.unschedulable = np.array(
            [bool((n.get("spec") or {}).get("unschedulable")) for n in self.nodes],
            dtype=bool,
        )
        sigs: dict[tuple, int] = {}
        self.taint_sig = np.zeros(self.n, dtype=np.int32)
        for i, n in enumerate(self.nodes):
            taints = tuple(
                (t.get("key") or "", t.get("value") or "", t.get("effect") or "")
                for t in (n.get("spec") or {}).get("taints") or []
            )
            self.taint_sig[i] = sigs.setdefault(taints, len(sigs))
        self.taint_sigs = list(sigs)
        self.images = [
            {
                name: int(img.get("sizeBytes") or 0)
                for img in (n.get("status") or {}).get("images") or []
                for name in img.get("names") or []
            }
            for n in self.nodes
        ]
        z = np.zeros
        self.req_cpu, self.req_mem, self.req_eph = (
            z(self.n, np.int64),
            z(self.n, np.int64),
            z(self.n, np.int64),
        )
        self.nz_cpu, self.nz_mem, self.pod_count = (
            z(self.n, np.int64),
            z(self.n, np.int64),
            z(self.n, np.int64),
        )
        self.pods: list[list[PodInfo]] = [[] for _ in range(self.n)]
        self.used_ports: dict[int, list] = {}
        self.affinity_pods: dict[str, tuple[PodInfo, int]] = {}
        self._scalars: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._label_cols: dict[str, tuple[np.ndarray, dict]] = {}
        self._node_matches: dict[tuple, np.ndarray] = {}
        self._image_cols: dict[str, tuple[np.ndarray, int]] = {}
        self._counts: dict[tuple, np.ndarray] = {}
        self.pod_node: dict[str, int] = {}
        for p in pods:
            i = self.index.get(p.node_name)
            if i is not None:
                self.add_pod(p, i)

    # --- pods ---------------------------------------------------------------------------

    def add_pod(self, p: PodInfo, i: int, sign: int = 1) -> None:
        """Count pod `p` on node `i` (sign -1 removes it again)."""
        self.req_cpu[i] += sign * p.cpu
        self.req_mem[i] += sign * p.memory
        self.req_eph[i] += sign * p.ephemeral
        self.nz_cpu[i] += sign * p.nz_cpu
        self.nz_mem[i] += sign * p.nz_memory
        self.pod_count[i] += sign
        for name, (_, req) in self._scalars.items():
            req[i] += sign * p.scalars.get(name, 0)
        if sign > 0:
            self.pods[i].append(p)
            self.pod_node[p.uid] = i
            if p.host_ports:
                self.used_ports.setdefault(i, []).extend(p.host_ports)
            if p.has_pod_affinity:
                self.affinity_pods[p.uid] = (p, i)
        else:
            self.pods[i] = [q for q in self.pods[i] if q.uid != p.uid]
            self.pod_node.pop(p.uid, None)
            if p.host_ports:
                ports = list(self.used_ports.get(i, []))
                for hp in p.host_ports:
                    ports.remove(hp)
                self.used_ports[i] = ports
            self.affinity_pods.pop(p.uid, None)
        for key, counts in self._counts.items():
            if _pod_matches(key, p, self.ns_labels):
                counts[i] += sign

    def remove_pod(self, p: PodInfo, i: int) -> None:
        """Forget pod `p` on node `i` (a preemption dry run)."""
        self.add_pod(p, i, sign=-1)

    def scalar(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Allocatable and requested columns of an extended resource."""
        if name not in self._scalars:
            alloc = np.array([_alloc(n, name) for n in self.nodes], dtype=np.int64)
            req = np.array(
                [sum(p.scalars.get(name, 0) for p in ps) for ps in self.pods],
                dtype=np.int64,
            )
            self._scalars[name] = (alloc, req)
        return self._scalars[name]

    def pod_counts(self, key: tuple) -> np.ndarray:
        """Per node, how many pods match a compiled pod matcher (see `pod_matcher`)."""
        counts = self._counts.get(key)
        if counts is None:
            counts = np.zeros(self.n, dtype=np.int64)
            for i, ps in enumerate(self.pods):
                for p in ps:
                    if _pod_matches(key, p, self.ns_labels):
                        counts[i] += 1
            self._counts[key] = counts
        return counts

    # --- node labels --------------------------------------------------------------------

    def label_column(self, key: str) -> tuple[np.ndarray, dict]:
        """Codes of each node's value for label `key` (-1 when absent) and the code table."""
        col = self._label_cols.get(key)
        if col is None:
            vocab: dict[str, int] = {}
            codes = np.full(self.n, -1, dtype=np.int32)
            for i, labels in enumerate(self.labels):
                v = labels.get(key)
                if v is not None:
                    codes[i] = vocab.setdefault(v, len(vocab))
            col = (codes, vocab)
            self._label_cols[key] = col
        return col

    def nodes_matching(self, selector: selectors.Selector) -> np.ndarray:
        """Boolean column: which nodes' labels satisfy every requirement."""
        cached = self._node_matches.get(selector)
        if cached is not None:
            return cached
        mask = np.ones(self.n, dtype=bool)
        for req in selector:
            codes, vocab = self.label_column(req.key)
            if req.op in ("In", "NotIn"):
                wanted = [vocab[v] for v in req.values if v in vocab]
                hit = np.isin(codes, wanted) if wanted else np.zeros(self.n, dtype=bool)
                mask &= hit if req.op == "In" else ~hit
            elif req.op == "Exists":
                mask &= codes >= 0
            elif req.op == "DoesNotExist":
                mask &= codes < 0
            else:
                ok = np.array(
                    [req.matches({req.key: v}) for v in vocab] + [False], dtype=bool
                )
                mask &= ok[codes]
        self._node_matches[selector] = mask
        return mask

    def image_column(self, image: str) -> tuple[np.ndarray, int]:
        """Size of `image` on each node (0 when absent) and how many nodes have it."""
        col = self._image_cols.get(image)
        if col is None:
            sizes = np.array(
                [imgs.get(image, 0) for imgs in self.images], dtype=np.int64
            )
            col = (
                sizes,
                int(np.count_nonzero([image in imgs for imgs in self.images])),
            )
            self._image_cols[image] = col
        return col


def pod_matcher(*clauses: tuple) -> tuple:
    """A hashable matcher: pods matching every (namespaces, ns_selector, selector, live_only)."""
    return tuple(clauses)


def _pod_matches(key: tuple, p: PodInfo, ns_labels: dict) -> bool:
    for namespaces, ns_selector, selector, live_only in key:
        if selector is None or (live_only and p.terminating):
            return False
        in_namespaces = namespaces is None or p.namespace in namespaces
        by_ns_labels = ns_selector is not None and selectors.matches(
            ns_selector, ns_labels.get(p.namespace, {})
        )
        if not (in_namespaces or by_ns_labels):
            return False
        if not selectors.matches(selector, p.labels):
            return False
    return True
