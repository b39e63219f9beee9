"""Accounts: signing up as a student, optionally straight into a class.

Everyone who signs up is a student; instructors are made by an operator (Django admin)
or by creating a class. Password reset is Django's own, by e-mail.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from playground.courses import services
from playground.courses.models import Course


class SignUpForm(UserCreationForm):
    """Username, e-mail and a password that passes the validators; a join code if any."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("Used only to reset your password."),
    )
    join_code = forms.CharField(
        label=_("Class join code (optional)"), max_length=16, required=False
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address already exists."),
                code="duplicate_email",
            )
        return email

    def clean_join_code(self) -> str:
        code = self.cleaned_data["join_code"].strip().upper()
        if not code:
            return ""
        course = Course.objects.filter(join_code=code).first()
        if course is None:
            raise forms.ValidationError(_("No class has this join code."))
        if course.is_over:
            raise forms.ValidationError(
                _("This class has ended; it no longer accepts students.")
            )
        return code


def sign_up(form: SignUpForm) -> tuple[object, Course | None]:
    """Create the student from a valid form, and put them in the class they named."""
    with transaction.atomic():
        user = form.save()
        course = None
        if form.cleaned_data["join_code"]:
            course = services.join_course(user, form.cleaned_data["join_code"]).course
    return user, course
