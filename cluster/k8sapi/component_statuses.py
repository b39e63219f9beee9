"""`kubectl get componentstatuses`: the API server probing its own control plane.

kube-apiserver answers v1 ComponentStatus (deprecated, still served) by probing the
scheduler and controller-manager on its own machine and its etcd endpoint. Here the
answering API server is the first control-plane machine's running one, and a probe
is healthy when the component there is running on a powered machine.
"""

from __future__ import annotations

from cluster.apiserver import discovery, errors, tables
from cluster.apiserver.plane import APISERVER, ETCD, NO_APISERVER, plane_state
from cluster.k8sapi import negotiation
from cluster.k8sapi.context import RequestContext
from cluster.k8sapi.paths import Target
from cluster.k8sapi.responses import object_response
from cluster.models import Component, Machine

DEPRECATED = "v1 ComponentStatus is deprecated in v1.19+"
SCHEDULER, CONTROLLER_MANAGER = "kube-scheduler", "kube-controller-manager"
# (name, component kind, the healthz URL kube-apiserver probes on its machine)
PROBES = (
    ("scheduler", SCHEDULER, "https://127.0.0.1:10259/healthz"),
    ("controller-manager", CONTROLLER_MANAGER, "https://127.0.0.1:10257/healthz"),
)
ETCD_TIMEOUT = "context deadline exceeded"
KIND = next(k for k in discovery.EXTRA_KINDS if k.kind == "ComponentStatus")


def _refused(url: str) -> str:
    port = url.split(":")[2].split("/")[0]
    return f'Get "{url}": dial tcp 127.0.0.1:{port}: connect: connection refused'


def _status(name: str, healthy: bool, error: str = "") -> dict:
    condition = {"type": "Healthy", "status": "True" if healthy else "False"}
    if healthy:
        condition["message"] = "ok"
    else:
        condition["error"] = error
    return {
        "kind": "ComponentStatus",
        "apiVersion": "v1",
        "metadata": {"name": name},
        "conditions": [condition],
    }


def statuses(rows: list[tuple[str, str, str, bool]]) -> list[dict]:
    """The ComponentStatuses, from (machine, kind, state, powered) rows of the
    control-plane components; [] when no API server runs to answer."""
    up = {(m, k) for m, k, state, on in rows if state == Component.RUNNING and on}
    machines = sorted({m for m, *_ in rows})
    answering = next((m for m in machines if (m, APISERVER) in up), None)
    if answering is None:
        return []
    found = [
        _status(name, (answering, kind) in up, _refused(url))
        for name, kind, url in PROBES
    ]
    plane = plane_state([(k, s, on) for _m, k, s, on in rows])
    found.append(
        _status("etcd-0", (answering, ETCD) in up and plane.has_quorum, ETCD_TIMEOUT)
    )
    return found


def _rows(ctx: RequestContext) -> list[tuple[str, str, str, bool]]:
    return list(
        Component.objects.filter(
            machine__cluster=ctx.cluster, machine__role=Machine.CONTROL_PLANE
        ).values_list("machine__name", "kind", "state", "machine__powered")
    )


def respond(request, ctx: RequestContext, target: Target):
    """GET one ComponentStatus or the list, as an object or a Table."""
    if request.method != "GET" or target.subresource:
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({request.method})"
        )
    found = statuses(_rows(ctx))
    if not found:
        raise errors.service_unavailable(NO_APISERVER)
    ctx.api.warnings.append(DEPRECATED)
    if target.name:
        found = [s for s in found if s["metadata"]["name"] == target.name]
        if not found:
            raise errors.not_found("componentstatuses", target.name, "", KIND.plural)
    wanted = negotiation.wanted(request.headers.get("Accept"))
    if wanted.shape == negotiation.TABLE:
        return object_response(
            tables.to_table(
                KIND, found, ctx.api.now, negotiation.include_object(request)
            )
        )
    if target.name:
        return object_response(found[0])
    return object_response(
        {
            "kind": "ComponentStatusList",
            "apiVersion": "v1",
            "metadata": {},
            "items": found,
        }
    )
