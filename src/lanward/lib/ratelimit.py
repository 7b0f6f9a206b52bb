"""Sliding-window rate limits, counted in the database so they hold across worker processes.

Attempts are counted per fixed window with an atomic UPDATE ... SET count = count + 1, so
concurrent attempts are never undercounted (a cache's read-then-write increment can be). The
limit applies to a sliding window: the previous window's count, weighted by how much of it
still overlaps the last `window_seconds`, is added to the current one. So attempts cannot
double up across a window boundary (a fixed window lets `limit` through just before it and
`limit` more just after).
"""

from __future__ import annotations

import time

from django.db import IntegrityError, transaction
from django.db.models import F


def hit(key: str, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one attempt. False when `key` has used up `limit` attempts in the last
    `window_seconds` (`now`: the time of the attempt, the clock's by default)."""
    from lanward.accounts.models import RateCounter

    now = time.time() if now is None else now
    window = int(now // window_seconds)
    overlap = 1.0 - (now % window_seconds) / window_seconds  # of the previous window
    key = key[:200]
    for _ in range(3):
        with transaction.atomic():
            if RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1):
                count = RateCounter.objects.get(key=key, window=window).count
                break
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window=window, count=1)
                count = 1
                break
            except IntegrityError:
                continue  # created by a concurrent attempt: count again
    else:
        return False
    if count == 1:
        # Old windows are useless; drop them now and then.
        RateCounter.objects.filter(window__lt=window - 1, key=key).delete()
    if count > limit:
        return False
    previous = (
        RateCounter.objects.filter(key=key, window=window - 1)
        .values_list("count", flat=True)
        .first()
    )
    return count + (previous or 0) * overlap <= limit


def client_ip(request: object) -> str:
    meta = getattr(request, "META", {})
    return str(meta.get("REMOTE_ADDR", "") or "unknown")
