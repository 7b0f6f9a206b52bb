"""Fixed-window rate limits, counted in the database so they hold across worker processes.

The count is an atomic UPDATE ... SET count = count + 1, so concurrent attempts are never
undercounted (a cache's read-then-write increment can be).
"""

from __future__ import annotations

import time

from django.db import IntegrityError, transaction
from django.db.models import F


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt. False when `key` has used up `limit` attempts in this window."""
    from lanward.accounts.models import RateCounter

    window = int(time.time() // window_seconds)
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
    return count <= limit


def client_ip(request: object) -> str:
    meta = getattr(request, "META", {})
    return str(meta.get("REMOTE_ADDR", "") or "unknown")
