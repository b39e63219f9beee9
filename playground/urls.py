"""Routes of the pages (the REST API lives in playground.api.urls)."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from playground.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="playground/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("clusters/", pages.cluster_list, name="clusters"),
    path("clusters/<slug:slug>/", pages.cluster_page, name="cluster"),
    path("clusters/<slug:slug>/reset/", pages.cluster_reset, name="cluster-reset"),
    path("clusters/<slug:slug>/delete/", pages.cluster_delete, name="cluster-delete"),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["playground"]),
        name="javascript-catalog",
    ),
]
