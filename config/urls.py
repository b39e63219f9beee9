"""URL routes: the pages, the REST API, the Kubernetes API and the health check."""

from django.contrib import admin
from django.urls import include, path

from playground.health import probe

urlpatterns = [
    path("healthz", probe, {"which": "healthz"}, name="healthz"),
    path("livez", probe, {"which": "livez"}),
    path("readyz", probe, {"which": "readyz"}),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("playground.courses.urls")),
    path("api/", include("playground.api.urls")),
    path("k8s/clusters/<slug:cluster>/", include("cluster.k8sapi.urls")),
    path("", include("playground.urls")),
]
