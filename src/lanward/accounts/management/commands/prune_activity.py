from typing import Any

from django.core.management.base import BaseCommand

from lanward.accounts import activity


class Command(BaseCommand):
    help = "Delete account activity older than LANWARD_ACTIVITY_RETENTION_DAYS."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"Deleted {activity.prune()} activity entries past the retention period.")
