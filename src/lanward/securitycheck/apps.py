from django.apps import AppConfig


class SecurityCheckConfig(AppConfig):
    name = "lanward.securitycheck"
    label = "securitycheck"
    verbose_name = "Security check"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the new-device hook
