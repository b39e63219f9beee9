"""The in-process API server: every reader and writer of cluster objects goes through here.

A request runs authorization (owner, read-only instructor, or a cluster component) →
availability (an API server up, etcd quorum) → defaulting and mutating admission →
validation → the store's compare-and-swap write. kubectl's HTTP API, the REST API, the
web UI and every simulated component call these same methods.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from cluster import kinds, store
from cluster.apiserver import (
    admission,
    allocators,
    errors,
    metadata,
    quota,
    validation,
)
from cluster.apiserver.defaults import apply_defaults
from cluster.apiserver.patch import json_merge
from cluster.apiserver.plane import ALWAYS_UP, PlaneState
from cluster.kinds import Kind
from cluster.objects import selectors
from cluster.objects.clone import clone

# GuaranteedUpdate retries a read-modify-write this many times on a Conflict.
_PATCH_RETRIES = 5
# kube-apiserver's --event-ttl default: an Event's etcd lease, renewed by each write.
EVENT_TTL = 3600.0


@dataclass
class Caller:
    """Who is calling: a user (kubectl, REST, page) or a simulated component."""

    name: str  # "kubectl", "web", "kube-scheduler", "kubelet/worker-1"
    user_id: int | None = None
    read_only: bool = False
    username: str = ""
    groups: tuple[str, ...] = ("system:authenticated",)
    read_only_reason: str = "this cluster is read-only for you"
    # Asked on the first write only, so reads never pay for it: why this caller may not
    # write after all ("" when it may), such as an owner whose class has ended.
    write_check: Callable[[], str] | None = field(default=None, compare=False)

    def refuses_writes(self) -> bool:
        if self.write_check is not None:
            why, self.write_check = self.write_check(), None
            if why:
                self.read_only, self.read_only_reason = True, why
        return self.read_only


@dataclass
class Call:
    """One API call, kept for the diagram's animation and the audit trail."""

    caller: str
    verb: str
    resource: str
    namespace: str
    name: str
    code: int = 200


SYSTEM = Caller("system", groups=("system:masters",))


@dataclass
class ApiServer:
    cluster_id: int
    caller: Caller = field(default_factory=lambda: SYSTEM)
    now: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    plane: PlaneState = ALWAYS_UP
    calls: list[Call] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The caller's informer cache, `(kind, namespace, name) -> object or None`: an
    # update of the version it holds skips reading the object again (the
    # compare-and-swap guards the write all the same).
    cached: Callable[[str, str, str], dict | None] | None = None

    # --- reads -----------------------------------------------------------------------
    def get(self, kind: Kind, namespace: str | None, name: str) -> dict:
        self._begin("get", kind, namespace, name, write=False)
        return store.get(self.cluster_id, kind, self._ns(kind, namespace), name)

    def list(
        self,
        kind: Kind,
        namespace: str | None = None,
        label_selector: str | selectors.Selector = "",
        field_selector: str | selectors.FieldSelector = "",
        limit: int = 0,
        continue_token: str = "",
        decode: bool = True,
        name_prefix: str = "",
    ) -> store.ListResult:
        self._begin("list", kind, namespace, "", write=False)
        try:
            labels = (
                selectors.parse_label_selector(label_selector)
                if isinstance(label_selector, str)
                else label_selector
            )
            fields = (
                selectors.parse_field_selector(field_selector)
                if isinstance(field_selector, str)
                else field_selector
            )
        except selectors.InvalidSelector as exc:
            raise errors.bad_request(str(exc)) from None
        return store.list_objects(
            self.cluster_id,
            kind,
            namespace if kind.namespaced else None,
            labels,
            fields,
            limit,
            continue_token,
            decode,
            name_prefix,
        )

    def list_all(self, kind: Kind) -> list[dict]:
        return self.list(kind).items or []

    def list_many(self, wanted: list[Kind]) -> dict[str, list[dict]]:
        """Every object of several kinds in one read (an informer factory's first list)."""
        return self.list_many_at(wanted)[0]

    def list_many_at(self, wanted: list[Kind]) -> tuple[dict[str, list[dict]], int]:
        """`list_many` and the revision to watch from so as to miss nothing after it."""
        for kind in wanted:
            self._begin("list", kind, None, "", write=False)
        by_bucket, revision = store.list_buckets(
            self.cluster_id, {kind.bucket: kind for kind in wanted}
        )
        return {kind.kind: by_bucket[kind.bucket] for kind in wanted}, revision

    def events_since(self, revision: int, buckets=None) -> list[store.WatchEvent]:
        self._check_plane(write=False)
        return store.events_since(self.cluster_id, revision, buckets)

    def changed_buckets(self, revision: int) -> set[str] | None:
        """The buckets written after `revision`; None when compacted past it."""
        self._check_plane(write=False)
        return store.changed_buckets(self.cluster_id, revision)

    # --- writes ----------------------------------------------------------------------
    def create(
        self,
        obj: dict,
        namespace: str | None = None,
        kind: Kind | None = None,
        dry_run: bool = False,
    ) -> dict:
        """POST: admit, validate and store a new object."""
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        kind = kind or self._kind_of(obj)
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if kind.namespaced:
            body_ns = meta.get("namespace")
            if namespace and body_ns and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace "
                    "sent on the request"
                )
            meta["namespace"] = namespace or body_ns or "default"
        self._begin(
            "create", kind, meta.get("namespace"), meta.get("name", ""), write=True
        )
        if not kind.stored:
            raise errors.method_not_allowed(f"{kind.plural} cannot be created directly")
        prefetched = self._admission_reads(kind, meta.get("namespace"))
        if kind.namespaced:
            self._check_namespace_open(
                kind, meta["namespace"], meta.get("name", ""), prefetched
            )
        metadata.prepare_create(obj, kind, self.now, self.rng)
        apply_defaults(obj)
        admission.mutate(obj, self._admission_context(kind, obj, prefetched))
        self._validate(kind, obj, None)
        if kind.kind == "Service":
            services = self.list(kinds.by_kind("Service")).items or []
            allocators.allocate_service(obj, services, self.rng)
        quota.admit_create(
            self.cluster_id,
            kind,
            obj,
            dry_run,
            prefetched.get(("ResourceQuota", meta.get("namespace"), None)),
        )
        if dry_run:
            return obj
        for _attempt in range(5):
            try:
                return store.create(self.cluster_id, kind, obj, self._lease(kind))
            except errors.ApiError as exc:
                # A generated name that collides is drawn again, as the registry does.
                if exc.reason != "AlreadyExists" or not meta.get("generateName"):
                    raise
                meta["name"] = ""
                metadata.prepare_create(obj, kind, self.now, self.rng)
        raise errors.already_exists(
            kind.qualified, meta["name"], kind.group, kind.plural
        )

    def update(
        self,
        obj: dict,
        kind: Kind | None = None,
        subresource: str = "",
        namespace: str | None = None,
        name: str | None = None,
    ) -> dict:
        """PUT: replace an object; a stale resourceVersion is a Conflict."""
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        kind = kind or self._kind_of(obj)
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        name = name or meta.get("name", "")
        namespace = self._ns(kind, namespace or meta.get("namespace"))
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        if kind.namespaced:
            meta["namespace"] = namespace
        verb = "update" if not subresource else f"update {subresource}"
        self._begin(verb, kind, namespace, name, write=True)
        old = self._cached_at(kind, namespace, name, meta.get("resourceVersion"))
        if old is None:
            old = store.get(self.cluster_id, kind, namespace, name)
        expected = _revision_of(meta.get("resourceVersion"), kind, name)
        return self._write(kind, obj, old, subresource, expected)

    def _write(
        self,
        kind: Kind,
        obj: dict,
        old: dict,
        subresource: str,
        expected: int | None,
        dry_run: bool = False,
    ) -> dict:
        metadata.prepare_update(obj, old, kind, subresource)
        if subresource not in ("status", "binding"):
            apply_defaults(obj)
            if kind.kind == "DaemonSet":
                metadata.template_generation(obj, old)
        if subresource != "binding":
            self._validate(kind, obj, old)
        if kind.kind == "Service" and subresource != "status":
            spec, old_spec = obj.setdefault("spec", {}), old.get("spec", {})
            if not spec.get("clusterIP") and old_spec.get("clusterIP"):
                spec["clusterIP"], spec["clusterIPs"] = (
                    old_spec["clusterIP"],
                    old_spec.get("clusterIPs", [old_spec["clusterIP"]]),
                )
            self._keep_node_ports(spec, old_spec)
        if dry_run:
            return obj  # admitted, defaulted and validated, but not stored
        if metadata.should_remove_now(obj):
            return store.delete(
                self.cluster_id,
                kind,
                obj["metadata"].get("namespace"),
                obj["metadata"]["name"],
                expected,
            )
        if _same_object(obj, old):
            return old  # as etcd3's GuaranteedUpdate: a write that changes nothing is skipped
        return store.update(self.cluster_id, kind, obj, expected, self._lease(kind))

    def _lease(self, kind: Kind) -> float | None:
        """Events live for the API server's --event-ttl after their last write."""
        return self.now + EVENT_TTL if kind.bucket == "events" else None

    def expire_leases(self) -> int:
        """etcd's lease expiry: remove the keys whose TTL ran out (old Events)."""
        self._check_plane(write=True)
        return store.expire_leases(self.cluster_id, self.now)

    def _cached_at(self, kind: Kind, namespace, name: str, version) -> dict | None:
        """The cached copy of an object, when it is the version being replaced."""
        if self.cached is None or not version:
            return None
        obj = self.cached(kind.kind, namespace or "", name)
        if obj is None or obj["metadata"].get("resourceVersion") != version:
            return None
        return clone(obj)

    def _keep_node_ports(self, spec: dict, old_spec: dict) -> None:
        if spec.get("type") not in ("NodePort", "LoadBalancer"):
            for port in spec.get("ports") or []:
                port.pop("nodePort", None)
            return
        old_ports = {
            p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []
        }
        services = self.list(kinds.by_kind("Service")).items or []
        _ips, used = allocators.service_ips_and_ports(services)
        for port in spec.get("ports") or []:
            if not port.get("nodePort"):
                port["nodePort"] = old_ports.get(
                    port.get("port")
                ) or allocators.allocate_node_port(used, self.rng)
                used.add(port["nodePort"])

    def patch(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        apply_patch,
        subresource: str = "",
        verb: str = "patch",
        dry_run: bool = False,
    ) -> dict:
        """Read-modify-write with retries: `apply_patch(live) -> new` is re-run on Conflict."""
        namespace = self._ns(kind, namespace)
        self._begin(verb, kind, namespace, name, write=True)
        for attempt in range(_PATCH_RETRIES):
            old = store.get(self.cluster_id, kind, namespace, name)
            new = apply_patch(clone(old))
            if not isinstance(new, dict):
                raise errors.bad_request("the patch did not produce an object")
            new.setdefault("metadata", {})
            new["metadata"]["name"] = name
            requested = new["metadata"].get("resourceVersion")
            expected = _revision_of(requested, kind, name) if requested else None
            if expected is not None and str(expected) != old["metadata"].get(
                "resourceVersion"
            ):
                raise errors.conflict(
                    kind.qualified, name, group=kind.group, plural=kind.plural
                )
            live = int(old["metadata"]["resourceVersion"])
            try:
                return self._write(kind, new, old, subresource, live, dry_run)
            except errors.ApiError as exc:
                # A retry re-reads: a patch that pinned the old resourceVersion then
                # fails the precondition above, one that did not is applied again.
                if exc.reason != "Conflict" or attempt == _PATCH_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def merge_patch(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        patch: dict,
        subresource: str = "",
    ) -> dict:
        """A JSON merge patch (RFC 7386), the patch components use."""
        return self.patch(
            kind, namespace, name, lambda live: json_merge(live, patch), subresource
        )

    def delete(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        grace_period: int | None = None,
        propagation: str | None = None,
        uid: str = "",
        resource_version: str = "",
    ) -> dict:
        """DELETE: graceful for pods on a node, deferred while finalizers remain."""
        namespace = self._ns(kind, namespace)
        self._begin("delete", kind, namespace, name, write=True)
        admission.check_delete(kind, name)
        for _attempt in range(_PATCH_RETRIES):
            old = store.get(self.cluster_id, kind, namespace, name)
            if uid and old["metadata"].get("uid") != uid:
                raise errors.conflict(
                    kind.qualified,
                    name,
                    f"Precondition failed: UID in precondition: {uid}, UID in object meta: {old['metadata'].get('uid')}",
                    kind.group,
                    kind.plural,
                )
            live = int(old["metadata"]["resourceVersion"])
            if resource_version and resource_version != str(live):
                raise errors.conflict(
                    kind.qualified, name, group=kind.group, plural=kind.plural
                )
            planned = metadata.plan_delete(
                old, kind, self.now, grace_period, propagation
            )
            try:
                if planned is None:
                    return store.delete(self.cluster_id, kind, namespace, name, live)
                if planned == old:
                    return old
                return store.update(
                    self.cluster_id, kind, planned, live, self._lease(kind)
                )
            except errors.ApiError as exc:
                if exc.reason != "Conflict":
                    raise
        raise errors.conflict(
            kind.qualified, name, group=kind.group, plural=kind.plural
        )

    # --- helpers ---------------------------------------------------------------------
    def _begin(self, verb: str, kind: Kind, namespace, name: str, write: bool) -> None:
        self.calls.append(
            Call(self.caller.name, verb, kind.plural, namespace or "", name)
        )
        if write and self.caller.refuses_writes():
            raise errors.forbidden(
                kind.qualified,
                "" if verb == "create" else name,
                f'User "{self.caller.username}" cannot {verb.split()[0]} resource "{kind.plural}" '
                f'in API group "{kind.group}"'
                + (f' in the namespace "{namespace}"' if namespace else "")
                + f": {self.caller.read_only_reason}",
                kind.group,
                kind.plural,
            )
        self._check_plane(write)

    def _check_plane(self, write: bool) -> None:
        self.plane.check(write)

    @staticmethod
    def _ns(kind: Kind, namespace: str | None) -> str | None:
        return (namespace or "default") if kind.namespaced else None

    @staticmethod
    def _kind_of(obj: dict) -> Kind:
        if not obj.get("kind"):
            raise errors.bad_request("Object 'Kind' is missing in the request body")
        try:
            return kinds.by_kind(obj["kind"], obj.get("apiVersion"))
        except kinds.UnknownKind as exc:
            raise errors.ApiError(404, "NotFound", str(exc)) from None

    def _admission_reads(self, kind: Kind, namespace: str | None) -> dict:
        """What admission of a create will read, fetched in one query:
        {("Namespace", None, name) or (kind name, namespace): [objects]}."""
        wanted: list[tuple[str, str | None, str | None]] = []
        if kind.namespaced:
            wanted.append(("Namespace", None, namespace))
        wanted += [
            (name, namespace if kinds.by_kind(name).namespaced else None, None)
            for name in admission.reads_for(kind)
        ]
        if not wanted:
            return {}
        answers = store.read_many(
            self.cluster_id, [(kinds.by_kind(k), ns, name) for k, ns, name in wanted]
        )
        return dict(zip(wanted, answers, strict=True))

    def _check_namespace_open(
        self, kind: Kind, namespace: str, name: str, prefetched: dict
    ) -> None:
        found = prefetched.get(("Namespace", None, namespace))
        if found is None:
            ns_kind = kinds.by_kind("Namespace")
            try:
                found = [store.get(self.cluster_id, ns_kind, None, namespace)]
            except errors.ApiError:
                found = []
        admission.check_namespace(found[0] if found else None, kind, namespace, name)

    def _admission_context(self, kind: Kind, obj: dict, prefetched: dict):
        def lister(kind_name: str, namespace: str | None = None) -> list[dict]:
            listed = kinds.by_kind(kind_name)
            answer = prefetched.get(
                (kind_name, namespace if listed.namespaced else None, None)
            )
            if answer is None:
                return self.list(listed, namespace).items or []
            self._begin("list", listed, namespace, "", write=False)
            return answer

        return admission.AdmissionContext(now=self.now, rng=self.rng, lister=lister)

    def _validate(self, kind: Kind, obj: dict, old: dict | None) -> None:
        causes = validation.validate(obj, old)
        if causes:
            raise errors.invalid(
                kind.kind, obj["metadata"].get("name", ""), causes, kind.group
            )


def _same_object(new: dict, old: dict) -> bool:
    """Whether a write would store what is stored already (resourceVersion aside)."""
    rv = old.get("metadata", {}).get("resourceVersion")
    if new.get("metadata", {}).get("resourceVersion") not in (None, "", rv):
        return False  # a stale write is a Conflict, changed or not
    return new == old or (
        {**new, "metadata": {**new.get("metadata", {}), "resourceVersion": rv}} == old
    )


def _revision_of(value, kind: Kind, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.bad_request(
            f'invalid resourceVersion "{value}" for {kind.qualified} "{name}"'
        ) from None
