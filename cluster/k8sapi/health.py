"""kube-apiserver's health endpoints, `/livez`, `/readyz` and `/healthz`, per cluster.

Each answers `ok` while every check passes; `?verbose` lists the checks (`[+]etcd ok`)
and a last line (`readyz check passed`). A failing check makes the answer a 500 with
the list, the failing line reading `[-]etcd failed: reason withheld`, which kubectl
prints inside its InternalError. etcd fails without quorum; with no API server up
nothing answers (503, as every other request).
"""

from __future__ import annotations

from django.http import HttpResponse

from cluster.apiserver.plane import PlaneState

_HOOKS = (
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/bootstrap-controller",
    "poststarthook/rbac/bootstrap-roles",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "poststarthook/apiservice-registration-controller",
)
CHECKS = {
    "livez": ("ping", "log", "etcd", *_HOOKS),
    "readyz": ("ping", "log", "etcd", "etcd-readiness", "informer-sync", *_HOOKS),
    "healthz": ("ping", "log", "etcd", *_HOOKS),
}
_NEED_ETCD = {"etcd", "etcd-readiness"}


def answer(which: str, plane: PlaneState, verbose: bool, excluded=()) -> HttpResponse:
    """The endpoint's answer for a cluster whose control plane is in `plane`."""
    if plane.apiservers_up == 0:
        plane.check(write=False)
    lines, failed = [], False
    for check in CHECKS[which]:
        if check in excluded:
            lines.append(f"[+]{check} excluded: ok")
        elif check in _NEED_ETCD and not plane.has_quorum:
            lines.append(f"[-]{check} failed: reason withheld")
            failed = True
        else:
            lines.append(f"[+]{check} ok")
    if failed:
        body, status = "\n".join(lines) + f"\n{which} check failed", 500
    elif verbose:
        body, status = "\n".join(lines) + f"\n{which} check passed\n", 200
    else:
        body, status = "ok", 200
    response = HttpResponse(
        body, status=status, content_type="text/plain; charset=utf-8"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache, private"
    return response
