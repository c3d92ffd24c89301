from django.apps import AppConfig


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = "Model adoption registry"
    default_auto_field = "django.db.models.BigAutoField"
