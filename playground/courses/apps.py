from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "playground.courses"
    label = "courses"
    verbose_name = "Courses and labs"
    default_auto_field = "django.db.models.BigAutoField"
