"""Server-side apply: field ownership in `metadata.managedFields` and apply conflicts.

A field set is a set of paths; a path is a tuple of elements `("f", name)`,
`("k", '{"name":"web"}')`, `("v", '"x"')` or `("i", "0")`, serialised to the
`FieldsV1` form (`f:spec`, `k:{"name":"web"}`, `v:"x"`, `.` for the node itself).
"""

from __future__ import annotations

import json

from cluster.apiserver.errors import ApiError, Cause
from cluster.apiserver.patch import list_strategy
from cluster.objects.clone import clone
from cluster.simtime import rfc3339

APPLY, UPDATE = "Apply", "Update"
CONFLICT_CAUSE = "FieldManagerConflict"
MANAGER_REQUIRED = "is required for apply patch"
# Fields the server sets itself; no manager ever owns them.
_STRIPPED = {"apiVersion", "kind", "status"}
_STRIPPED_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
}

Path = tuple[tuple[str, str], ...]


def require_manager(field_manager: str | None) -> None:
    """An apply patch needs a fieldManager: 422 like ValidatePatchOptions."""
    if not field_manager:
        raise ApiError(
            422,
            "Invalid",
            f'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
            f"{MANAGER_REQUIRED}",
            kind="PatchOptions",
            group="meta.k8s.io",
            causes=[
                Cause(
                    "fieldManager",
                    f"Required value: {MANAGER_REQUIRED}",
                    "FieldValueRequired",
                )
            ],
        )


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _key_element(item: dict, key: str) -> tuple[str, str]:
    return ("k", _compact({key: item.get(key)}))


def _fields(obj: dict, kind: str, path: Path = (), schema: tuple = ()) -> set[Path]:
    """The leaf paths of a (partial) object, with list elements as members."""
    found: set[Path] = set()
    for name, value in obj.items():
        if not path and name in _STRIPPED:
            continue
        if path == (("f", "metadata"),) and name in _STRIPPED_META:
            continue
        child = (*path, ("f", name))
        if isinstance(value, dict) and value:
            found |= _fields(value, kind, child, (*schema, name))
        elif isinstance(value, list) and value:
            strategy, key = list_strategy(kind, schema, name)
            if strategy == "merge":
                for item in value:
                    if isinstance(item, dict):
                        element = (*child, _key_element(item, key))
                        found.add(element)
                        found |= _fields(item, kind, element, (*schema, name))
            elif strategy == "set":
                found |= {(*child, ("v", _compact(v))) for v in value}
            else:
                found.add(child)
        else:
            found.add(child)
    return found


def _step(node, element: tuple[str, str]):
    """The child of `node` an element names, or a KeyError when there is none."""
    kind, text = element
    if kind == "f" and isinstance(node, dict) and text in node:
        return node[text]
    if kind == "k" and isinstance(node, list):
        key, value = next(iter(json.loads(text).items()))
        for item in node:
            if isinstance(item, dict) and item.get(key) == value:
                return item
    if kind == "v" and isinstance(node, list) and json.loads(text) in node:
        return json.loads(text)
    if kind == "i" and isinstance(node, list) and int(text) < len(node):
        return node[int(text)]
    raise KeyError(element)


def value_at(obj, path: Path):
    """The value a path names in an object (KeyError when absent)."""
    for element in path:
        obj = _step(obj, element)
    return obj


def _exists(obj, path: Path) -> bool:
    try:
        value_at(obj, path)
    except KeyError:
        return False
    return True


def _delete(obj, path: Path) -> None:
    try:
        parent = value_at(obj, path[:-1])
    except KeyError:
        return
    kind, text = path[-1]
    if kind == "f" and isinstance(parent, dict):
        parent.pop(text, None)
    elif kind in ("k", "v") and isinstance(parent, list):
        target = _step(parent, path[-1]) if _exists(parent, path[-1:]) else None
        if target is not None:
            parent.remove(target)


def to_fields_v1(paths: set[Path]) -> dict:
    """A field set in the `FieldsV1` JSON form."""
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for kind, text in path:
            node = node.setdefault(f"{kind}:{text}", {})
    for path in paths:
        node = tree
        for kind, text in path:
            node = node[f"{kind}:{text}"]
        if node:
            node["."] = {}
    return _sorted(tree)


def _sorted(tree: dict) -> dict:
    return {k: _sorted(tree[k]) for k in sorted(tree)}


def from_fields_v1(tree: dict, path: Path = ()) -> set[Path]:
    """The field set a `FieldsV1` tree stands for."""
    found: set[Path] = set()
    for key, child in (tree or {}).items():
        if key == ".":
            found.add(path)
            continue
        kind, _, text = key.partition(":")
        element = (*path, (kind, text))
        found |= from_fields_v1(child, element) if child else {element}
    return found


def path_string(path: Path) -> str:
    """A path as conflicts print it: `.spec.template.spec.containers[name="web"].image`."""
    out = []
    for kind, text in path:
        if kind == "f":
            out.append("." + text)
        elif kind == "k":
            pairs = json.loads(text)
            out.append(
                "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in pairs.items()) + "]"
            )
        elif kind == "v":
            out.append(f"[={text}]")
        else:
            out.append(f"[{text}]")
    return "".join(out)


def _merge(live, applied, kind: str, schema: tuple = ()):
    """The applied configuration merged into the live object."""
    if not isinstance(live, dict) or not isinstance(applied, dict):
        return clone(applied)
    result = dict(live)
    for name, value in applied.items():
        if value is None:
            continue
        if isinstance(value, list) and isinstance(live.get(name), list):
            strategy, key = list_strategy(kind, schema, name)
            if strategy == "merge":
                merged = list(live[name])
                for item in value:
                    at = next(
                        (
                            n
                            for n, o in enumerate(merged)
                            if isinstance(o, dict)
                            and isinstance(item, dict)
                            and o.get(key) == item.get(key)
                        ),
                        None,
                    )
                    if at is None:
                        merged.append(clone(item))
                    else:
                        merged[at] = _merge(merged[at], item, kind, (*schema, name))
                result[name] = merged
                continue
            if strategy == "set":
                result[name] = live[name] + [v for v in value if v not in live[name]]
                continue
        result[name] = _merge(live.get(name), value, kind, (*schema, name))
    return result


def _identity(entry: dict) -> tuple:
    version = "" if entry.get("operation") == APPLY else entry.get("apiVersion", "")
    return (
        entry.get("manager", ""),
        entry.get("operation", ""),
        version,
        entry.get("subresource", ""),
    )


def _describe(entry: dict) -> str:
    text = json.dumps(entry.get("manager", ""))
    if entry.get("subresource"):
        text += f' with subresource "{entry["subresource"]}"'
    if entry.get("operation") == UPDATE:
        text += f" using {entry.get('apiVersion', '')}"
    return text


def conflict_error(conflicts: list[tuple[dict, Path]]) -> ApiError:
    """409 with one FieldManagerConflict cause per contested field."""
    causes = [
        Cause(path_string(p), f"conflict with {_describe(e)}", CONFLICT_CAUSE)
        for e, p in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {_describe(entry)}: "
            f"{path_string(path)}"
        )
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(_describe(entry), []).append(path_string(path))
        lines = []
        for manager in sorted(by_manager):
            lines.append(f"conflicts with {manager}:")
            lines += [f"- {p}" for p in by_manager[manager]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(409, "Conflict", message, causes=causes)


def _entries(obj: dict | None) -> list[dict]:
    return clone(((obj or {}).get("metadata") or {}).get("managedFields") or [])


def _entry(manager, operation, api_version, now, paths, subresource) -> dict:
    entry = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": rfc3339(now),
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(paths),
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def _store(obj: dict, entries: list[dict], mine: dict) -> dict:
    """Put `mine` in place of the same manager's entry (or last) and drop empty ones."""
    placed, result = False, []
    for entry in entries:
        if _identity(entry) == _identity(mine):
            entry, placed = mine, True
        if entry.get("fieldsV1"):
            result.append(entry)
    if not placed and mine.get("fieldsV1"):
        result.append(mine)
    obj.setdefault("metadata", {})["managedFields"] = result
    return obj


def server_side_apply(
    live: dict | None,
    applied: dict,
    kind: str,
    manager: str,
    api_version: str,
    now: float,
    force: bool = False,
    subresource: str = "",
) -> dict:
    """The object after `manager` applies `applied`; 409 on conflicts unless forced."""
    require_manager(manager)
    entries = _entries(live)
    mine = _entry(manager, APPLY, api_version, now, set(), subresource)
    previous = next(
        (
            from_fields_v1(e.get("fieldsV1"))
            for e in entries
            if _identity(e) == _identity(mine)
        ),
        set(),
    )
    wanted = _fields(applied, kind)
    conflicts = []
    for entry in entries:
        if _identity(entry) == _identity(mine):
            continue
        owned = from_fields_v1(entry.get("fieldsV1"))
        contested = sorted(p for p in owned & wanted if _differs(live, applied, p))
        if contested and force:
            entry["fieldsV1"] = to_fields_v1(owned - set(contested))
        conflicts += [(entry, p) for p in contested]
    if conflicts and not force:
        raise conflict_error(conflicts)
    merged = _merge(clone(live or {}), applied, kind)
    others = set().union(
        *(
            from_fields_v1(e.get("fieldsV1"))
            for e in entries
            if _identity(e) != _identity(mine)
        )
    )
    for path in sorted(previous - wanted, key=len, reverse=True):
        if path not in others and not any(o[: len(path)] == path for o in others):
            _delete(merged, path)
    mine["fieldsV1"] = to_fields_v1(wanted)
    return _store(merged, entries, mine)


def _differs(live, applied, path: Path) -> bool:
    try:
        have = value_at(live, path)
    except KeyError:
        return False
    try:
        want = value_at(applied, path)
    except KeyError:
        return False
    if isinstance(have, dict) and isinstance(want, dict):
        return False  # a list element both sides hold; its fields are compared apart
    return have != want


def _changed(old, new, kind: str, path: Path = (), schema: tuple = ()) -> set[Path]:
    """Paths an update set or changed, with new maps and elements as members."""
    if old == new:
        return set()
    if isinstance(new, dict) and isinstance(old, dict):
        found: set[Path] = set()
        for name, value in new.items():
            if not path and name in _STRIPPED:
                continue
            if path == (("f", "metadata"),) and name in _STRIPPED_META:
                continue
            child = (*path, ("f", name))
            if name not in old:
                found |= _fields({name: value}, kind, path, schema)
                if isinstance(value, dict) and value:
                    found.add(child)
            else:
                found |= _changed(old[name], value, kind, child, (*schema, name))
        return found
    if isinstance(new, list) and isinstance(old, list) and path:
        strategy, key = (
            list_strategy(kind, schema[:-1], schema[-1])
            if schema
            else ("replace", None)
        )
        if strategy == "merge":
            found = set()
            for item in new:
                if not isinstance(item, dict):
                    continue
                element = (*path, _key_element(item, key))
                before = next(
                    (
                        o
                        for o in old
                        if isinstance(o, dict) and o.get(key) == item.get(key)
                    ),
                    None,
                )
                if before is None:
                    found.add(element)
                    found |= _fields(item, kind, element, schema)
                else:
                    found |= _changed(before, item, kind, element, schema)
            return found
        if strategy == "set":
            return {(*path, ("v", _compact(v))) for v in new if v not in old}
    return {path} if path else set()


def record_update(
    old: dict | None,
    new: dict,
    manager: str,
    api_version: str,
    now: float,
    subresource: str = "",
) -> dict:
    """`new` with managedFields updated for a create, update or non-apply patch."""
    kind = new.get("kind", "")
    entries = _entries(old) if old is not None else _entries(new)
    changed = (
        _changed(old or {}, new, kind)
        if old is not None
        else (_fields(new, kind) | _maps(new, kind))
    )
    for entry in entries:
        owned = from_fields_v1(entry.get("fieldsV1"))
        kept = {p for p in owned if _exists(new, p)}
        if kept != owned:
            entry["fieldsV1"] = to_fields_v1(kept)
    result = clone(new)
    if not manager:
        result.setdefault("metadata", {})["managedFields"] = [
            e for e in entries if e.get("fieldsV1")
        ]
        return result
    mine = _entry(manager, UPDATE, api_version, now, set(), subresource)
    previous = next(
        (
            from_fields_v1(e.get("fieldsV1"))
            for e in entries
            if _identity(e) == _identity(mine)
        ),
        set(),
    )
    for entry in entries:
        if _identity(entry) != _identity(mine):
            owned = from_fields_v1(entry.get("fieldsV1"))
            if owned & changed:
                entry["fieldsV1"] = to_fields_v1(owned - changed)
    mine["fieldsV1"] = to_fields_v1({p for p in previous if _exists(new, p)} | changed)
    if not changed:
        # The apiserver stamps a manager's time only when its write changed a field.
        mine["time"] = next(
            (e.get("time") for e in entries if _identity(e) == _identity(mine)),
            mine["time"],
        )
    return _store(result, entries, mine)


def _maps(obj: dict, kind: str) -> set[Path]:
    """Non-empty maps of a created object, owned as members (`.`) like the apiserver."""
    return {
        p[:-1]
        for p in _fields(obj, kind)
        if len(p) > 1
        and p[-1][0] == "f"
        and p[-2][0] == "f"
        and p[:-1] != (("f", "metadata"),)
        and p[-2][1] in ("labels", "annotations")
    }
