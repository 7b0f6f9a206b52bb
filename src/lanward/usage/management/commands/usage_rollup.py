from typing import Any

from django.core.management.base import BaseCommand

from lanward.usage.services import rollup_and_prune


class Command(BaseCommand):
    help = "Roll hourly usage into days and enforce the usage and flow retention and budget."

    def handle(self, *args: Any, **opts: Any) -> None:
        stats = rollup_and_prune()
        self.stdout.write(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in stats.items()))
