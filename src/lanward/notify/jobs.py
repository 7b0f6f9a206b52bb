"""The notification job (run_jobs runs it every few seconds): read the sources, send what's due."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import delivery, sources


def run(now: datetime | None = None) -> str:
    now = now or timezone.now()
    made = sources.collect(now)
    single = delivery.deliver_due(now)
    digests = delivery.send_digests(now)
    return f"{sum(made.values())} new notifications; single: {single}; digest: {digests}"
