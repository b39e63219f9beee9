"""Routes below `/k8s/clusters/<slug>/`. Everything unmatched is a 404 Status, never a
redirect: the catch-all keeps APPEND_SLASH from sending kubectl elsewhere."""

from django.urls import path, re_path

from cluster.k8sapi import views_meta, views_resources

urlpatterns = [
    re_path(r"^version/?$", views_meta.version),
    re_path(r"^(?P<which>livez|readyz|healthz)/?$", views_meta.health_check),
    re_path(r"^api/?$", views_meta.core_discovery),
    re_path(r"^api/v1/?$", views_meta.resource_list),
    path("api/v1/<path:rest>", views_resources.core_resource),
    re_path(r"^apis/?$", views_meta.groups_discovery),
    re_path(r"^apis/(?P<group>[^/]+)/?$", views_meta.group_discovery),
    re_path(r"^apis/(?P<group>[^/]+)/(?P<version>[^/]+)/?$", views_meta.resource_list),
    path("apis/<str:group>/<str:version>/<path:rest>", views_resources.group_resource),
    re_path(r"^openapi/v3/?$", views_meta.openapi_index),
    path("openapi/v3/<path:rest>", views_meta.openapi_document),
    re_path(r"^(?P<rest>.*)$", views_meta.unknown_path),
]
