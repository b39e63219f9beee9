from django.contrib import admin

from playground.courses.models import Course, LabProgress, Membership, StepDone


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("name", "join_code", "ends_at", "created")
    inlines = [MembershipInline]


class StepDoneInline(admin.TabularInline):
    model = StepDone
    extra = 0


@admin.register(LabProgress)
class LabProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "lab_slug", "cluster", "started_at")
    list_filter = ("lab_slug",)
    inlines = [StepDoneInline]
