"""Answers in the forms kubectl reads: JSON (or YAML) objects and `Status` errors.

Every non-2xx answer is a `Status`; `Warning` headers carry the API server's warnings,
formatted `299 - "<text>"` as kube-apiserver sends them.
"""

from __future__ import annotations

import json

import yaml
from django.http import HttpResponse

from cluster.apiserver import errors

JSON = "application/json"
YAML = "application/yaml"
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(obj) -> str:
    """Compact JSON, the way the apiserver writes bodies."""
    return _dumps(obj)


def _warning_value(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{escaped}"'


def add_warnings(response: HttpResponse, warnings: list[str]) -> HttpResponse:
    for text in dict.fromkeys(warnings):  # once each, in order
        # HttpResponse headers hold one value per name; join with commas as HTTP allows.
        value = _warning_value(text)
        existing = response.headers.get("Warning")
        response.headers["Warning"] = f"{existing}, {value}" if existing else value
    return response


def object_response(
    obj, status: int = 200, media: str = JSON, warnings: list[str] = ()
) -> HttpResponse:
    """An object (or list, Table, Status) in the negotiated media type."""
    if media == YAML:
        body = yaml.safe_dump(obj, sort_keys=False, allow_unicode=True)
    else:
        body = dumps(obj)
    response = HttpResponse(body, status=status, content_type=media)
    return add_warnings(response, list(warnings))


def raw_json_response(body: str, status: int = 200) -> HttpResponse:
    """A body already serialised as JSON (objects straight from the store)."""
    return HttpResponse(body, status=status, content_type=JSON)


def error_response(exc: errors.ApiError) -> HttpResponse:
    response = object_response(exc.status(), status=exc.code or 500)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def success_status(code: int = 200, details: dict | None = None) -> dict:
    body: dict = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
    body["status"] = "Success"
    if details:
        body["details"] = details
    if code != 200:
        body["code"] = code
    return body


def not_found_path() -> errors.ApiError:
    """404 for a URL no route serves: the apiserver's generic text."""
    return errors.ApiError(
        404, "NotFound", "the server could not find the requested resource"
    )


def not_acceptable(accept: str) -> errors.ApiError:
    return errors.ApiError(
        406,
        "NotAcceptable",
        f"only the following media types are accepted: {JSON}, {YAML} (Accept: {accept})",
    )
