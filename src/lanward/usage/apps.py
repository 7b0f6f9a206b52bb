from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "lanward.usage"
    label = "usage"
    verbose_name = "Network usage"
    default_auto_field = "django.db.models.BigAutoField"
