"""The retention job: every kind of data is kept only as long as Privacy settings say.

`lanward manage run_jobs` runs `enforce` every hour. It calls the features' own prune
functions (activity log, DNS log, usage roll-up) with the household's periods and prunes the
rest here. Each step is independent: one failing is logged and the others still run.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import PrivacySettings

log = logging.getLogger("lanward.privacy")


def _activity(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.accounts.activity import prune

    return prune(now, days=prefs.activity_days)


def _dns_log(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.dnsfilter.services import prune_log

    return prune_log(now, days=prefs.dns_log_days)


def _usage(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.usage.services import rollup_and_prune

    stats = rollup_and_prune(
        now,
        hourly_days=prefs.usage_hourly_days,
        daily_days=prefs.usage_daily_days,
        flow_hours=prefs.flow_hours if prefs.flow_records else 0,
    )
    return stats["deleted_days"] + stats["deleted_for_budget"] + stats["deleted_flows"]


def _alerts(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.threats.models import Alert

    return Alert.objects.filter(time__lt=now - timedelta(days=prefs.alert_days)).delete()[0]


def _device_events(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.inventory.models import DeviceEvent

    cutoff = now - timedelta(days=prefs.device_event_days)
    return DeviceEvent.objects.filter(created__lt=cutoff).delete()[0]


def _notices(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.inventory.models import StationNotice

    cutoff = now - timedelta(days=prefs.notice_days)
    return StationNotice.objects.filter(created__lt=cutoff).delete()[0]


def _baselines(prefs: PrivacySettings, now: datetime) -> int:
    """Smart-alert baselines of devices no longer in the inventory; lessons already learned."""
    from lanward.inventory.models import Device
    from lanward.threats.models import BaselineLesson, DeviceBaseline

    known = Device.objects.values("mac")
    orphans = DeviceBaseline.objects.exclude(mac__in=known).delete()[0]
    learned = BaselineLesson.objects.filter(applied=True, created__lt=now - timedelta(days=1))
    return orphans + learned.delete()[0]


def _notifications(prefs: PrivacySettings, now: datetime) -> int:
    from django.apps import apps

    if not apps.is_installed("lanward.notify"):
        return 0
    from lanward.notify.models import Delivery, Notification

    cutoff = now - timedelta(days=prefs.notification_days)
    waiting = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).values("notification_id")
    return Notification.objects.filter(created__lt=cutoff).exclude(pk__in=waiting).delete()[0]


def _findings(prefs: PrivacySettings, now: datetime) -> int:
    from django.apps import apps

    if not apps.is_installed("lanward.securitycheck"):
        return 0
    from lanward.securitycheck.models import Finding, ScanRun

    cutoff = now - timedelta(days=prefs.finding_days)
    fixed = Finding.objects.filter(fixed_at__lt=cutoff).delete()[0]
    finished = ScanRun.objects.filter(finished__lt=cutoff).exclude(
        status__in=[ScanRun.Status.QUEUED, ScanRun.Status.RUNNING]
    )
    return fixed + finished.delete()[0]


def _forgotten_devices(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.inventory.models import Device

    if not prefs.forget_devices_days:
        return 0
    cutoff = now - timedelta(days=prefs.forget_devices_days)
    return Device.objects.filter(last_seen__lt=cutoff).delete()[0]


def _codes(prefs: PrivacySettings, now: datetime) -> int:
    from lanward.accounts.models import OneTimeCode

    return OneTimeCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()[0]


def _sessions(prefs: PrivacySettings, now: datetime) -> int:
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    expired = Session.objects.filter(expire_date__lt=now).delete()[0]
    live = Session.objects.values_list("session_key", flat=True)
    return expired + UserSession.objects.exclude(session_key__in=live).delete()[0]


def _outbox(prefs: PrivacySettings, now: datetime) -> int:
    """Mails and text messages written to files (no mail server or SMS gateway set up)."""
    cutoff = time.time() - prefs.outbox_days * 86400
    removed = 0
    mail_dir = Path(settings.MAIL_DIR)
    if mail_dir.is_dir():
        for path in mail_dir.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed + _trim_sms_log(
        Path(settings.SMS_LOG_FILE), now - timedelta(days=prefs.outbox_days)
    )


def _trim_sms_log(path: Path, cutoff: datetime) -> int:
    """Drop lines older than `cutoff` (each line is JSON with an ISO "time")."""
    import json

    if not path.is_file():
        return 0
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            when = datetime.fromisoformat(json.loads(line)["time"])
        except (ValueError, KeyError, TypeError):
            kept.append(line)  # not ours to judge
            continue
        if when < cutoff:
            dropped += 1
        else:
            kept.append(line)
    if dropped:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
        tmp.replace(path)
    return dropped


STEPS: list[tuple[str, Callable[[PrivacySettings, datetime], int]]] = [
    ("activity log", _activity),
    ("DNS query log", _dns_log),
    ("usage and raw connection records", _usage),
    ("alerts", _alerts),
    ("device history", _device_events),
    ("station notices", _notices),
    ("notifications", _notifications),
    ("security check findings", _findings),
    ("forgotten devices", _forgotten_devices),
    ("smart-alert baselines", _baselines),
    ("expired sign-in codes", _codes),
    ("ended sessions", _sessions),
    ("mail and SMS files", _outbox),
]


def enforce(now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention. Returns how many rows (or files) each step removed."""
    now = now or timezone.now()
    prefs = PrivacySettings.load()
    done: dict[str, int] = {}
    for name, step in STEPS:
        try:
            done[name] = step(prefs, now)
        except Exception:  # noqa: BLE001 - one failing step must not keep the others from running
            log.exception("retention: %s failed", name)
    return done


def summary(done: dict[str, int]) -> str:
    removed = {k: v for k, v in done.items() if v}
    if not removed:
        return "nothing past its retention"
    return "removed " + ", ".join(f"{v} {k}" for k, v in removed.items())
