"""`manage.py createclass <name> --instructor <username>`: open a class.

Prints the class's id, its join code (what students type on the join page or the
sign-up form) and the path of the instructor's wall.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from playground.courses import services


def parse_end(value: str) -> dt.datetime:
    """An ISO 8601 date-time (UTC when it has no offset), or a date: the end of that
    day in UTC."""
    try:
        day = parse_date(value)
        moment = None if day else parse_datetime(value)
    except ValueError:  # well-formed but impossible, like 2025-02-30
        day = moment = None
    if day is not None:
        moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    if moment is None:
        raise CommandError(
            f'--ends-at "{value}" is not a date (2025-07-01) or a date-time '
            "(2025-07-01T18:00)"
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    if moment <= timezone.now():
        raise CommandError(f'--ends-at "{value}" is in the past')
    return moment.astimezone(dt.UTC)


class Command(BaseCommand):
    help = "Open a class taught by an existing user; prints its join code."

    def add_arguments(self, parser):
        parser.add_argument("name", help='the class\'s name, e.g. "Kubernetes 101"')
        parser.add_argument(
            "--instructor", required=True, help="username of who teaches it"
        )
        parser.add_argument(
            "--ends-at",
            help="when the class ends: 2025-07-01 (end of day, UTC) or "
            "2025-07-01T18:00; its students' clusters are read-only afterwards",
        )

    def handle(self, *args, name, instructor, ends_at, **options):
        name = name.strip()
        if not name or len(name) > 120:
            raise CommandError("a class name has 1 to 120 characters")
        teacher = get_user_model().objects.filter(username=instructor).first()
        if teacher is None:
            raise CommandError(
                f'no user "{instructor}"; create one with manage.py createinstructor'
            )
        end = parse_end(ends_at) if ends_at else None
        course = services.create_course(teacher, name, ends_at=end)
        out = self.stdout
        out.write(self.style.SUCCESS(f'Opened class "{course.name}" (id {course.pk}).'))
        out.write(f"  instructor: {teacher.get_username()}")
        out.write(f"  join code:  {course.join_code}")
        out.write(f"  wall:       {reverse('course-wall', args=[course.pk])}")
        if end:
            out.write(f"  ends at:    {end:%Y-%m-%d %H:%M} UTC")
