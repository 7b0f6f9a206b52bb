"""`lanward manage issue-codes --plan PLAN --count N [--csv FILE] [--expires-days D]`"""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lanward.lib.codes import pretty
from lanward.licensing.models import ActivationCode, Plan


class Command(BaseCommand):
    help = "Print new activation codes for a plan (and optionally write them to a CSV file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", required=True, help="the plan's slug, e.g. home-1y")
        parser.add_argument("--count", type=int, default=1)
        parser.add_argument("--csv", metavar="FILE", help="also write the codes to this CSV file")
        parser.add_argument(
            "--expires-days", type=int, help="the codes can't be used after this many days"
        )
        parser.add_argument("--batch", default="", help="a label to find the batch again")

    def handle(self, *args: Any, **opts: Any) -> None:
        plan = Plan.objects.filter(slug=opts["plan"]).first()
        if plan is None:
            known = ", ".join(Plan.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"There is no plan {opts['plan']!r}. Known plans: {known}.")
        if not 1 <= opts["count"] <= 100_000:
            raise CommandError("--count must be between 1 and 100000.")
        expires = (
            timezone.now() + timedelta(days=opts["expires_days"]) if opts["expires_days"] else None
        )
        issued = ActivationCode.issue(plan, opts["count"], expires_at=expires, batch=opts["batch"])
        if opts["csv"]:
            try:
                with open(opts["csv"], "w", newline="") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(["code", "plan", "expires_at", "batch"])
                    for c in issued:
                        writer.writerow(
                            [
                                pretty(c.code),
                                plan.slug,
                                c.expires_at.isoformat() if c.expires_at else "",
                                c.batch,
                            ]
                        )
            except OSError as exc:
                raise CommandError(
                    f"Cannot write {opts['csv']}: {exc.strerror}. The codes were still created:"
                ) from exc
        for c in issued:
            self.stdout.write(pretty(c.code))
