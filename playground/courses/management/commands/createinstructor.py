"""`manage.py createinstructor <username>`: an account that may open classes.

An instructor is a staff user: the REST API lets staff open classes, and
`createclass` names one as a class's instructor. The password comes from
INSTRUCTOR_PASSWORD, or is asked for twice at a terminal; an existing account is
promoted and keeps its password unless INSTRUCTOR_PASSWORD is set.
"""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

PASSWORD_ENV = "INSTRUCTOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create an instructor account (a staff user who can open classes), or make "
        f"an existing user one. The password comes from {PASSWORD_ENV} or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="the account's e-mail address")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"never prompt: a new account needs {PASSWORD_ENV}",
        )

    def handle(self, *args, username, email, interactive, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username, email=email)
        password = os.environ.get(PASSWORD_ENV)
        if password is None and created:
            if not interactive:
                raise CommandError(
                    f"a new instructor needs a password: set {PASSWORD_ENV}"
                )
            password = self._ask_password()
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            user.set_password(password)
        if email:
            user.email = email
        user.is_staff = True
        user.save()
        verb = "Created" if created else "Made"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} instructor {username}.")
            + f" Open a class with: manage.py createclass NAME --instructor {username}"
        )

    def _ask_password(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return password
