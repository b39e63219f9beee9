"""The API calls a pure component asks for. Shells apply them through the API server.

Components return these instead of calling anything, so their logic is a pure
function of what they observe and `now`, and tests compare whole lists of actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ref:
    """Points at one object: enough to build its etcd key."""

    kind: str
    namespace: str | None
    name: str
    api_version: str = ""
    uid: str = ""


@dataclass
class Create:
    obj: dict
    # A controller's pod creates (slowStartBatch): their batch, 1, 2, 4... pods, and
    # the event to record on the owner when one fails, its message formatted with the
    # error. A failed batch skips the owner's later ones.
    batch: int = 0
    on_failure: RecordEvent | None = None
    # The owner's status patch reporting the failure (a ReplicaSet's ReplicaFailure),
    # its "{error}" filled in as the event's is; sent for the owner's first failure.
    failure_status: Patch | None = None


@dataclass
class Update:
    """A PUT of the whole object; a stale resourceVersion is a Conflict."""

    obj: dict


@dataclass
class UpdateStatus:
    """A PUT to the status subresource."""

    obj: dict


@dataclass
class Patch:
    """A JSON merge patch (RFC 7386) of one object, optionally of a subresource."""

    ref: Ref
    patch: dict
    subresource: str = ""


@dataclass
class Delete:
    ref: Ref
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    # Only delete if the live object still has this uid (a DeleteOptions precondition).
    uid: str = ""


@dataclass
class Bind:
    """POST pods/<name>/binding: assign a pod to a node."""

    pod: Ref
    node: str


@dataclass
class Evict:
    """POST pods/<name>/eviction, honouring PodDisruptionBudgets."""

    pod: Ref


@dataclass
class RecordEvent:
    """An Event about `involved`, de-duplicated by the recorder the way client-go does."""

    involved: Ref
    type: str  # Normal | Warning
    reason: str
    message: str
    component: str
    host: str = ""
    field_path: str = ""
    extra: dict = field(default_factory=dict)
    # Reports the action just before it (SuccessfulCreate after its Create): recorded
    # only if that action landed.
    reports_previous: bool = False


Action = Create | Update | UpdateStatus | Patch | Delete | Bind | Evict | RecordEvent
