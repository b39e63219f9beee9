"""The three patch formats of the Kubernetes API, applied to plain JSON objects.

Strategic merge patch merges lists by the `patchMergeKey` of the built-in types and
honours the directives kubectl sends (`$patch`, `$setElementOrder/`, `$retainKeys`,
`$deleteFromPrimitiveList/`); JSON merge patch is RFC 7386; JSON patch is RFC 6902.
"""

from __future__ import annotations

import json

from cluster.apiserver.errors import ApiError, bad_request
from cluster.objects.clone import clone

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"

PATCH_DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
ORDER_PREFIX = "$setElementOrder/"
DELETE_PRIMITIVE_PREFIX = "$deleteFromPrimitiveList/"
REJECTED_422 = "the server rejected our request due to an error in our request"

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_BY_NAME_IN_POD_SPEC = (
    *CONTAINER_LISTS,
    "volumes",
    "imagePullSecrets",
    "schedulingGates",
    "resourceClaims",
)
_BY_IP_IN_POD = ("hostAliases", "podIPs", "hostIPs")


def list_strategy(
    kind: str, path: tuple[str, ...], field: str
) -> tuple[str, str | None]:
    """How a list field merges: ("merge", key), ("set", None) or ("replace", None).

    `path` holds the field names from the object root down to the map that holds
    `field`, list items standing for their list (`spec.template.spec.containers`).
    """
    parent = path[-1] if path else ""
    if field == "conditions":
        return "merge", "type"
    if path == ("metadata",):
        if field == "finalizers":
            return "set", None
        if field == "ownerReferences":
            return "merge", "uid"
    if parent in CONTAINER_LISTS:
        key = {
            "env": "name",
            "ports": "containerPort",
            "volumeMounts": "mountPath",
            "volumeDevices": "devicePath",
        }.get(field)
        if key:
            return "merge", key
    if parent == "spec" and field in _BY_NAME_IN_POD_SPEC and kind != "ServiceAccount":
        return "merge", "name"
    if field in _BY_IP_IN_POD or field == "topologySpreadConstraints":
        return "merge", "ip" if field in _BY_IP_IN_POD else "topologyKey"
    if field in ("resourceClaimStatuses", "allocatedResourcesStatus"):
        return "merge", "name"
    if kind == "Service" and path == ("spec",) and field == "ports":
        return "merge", "port"
    if kind == "Node" and path == ("status",) and field == "addresses":
        return "merge", "type"
    if kind == "Node" and path == ("spec",) and field == "podCIDRs":
        return "set", None
    if kind == "ServiceAccount" and path == () and field == "secrets":
        return "merge", "name"
    return "replace", None


def strategic_merge(original: dict, patch: dict, kind: str) -> dict:
    """`original` with a strategic merge patch applied (400 on a malformed patch)."""
    if not isinstance(patch, dict):
        raise bad_request(
            "the request body must be a JSON object for a strategic merge patch"
        )
    return _merge_map(
        clone(original) if isinstance(original, dict) else {}, patch, kind, ()
    )


def _merge_map(original: dict, patch: dict, kind: str, path: tuple) -> dict:
    directive = patch.get(PATCH_DIRECTIVE)
    if directive == "replace":
        return _merge_map(
            {}, {k: v for k, v in patch.items() if k != PATCH_DIRECTIVE}, kind, path
        )
    if directive not in (None, "merge", "delete"):
        raise bad_request(f"Unknown patch type: {directive} in map: {patch}")
    result = original
    orders: dict[str, list] = {}
    # The live lists that `$setElementOrder/` fields reorder, before the merge.
    live = {
        k.removeprefix(ORDER_PREFIX): original.get(k.removeprefix(ORDER_PREFIX))
        for k in patch
        if k.startswith(ORDER_PREFIX)
    }
    for key, value in patch.items():
        if key in (PATCH_DIRECTIVE, RETAIN_KEYS):
            continue
        if key.startswith(ORDER_PREFIX):
            orders[key.removeprefix(ORDER_PREFIX)] = value
        elif key.startswith(DELETE_PRIMITIVE_PREFIX):
            field = key.removeprefix(DELETE_PRIMITIVE_PREFIX)
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            if value.get(PATCH_DIRECTIVE) == "delete":
                result.pop(key, None)
                continue
            base = result.get(key)
            result[key] = _merge_map(
                base if isinstance(base, dict) else {}, value, kind, (*path, key)
            )
        elif isinstance(value, list):
            base = result.get(key)
            result[key] = _merge_list(
                base if isinstance(base, list) else [], value, kind, path, key
            )
        else:
            result[key] = value
    if isinstance(patch.get(RETAIN_KEYS), list):
        keep = set(patch[RETAIN_KEYS])
        result = {k: v for k, v in result.items() if k in keep}
    for field, order in orders.items():
        if isinstance(result.get(field), list) and isinstance(order, list):
            _, key = list_strategy(kind, path, field)
            before = live.get(field)
            result[field] = _ordered(
                result[field], order, before if isinstance(before, list) else [], key
            )
    return result


def _merge_list(
    original: list, patch: list, kind: str, path: tuple, field: str
) -> list:
    strategy, key = list_strategy(kind, path, field)
    item_path = (*path, field)
    if any(isinstance(i, dict) and i.get(PATCH_DIRECTIVE) == "replace" for i in patch):
        original = []
        patch = [
            i for i in patch if not (isinstance(i, dict) and i.get(PATCH_DIRECTIVE))
        ]
    if strategy == "set":
        merged = original + [
            v for i, v in enumerate(patch) if v not in original and v not in patch[:i]
        ]
        return _ordered(merged, patch, original, None)
    if strategy == "replace":
        return [
            _merge_map({}, i, kind, item_path) if isinstance(i, dict) else i
            for i in patch
        ]
    result = list(original)
    for item in patch:
        if not isinstance(item, dict):
            raise bad_request(
                f"merging an object in json but data type is not map, for list {field}"
            )
        match = next(
            (
                n
                for n, o in enumerate(result)
                if isinstance(o, dict) and key in item and o.get(key) == item[key]
            ),
            None,
        )
        if item.get(PATCH_DIRECTIVE) == "delete":
            result = [
                o
                for o in result
                if not (isinstance(o, dict) and o.get(key) == item.get(key))
            ]
        elif match is None:
            result.append(_merge_map({}, item, kind, item_path))
        else:
            result[match] = _merge_map(result[match], item, kind, item_path)
    return _ordered(result, patch, original, key)


def _ordered(items: list, order: list, live: list, key: str | None) -> list:
    """A merged list in kube-apiserver's order.

    The items that `order` (the patch list, or its `$setElementOrder/`) names come in
    that order; the others keep their live order and are slotted in before the first
    named item they preceded in the live list. So an item new to the list comes
    before the live items the patch did not mention.
    """

    def ident(item):
        return item.get(key) if key and isinstance(item, dict) else item

    def position(item, within: list) -> int:
        wanted = ident(item)
        return next((n for n, o in enumerate(within) if ident(o) == wanted), -1)

    named = [i for i in items if position(i, order) >= 0]
    named.sort(key=lambda i: position(i, order))
    others = [i for i in items if position(i, order) < 0]
    merged: list = []
    while others or named:
        if not named:
            merged.append(others.pop(0))
        elif not others:
            merged.append(named.pop(0))
        else:
            left, right = position(others[0], live), position(named[0], live)
            if 0 <= left < right:
                merged.append(others.pop(0))
            else:
                merged.append(named.pop(0))
    return merged


def json_merge(original, patch):
    """RFC 7386: `null` deletes, objects merge, everything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge(result.get(key), value)
    return result


class _PatchFailed(Exception):
    """An operation of a JSON patch does not apply."""


def _pointer(path) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise _PatchFailed(f'invalid JSON pointer: "{path}"')
    if path == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container: list, token: str, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise _PatchFailed(f"invalid array index: {token}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise _PatchFailed(f"index out of bounds: {index}")
    return index


def _parent(doc, tokens: list[str], op: str, path: str):
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, False)]
        else:
            raise _PatchFailed(
                f"{op} operation does not apply: doc is missing path: "
                f'"{path}": missing value'
            )
    return node


def _get(doc, path: str, op: str):
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent, last = _parent(doc, tokens, op, path), tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, False)]
    raise _PatchFailed(
        f"{op} operation does not apply: doc is missing key: {path}: missing value"
    )


def _remove(doc, path: str, op: str = "remove"):
    tokens = _pointer(path)
    parent, last = _parent(doc, tokens, op, path), tokens[-1] if tokens else ""
    if isinstance(parent, dict):
        if last not in parent:
            raise _PatchFailed(
                f"error in remove for path: '{path}': Unable to remove "
                f"nonexistent key: {last}: missing value"
            )
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, False))
    raise _PatchFailed(f"error in remove for path: '{path}': missing value")


def _add(doc, path: str, value, replace: bool = False):
    tokens = _pointer(path)
    if not tokens:
        return value
    op = "replace" if replace else "add"
    parent, last = _parent(doc, tokens, op, path), tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _PatchFailed(
                f"replace operation does not apply: doc is missing key: "
                f"{path}: missing value"
            )
        parent[last] = value
    elif isinstance(parent, list):
        index = _index(parent, last, not replace)
        if replace:
            parent[index] = value
        else:
            parent.insert(index, value)
    else:
        raise _PatchFailed(
            f"{op} operation does not apply: doc is missing path: "
            f'"{path}": missing value'
        )
    return doc


def json_patch(original, operations) -> dict:
    """RFC 6902 operations applied in order; 400 if malformed, 422 if one fails."""
    if not isinstance(operations, list) or not all(
        isinstance(o, dict) for o in operations
    ):
        raise bad_request(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        )
    doc = clone(original)
    try:
        for op in operations:
            name, path = op.get("op"), op.get("path")
            if name in ("add", "replace", "test") and "value" not in op:
                raise _PatchFailed(f"{name} operation does not apply: missing value")
            if name == "add":
                doc = _add(doc, path, clone(op["value"]))
            elif name == "remove":
                _remove(doc, path)
            elif name == "replace":
                doc = _add(doc, path, clone(op["value"]), replace=True)
            elif name in ("move", "copy"):
                source = op.get("from")
                value = (
                    _remove(doc, source, name)
                    if name == "move"
                    else clone(_get(doc, source, name))
                )
                doc = _add(doc, path, value)
            elif name == "test":
                if _get(doc, path, "test") != op["value"]:
                    raise _PatchFailed(f"testing value {path} failed: test failed")
            else:
                raise _PatchFailed(f"Unexpected kind: {name}")
    except _PatchFailed:
        raise ApiError(422, "Invalid", REJECTED_422) from None
    return doc


def parse_patch_body(body: bytes | str):
    """The JSON value of a patch body (400 when it is not JSON)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"error decoding patch: {exc}") from None


def apply_patch(content_type: str, original: dict, patch, kind: str) -> dict:
    """Apply a strategic, merge or JSON patch chosen by its media type."""
    media = content_type.split(";")[0].strip()
    if media == STRATEGIC:
        return strategic_merge(original, patch, kind)
    if media == MERGE:
        if not isinstance(patch, dict):
            raise bad_request(
                "json: cannot unmarshal into the object: a merge patch "
                "must be a JSON object"
            )
        return json_merge(original, patch)
    if media == JSON_PATCH:
        return json_patch(original, patch)
    raise ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media "
        f"types include: {JSON_PATCH}, {MERGE}, {STRATEGIC}, {APPLY}",
    )
