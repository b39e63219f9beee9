"""etcd for simulated clusters: keys, revisions, compare-and-swap writes and the watch log.

This is the only module that touches `Resource` and `ResourceEvent`. Every write is one
transaction: bump the cluster's revision, write the key, append to the watch log, and
notify watchers once the transaction commits. An object's `resourceVersion` is the
revision that last wrote it, so a stale one is detected by comparing `mod_revision`.

The hot paths speak SQL through `connection.cursor()`: building an ORM query costs more
than running it. The SQL is portable between SQLite and PostgreSQL (`%s` placeholders,
`RETURNING`, `ON CONFLICT DO NOTHING`).
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

_CLUSTERS = Cluster._meta.db_table
_KEYS = Resource._meta.db_table
_LOG = ResourceEvent._meta.db_table
_KEY = "cluster_id = %s AND bucket = %s AND namespace = %s AND name = %s"
_INSERT_KEY = (
    f"INSERT INTO {_KEYS} (cluster_id, bucket, namespace, name, kind, uid, body, "
    "create_revision, mod_revision, lease_expires) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (cluster_id, bucket, namespace, name) DO NOTHING RETURNING id"
)
_INSERT_EVENT = (
    f"INSERT INTO {_LOG} (cluster_id, revision, type, bucket, namespace, name, body) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
# Field selectors on these paths become SQL; any other path is matched in Python.
_COLUMNS = {"metadata.name": "name", "metadata.namespace": "namespace"}

dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
loads = json.JSONDecoder().decode


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
        return loads(self.body)


def _query(sql: str, params: Iterable) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _one(sql: str, params: Iterable) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _execute(sql: str, params: Iterable) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _bump_revision(cluster_id: int) -> int:
    row = _one(
        f"UPDATE {_CLUSTERS} SET revision = revision + 1 WHERE id = %s "
        "RETURNING revision",
        [cluster_id],
    )
    if row is None:
        raise errors.ApiError(404, "NotFound", f"cluster {cluster_id} not found")
    return row[0]


def current_revision(cluster_id: int) -> int:
    row = _one(f"SELECT revision FROM {_CLUSTERS} WHERE id = %s", [cluster_id])
    if row is None:
        raise Cluster.DoesNotExist(f"cluster {cluster_id} does not exist")
    return row[0]


def _ns(kind: Kind, namespace: str | None) -> str:
    return (namespace or "") if kind.namespaced else ""


def _log(
    cluster_id: int,
    revision: int,
    type_: str,
    key: tuple[str, str, str],
    body: str,
) -> None:
    _execute(_INSERT_EVENT, [cluster_id, revision, type_, *key, body])
    transaction.on_commit(lambda: watch.logged(cluster_id, revision, type_, key, body))
    if revision % _COMPACT_EVERY == 0:
        transaction.on_commit(lambda: compact(cluster_id))


def _stamp(obj: dict, revision: int) -> str:
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
    return dumps(obj)


_UNSET = object()


def _unstamp(obj: dict, previous) -> None:
    """Put back the resourceVersion a refused write had stamped (the caller's object)."""
    if previous is _UNSET:
        obj["metadata"].pop("resourceVersion", None)
    else:
        obj["metadata"]["resourceVersion"] = previous


def get(cluster_id: int, kind: Kind, namespace: str | None, name: str) -> dict:
    """The object at a key, or NotFound."""
    return loads(get_raw(cluster_id, kind, namespace, name))


def get_raw(cluster_id: int, kind: Kind, namespace: str | None, name: str) -> str:
    row = _one(
        f"SELECT body FROM {_KEYS} WHERE {_KEY}",
        [cluster_id, kind.bucket, _ns(kind, namespace), name],
    )
    if row is None:
        raise errors.not_found(kind.qualified, name, kind.group, kind.plural)
    return row[0]


def exists(cluster_id: int, kind: Kind, namespace: str | None, name: str) -> bool:
    return (
        _one(
            f"SELECT 1 FROM {_KEYS} WHERE {_KEY}",
            [cluster_id, kind.bucket, _ns(kind, namespace), name],
        )
        is not None
    )


def list_objects(
    cluster_id: int,
    kind: Kind,
    namespace: str | None = None,
    label_selector: selectors.Selector = (),
    field_selector: selectors.FieldSelector = (),
    limit: int = 0,
    continue_token: str = "",
    decode: bool = True,
    name_prefix: str = "",
) -> ListResult:
    """Objects of one kind, in key order, filtered, optionally in pages; `name_prefix`
    keeps the names that start with it (a key-range read, as etcd's prefix get).

    The revision is read before the rows and without a transaction (on SQLite a
    transaction would take the write lock): rows may be newer than it, never older, so
    a watch from the revision replays whatever the list might have missed.
    """
    revision = current_revision(cluster_id)
    where = ["cluster_id = %s", "bucket = %s"]
    params: list = [cluster_id, kind.bucket]
    if kind.namespaced and namespace:
        where.append("namespace = %s")
        params.append(namespace)
    remaining_fields = []
    for path, op, value in field_selector:
        column = _COLUMNS.get(path)
        if column:
            where.append(f"{column} {'=' if op == '=' else '<>'} %s")
            params.append(value)
        else:
            remaining_fields.append((path, op, value))
    if name_prefix:
        where.append("name LIKE %s ESCAPE '\\'")
        params.append(_like_prefix(name_prefix))
    if continue_token:
        start_ns, start_name = _decode_continue(continue_token)
        where.append("(namespace > %s OR (namespace = %s AND name > %s))")
        params += [start_ns, start_ns, start_name]
    needs_decode = bool(decode or label_selector or remaining_fields)
    sql = (
        f"SELECT namespace, name, body FROM {_KEYS} WHERE {' AND '.join(where)} "
        "ORDER BY namespace, name"
    )
    if limit and not (label_selector or remaining_fields or name_prefix):
        sql += " LIMIT %s"  # one more than asked tells whether there is more
        params.append(limit + 1)
    items: list[dict] = []
    raw: list[str] = []
    last = None
    more = False
    remaining_fields = tuple(remaining_fields)
    for ns, name, body in _query(sql, params):
        if name_prefix and not name.startswith(name_prefix):
            continue  # SQLite's LIKE ignores ASCII case
        obj = loads(body) if needs_decode else None
        if obj is not None:
            if label_selector and not selectors.matches(
                label_selector, (obj.get("metadata") or {}).get("labels")
            ):
                continue
            if remaining_fields and not selectors.fields_match(remaining_fields, obj):
                continue
        if limit and len(raw) >= limit:
            more = True
            break
        if decode:
            items.append(obj)
        raw.append(body)
        last = (ns, name)
    token = _encode_continue(revision, *last) if more and last else ""
    return ListResult(items if decode else None, raw, revision, token)


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


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


def create(
    cluster_id: int, kind: Kind, obj: dict, lease_expires: float | None = None
) -> dict:
    """Write a new key; AlreadyExists when it is taken.

    A key written with a lease is removed when the lease runs out (`expire_leases`).
    """
    meta = obj["metadata"]
    key = (kind.bucket, _ns(kind, meta.get("namespace")), meta["name"])
    with transaction.atomic():
        # The revision row is taken first: writers of a cluster queue on it, so the
        # insert below sees every write committed before ours (and a failure rolls
        # the bump back).
        revision = _bump_revision(cluster_id)
        previous = meta.get("resourceVersion", _UNSET)
        body = _stamp(obj, revision)
        inserted = _one(
            _INSERT_KEY,
            [
                cluster_id,
                *key,
                kind.kind,
                meta.get("uid", ""),
                body,
                revision,
                revision,
                lease_expires,
            ],
        )
        if inserted is None:
            _unstamp(obj, previous)
            raise errors.already_exists(kind.qualified, key[2], kind.group, kind.plural)
        _log(cluster_id, revision, "ADDED", key, body)
    return obj


def _missing_or_conflict(
    cluster_id: int, kind: Kind, key: tuple[str, str, str]
) -> errors.ApiError:
    """Why a conditional write matched no row: the key is gone, or it moved on."""
    if _one(f"SELECT 1 FROM {_KEYS} WHERE {_KEY}", [cluster_id, *key]) is None:
        return errors.not_found(kind.qualified, key[2], kind.group, kind.plural)
    return errors.conflict(kind.qualified, key[2], group=kind.group, plural=kind.plural)


def update(
    cluster_id: int,
    kind: Kind,
    obj: dict,
    expect_revision: int | None,
    lease_expires: float | None = None,
) -> dict:
    """Compare-and-swap: write only if the key was last written at `expect_revision`.

    As an etcd put, the write replaces the key's lease (None: no lease).
    """
    meta = obj["metadata"]
    key = (kind.bucket, _ns(kind, meta.get("namespace")), meta["name"])
    with transaction.atomic():
        revision = _bump_revision(cluster_id)  # same lock order as create
        previous = meta.get("resourceVersion", _UNSET)
        body = _stamp(obj, revision)
        sql = (
            f"UPDATE {_KEYS} SET body = %s, mod_revision = %s, lease_expires = %s "
            f"WHERE {_KEY}"
        )
        params = [body, revision, lease_expires, cluster_id, *key]
        if expect_revision is not None:
            sql += " AND mod_revision = %s"
            params.append(expect_revision)
        if _one(sql + " RETURNING id", params) is None:
            _unstamp(obj, previous)
            raise _missing_or_conflict(cluster_id, kind, key)
        _log(cluster_id, revision, "MODIFIED", key, body)
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
    key = (kind.bucket, _ns(kind, namespace), name)
    with transaction.atomic():
        revision = _bump_revision(cluster_id)  # same lock order as create
        row = _one(
            f"SELECT id, uid, mod_revision, body FROM {_KEYS} WHERE {_KEY}",
            [cluster_id, *key],
        )
        if row is None:
            raise errors.not_found(kind.qualified, name, kind.group, kind.plural)
        pk, uid, mod_revision, old_body = row
        if expect_uid and uid != expect_uid:
            raise errors.conflict(
                kind.qualified,
                name,
                f"Precondition failed: UID in precondition: {expect_uid}, UID in object meta: {uid}",
                kind.group,
                kind.plural,
            )
        if expect_revision is not None and mod_revision != expect_revision:
            raise errors.conflict(
                kind.qualified, name, group=kind.group, plural=kind.plural
            )
        obj = loads(old_body)
        body = _stamp(obj, revision)
        _execute(f"DELETE FROM {_KEYS} WHERE id = %s", [pk])
        _log(cluster_id, revision, "DELETED", key, body)
    return obj


def expire_leases(cluster_id: int, now: float) -> int:
    """Delete the keys whose lease ran out by `now`, each with its DELETED event."""
    expired = _query(
        f"SELECT id, bucket, namespace, name, body FROM {_KEYS} "
        "WHERE cluster_id = %s AND lease_expires <= %s ORDER BY lease_expires, id",
        [cluster_id, now],
    )
    if not expired:
        return 0
    with transaction.atomic():
        for pk, bucket, namespace, name, old_body in expired:
            revision = _bump_revision(cluster_id)
            body = _stamp(loads(old_body), revision)
            _execute(f"DELETE FROM {_KEYS} WHERE id = %s", [pk])
            _log(cluster_id, revision, "DELETED", (bucket, namespace, name), body)
    return len(expired)


def events_since(
    cluster_id: int, revision: int, buckets: Iterable[str] | None = None, limit: int = 0
) -> list[WatchEvent]:
    """Every write after `revision`, in order; 410 Gone when the log was compacted past it."""
    row = _one(
        f"SELECT compacted_revision FROM {_CLUSTERS} WHERE id = %s", [cluster_id]
    )
    if row is None:
        raise Cluster.DoesNotExist(f"cluster {cluster_id} does not exist")
    compacted = row[0]
    if revision < compacted:
        raise errors.gone(f"too old resource version: {revision} ({compacted})")
    sql = (
        f"SELECT revision, type, bucket, namespace, name, body FROM {_LOG} "
        "WHERE cluster_id = %s AND revision > %s"
    )
    params: list = [cluster_id, revision]
    if buckets is not None:
        wanted = list(buckets)
        if not wanted:
            return []
        sql += f" AND bucket IN ({', '.join(['%s'] * len(wanted))})"
        params += wanted
    sql += " ORDER BY revision"
    if limit:
        sql += " LIMIT %s"
        params.append(limit)
    return [WatchEvent(*row) for row in _query(sql, params)]


def changed_buckets(cluster_id: int, after: int) -> set[str] | None:
    """The buckets written since `after`, or None when the log was compacted past it."""
    row = _one(
        f"SELECT compacted_revision FROM {_CLUSTERS} WHERE id = %s", [cluster_id]
    )
    if row is None or after < row[0]:
        return None
    rows = _query(
        f"SELECT DISTINCT bucket FROM {_LOG} WHERE cluster_id = %s AND revision > %s",
        [cluster_id, after],
    )
    return {bucket for (bucket,) in rows}


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
            "lease_expires",
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
        for bucket, namespace, name, kind, uid, body, crev, _mrev, *lease in rows:
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
                    lease_expires=lease[0] if lease else None,
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
    ({bucket: [objects in key order]}, the revision they were read at, or before)."""
    revision = current_revision(cluster_id)
    buckets = list(kinds_by_bucket)
    out: dict[str, list[dict]] = {bucket: [] for bucket in buckets}
    rows = _query(
        f"SELECT bucket, body FROM {_KEYS} WHERE cluster_id = %s "
        f"AND bucket IN ({', '.join(['%s'] * len(buckets))}) "
        "ORDER BY bucket, namespace, name",
        [cluster_id, *buckets],
    )
    for bucket, body in rows:
        out[bucket].append(loads(body))
    return out, revision


def read_many(
    cluster_id: int, wanted: list[tuple[Kind, str | None, str | None]]
) -> list[list[dict]]:
    """Several reads in one query: for each (kind, namespace or None, name or None) the
    objects at that key or under that prefix, in key order (admission's lookups)."""
    clauses, params = [], [cluster_id]
    for kind, namespace, name in wanted:
        clause = "(bucket = %s"
        params.append(kind.bucket)
        if namespace is not None:
            clause += " AND namespace = %s"
            params.append(_ns(kind, namespace))
        if name is not None:
            clause += " AND name = %s"
            params.append(name)
        clauses.append(clause + ")")
    rows = _query(
        f"SELECT bucket, namespace, name, body FROM {_KEYS} WHERE cluster_id = %s "
        f"AND ({' OR '.join(clauses)}) ORDER BY bucket, namespace, name",
        params,
    )
    out: list[list[dict]] = [[] for _ in wanted]
    for bucket, ns, name, body in rows:
        for i, (kind, namespace, wanted_name) in enumerate(wanted):
            if (
                kind.bucket == bucket
                and (namespace is None or _ns(kind, namespace) == ns)
                and (wanted_name is None or wanted_name == name)
            ):
                out[i].append(loads(body))  # each answer its own copy
    return out


def count_keys(cluster_id: int, buckets: Iterable[str] | None = None) -> int:
    """How many keys a cluster holds (in some buckets), for quota admission."""
    return count_keys_by_bucket(cluster_id, buckets, ())[0]


def count_keys_by_bucket(
    cluster_id: int, buckets: Iterable[str] | None, also: Iterable[str]
) -> tuple[int, ...]:
    """In one query: the keys in `buckets` (all when None), then the keys in each of
    `also` (which should be among `buckets`)."""
    also = list(also)
    columns = ["COUNT(*)"] + [
        "COALESCE(SUM(CASE WHEN bucket = %s THEN 1 ELSE 0 END), 0)" for _ in also
    ]
    sql = f"SELECT {', '.join(columns)} FROM {_KEYS} WHERE cluster_id = %s"
    params: list = [*also, cluster_id]
    if buckets is not None:
        wanted = list(buckets)
        sql += (
            f" AND bucket IN ({', '.join(['%s'] * len(wanted))})"
            if wanted
            else " AND 1 = 0"
        )
        params += wanted
    return tuple(int(n) for n in _one(sql, params))
