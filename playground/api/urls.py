"""Routes of the REST API, its OpenAPI schema and its docs page (all under `/api/`)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from playground.api import clusters, etcd, hardware, objects, traffic

C = "clusters/<slug:slug>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"
    ),
    path("clusters/", clusters.ClusterListView.as_view(), name="api-clusters"),
    path(C, clusters.ClusterDetailView.as_view(), name="api-cluster"),
    path(C + "reset/", clusters.ClusterResetView.as_view()),
    path(C + "kubeconfig/", clusters.KubeconfigView.as_view(), name="api-kubeconfig"),
    path(C + "machines/", hardware.MachineListView.as_view()),
    path(C + "machines/<str:name>/", hardware.MachineView.as_view()),
    path(C + "machines/<str:name>/power/", hardware.PowerView.as_view()),
    path(
        C + "machines/<str:name>/components/<str:kind>/<str:action>/",
        hardware.ComponentView.as_view(),
    ),
    path(C + "clock/", hardware.ClockView.as_view()),
    path(C + "clock/step/", hardware.ClockStepView.as_view()),
    path(C + "clock/advance/", hardware.ClockAdvanceView.as_view()),
    path(C + "apply/", objects.ApplyView.as_view()),
    path(C + "objects/<str:resource>/", objects.ObjectListView.as_view()),
    path(C + "objects/<str:resource>/<str:name>/", objects.ObjectView.as_view()),
    path(C + "objects/<str:resource>/<str:name>/scale/", objects.ScaleView.as_view()),
    path(C + "nodes/<str:name>/<str:action>/", objects.NodeActionView.as_view()),
    path(C + "traffic/", traffic.TrafficView.as_view()),
    path(C + "snapshots/", etcd.SnapshotListView.as_view()),
    path(
        C + "snapshots/<int:snapshot_id>/restore/", etcd.SnapshotRestoreView.as_view()
    ),
    path(C + "etcd/", etcd.KeyspaceView.as_view()),
    path(C + "etcd/value/", etcd.KeyValueView.as_view()),
]
