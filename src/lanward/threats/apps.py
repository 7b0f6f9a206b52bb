from django.apps import AppConfig


class ThreatsConfig(AppConfig):
    name = "lanward.threats"
    label = "threats"
    verbose_name = "Threats"
    default_auto_field = "django.db.models.BigAutoField"
