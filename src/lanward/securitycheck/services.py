"""Running security checks: queueing them (console, schedule, new devices), running one with
the scanner in a worker thread, progress and cancel through the ScanRun row, storing findings.

All database work stays on the calling thread; the scan itself (asyncio, sockets) runs in a
thread of its own and talks back through a queue. One scan runs at a time (a unique index on
running rows); automatic scans keep a minimum interval between them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from lanward.inventory.models import Device

from .models import ScanRun
from .store import notify_new, store_findings, vulnerability_findings
from .targets import PlannedTarget, ScanBusy, ScanRefused, protected_nets, resolve

log = logging.getLogger("lanward.securitycheck")
Trigger = ScanRun.Trigger
Status = ScanRun.Status
STALE_AFTER = timedelta(minutes=10)  # a running scan with no heartbeat for this long died
CANCEL_GRACE_S = 30.0
# (fraction 0..1, current target) for whoever shows progress (CLI bar, tests)
ProgressCallback = Callable[[float, str], None]


def min_interval() -> timedelta:
    return timedelta(minutes=settings.LANWARD_SCAN_MIN_INTERVAL_MINUTES)


# --- Queueing -------------------------------------------------------------------------------


def request_scan(
    trigger: str = Trigger.MANUAL,
    *,
    targets: Sequence[str] = (),
    device_ids: Sequence[int] = (),
    user: Any = None,
    origin: str = "console",
    nets: Sequence[str] = (),
) -> ScanRun:
    """Queue a scan for the job runner. Raises ScanRefused (targets) or ScanBusy."""
    resolve(targets, device_ids, nets)  # refuse now what would be refused later
    with transaction.atomic():
        waiting = ScanRun.objects.filter(status=Status.QUEUED, trigger=trigger)
        same = waiting.filter(targets=list(targets), device_ids=list(device_ids)).first()
        if same is not None:
            return same
        if trigger == Trigger.MANUAL and ScanRun.objects.filter(status=Status.QUEUED).count() >= 5:
            raise ScanBusy("five scans are already waiting; let them finish first")
        return ScanRun.objects.create(
            trigger=trigger,
            targets=list(targets),
            device_ids=list(device_ids),
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            origin=origin,
        )


def automatic_allowed() -> bool:
    """Whether the station may start checks on its own: it watches a real network
    (LANWARD_SCAN_AUTOMATIC) and the household has not switched automatic checks off in
    Privacy settings. Checks someone starts are never held back by this."""
    if not settings.LANWARD_SCAN_AUTOMATIC:
        return False
    if not apps.is_installed("lanward.privacy"):
        return True
    from lanward.privacy.models import PrivacySettings

    return bool(PrivacySettings.load().automatic_scans)


def schedule_off_reason() -> str:
    """Why there is no scheduled check, in plain words ("" when the schedule is on)."""
    if not settings.LANWARD_SCAN_AUTOMATIC:
        return (
            "this station watches no network of its own (LANWARD_INTERFACE is not set), so it "
            "checks devices only when you ask"
        )
    if not automatic_allowed():
        return "switched off in Privacy settings (Check devices automatically)"
    if settings.LANWARD_SCAN_INTERVAL_DAYS <= 0:
        return "switched off (LANWARD_SCAN_INTERVAL_DAYS=0)"
    return ""


def queue_new_device(device: Device) -> ScanRun | None:
    """A device the inventory sees for the first time joins the waiting new-device scan."""
    if not settings.LANWARD_SCAN_NEW_DEVICES or not device.ips or not automatic_allowed():
        return None
    with transaction.atomic():
        run = (
            ScanRun.objects.select_for_update()
            .filter(status=Status.QUEUED, trigger=Trigger.NEW_DEVICE)
            .first()
        )
        if run is None:
            return ScanRun.objects.create(
                trigger=Trigger.NEW_DEVICE, device_ids=[device.pk], origin="new device"
            )
        if device.pk not in run.device_ids:
            run.device_ids = [*run.device_ids, device.pk]
            run.save(update_fields=["device_ids"])
        return run


def _cancel(runs: Any) -> int:
    """Waiting scans end at once; a running one stops at its next check (within a second)."""
    n = runs.filter(status=Status.QUEUED).update(
        status=Status.CANCELLED, cancel_requested=True, finished=timezone.now()
    )
    return n + runs.filter(status=Status.RUNNING).update(cancel_requested=True)


def cancel(run: ScanRun) -> ScanRun:
    _cancel(ScanRun.objects.filter(pk=run.pk))
    run.refresh_from_db()
    return run


def cancel_automatic() -> int:
    """Cancel the scheduled and new-device scans (automatic checks were switched off)."""
    return _cancel(ScanRun.objects.filter(trigger__in=(Trigger.SCHEDULE, Trigger.NEW_DEVICE)))


def next_scheduled(now: Any = None) -> Any:
    """When the next weekly scan is due (None: the schedule is off)."""
    if settings.LANWARD_SCAN_INTERVAL_DAYS <= 0 or not automatic_allowed():
        return None
    now = now or timezone.now()
    last = ScanRun.objects.filter(trigger=Trigger.SCHEDULE).order_by("-created").first()
    if last is None:
        return now
    return last.created + timedelta(days=settings.LANWARD_SCAN_INTERVAL_DAYS)


def queue_scheduled(now: Any = None) -> ScanRun | None:
    """Queue the weekly scan when it is due (and there are devices to check)."""
    now = now or timezone.now()
    due = next_scheduled(now)
    if due is None or due > now or not Device.objects.exclude(ips=[]).exists():
        return None
    if ScanRun.objects.filter(status=Status.QUEUED, trigger=Trigger.SCHEDULE).exists():
        return None
    return ScanRun.objects.create(trigger=Trigger.SCHEDULE, origin="schedule")


def fail_stale(now: Any = None) -> int:
    """Running scans whose process died (no heartbeat) are marked failed, freeing the slot."""
    now = now or timezone.now()
    return (
        ScanRun.objects.filter(status=Status.RUNNING)
        .filter(
            Q(heartbeat__lt=now - STALE_AFTER)
            | Q(heartbeat__isnull=True, started__lt=now - STALE_AFTER)
        )
        .update(
            status=Status.FAILED,
            finished=now,
            errors=["the scan stopped without finishing (was the job runner stopped?)"],
        )
    )


def next_runnable(now: Any = None) -> ScanRun | None:
    """Manual scans first; automatic ones only once the minimum interval has passed."""
    now = now or timezone.now()
    waiting = ScanRun.objects.filter(status=Status.QUEUED).order_by("created", "id")
    manual = waiting.filter(trigger=Trigger.MANUAL).first()
    if manual is not None:
        return manual
    last_auto = (
        ScanRun.objects.filter(trigger__in=[Trigger.SCHEDULE, Trigger.NEW_DEVICE])
        .exclude(started__isnull=True)
        .order_by("-started")
        .first()
    )
    if last_auto is not None and last_auto.started and last_auto.started + min_interval() > now:
        return None
    return waiting.first()


def run_pending(now: Any = None) -> str:
    """The job runner's entry: fail dead scans, queue the weekly one, run one waiting scan."""
    now = now or timezone.now()
    fail_stale(now)
    queue_scheduled(now)
    run = next_runnable(now)
    if run is None:
        return "no scan due"
    if ScanRun.objects.filter(status=Status.RUNNING).exists():
        return "a scan is already running"
    run = execute(run)
    return f"scan {run.pk}: {run.get_status_display()}, {run.summary.get('findings', 0)} findings"


def scan_waiting() -> bool:
    return next_runnable() is not None


# --- Running --------------------------------------------------------------------------------


def run_scan(
    targets: Sequence[str] | None = None,
    trigger: str = Trigger.MANUAL,
    *,
    device_ids: Sequence[int] = (),
    nets: Sequence[str] = (),
    user: Any = None,
    origin: str = "command line",
    progress: ProgressCallback | None = None,
    options: dict[str, Any] | None = None,
) -> ScanRun:
    """Scan now, in this process (the CLI). Raises ScanRefused or ScanBusy before any packet."""
    resolve(targets or (), device_ids, nets)
    if trigger != Trigger.MANUAL:
        last = ScanRun.objects.filter(trigger=trigger).exclude(started__isnull=True).first()
        if last is not None and last.started and last.started + min_interval() > timezone.now():
            raise ScanBusy(
                f"the last {last.get_trigger_display().lower()} scan started less than "
                f"{settings.LANWARD_SCAN_MIN_INTERVAL_MINUTES} minutes ago"
            )
    run = ScanRun.objects.create(
        trigger=trigger,
        targets=list(targets or ()),
        device_ids=list(device_ids),
        origin=origin,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return execute(run, nets=nets, progress=progress, options=options, raise_busy=True)


def _claim(run: ScanRun) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = ScanRun.objects.filter(pk=run.pk, status=Status.QUEUED).update(
                status=Status.RUNNING, started=now, heartbeat=now
            )
    except IntegrityError:  # the unique index: another scan is running
        return False
    run.refresh_from_db()
    return bool(claimed)


def scan_options(nets: Sequence[str], overrides: dict[str, Any] | None = None) -> Any:
    from lanward.daemons.scanner import DEFAULT_PORTS, ScanOptions

    values: dict[str, Any] = {
        "protected_nets": tuple(nets),
        "ports": tuple(settings.LANWARD_SCAN_PORTS) or DEFAULT_PORTS,
        "password_check": settings.LANWARD_SCAN_PASSWORDS,
        "attempts_per_device": settings.LANWARD_SCAN_ATTEMPTS_PER_DEVICE,
        "use_nmap": {"on": True, "off": False}.get(settings.LANWARD_SCAN_NMAP),
    }
    values.update(overrides or {})
    return ScanOptions(**values)


def execute(
    run: ScanRun,
    *,
    nets: Sequence[str] = (),
    progress: ProgressCallback | None = None,
    options: dict[str, Any] | None = None,
    raise_busy: bool = False,
) -> ScanRun:
    """Run a queued scan to its end (done, cancelled or failed) and store what it found."""
    if not _claim(run):
        run.refresh_from_db()
        if run.status == Status.QUEUED:
            if raise_busy:
                run.delete()
                raise ScanBusy("another security check is running; wait for it or cancel it")
            return run
        return run
    try:
        return _execute(run, nets, progress, options)
    except (
        KeyboardInterrupt
    ):  # outside the scan itself (which handles Ctrl-C): never leave it running
        _finish(run, Status.CANCELLED, errors=[*run.errors, "interrupted"])
        raise
    except Exception as exc:
        log.exception("scan %s failed", run.pk)
        _finish(run, Status.FAILED, errors=[*run.errors, f"the scan failed: {exc}"])
        raise


def _finish(run: ScanRun, status: str, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.status, run.finished = status, timezone.now()
    run.progress = 1.0 if status == Status.DONE else run.progress
    run.current_target = ""
    run.save()


def _execute(
    run: ScanRun,
    nets: Sequence[str],
    progress: ProgressCallback | None,
    overrides: dict[str, Any] | None,
) -> ScanRun:
    from lanward.daemons.scanner import ScanRefused as ScannerRefused
    from lanward.daemons.scanner import Target

    nets = protected_nets(nets)
    try:
        planned, notes = resolve(
            run.targets, run.device_ids, nets, online_only=run.trigger == Trigger.SCHEDULE
        )
    except ScanRefused as exc:
        _finish(run, Status.FAILED, errors=[str(exc)])
        return run
    if not planned:
        _finish(run, Status.DONE, errors=notes, summary={"targets": 0, "findings": 0})
        return run
    options = scan_options(nets, overrides)
    targets = [
        Target(
            address=p.address,
            mac=p.device.mac if p.device else "",
            vendor=(p.device.display_brand or p.device.vendor) if p.device else "",
            name=p.device.display_name if p.device else "",
        )
        for p in planned
    ]
    worker = _ScanThread(targets, options)
    worker.start()
    state = _watch(run, worker, planned, progress)
    if isinstance(worker.error, ScannerRefused):
        _finish(run, Status.FAILED, errors=[str(worker.error)])
        return run
    if worker.error is not None:
        raise worker.error
    result = worker.result
    if result is None:  # cancelled, and the scanner did not stop within the grace period
        _finish(run, Status.CANCELLED, errors=["the scan was cancelled before it returned results"])
        return run
    run.current_target, run.progress = "known vulnerabilities", 0.95
    run.save(update_fields=["current_target", "progress"])
    vulns, vuln_notes = vulnerability_findings(result.services)
    devices = {p.address: p.device for p in planned}
    cancelled = result.cancelled or state["cancelled"]
    # What a scan did not find is fixed only where the scan really looked: not cancelled, the
    # device did not drop out (the scanner's errors name it), and it showed it was there (a
    # service answered, or the inventory sees it online): a switched-off device fixes nothing.
    incomplete = {e.split(":", 1)[0].strip() for e in result.errors if ":" in e}
    answered = {s.address for s in result.services}
    complete = set()
    if not cancelled:
        complete = {
            a
            for a, d in devices.items()
            if a not in incomplete and (a in answered or (d is not None and d.is_online()))
        }
    counts = store_findings(
        run, [*result.findings, *vulns], devices, complete, options.password_check
    )
    notified = notify_new(counts.pop("new_rows"))
    summary = {
        "targets": len(planned),
        "services": len(result.services),
        "attempts": sum(result.attempts.values()),
        "notices": notified,
        **counts,
    }
    errors = [*notes, *result.errors, *vuln_notes]
    _finish(run, Status.CANCELLED if cancelled else Status.DONE, errors=errors, summary=summary)
    return run


class _ScanThread(threading.Thread):
    """The scanner's event loop, away from the thread that owns the database connection."""

    def __init__(self, targets: list[Any], options: Any) -> None:
        super().__init__(name="lanward-scan", daemon=True)
        self.targets, self.options = targets, options
        self.events: queue.Queue[tuple[str, float]] = queue.Queue()
        self.result: Any = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cancel: asyncio.Event | None = None
        self._ready = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - handed to the owning thread
            self.error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        from lanward.daemons.scanner import scan_hosts

        self._loop, self._cancel = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        self.result = await scan_hosts(
            self.targets,
            self.options,
            progress=lambda address, fraction: self.events.put((address, fraction)),
            cancel=self._cancel,
        )

    def request_cancel(self) -> None:
        self._ready.wait(5)
        if self._loop is not None and self._cancel is not None:
            try:
                self._loop.call_soon_threadsafe(self._cancel.set)
            except RuntimeError:  # the loop already ended
                pass


def _watch(
    run: ScanRun,
    worker: _ScanThread,
    planned: list[PlannedTarget],
    progress: ProgressCallback | None,
) -> dict[str, Any]:
    """Progress into the row (and the callback), cancel from the row or Ctrl-C, until done."""
    per_target: dict[str, float] = {}
    labels = {p.address: p.label for p in planned}
    state = {"cancelled": False}
    cancel_at: float | None = None
    loop_time = 0.0
    while worker.is_alive():
        try:
            worker.join(0.5)
            loop_time += 0.5
            while True:
                address, fraction = worker.events.get_nowait()
                per_target[address] = fraction
                run.current_target = labels.get(address, address)[:64]
        except queue.Empty:
            pass
        except KeyboardInterrupt:
            state["cancelled"] = run.cancel_requested = True
            ScanRun.objects.filter(pk=run.pk).update(cancel_requested=True)
            worker.request_cancel()
            cancel_at = cancel_at or loop_time
            continue
        run.progress = round(0.95 * sum(per_target.values()) / len(planned), 3)
        run.heartbeat = timezone.now()
        run.save(update_fields=["progress", "current_target", "heartbeat"])
        if progress is not None:
            progress(run.progress, run.current_target)
        if not state["cancelled"]:
            if ScanRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
                state["cancelled"] = run.cancel_requested = True
                worker.request_cancel()
                cancel_at = loop_time
        elif cancel_at is not None and loop_time - cancel_at > CANCEL_GRACE_S:
            break  # the scanner did not stop in time; keep what it has so far
    return state
