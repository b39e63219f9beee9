"""What the scheduler needs to know about a pod, parsed once from its JSON.

Requests follow k8s `resource.PodRequests`: the sum of containers (plus sidecar
init containers), at least the largest init container, plus overhead. The
"non-zero" variant fills in 100m CPU / 200Mi memory for containers that set no
request, which only scoring uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster.objects import quantity, selectors
from cluster.simtime import parse_rfc3339

DEFAULT_SCHEDULER = "default-scheduler"
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
CPU, MEMORY, EPHEMERAL = "cpu", "memory", "ephemeral-storage"


@dataclass(frozen=True)
class AffinityTerm:
    """A pod (anti-)affinity term: which pods it selects and over which topology."""

    selector: selectors.Selector | None  # None selects nothing (a nil labelSelector)
    namespaces: frozenset[str]
    ns_selector: selectors.Selector | None  # None: no namespaceSelector given
    topology_key: str
    weight: int = 0

    @property
    def key(self) -> tuple:
        """Identity of the pod set the term selects, for shared match counts."""
        return (self.namespaces, self.ns_selector, self.selector)

    def matches(self, pod: PodInfo, ns_labels: dict) -> bool:
        """True when `pod` is one of the pods this term selects."""
        if self.selector is None:
            return False
        in_ns = pod.namespace in self.namespaces or (
            self.ns_selector is not None
            and selectors.matches(self.ns_selector, ns_labels.get(pod.namespace, {}))
        )
        return in_ns and selectors.matches(self.selector, pod.labels)


@dataclass(frozen=True)
class SpreadConstraint:
    """One topologySpreadConstraint, with matchLabelKeys merged into its selector."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    selector: selectors.Selector | None
    min_domains: int = 1
    node_affinity_policy: str = "Honor"
    node_taints_policy: str = "Ignore"


@dataclass
class PodInfo:
    """A pod as the scheduler sees it: identity, requests, constraints."""

    obj: dict
    uid: str
    namespace: str
    name: str
    labels: dict
    priority: int
    cpu: int = 0
    memory: int = 0
    ephemeral: int = 0
    scalars: dict = field(default_factory=dict)
    nz_cpu: int = 0
    nz_memory: int = 0
    node_name: str = ""
    nominated_node: str = ""
    terminating: bool = False
    preempting_terminating: bool = False
    preemption_policy: str = "PreemptLowerPriority"
    start_time: float | None = None
    tolerations: list = field(default_factory=list)
    node_selector: dict = field(default_factory=dict)
    required_node_terms: list | None = None  # list of raw NodeSelectorTerms
    preferred_node_terms: list = field(default_factory=list)
    affinity_terms: list = field(default_factory=list)
    anti_affinity_terms: list = field(default_factory=list)
    preferred_affinity: list = field(default_factory=list)
    preferred_anti_affinity: list = field(default_factory=list)
    spread: list = field(default_factory=list)
    host_ports: list = field(default_factory=list)
    images: list = field(default_factory=list)
    pvc_names: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def has_pod_affinity(self) -> bool:
        """True when the pod carries any pod affinity or anti-affinity (k8s podWithAffinity)."""
        return bool(
            self.affinity_terms
            or self.anti_affinity_terms
            or self.preferred_affinity
            or self.preferred_anti_affinity
        )


def _container_requests(c: dict, non_zero: bool) -> dict:
    reqs = (c.get("resources") or {}).get("requests") or {}
    out = {}
    for name, value in reqs.items():
        out[name] = (
            quantity.millicores(value) if name == CPU else quantity.to_int(value)
        )
    if non_zero:
        out.setdefault(CPU, DEFAULT_MILLI_CPU_REQUEST)
        out.setdefault(MEMORY, DEFAULT_MEMORY_REQUEST)
    return out


def _add(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _max(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = max(out.get(k, 0), v)
    return out


def pod_requests(spec: dict, non_zero: bool = False) -> dict:
    """Effective requests of a pod spec, per resource name (cpu in millicores)."""
    reqs: dict = {}
    for c in spec.get("containers") or []:
        reqs = _add(reqs, _container_requests(c, non_zero))
    sidecars: dict = {}
    init_max: dict = {}
    for c in spec.get("initContainers") or []:
        creq = _container_requests(c, non_zero)
        if c.get("restartPolicy") == "Always":
            sidecars = _add(sidecars, creq)
            creq = sidecars
        else:
            creq = _add(creq, sidecars)
        init_max = _max(init_max, creq)
    reqs = _max(_add(reqs, sidecars), init_max)
    for name, value in (spec.get("overhead") or {}).items():
        q = quantity.millicores(value) if name == CPU else quantity.to_int(value)
        reqs[name] = reqs.get(name, 0) + q
    return reqs


def pod_priority(pod: dict, priority_classes: dict | None = None) -> int:
    """spec.priority, else its PriorityClass value, else the global default, else 0."""
    spec = pod.get("spec") or {}
    if spec.get("priority") is not None:
        return int(spec["priority"])
    priority_classes = priority_classes or {}
    pc = priority_classes.get(spec.get("priorityClassName") or "")
    if pc is not None:
        return int(pc.get("value") or 0)
    for pc in priority_classes.values():
        if pc.get("globalDefault"):
            return int(pc.get("value") or 0)
    return 0


def _selector(spec: dict | None) -> selectors.Selector | None:
    # A nil LabelSelector selects nothing, an empty one selects everything.
    return None if spec is None else selectors.from_label_selector(spec)


def _affinity_term(pod_ns: str, term: dict, weight: int = 0) -> AffinityTerm:
    names = frozenset(term.get("namespaces") or ())
    ns_sel = term.get("namespaceSelector")
    if not names and ns_sel is None:
        names = frozenset((pod_ns,))
    return AffinityTerm(
        selector=_selector(term.get("labelSelector")),
        namespaces=names,
        ns_selector=None if ns_sel is None else selectors.from_label_selector(ns_sel),
        topology_key=term.get("topologyKey") or "",
        weight=weight,
    )


def _spread_constraint(c: dict, labels: dict) -> SpreadConstraint:
    sel = _selector(c.get("labelSelector"))
    if sel is not None:
        extra = tuple(
            selectors.Requirement(k, "In", (labels[k],))
            for k in c.get("matchLabelKeys") or ()
            if k in labels
        )
        sel = sel + extra
    return SpreadConstraint(
        max_skew=int(c.get("maxSkew") or 1),
        topology_key=c.get("topologyKey") or "",
        when_unsatisfiable=c.get("whenUnsatisfiable") or "DoNotSchedule",
        selector=sel,
        min_domains=int(c.get("minDomains") or 1),
        node_affinity_policy=c.get("nodeAffinityPolicy") or "Honor",
        node_taints_policy=c.get("nodeTaintsPolicy") or "Ignore",
    )


def normalized_image_name(name: str) -> str:
    """Append `:latest` to an image without a tag or digest, as ImageLocality does."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


def _preempting_terminating(pod: dict) -> bool:
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return any(
        c.get("type") == "DisruptionTarget"
        and c.get("reason") == "PreemptionByScheduler"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def parse_pod(pod: dict, priority_classes: dict | None = None) -> PodInfo:
    """Build a PodInfo from a pod object."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    ns = meta.get("namespace") or "default"
    labels = meta.get("labels") or {}
    reqs = pod_requests(spec)
    nz = pod_requests(spec, non_zero=True)
    info = PodInfo(
        obj=pod,
        uid=meta.get("uid") or f"{ns}/{meta.get('name')}",
        namespace=ns,
        name=meta.get("name") or "",
        labels=labels,
        priority=pod_priority(pod, priority_classes),
        cpu=reqs.get(CPU, 0),
        memory=reqs.get(MEMORY, 0),
        ephemeral=reqs.get(EPHEMERAL, 0),
        scalars={
            k: v for k, v in reqs.items() if k not in (CPU, MEMORY, EPHEMERAL) and v
        },
        nz_cpu=nz.get(CPU, 0),
        nz_memory=nz.get(MEMORY, 0),
        node_name=spec.get("nodeName") or "",
        nominated_node=status.get("nominatedNodeName") or "",
        terminating=bool(meta.get("deletionTimestamp")),
        preempting_terminating=_preempting_terminating(pod),
        preemption_policy=spec.get("preemptionPolicy") or "PreemptLowerPriority",
        start_time=parse_rfc3339(status.get("startTime")),
        tolerations=spec.get("tolerations") or [],
        node_selector=spec.get("nodeSelector") or {},
    )
    affinity = spec.get("affinity") or {}
    node_aff = affinity.get("nodeAffinity") or {}
    required = node_aff.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is not None:
        info.required_node_terms = required.get("nodeSelectorTerms") or []
    info.preferred_node_terms = (
        node_aff.get("preferredDuringSchedulingIgnoredDuringExecution") or []
    )
    pa = affinity.get("podAffinity") or {}
    paa = affinity.get("podAntiAffinity") or {}
    req_key = "requiredDuringSchedulingIgnoredDuringExecution"
    pref_key = "preferredDuringSchedulingIgnoredDuringExecution"
    info.affinity_terms = [_affinity_term(ns, t) for t in pa.get(req_key) or []]
    info.anti_affinity_terms = [_affinity_term(ns, t) for t in paa.get(req_key) or []]
    info.preferred_affinity = [
        _affinity_term(ns, w.get("podAffinityTerm") or {}, int(w.get("weight") or 0))
        for w in pa.get(pref_key) or []
    ]
    info.preferred_anti_affinity = [
        _affinity_term(ns, w.get("podAffinityTerm") or {}, int(w.get("weight") or 0))
        for w in paa.get(pref_key) or []
    ]
    info.spread = [
        _spread_constraint(c, labels)
        for c in spec.get("topologySpreadConstraints") or []
    ]
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                info.host_ports.append(
                    (
                        p.get("hostIP") or "0.0.0.0",
                        p.get("protocol") or "TCP",
                        int(p["hostPort"]),
                    )
                )
    info.images = [
        normalized_image_name(c.get("image") or "")
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])
    ]
    info.pvc_names = [
        v["persistentVolumeClaim"]["claimName"]
        for v in spec.get("volumes") or []
        if v.get("persistentVolumeClaim")
    ]
    for v in spec.get("volumes") or []:
        if v.get("ephemeral"):
            # A generic ephemeral volume's claim is named <pod>-<volume>.
            info.pvc_names.append(f"{info.name}-{v.get('name')}")
    return info
