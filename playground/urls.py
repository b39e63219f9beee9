"""Routes of the pages (the REST API lives in playground.api.urls)."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from playground.views import accounts, pages

RESET = "playground/password_reset_"

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
    path("signup/", accounts.signup, name="signup"),
    # Password reset by e-mail: Django's views, under the URL names they look up.
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name=RESET + "form.html",
            email_template_name=RESET + "email.txt",
            subject_template_name=RESET + "subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name=RESET + "done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=RESET + "confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name=RESET + "complete.html"
        ),
        name="password_reset_complete",
    ),
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
