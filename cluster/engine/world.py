"""What the components observe: the cluster's objects by kind, read through the API server,
plus the machines as the cloud sees them."""

from __future__ import annotations

from cluster import kinds
from cluster.apiserver import errors
from cluster.engine import carry

# The kinds the simulated components watch (their informers).
WATCHED = (
    "Namespace",
    "Node",
    "Pod",
    "Service",
    "Endpoints",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ResourceQuota",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ControllerRevision",
    "Job",
    "CronJob",
    "EndpointSlice",
    "Lease",
    "StorageClass",
    "PriorityClass",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Ingress",
    "ClusterRole",
)


def _kind(name: str):
    try:
        return kinds.by_kind(name)
    except kinds.UnknownKind:
        return None


WATCHED_KINDS = {name: k for name in WATCHED if (k := _kind(name)) is not None}


_KIND_OF_BUCKET = {k.bucket: name for name, k in WATCHED_KINDS.items()}
_WATCHED_NAMES = frozenset(WATCHED_KINDS)


def _typed(obj: dict, name: str) -> dict:
    obj.setdefault("kind", name)
    obj.setdefault("apiVersion", WATCHED_KINDS[name].api_version)
    return obj


def load_view(api) -> dict[str, list[dict]]:
    view = api.list_many(list(WATCHED_KINDS.values()))
    for name, items in view.items():
        for obj in items:
            _typed(obj, name)
    return view


def _key(obj: dict, name: str) -> tuple[str, str]:
    """An object's store key (namespace, name); cluster-scoped keys have no namespace."""
    meta = obj["metadata"]
    namespaced = WATCHED_KINDS[name].namespaced
    return (meta.get("namespace") or "") if namespaced else "", meta["name"]


class View:
    """What the components observe during one tick, the way an informer's cache follows
    its watch: one list at the start, then only the watch log's changes are read and
    decoded. `objects` is {kind: [objects in key order]}; components must not mutate it.
    """

    def __init__(self, api) -> None:
        self._api = api
        self.version = 0  # moves on whenever any kind changes
        self.changed_at: dict[str, int] = {}  # kind -> version of its last change
        # (kind, namespace, name) -> version of its last change, since the last list
        self.key_changed_at: dict[tuple[str, str, str], int] = {}
        self._load()

    def _load(self) -> None:
        listed, self.revision = self._api.list_many_at(list(WATCHED_KINDS.values()))
        self._by_key = {
            name: {_key(o, name): _typed(o, name) for o in items}
            for name, items in listed.items()
        }
        self.objects = {
            name: [keyed[k] for k in sorted(keyed)]
            for name, keyed in self._by_key.items()
        }
        self.version += 1
        self.listed_at = self.version
        self.changed_at = dict.fromkeys(self.objects, self.version)
        self.key_changed_at = {}

    def key_version(self, key: tuple[str, str, str]) -> int:
        """The version at which one object last changed (or the view was listed)."""
        return self.key_changed_at.get(key, self.listed_at)

    def cached(self, kind: str, namespace: str, name: str) -> dict | None:
        """One object as the view holds it (namespace "" for cluster-scoped kinds)."""
        return self._by_key.get(kind, {}).get((namespace, name))

    @property
    def index(self) -> dict[str, dict[tuple[str, str], dict]]:
        """{kind: {(namespace, name): object}}, for reads of one object by key."""
        return self._by_key

    def kinds_changed_since(self, revision: int) -> set[str] | None:
        """The watched kinds written after `revision` and up to the view's, or None
        when the watch log no longer reaches back that far."""
        buckets = self._api.changed_buckets(revision)
        if buckets is None:
            return None
        return {_KIND_OF_BUCKET[b] for b in buckets if b in _KIND_OF_BUCKET}

    def catch_up(self) -> set[str]:
        """Apply every watched write after the view's revision; the kinds that changed."""
        try:
            events = self._api.events_since(self.revision, list(_KIND_OF_BUCKET))
        except errors.ApiError as exc:
            if exc.code != 410:
                raise
            self._load()  # compacted past the view: list again, as an informer does
            return set(self.objects)
        changed = set()
        changed_keys = []
        for event in events:
            name = _KIND_OF_BUCKET[event.bucket]
            key = (event.namespace, event.name)
            if event.type == "DELETED":
                self._by_key[name].pop(key, None)
            else:
                self._by_key[name][key] = _typed(event.object(), name)
            changed.add(name)
            changed_keys.append((name, *key))
            self.revision = event.revision
        if changed:
            self.version += 1
            self.key_changed_at.update(dict.fromkeys(changed_keys, self.version))
            self.objects = dict(self.objects)  # a new mapping; unchanged lists shared
            for name in changed:
                keyed = self._by_key[name]
                self.objects[name] = [keyed[k] for k in sorted(keyed)]
                self.changed_at[name] = self.version
        return changed


def machine_dict(machine) -> dict:
    """A machine as the kubelet and the cloud see it (addresses follow its index)."""
    return {
        "name": machine.name,
        "role": machine.role,
        "cpu": machine.cpu,
        "memory": machine.memory,
        "arch": machine.arch,
        "powered": machine.powered,
        "internal_ip": f"172.18.0.{machine.index + 2}",
        "pod_cidr": f"10.244.{machine.index}.0/24",
        "zone": "kubelab-zone-a",
        "region": "kubelab-region",
        "instanceType": f"lab.{machine.cpu}cpu-{machine.memory}",
    }


def kubelet_objects(view: dict) -> dict[str, dict]:
    """ConfigMap and Secret data by `configmap/<ns>/<name>`, for mounts and env."""
    out = {}
    for kind, prefix in (("ConfigMap", "configmap"), ("Secret", "secret")):
        for obj in view.get(kind) or []:
            meta = obj["metadata"]
            data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
            out[f"{prefix}/{meta.get('namespace')}/{meta['name']}"] = data
    return out


class RecordingView(dict):
    """A view that notes which kinds a run reads from it (a whole-view read notes all),
    and which single objects it looked up by key (`one`)."""

    def __init__(self, view: dict, index: dict | None = None) -> None:
        super().__init__(view)
        self.read: set[str] = set()
        self.keys_read: set[tuple[str, str, str]] = set()
        self._index = index

    def one(self, kind: str, namespace: str, name: str) -> dict | None:
        """One object by key (namespace "" for cluster-scoped kinds); only a change to
        that object counts as a change to what this run read."""
        self.keys_read.add((kind, namespace, name))
        if self._index is not None:
            return self._index.get(kind, {}).get((namespace, name))
        return next(
            (
                o
                for o in super().get(kind) or []
                if o["metadata"]["name"] == name
                and (o["metadata"].get("namespace") or "") == namespace
            ),
            None,
        )

    def __getitem__(self, kind):
        self.read.add(kind)
        return super().__getitem__(kind)

    def get(self, kind, default=None):
        self.read.add(kind)
        return super().get(kind, default)

    def __contains__(self, kind) -> bool:
        self.read.add(kind)
        return super().__contains__(kind)

    def _read_all(self) -> None:
        self.read.update(super().keys())

    def __iter__(self):
        self._read_all()
        return super().__iter__()

    def keys(self):
        self._read_all()
        return super().keys()

    def values(self):
        self._read_all()
        return super().values()

    def items(self):
        self._read_all()
        return super().items()

    def copy(self) -> dict:
        self._read_all()
        return dict(super().items())


class QuietRuns:
    """Runs in this tick that asked for nothing, with the kinds they read, plus those
    carried over from the cluster's last tick (see `cluster.engine.carry`).

    The clock stands still within a tick, so running one again before any kind it read
    has changed (and with the same memory) would only repeat it: the tick skips it. A
    carried run is skipped too until a kind it read changes or its wake-up comes.
    """

    def __init__(self, view: View, carried: dict | None = None, now: float = 0.0):
        self._view = view
        self._now = now
        # key -> (view version, kinds read, keys read, memory, wake, may carry)
        self._runs: dict = {}
        self._carried: dict[object, carry.Run] = dict(carried or {})

    def can_skip(self, key, memory=None) -> bool:
        run = self._runs.get(key)
        if run is None:
            return self._carried_still_quiet(key)
        version, kinds_read, keys_read, remembered, _, _ = run
        if remembered is not memory:
            return False
        return self._unchanged_since(version, kinds_read, keys_read)

    def wake_of(self, key) -> float | None:
        """A skipped run's wake-up when it was carried from the last tick (one from
        this tick is already counted)."""
        run = self._carried.get(key)
        return run.wake if run is not None and key not in self._runs else None

    def note(
        self,
        key,
        quiet: bool,
        kinds_read,
        memory=None,
        keys_read=(),
        wake: float | None = None,
        carryable: bool = False,
    ) -> None:
        """Record a run: skippable next time when `quiet` (it asked for nothing), and
        at the next tick as well when `carryable` (it reports all its timers as `wake`
        and keeps no memory of its own)."""
        self._carried.pop(key, None)
        if quiet:
            self._runs[key] = (
                self._view.version,
                frozenset(kinds_read),
                frozenset(keys_read),
                memory,
                wake,
                carryable,
            )
        else:
            self._runs.pop(key, None)

    def carry_out(self) -> dict[object, carry.Run]:
        """The quiet runs the next tick may skip: still unchanged now, timed by their
        wake-ups, reading only watched kinds."""
        out = {
            key: run
            for key, run in self._carried.items()
            if self._carried_still_quiet(key)
        }
        for key, (version, kinds_read, keys, _, wake, carryable) in self._runs.items():
            if (
                carryable
                and not keys
                and kinds_read <= _WATCHED_NAMES
                and self._unchanged_since(version, kinds_read, keys)
            ):
                out[key] = carry.Run(kinds_read, wake)
        return out

    def _carried_still_quiet(self, key) -> bool:
        run = self._carried.get(key)
        if run is None or (run.wake is not None and run.wake <= self._now):
            return False
        return self._unchanged_since(self._view.listed_at, run.kinds_read, ())

    def _unchanged_since(self, version, kinds_read, keys_read) -> bool:
        changed_at = self._view.changed_at
        return all(changed_at.get(kind, 0) <= version for kind in kinds_read) and all(
            self._view.key_version(k) <= version for k in keys_read
        )
