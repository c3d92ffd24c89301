from django.apps import AppConfig


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = "Model adoption registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Register the tasks with the Celery app in every process: services queue them by name.
        from adoption import tasks  # noqa: F401

        # drf-spectacular finds extensions by their import.
        from adoption.api import openapi  # noqa: F401
