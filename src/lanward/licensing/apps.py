from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "lanward.licensing"
    label = "licensing"
    verbose_name = "Licensing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (registers the merge hook)
