from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "lanward.stations"
    label = "stations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (registers the merge hook)
