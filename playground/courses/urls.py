"""Routes of classes and labs: the REST API under `/api/` and the pages."""

from django.urls import path

from playground.courses import api, views

urlpatterns = [
    path("api/labs/", api.LabListView.as_view(), name="api-labs"),
    path("api/labs/runs/<int:run_id>/", api.RunView.as_view(), name="api-lab-run"),
    path(
        "api/labs/runs/<int:run_id>/check/",
        api.RunCheckView.as_view(),
        name="api-lab-run-check",
    ),
    path("api/labs/<slug:slug>/", api.LabDetailView.as_view(), name="api-lab"),
    path(
        "api/labs/<slug:slug>/start/", api.LabStartView.as_view(), name="api-lab-start"
    ),
    path("api/courses/", api.CourseListView.as_view(), name="api-courses"),
    path("api/courses/join/", api.CourseJoinView.as_view(), name="api-course-join"),
    path(
        "api/courses/<int:course_id>/wall/",
        api.CourseWallView.as_view(),
        name="api-course-wall",
    ),
    path(
        "api/courses/<int:course_id>/progress.csv",
        api.CourseCsvView.as_view(),
        name="api-course-csv",
    ),
    path(
        "api/courses/<int:course_id>/runs/<int:run_id>/reset/",
        api.CourseRunResetView.as_view(),
        name="api-course-run-reset",
    ),
    path("labs/", views.lab_list, name="labs"),
    path("labs/<slug:slug>/", views.lab_page, name="lab"),
    path("courses/join/", views.join, name="course-join"),
    path("courses/<int:course_id>/wall/", views.wall_page, name="course-wall"),
]
