"""Applying YAML from the page's editor: all documents or none.

Each document is applied as `kubectl apply --server-side --force-conflicts` would
(field manager `kubelab-web`). All documents run inside one transaction; when any is
refused, every write is rolled back and each refusal is reported with its document.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from cluster import kinds
from cluster.apiserver import decode, errors
from cluster.apiserver.apply import server_side_apply

FIELD_MANAGER = "kubelab-web"
NO_DOCUMENTS = "the YAML holds no objects"


class _Rollback(Exception):
    pass


@dataclass
class Outcome:
    results: list[dict] = field(default_factory=list)
    failures: list[tuple[int, errors.ApiError]] = field(default_factory=list)


def _kind_of(obj: dict) -> kinds.Kind:
    if not isinstance(obj.get("kind"), str) or not obj.get("kind"):
        raise errors.invalid(
            "Object", "", [errors.Cause("kind", "Required value", "FieldValueRequired")]
        )
    try:
        return kinds.by_kind(obj["kind"], obj.get("apiVersion"))
    except kinds.UnknownKind as exc:
        raise errors.ApiError(
            400,
            "BadRequest",
            str(exc),
            causes=[errors.Cause("kind", str(exc), "FieldValueNotSupported")],
        ) from None


def apply_one(api, obj: dict) -> dict:
    """Create or update one object; returns what happened to it."""
    kind = _kind_of(obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise errors.invalid(
            kind.kind,
            "",
            [errors.Cause("metadata.name", "Required value", "FieldValueRequired")],
            kind.group,
        )
    namespace = (meta.get("namespace") or "default") if kind.namespaced else None
    name = meta["name"]
    version = obj.get("apiVersion") or kind.api_version
    try:
        api.get(kind, namespace, name)
        exists = True
    except errors.ApiError as exc:
        if exc.code != 404:
            raise
        exists = False
    if exists:
        api.patch(
            kind,
            namespace,
            name,
            lambda live: server_side_apply(
                live, obj, kind.kind, FIELD_MANAGER, version, api.now, force=True
            ),
            verb="apply",
        )
        action = "configured"
    else:
        created = server_side_apply(
            None, obj, kind.kind, FIELD_MANAGER, version, api.now, force=True
        )
        api.create(created, namespace, kind)
        action = "created"
    return {
        "kind": kind.kind,
        "namespace": namespace or "",
        "name": name,
        "action": action,
    }


def apply_documents(api, text: str, dry_run: bool = False) -> Outcome:
    """Apply every document of `text`; on any failure nothing is written."""
    documents = decode.decode_documents(text, "application/yaml")
    if not documents:
        raise errors.bad_request(NO_DOCUMENTS)
    outcome = Outcome()
    try:
        with transaction.atomic():
            for index, document in enumerate(documents):
                if not isinstance(document.obj, dict):
                    outcome.failures.append(
                        (index, errors.bad_request("a document must be an object"))
                    )
                    continue
                try:
                    with transaction.atomic():
                        outcome.results.append(apply_one(api, document.obj))
                except errors.ApiError as exc:
                    outcome.failures.append((index, exc))
            if outcome.failures or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return outcome
