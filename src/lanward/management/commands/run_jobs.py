"""Housekeeping on a schedule: renewals and reminders, usage roll-ups, activity retention.

`lanward serve` runs `lanward manage run_jobs --loop` next to the web server. Each job records
when it last ran in the shared cache, so several loops (or a cron entry) never double the work;
the jobs themselves are idempotent anyway.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandParser

log = logging.getLogger("lanward.jobs")


def _renewals() -> str:
    from lanward.licensing.services import run_renewals

    return run_renewals().summary()


def _usage() -> str:
    from lanward.usage.services import rollup_and_prune

    return str(rollup_and_prune())


def _activity() -> str:
    from lanward.accounts.activity import prune

    return f"pruned {prune()} activity entries"


def _dns_log() -> str:
    from lanward.dnsfilter.services import prune_log

    return f"pruned {prune_log()} DNS log entries"


JOBS: list[tuple[str, int, Callable[[], str]]] = [
    ("dns_log_retention", 3600, _dns_log),
    ("renewals", 3600, _renewals),
    ("usage_rollup", 3600, _usage),
    ("activity_retention", 86400, _activity),
]


def run_due(now: float | None = None) -> list[str]:
    now = now or time.time()
    ran = []
    for name, every, job in JOBS:
        key = f"lanward-job:{name}"
        if not cache.add(key, now, timeout=every):  # someone ran it within the interval
            continue
        try:
            result = job()
        except Exception:  # a failing job is logged; the others still run
            log.exception("job %s failed", name)
            cache.delete(key)
            continue
        log.info("job %s: %s", name, result)
        ran.append(name)
    return ran


class Command(BaseCommand):
    help = "Run the due housekeeping jobs once (or forever with --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument(
            "--every", type=int, default=300, help="seconds between checks with --loop"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        stop = False

        def _stop(signum: int, frame: Any) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        while True:
            ran = run_due()
            if not opts["loop"]:
                self.stdout.write(f"ran: {', '.join(ran) or 'nothing due'}")
                return
            for _ in range(opts["every"]):
                if stop:
                    return
                time.sleep(1)
