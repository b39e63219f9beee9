"""The data behind `kubectl explain`: every key names a real type and field, so the
docs and facts files cannot rot when the field table changes."""

import re

from cluster.apiserver import openapi_docs
from cluster.apiserver.decode import is_inline
from cluster.apiserver.protobuf import field_table

KIND_FIELDS = {"apiVersion", "kind", "metadata", "spec", "status"}
MAX_DESCRIPTION = 320  # about three short sentences


def _messages_by_short_name() -> dict[str, str]:
    return {openapi_docs.short_name(m): m for m in field_table()["messages"]}


def _json_fields(message: str) -> set[str]:
    """The fields a message shows in JSON: embedded structs are not fields."""
    fields = field_table()["messages"][message].values()
    return {f["n"] for f in fields if not is_inline(message, f["n"])}


def _descriptions():
    for key, entry in openapi_docs.docs().items():
        if "about" in entry:
            yield key, "about", entry["about"]
        for field, text in entry.get("fields", {}).items():
            yield key, field, text


def test_short_names_are_unambiguous():
    """Each short name stands for exactly one message of the table."""
    assert len(_messages_by_short_name()) == len(field_table()["messages"])


def test_every_documented_type_and_field_exists_in_the_field_table():
    """A renamed or removed type or field fails here instead of vanishing silently."""
    messages = _messages_by_short_name()
    unknown = []
    for key, entry in openapi_docs.docs().items():
        assert set(entry) <= {"about", "fields"}, key
        if key == openapi_docs.EVERY_KIND:
            unknown += [f for f in entry["fields"] if f not in KIND_FIELDS]
            continue
        if key not in messages:
            unknown.append(key)
            continue
        fields = _json_fields(messages[key])
        unknown += [f"{key}.{f}" for f in entry.get("fields", {}) if f not in fields]
    assert unknown == []


def _is_short_finished_sentence(key: str, text: object) -> bool:
    return (
        isinstance(text, str)
        and text.endswith(".")
        and len(text) <= MAX_DESCRIPTION
        and "  " not in text
        and "\n" not in text
        and "More info:" not in text
        and ("{kind}" not in text or key == openapi_docs.EVERY_KIND)
    )


def test_descriptions_are_short_finished_sentences():
    """Plain text, one to three sentences, ending with a full stop."""
    bad = [
        (key, field, text)
        for key, field, text in _descriptions()
        if not _is_short_finished_sentence(key, text)
    ]
    assert bad == []


def test_every_fact_names_a_real_message_and_field():
    """required, enum and default only name JSON fields of their message."""
    facts = openapi_docs._facts()
    unknown = []
    for message, entry in facts.items():
        assert set(entry) <= {"required", "enum", "default"}, message
        if message not in field_table()["messages"]:
            unknown.append(message)
            continue
        fields = _json_fields(message)
        named = [*entry.get("required", []), *entry.get("enum", {})]
        named += list(entry.get("default", {}))
        unknown += [f"{message}.{f}" for f in named if f not in fields]
    assert unknown == []


def test_enum_values_are_sorted_strings():
    """kube-apiserver publishes enum values sorted; kubectl prints them in order."""
    for message, entry in openapi_docs._facts().items():
        for field, values in entry.get("enum", {}).items():
            assert values == sorted(values) and values, (message, field)
            assert all(isinstance(v, str) for v in values)


def test_kind_wording_names_the_kind():
    """The generic spec and status wording is written for a kind's name."""
    assert re.search(r"\bDaemonSet\b", openapi_docs.kind_field_doc("DaemonSet", "spec"))
    assert openapi_docs.kind_field_doc("Lease", "nope") is None
