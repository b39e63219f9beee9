"""Label and field selectors, in both their string form (`?labelSelector=`) and object form.

A selector is compiled once into a list of requirements, then matched against many objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*(!=|==|=|!|,|\(|\)|[^\s!=,()]+)")


class InvalidSelector(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # In | NotIn | Exists | DoesNotExist | Gt | Lt
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        present = self.key in labels
        if self.op == "Exists":
            return present
        if self.op == "DoesNotExist":
            return not present
        if self.op == "In":
            return present and labels[self.key] in self.values
        if self.op == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.op in ("Gt", "Lt") and present:
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return have > want if self.op == "Gt" else have < want
        return False


Selector = tuple[Requirement, ...]
EVERYTHING: Selector = ()


def matches(selector: Selector, labels: dict | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in selector)


def parse_label_selector(text: str | None) -> Selector:
    """Parse `app=web,tier!=db,env in (a,b),!legacy,release` as the API server does."""
    if not text or not text.strip():
        return EVERYTHING
    tokens = list(_TOKEN.findall(text))
    reqs: list[Requirement] = []
    i = 0

    def take() -> str:
        nonlocal i
        if i >= len(tokens):
            raise InvalidSelector(
                f"unable to parse requirement: found '', expected: identifier in {text!r}"
            )
        i += 1
        return tokens[i - 1]

    while i < len(tokens):
        tok = take()
        if tok == "!":
            reqs.append(Requirement(take(), "DoesNotExist"))
        else:
            key = tok
            op = tokens[i] if i < len(tokens) else ","
            if op == ",":
                reqs.append(Requirement(key, "Exists"))
            elif op in ("=", "=="):
                take()
                reqs.append(Requirement(key, "In", (_value(tokens, i),)))
                i += 0 if i >= len(tokens) or tokens[i] == "," else 1
            elif op == "!=":
                take()
                reqs.append(Requirement(key, "NotIn", (_value(tokens, i),)))
                i += 0 if i >= len(tokens) or tokens[i] == "," else 1
            elif op.lower() in ("in", "notin"):
                take()
                if take() != "(":
                    raise InvalidSelector(f"found '{tokens[i - 1]}', expected: '('")
                values = []
                while (tok := take()) != ")":
                    if tok != ",":
                        values.append(tok)
                reqs.append(
                    Requirement(
                        key, "In" if op.lower() == "in" else "NotIn", tuple(values)
                    )
                )
            else:
                raise InvalidSelector(
                    f"found '{op}', expected: '=', '!=', '==', 'in', notin'"
                )
        if i < len(tokens):
            if tokens[i] != ",":
                raise InvalidSelector(
                    f"found '{tokens[i]}', expected: ',' or 'end of string'"
                )
            i += 1
    return tuple(reqs)


def _value(tokens: list[str], i: int) -> str:
    return "" if i >= len(tokens) or tokens[i] == "," else tokens[i]


def from_label_selector(spec: dict | None) -> Selector:
    """Compile a LabelSelector object (`matchLabels` and `matchExpressions`)."""
    if not spec:
        return EVERYTHING
    reqs = [
        Requirement(k, "In", (str(v),))
        for k, v in sorted((spec.get("matchLabels") or {}).items())
    ]
    for expr in spec.get("matchExpressions") or []:
        reqs.append(
            Requirement(expr["key"], expr["operator"], tuple(expr.get("values") or ()))
        )
    return tuple(reqs)


def from_node_selector_term(term: dict) -> Selector:
    """Compile a NodeSelectorTerm's `matchExpressions` (operators include Gt and Lt)."""
    return tuple(
        Requirement(e["key"], e["operator"], tuple(e.get("values") or ()))
        for e in term.get("matchExpressions") or []
    )


def to_string(selector: Selector) -> str:
    """The `?labelSelector=` text for a compiled selector (what kubectl sends)."""
    parts = []
    for r in selector:
        if r.op == "In" and len(r.values) == 1:
            parts.append(f"{r.key}={r.values[0]}")
        elif r.op == "NotIn" and len(r.values) == 1:
            parts.append(f"{r.key}!={r.values[0]}")
        elif r.op == "Exists":
            parts.append(r.key)
        elif r.op == "DoesNotExist":
            parts.append(f"!{r.key}")
        else:
            parts.append(f"{r.key} {r.op.lower()} ({','.join(r.values)})")
    return ",".join(parts)


FieldSelector = tuple[tuple[str, str, str], ...]  # (path, "=" | "!=", value)


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse `metadata.name=web,status.phase!=Failed`."""
    if not text:
        return ()
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([A-Za-z0-9_.\-/]+)\s*(!=|==|=)\s*(.*)$", part)
        if not m:
            raise InvalidSelector(
                f"invalid selector: '{text}'; can't understand '{part}'"
            )
        path, op, value = m.groups()
        out.append((path, "!=" if op == "!=" else "=", value))
    return tuple(out)


def field_value(obj: dict, path: str) -> str:
    """The string value of a dotted field path (`spec.nodeName`), "" when absent."""
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
        if cur is None:
            return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def fields_match(selector: FieldSelector, obj: dict) -> bool:
    for path, op, value in selector:
        have = field_value(obj, path)
        if (have == value) != (op == "="):
            return False
    return True
