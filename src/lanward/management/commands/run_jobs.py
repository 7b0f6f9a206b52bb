"""Housekeeping on a schedule: renewals and reminders, usage roll-ups and retention.

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


def _retention() -> str:
    # Usage roll-up, activity log, DNS log, alerts, ...: lanward.privacy.retention calls each
    # feature's prune function with the periods set in Privacy settings.
    from lanward.privacy import retention

    return retention.summary(retention.enforce())


def _notify() -> str:
    # New alerts, devices, notices and findings become notifications; due emails, webhooks and
    # digests go out (retries with back-off included).
    from lanward.notify.jobs import run

    return run()


def _security_check() -> str:
    # The weekly scan when due, and scans asked for (console, new devices), one at a time in
    # a worker thread of this process.
    from lanward.securitycheck.jobs import tick

    return tick()


JOBS: list[tuple[str, int, Callable[[], str]]] = [
    ("notify", 15, _notify),
    ("security_check", 5, _security_check),
    ("retention", 3600, _retention),
    ("renewals", 3600, _renewals),
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
            "--every", type=int, default=15, help="seconds between checks with --loop"
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
