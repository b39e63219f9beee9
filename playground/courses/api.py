"""REST API for labs and classes: `/api/labs/...` and `/api/courses/...`.

Views only parse, call `services`, and answer. A run or class the caller may not see
is a 404 (its existence is not leaked); one they may see but not change is a 403.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from cluster.labs import catalog
from cluster.labs.format import Lab
from playground.courses import access, services, wall
from playground.courses.models import Course, LabProgress, Membership
from playground.courses.quotas import QuotaExceeded


def _lang() -> str:
    return (get_language() or "en").split("-")[0]


def lab_brief(lab: Lab) -> dict:
    lang = _lang()
    return {
        "slug": lab.slug,
        "title": lab.text(lab.title, lang),
        "summary": lab.text(lab.summary, lang),
        "template": lab.start.template,
        "steps": len(lab.steps),
    }


def lab_full(lab: Lab) -> dict:
    lang = _lang()
    return lab_brief(lab) | {
        "steps": [
            {
                "id": s.id,
                "title": lab.text(s.title, lang),
                "text": lab.text(s.text, lang),
                "hints": s.hints.get(lang) or s.hints.get("en") or [],
            }
            for s in lab.steps
        ]
    }


def run_body(progress: LabProgress) -> dict:
    return {
        "id": progress.pk,
        "lab": progress.lab_slug,
        "user": progress.user.get_username(),
        "cluster": progress.cluster.slug if progress.cluster_id else None,
    } | services.summary(progress)


class CourseApiView(APIView):
    def handle_exception(self, exc):
        if isinstance(exc, (QuotaExceeded, services.ClassEnded)):
            return Response({"detail": str(exc), "errors": []}, status=403)
        if isinstance(exc, services.CourseError):
            return Response({"detail": str(exc), "errors": []}, status=400)
        if isinstance(exc, services.UnknownLab):
            return Response({"detail": f"no lab {exc.args[0]!r}"}, status=404)
        return super().handle_exception(exc)


def visible_run_or_404(user, run_id: int) -> LabProgress:
    progress = LabProgress.objects.filter(pk=run_id).select_related("user").first()
    if progress is None or not access.can_see_progress(user, progress):
        raise Http404("no such lab run")
    return progress


# --- labs ------------------------------------------------------------------------------
class LabListView(CourseApiView):
    """Every lab, in course order, with your run of it if you started one."""

    @extend_schema(
        operation_id="labs_list", request=None, responses=OpenApiTypes.OBJECT
    )
    def get(self, request):
        runs = dict(
            LabProgress.objects.filter(user=request.user).values_list("lab_slug", "pk")
        )
        return Response(
            [
                lab_brief(lab) | {"run": runs.get(lab.slug)}
                for lab in catalog.all_labs().values()
            ]
        )


class LabDetailView(CourseApiView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def get(self, request, slug):
        lab = services.get_lab(slug)
        run = LabProgress.objects.filter(user=request.user, lab_slug=slug).first()
        return Response(lab_full(lab) | {"run": run.pk if run else None})


class LabStartView(CourseApiView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, slug):
        """Start (or restart) a lab: a fresh cluster in its starting state."""
        progress = services.start_lab(request.user, slug)
        return Response(run_body(progress), status=201)


class RunView(CourseApiView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def get(self, request, run_id):
        """Recorded progress of one run (its student, or an instructor of the class)."""
        return Response(run_body(visible_run_or_404(request.user, run_id)))


class RunCheckView(CourseApiView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, run_id):
        """Evaluate every step on the live cluster and record the newly done ones."""
        progress = visible_run_or_404(request.user, run_id)
        if progress.user_id != request.user.pk:
            raise PermissionDenied("only the student who runs this lab can check it")
        steps = services.evaluate(progress)
        return Response(run_body(progress) | {"checks": steps})


# --- classes ---------------------------------------------------------------------------
class CourseCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)


def course_body(course: Course, role: str) -> dict:
    body = {
        "id": course.pk,
        "name": course.name,
        "role": role,
        "ends_at": course.ends_at,
        "is_over": course.is_over,
    }
    if role == Membership.INSTRUCTOR:
        body["join_code"] = course.join_code
    return body


class CourseListView(CourseApiView):
    @extend_schema(
        operation_id="courses_list", request=None, responses=OpenApiTypes.OBJECT
    )
    def get(self, request):
        """The classes you belong to, with your role in each."""
        memberships = request.user.memberships.select_related("course").order_by(
            "course__name"
        )
        return Response([course_body(m.course, m.role) for m in memberships])

    @extend_schema(request=CourseCreateSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        """Open a class (staff only); you become its instructor."""
        if not request.user.is_staff:
            raise PermissionDenied("only staff can open a class")
        form = CourseCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        course = services.create_course(request.user, **form.validated_data)
        return Response(course_body(course, Membership.INSTRUCTOR), status=201)


class CourseJoinView(CourseApiView):
    @extend_schema(request=JoinSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        form = JoinSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        membership = services.join_course(request.user, form.validated_data["code"])
        return Response(course_body(membership.course, membership.role), status=201)


def taught_course_or_404(user, course_id: int) -> Course:
    course = get_object_or_404(Course, pk=course_id)
    if not access.is_instructor_of_course(user, course):
        raise Http404("no such class")
    return course


class CourseWallView(CourseApiView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def get(self, request, course_id):
        """Every student's current lab, steps done, time spent and cluster health."""
        course = taught_course_or_404(request.user, course_id)
        return Response(
            course_body(course, Membership.INSTRUCTOR) | {"students": wall.wall(course)}
        )


class CourseCsvView(CourseApiView):
    @extend_schema(request=None, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, course_id):
        course = taught_course_or_404(request.user, course_id)
        response = HttpResponse(wall.progress_csv(course), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="class-{course.pk}-progress.csv"'
        )
        return response


class CourseRunResetView(CourseApiView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, course_id, run_id):
        """Start a student's lab over (the instructor's reset)."""
        course = taught_course_or_404(request.user, course_id)
        progress = get_object_or_404(LabProgress, pk=run_id)
        if not Membership.objects.filter(
            course=course, user=progress.user, role=Membership.STUDENT
        ).exists():
            raise Http404("no such lab run in this class")
        return Response(run_body(services.reset_lab(progress)))
