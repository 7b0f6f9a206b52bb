"""The job runner's side of the security check (`lanward manage run_jobs`).

`tick()` runs every few seconds: it queues the weekly scan when due and starts the next waiting
scan in a worker thread, so the other jobs (notifications) keep running while devices are
checked. One scan at a time per process; the database's unique index keeps it one overall.
"""

from __future__ import annotations

import threading

from django.db import connection

from . import services

_worker: threading.Thread | None = None
_lock = threading.Lock()


def _run() -> None:
    try:
        services.run_pending()
    finally:
        connection.close()  # this thread's own connection


def tick() -> str:
    global _worker
    with _lock:
        if _worker is not None and _worker.is_alive():
            return "a security check is running"
        services.fail_stale()
        services.queue_scheduled()
        if not services.scan_waiting():
            return "no security check due"
        # Not a daemon: a one-shot `run_jobs` waits for the scan instead of killing it.
        _worker = threading.Thread(target=_run, name="lanward-security-check")
        _worker.start()
        return "started a security check"


def wait(timeout: float | None = None) -> None:
    """For tests and shutdown: wait for the running scan thread, if any."""
    if _worker is not None:
        _worker.join(timeout)
