from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def start_cursors(sender: Any, **kwargs: Any) -> None:
    """Sources start after what exists at install time: the history is not announced, but
    everything from then on is, even what lands before the job first runs."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from .models import SourceCursor
    from .sources import SOURCES, ensure_cursor

    connection = connections[kwargs.get("using", DEFAULT_DB_ALIAS)]
    if SourceCursor._meta.db_table not in connection.introspection.table_names():
        return  # migrated back to before this app
    for src in SOURCES:
        ensure_cursor(src)


class NotifyConfig(AppConfig):
    name = "lanward.notify"
    label = "notify"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(start_cursors, sender=self)
