"""etcd for simulated clusters: keys, revisions, compare-and-swap writes and the watch log.

This is the only module that touches `Resource` and `ResourceEvent`. Every write is one
transaction: bump the cluster's revision, write the key, append to the watch log, and
notify watchers once the transaction commits. An object's `resourceVersion` is the
revision that last wrote it, so a stale one is detected by comparing `mod_revision`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from cluster import watch
from cluster.apiserver import errors
from cluster.kinds import Kind
from cluster.models import Cluster, Resource, ResourceEvent
from cluster.objects import selectors

# Watch history kept per cluster; older resumes get 410 Gone and must re-list.
WATCH_LOG_KEEP = 5000
_COMPACT_EVERY = 500

dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass
class ListResult:
    items: (
        list[dict] | None
    )  # decoded objects; None when only raw bodies were asked for
    raw: list[str]
    revision: int
    continue_token: str = ""
    remaining: int | None = None


@dataclass
class WatchEvent:
    revision: int
    type: str
    bucket: str
    namespace: str
    name: str
    body: str

    def object(self) -> dict:
        return json.loads(self.body)


def _bump_revision(cluster_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cluster_cluster SET revision = revision + 1 WHERE id = %s "
            "RETURNING revision",
            [cluster_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise errors.ApiError(404, "NotFound", f"cluster {cluster_id} not found")
    return row[0]


def current_revision(cluster_id: int) -> int:
    return Cluster.objects.values_list("revision", flat=True).get(pk=cluster_id)


def _ns(kind: Kind, namespace: str | None) -> str:
    return (namespace or "") if kind.namespaced else ""


def _log(cluster_id: int, revision: int, type_: str, res: Resource, body: str) -> None:
    ResourceEvent.objects.create(
        cluster_id=cluster_id,
        revision=revision,
        type=type_,
        bucket=res.bucket,
        namespace=res.namespace,
        name=res.name,
        body=body,
    )
    transaction.on_commit(lambda: watch.notify(cluster_id, revision))
    if revision % _COMPACT_EVERY == 0:
        transaction.on_commit(lambda: compact(cluster_id))


def _stamp(obj: dict, revision: int) -> str:
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
    return dumps(obj)


def get(cluster_id: int, kind: Kind, namespace: str | None, name: str) -> dict:
    """The object at a key, or NotFound."""
    return json.loads(get_raw(cluster_id, kind, namespace, name))


def get_raw(cluster_id: int, kind: Kind, namespace: str | None, name: str) -> str:
    body = (
        Resource.objects.filter(
            cluster_id=cluster_id,
            bucket=kind.bucket,
            namespace=_ns(kind, namespace),
            name=name,
        )
        .values_list("body", flat=True)
        .first()
    )
    if body is None:
        raise errors.not_found(kind.qualified, name, kind.group, kind.plural)
    return body


def exists(cluster_id: int, kind: Kind, namespace: str | None, name: str) -> bool:
    return Resource.objects.filter(
        cluster_id=cluster_id,
        bucket=kind.bucket,
        namespace=_ns(kind, namespace),
        name=name,
    ).exists()


def list_objects(
    cluster_id: int,
    kind: Kind,
    namespace: str | None = None,
    label_selector: selectors.Selector = (),
    field_selector: selectors.FieldSelector = (),
    limit: int = 0,
    continue_token: str = "",
    decode: bool = True,
) -> ListResult:
    """Objects of one kind, in key order, filtered, optionally in pages."""
    with transaction.atomic():
        revision = current_revision(cluster_id)
        qs = Resource.objects.filter(cluster_id=cluster_id, bucket=kind.bucket)
        if kind.namespaced and namespace:
            qs = qs.filter(namespace=namespace)
        remaining_fields = []
        for path, op, value in field_selector:
            column = {"metadata.name": "name", "metadata.namespace": "namespace"}.get(
                path
            )
            if column and op == "=":
                qs = qs.filter(**{column: value})
            elif column:
                qs = qs.exclude(**{column: value})
            else:
                remaining_fields.append((path, op, value))
        if continue_token:
            start_ns, start_name = _decode_continue(continue_token)
            qs = qs.filter(namespace__gte=start_ns).exclude(
                namespace=start_ns, name__lte=start_name
            )
        rows = qs.order_by("namespace", "name").values_list("namespace", "name", "body")
        needs_decode = decode or label_selector or remaining_fields
        items: list[dict] = []
        raw: list[str] = []
        last = None
        count = 0
        more = False
        for ns, name, body in rows.iterator(chunk_size=2000):
            obj = json.loads(body) if needs_decode else None
            if obj is not None:
                meta = obj.get("metadata") or {}
                if label_selector and not selectors.matches(
                    label_selector, meta.get("labels")
                ):
                    continue
                if remaining_fields and not selectors.fields_match(
                    tuple(remaining_fields), obj
                ):
                    continue
            if limit and count >= limit:
                more = True
                break
            if decode:
                items.append(obj)
            raw.append(body)
            last = (ns, name)
            count += 1
    token = _encode_continue(revision, *last) if more and last else ""
    return ListResult(items if decode else None, raw, revision, token)


# apiserver storage's DecodeContinue errors, wrapped as the etcd3 store's BadRequest.
INVALID_CONTINUE = "invalid continue token: continue key is not valid"
_CONTINUE_VERSION = "meta.k8s.io/v1"


def _encode_continue(revision: int, namespace: str, name: str) -> str:
    payload = {
        "v": _CONTINUE_VERSION,
        "rv": revision,
        "start": f"{namespace}\x00{name}",
    }
    return base64.urlsafe_b64encode(dumps(payload).encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded))
        version, rv, start = payload.get("v"), payload.get("rv"), payload.get("start")
    except (ValueError, TypeError, AttributeError):
        raise errors.bad_request(INVALID_CONTINUE) from None
    if version != _CONTINUE_VERSION:
        why = "server does not recognize this encoded version"
    elif not isinstance(rv, int) or rv <= 0:
        why = f"incorrect encoded start resourceVersion (version {_CONTINUE_VERSION})"
    elif not isinstance(start, str) or not start:
        why = f"encoded start key empty (version {_CONTINUE_VERSION})"
    else:
        ns, _, name = start.partition("\x00")
        return ns, name
    raise errors.bad_request(f"{INVALID_CONTINUE}: {why}")


def create(cluster_id: int, kind: Kind, obj: dict) -> dict:
    """Write a new key; AlreadyExists when it is taken."""
    meta = obj["metadata"]
    namespace, name = _ns(kind, meta.get("namespace")), meta["name"]
    with transaction.atomic():
        # The revision row is taken first: writers of a cluster queue on it, so the
        # check below sees every write committed before ours (and a failure rolls
        # the bump back).
        revision = _bump_revision(cluster_id)
        if Resource.objects.filter(
            cluster_id=cluster_id, bucket=kind.bucket, namespace=namespace, name=name
        ).exists():
            raise errors.already_exists(kind.qualified, name, kind.group, kind.plural)
        body = _stamp(obj, revision)
        res = Resource.objects.create(
            cluster_id=cluster_id,
            bucket=kind.bucket,
            namespace=namespace,
            name=name,
            kind=kind.kind,
            uid=meta.get("uid", ""),
            body=body,
            create_revision=revision,
            mod_revision=revision,
        )
        _log(cluster_id, revision, "ADDED", res, body)
    return obj


def update(cluster_id: int, kind: Kind, obj: dict, expect_revision: int | None) -> dict:
    """Compare-and-swap: write only if the key was last written at `expect_revision`."""
    meta = obj["metadata"]
    namespace, name = _ns(kind, meta.get("namespace")), meta["name"]
    with transaction.atomic():
        revision = _bump_revision(cluster_id)  # same lock order as create
        res = (
            Resource.objects.select_for_update()
            .filter(
                cluster_id=cluster_id,
                bucket=kind.bucket,
                namespace=namespace,
                name=name,
            )
            .first()
        )
        if res is None:
            raise errors.not_found(kind.qualified, name, kind.group, kind.plural)
        if expect_revision is not None and res.mod_revision != expect_revision:
            raise errors.conflict(
                kind.qualified, name, group=kind.group, plural=kind.plural
            )
        body = _stamp(obj, revision)
        updated = Resource.objects.filter(
            pk=res.pk, mod_revision=res.mod_revision
        ).update(body=body, mod_revision=revision)
        if updated != 1:  # another writer got there between the read and the write
            raise errors.conflict(
                kind.qualified, name, group=kind.group, plural=kind.plural
            )
        _log(cluster_id, revision, "MODIFIED", res, body)
    return obj


def delete(
    cluster_id: int,
    kind: Kind,
    namespace: str | None,
    name: str,
    expect_revision: int | None = None,
    expect_uid: str = "",
) -> dict:
    """Remove a key; the DELETED event carries the last state at the deletion revision."""
    namespace = _ns(kind, namespace)
    with transaction.atomic():
        revision = _bump_revision(cluster_id)  # same lock order as create
        res = (
            Resource.objects.select_for_update()
            .filter(
                cluster_id=cluster_id,
                bucket=kind.bucket,
                namespace=namespace,
                name=name,
            )
            .first()
        )
        if res is None:
            raise errors.not_found(kind.qualified, name, kind.group, kind.plural)
        if expect_uid and res.uid != expect_uid:
            raise errors.conflict(
                kind.qualified,
                name,
                f"Precondition failed: UID in precondition: {expect_uid}, UID in object meta: {res.uid}",
                kind.group,
                kind.plural,
            )
        if expect_revision is not None and res.mod_revision != expect_revision:
            raise errors.conflict(
                kind.qualified, name, group=kind.group, plural=kind.plural
            )
        obj = json.loads(res.body)
        body = _stamp(obj, revision)
        Resource.objects.filter(pk=res.pk).delete()
        _log(cluster_id, revision, "DELETED", res, body)
    return obj


def events_since(
    cluster_id: int, revision: int, buckets: Iterable[str] | None = None, limit: int = 0
) -> list[WatchEvent]:
    """Every write after `revision`, in order; 410 Gone when the log was compacted past it."""
    compacted = Cluster.objects.values_list("compacted_revision", flat=True).get(
        pk=cluster_id
    )
    if revision < compacted:
        raise errors.gone(f"too old resource version: {revision} ({compacted})")
    qs = ResourceEvent.objects.filter(cluster_id=cluster_id, revision__gt=revision)
    if buckets is not None:
        qs = qs.filter(bucket__in=list(buckets))
    qs = qs.order_by("revision").values_list(
        "revision", "type", "bucket", "namespace", "name", "body"
    )
    if limit:
        qs = qs[:limit]
    return [WatchEvent(*row) for row in qs]


def changed_buckets(cluster_id: int, after: int) -> set[str]:
    """The buckets written since `after` (what woke a tick)."""
    return set(
        ResourceEvent.objects.filter(cluster_id=cluster_id, revision__gt=after)
        .values_list("bucket", flat=True)
        .distinct()
    )


def compact(cluster_id: int, keep: int | None = None) -> int:
    """Drop watch history older than the last `keep` revisions; returns the new floor."""
    keep = WATCH_LOG_KEEP if keep is None else keep
    with transaction.atomic():
        revision = current_revision(cluster_id)
        floor = max(0, revision - keep)
        ResourceEvent.objects.filter(
            cluster_id=cluster_id, revision__lte=floor
        ).delete()
        Cluster.objects.filter(pk=cluster_id, compacted_revision__lt=floor).update(
            compacted_revision=floor
        )
    return floor


def dump(cluster_id: int) -> list[list]:
    """Every key of a cluster, for a snapshot."""
    return [
        list(row)
        for row in Resource.objects.filter(cluster_id=cluster_id)
        .order_by("bucket", "namespace", "name")
        .values_list(
            "bucket",
            "namespace",
            "name",
            "kind",
            "uid",
            "body",
            "create_revision",
            "mod_revision",
        )
    ]


def restore(cluster_id: int, rows: list[list]) -> int:
    """Replace the whole keyspace with a snapshot's.

    The revision moves forward (never back) and the watch log is compacted, so every
    watcher gets 410 Gone and re-lists: the effect a restored etcd has on clients.
    """
    with transaction.atomic():
        revision = _bump_revision(cluster_id)
        Resource.objects.filter(cluster_id=cluster_id).delete()
        restored = []
        for bucket, namespace, name, kind, uid, body, crev, _mrev in rows:
            obj = json.loads(body)
            restored.append(
                Resource(
                    cluster_id=cluster_id,
                    bucket=bucket,
                    namespace=namespace,
                    name=name,
                    kind=kind,
                    uid=uid,
                    body=_stamp(obj, revision),
                    create_revision=crev,
                    mod_revision=revision,
                )
            )
        Resource.objects.bulk_create(restored, batch_size=500)
        ResourceEvent.objects.filter(cluster_id=cluster_id).delete()
        Cluster.objects.filter(pk=cluster_id).update(compacted_revision=revision)
    transaction.on_commit(lambda: watch.notify(cluster_id, revision, resync=True))
    return revision


def keyspace(cluster_id: int, prefix: str = "/registry/") -> list[dict]:
    """The keys under a prefix with their revisions, for the etcd browser."""
    out = []
    for res in Resource.objects.filter(cluster_id=cluster_id).order_by(
        "bucket", "namespace", "name"
    ):
        if res.key.startswith(prefix):
            out.append(
                {
                    "key": res.key,
                    "createRevision": res.create_revision,
                    "modRevision": res.mod_revision,
                    "size": len(res.body),
                }
            )
    return out


def list_buckets(cluster_id: int, kinds_by_bucket: dict[str, Kind]) -> tuple[dict, int]:
    """Every object of several kinds in one read, as informers' initial lists see them:
    ({bucket: [objects in key order]}, the revision they were read at)."""
    with transaction.atomic():
        revision = current_revision(cluster_id)
        rows = (
            Resource.objects.filter(
                cluster_id=cluster_id, bucket__in=list(kinds_by_bucket)
            )
            .order_by("bucket", "namespace", "name")
            .values_list("bucket", "body")
        )
        out: dict[str, list[dict]] = {bucket: [] for bucket in kinds_by_bucket}
        for bucket, body in rows.iterator(chunk_size=2000):
            out[bucket].append(json.loads(body))
    return out, revision


def count_keys(cluster_id: int, buckets: Iterable[str] | None = None) -> int:
    """How many keys a cluster holds (in some buckets), for quota admission."""
    qs = Resource.objects.filter(cluster_id=cluster_id)
    if buckets is not None:
        qs = qs.filter(bucket__in=list(buckets))
    return qs.count()
