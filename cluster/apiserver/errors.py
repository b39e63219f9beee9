"""API errors as Kubernetes reports them: a `Status` with code, reason, message and details.

Message formats follow apimachinery pkg/api/errors so kubectl prints what it prints
against a real cluster (`Error from server (NotFound): pods "web" not found`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OPTIMISTIC_LOCK = "the object has been modified; please apply your changes to the latest version and try again"


@dataclass
class Cause:
    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def as_dict(self) -> dict:
        return {"reason": self.reason, "message": self.message, "field": self.field}


@dataclass
class ApiError(Exception):
    """An API call refused; `status()` is the body every entry point returns."""

    code: int
    reason: str
    message: str
    kind: str = ""  # details.kind: the resource (`pods`) or, for Invalid, the Kind
    name: str = ""
    group: str = ""
    causes: list[Cause] = field(default_factory=list)
    retry_after: int | None = None

    def __post_init__(self):
        super().__init__(self.message)

    def status(self) -> dict:
        details: dict = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.as_dict() for c in self.causes]
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            body["details"] = details
        if not self.reason:
            del body["reason"]
        return body


def not_found(qualified: str, name: str, group: str = "", plural: str = "") -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{qualified} "{name}" not found',
        plural or qualified,
        name,
        group,
    )


def already_exists(
    qualified: str, name: str, group: str = "", plural: str = ""
) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified} "{name}" already exists',
        plural or qualified,
        name,
        group,
    )


def conflict(
    qualified: str,
    name: str,
    why: str = OPTIMISTIC_LOCK,
    group: str = "",
    plural: str = "",
) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified} "{name}": {why}',
        plural or qualified,
        name,
        group,
    )


def invalid(kind: str, name: str, causes: list[Cause], group: str = "") -> ApiError:
    """422: `<Kind>.<group> "<name>" is invalid: [<field>: <message>, ...]`.

    Like apimachinery's NewInvalid: the kind is group-qualified in the message only,
    repeated field errors are listed once, and brackets appear for two or more.
    """
    qualified = f"{kind}.{group}" if group else kind
    texts: list[str] = []
    for c in causes:
        text = f"{c.field}: {c.message}" if c.field else f": {c.message}"
        if text not in texts:
            texts.append(text)
    text = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    message = (
        f'{qualified} "{name}" is invalid: {text}'
        if causes
        else f'{qualified} "{name}" is invalid'
    )
    return ApiError(422, "Invalid", message, kind, name, group, causes)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def forbidden(
    qualified: str, name: str, why: str, group: str = "", plural: str = ""
) -> ApiError:
    subject = f'{qualified} "{name}"' if name else qualified
    return ApiError(
        403,
        "Forbidden",
        f"{subject} is forbidden: {why}",
        plural or qualified,
        name,
        group,
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_many_requests(message: str, retry_after: int = 1) -> ApiError:
    return ApiError(429, "TooManyRequests", message, retry_after=retry_after)


def request_entity_too_large(limit: int) -> ApiError:
    return ApiError(
        413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}"
    )


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got "{content_type}")',
    )


def service_unavailable(message: str = "the API server is not available") -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)


def etcd_unavailable(message: str = "etcdserver: request timed out") -> ApiError:
    """etcd without quorum: a 500 with no reason, as kube-apiserver passes the etcd error through."""
    return ApiError(500, "", message)


def method_not_allowed(message: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)
