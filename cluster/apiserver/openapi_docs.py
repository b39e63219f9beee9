"""What `kubectl explain` prints besides a schema's shape: descriptions and facts.

Two vendored files feed it, both loaded once:
- `field-docs.yaml`: kubelab's own descriptions of the types and fields a student
  meets, keyed by short type name (`core.v1.PodSpec`). A type or field missing there
  has no description, rather than a guessed one.
- `k8s-openapi-facts.json`: per message, the `required` fields, `enum` values and
  declared `default`s of the Kubernetes API types, as kube-apiserver publishes them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
DOCS_PATH = DATA / "field-docs.yaml"
FACTS_PATH = DATA / "k8s-openapi-facts.json"
# The entry whose fields describe apiVersion, kind, metadata, spec and status of any
# kind that has no wording of its own; `{kind}` is replaced by the kind's name.
EVERY_KIND = "*"
_PREFIXES = ("k8s.io.api.", "k8s.io.apimachinery.pkg.apis.", "k8s.io.apimachinery.pkg.")


def short_name(message: str) -> str:
    """`k8s.io.api.core.v1.PodSpec` → `core.v1.PodSpec`, the key of the docs file."""
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            return message.removeprefix(prefix)
    return message


@cache
def docs() -> dict:
    """The docs file: short type name → `{"about": str, "fields": {name: str}}`."""
    # The C loader, where built, reads the file about eight times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(DOCS_PATH.read_text(encoding="utf-8"), Loader=loader)


@cache
def _facts() -> dict:
    return json.loads(FACTS_PATH.read_text(encoding="utf-8"))["messages"]


def type_doc(message: str) -> str | None:
    """The description of a type, or None when the docs file has none."""
    return docs().get(short_name(message), {}).get("about")


def field_doc(message: str, field: str) -> str | None:
    """The description of a field of a type, or None when the docs file has none."""
    return docs().get(short_name(message), {}).get("fields", {}).get(field)


def kind_field_doc(kind: str, field: str) -> str | None:
    """The generic description of a kind's top-level field (apiVersion, spec...)."""
    text = docs()[EVERY_KIND]["fields"].get(field)
    return text.replace("{kind}", kind) if text else None


def facts(message: str) -> dict:
    """`required`, `enum` and `default` of a message; empty when it has none."""
    return _facts().get(message, {})
