"""`lanward manage run-renewals`: renew due subscriptions, retry failures, expire, remind."""

from typing import Any

from django.core.management.base import BaseCommand

from lanward.licensing.services import run_renewals


class Command(BaseCommand):
    help = (
        "Renew due subscriptions, retry failed payments, expire ended licenses and send reminders."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        report = run_renewals()
        self.stdout.write(report.summary())
