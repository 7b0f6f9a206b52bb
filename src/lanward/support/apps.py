from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "lanward.support"
    label = "support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (registers the merge hook)
