"""What kubectl reads before any object: `/version`, discovery and OpenAPI v3.

Aggregated discovery is sent when the Accept header asks for it, with its exact media
type (kubectl misreads it as plain JSON); otherwise the legacy documents are sent.
"""

from __future__ import annotations

from django.http import HttpResponse

from cluster import access
from cluster.apiserver import discovery, openapi
from cluster.k8sapi import health
from cluster.k8sapi.context import endpoint, public_endpoint
from cluster.k8sapi.responses import dumps, not_found_path, object_response

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T16:00:00Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}
# kubectl's dispatcher caches cacheable /version answers for hours.
NO_CACHE = "no-cache, private"


@public_endpoint
def version(request, cluster):
    response = object_response(VERSION)
    response.headers["Cache-Control"] = NO_CACHE
    return response


@public_endpoint
def health_check(request, cluster, which: str):
    """`/livez`, `/readyz`, `/healthz`: anyone may ask, as anonymous users may."""
    return health.answer(
        which,
        access.control_plane(cluster),
        "verbose" in request.GET,
        request.GET.getlist("exclude"),
    )


def _wants_aggregated(request) -> bool:
    accept = request.headers.get("Accept", "")
    return "as=APIGroupDiscoveryList" in accept and "g=apidiscovery.k8s.io" in accept


def _aggregated(core: bool) -> HttpResponse:
    response = HttpResponse(
        dumps(discovery.aggregated(core)),
        content_type=discovery.AGGREGATED_CONTENT_TYPE,
    )
    response.headers["Vary"] = "Accept"
    return response


@endpoint
def core_discovery(request, ctx):
    if _wants_aggregated(request):
        return _aggregated(core=True)
    return object_response(discovery.api_versions(request.get_host()))


@endpoint
def groups_discovery(request, ctx):
    if _wants_aggregated(request):
        return _aggregated(core=False)
    return object_response(discovery.api_group_list())


@endpoint
def group_discovery(request, ctx, group: str):
    found = discovery.api_group(group)
    if found is None:
        raise not_found_path()
    return object_response(found)


@endpoint
def resource_list(request, ctx, group: str = "", version: str = "v1"):
    found = discovery.api_resource_list(group, version)
    if found is None:
        raise not_found_path()
    return object_response(found)


@endpoint
def openapi_index(request, ctx):
    return object_response(openapi.index())


@endpoint
def openapi_document(request, ctx, rest: str):
    parts = rest.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        group, version = "", parts[1]
    elif len(parts) == 3 and parts[0] == "apis":
        group, version = parts[1], parts[2]
    else:
        raise not_found_path()
    document = openapi.document(group, version)
    if document is None:
        raise not_found_path()
    response = object_response(document)
    if request.GET.get("hash") == openapi.document_hash(group, version):
        # A hashed URL never changes content, as kube-apiserver promises.
        response.headers["Cache-Control"] = "public, immutable"
    else:
        response.headers["Cache-Control"] = NO_CACHE
    return response


@endpoint
def unknown_path(request, ctx, rest: str = ""):
    raise not_found_path()
