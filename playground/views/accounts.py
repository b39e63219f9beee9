"""Pages: sign up (password reset by e-mail is Django's own views, in `urls`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from playground.accounts import SignUpForm, sign_up


@require_http_methods(["GET", "POST"])
def signup(request):
    """A new student account; signed in at once, and in a class if a code was given."""
    if request.user.is_authenticated:
        return redirect("labs")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, course = sign_up(form)
        login(request, user)
        welcome = _("Welcome, %(name)s.") % {"name": user.get_username()}
        if course is not None:
            welcome += " " + _("You joined %(name)s.") % {"name": course.name}
        messages.success(request, welcome)
        return redirect("labs")
    return render(
        request,
        "playground/signup.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
