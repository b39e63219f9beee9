"""Pages: join a class, the list of labs, a lab with steps that tick, the instructor wall."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cluster.labs import catalog
from playground.courses import access, markdown, services
from playground.courses.models import LabProgress
from playground.courses.quotas import QuotaExceeded


def _lang() -> str:
    return (get_language() or "en").split("-")[0]


@login_required
@require_http_methods(["GET", "POST"])
def join(request):
    """Join a class with the code the instructor gave out."""
    error = ""
    if request.method == "POST":
        try:
            membership = services.join_course(
                request.user, request.POST.get("code", "")
            )
        except services.CourseError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("You joined %(name)s.") % {"name": membership.course.name}
            )
            return redirect("labs")
    return render(
        request,
        "courses/join.html",
        {"error": error, "code": request.POST.get("code", "")},
        status=400 if error else 200,
    )


@login_required
def lab_list(request):
    lang = _lang()
    runs = {
        p.lab_slug: services.summary(p)
        for p in LabProgress.objects.filter(user=request.user).prefetch_related(
            "steps_done"
        )
    }
    labs = [
        {
            "slug": lab.slug,
            "title": lab.text(lab.title, lang),
            "summary": lab.text(lab.summary, lang),
            "run": runs.get(lab.slug),
        }
        for lab in catalog.all_labs().values()
    ]
    return render(
        request,
        "courses/labs.html",
        {"labs": labs, "taught": access.instructed_courses(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def lab_page(request, slug):
    """A lab's steps; they tick off by themselves as the cluster reaches each goal."""
    try:
        lab = services.get_lab(slug)
    except services.UnknownLab:
        raise Http404("no such lab") from None
    error = ""
    if request.method == "POST":
        try:
            services.start_lab(request.user, slug)
        except (QuotaExceeded, services.CourseError) as exc:
            error = str(exc)
        else:
            return redirect("lab", slug=slug)
    run = LabProgress.objects.filter(user=request.user, lab_slug=slug).first()
    done = set(run.steps_done.values_list("step_id", flat=True)) if run else set()
    lang = _lang()
    steps = [
        {
            "id": s.id,
            "title": lab.text(s.title, lang),
            "html": markdown.render(lab.text(s.text, lang)),
            "hints": s.hints.get(lang) or s.hints.get("en") or [],
            "done": s.id in done,
        }
        for s in lab.steps
    ]
    return render(
        request,
        "courses/lab.html",
        {
            "lab": lab,
            "title": lab.text(lab.title, lang),
            "summary": lab.text(lab.summary, lang),
            "steps": steps,
            "run": run,
            "error": error,
            "ended": access.class_ended_reason(request.user),
        },
        status=403 if error else 200,
    )


@login_required
def wall_page(request, course_id):
    """The class at a glance; the page refreshes its table from the wall API."""
    course = access.instructed_courses(request.user).filter(pk=course_id).first()
    if course is None:
        raise Http404("no such class")
    return render(request, "courses/wall.html", {"course": course})
