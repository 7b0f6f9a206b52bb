"""Smart-alert baselines in the database: the station loads them, saves them, and applies what
the household taught ("this is normal, learn it") from the console.

The console and the station are separate processes, so "learn it" does two things at once: it
folds the alert's evidence into the stored baseline (`learn_from_alert`, effective even while no
station runs) and leaves a `BaselineLesson` for the running station, which claims it with a
compare-and-set update and folds it into its live baseline before its next save
(`keep_baselines`). Learning is idempotent, so a lesson applied twice does no harm.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any

from django.db import transaction
from django.utils import timezone

from lanward.engine.detect.anomaly import AnomalyDetector, Baseline, find, learn
from lanward.inventory.models import Device

from .models import Alert, BaselineLesson, DeviceBaseline

log = logging.getLogger("lanward.threats.baselines")

SAVE_EVERY_S = 300.0


class LearnError(Exception):
    """'Learn it' cannot be done; the message says why, for the person who asked."""


class _Keeper:
    def __init__(self) -> None:
        self.loaded = False
        self.saved_at = time.monotonic()


_keepers: weakref.WeakKeyDictionary[AnomalyDetector, _Keeper] = weakref.WeakKeyDictionary()


def load_baselines(detector: AnomalyDetector) -> list[str]:
    """Stored baselines and the household's device types into the detector; the problems."""
    stored = {row.mac: row.data for row in DeviceBaseline.objects.all()}
    problems = detector.load(stored)
    detector.type_overrides = dict(
        Device.objects.exclude(user_type="").values_list("mac", "user_type")
    )
    return problems


def apply_lessons(detector: AnomalyDetector) -> int:
    """Fold waiting lessons into the live baselines; each is claimed once (compare-and-set)."""
    done = 0
    for lesson in BaselineLesson.objects.filter(applied=False).order_by("pk")[:500]:
        claimed = BaselineLesson.objects.filter(pk=lesson.pk, applied=False).update(applied=True)
        if not claimed:
            continue
        try:
            detector.learn(lesson.mac, lesson.evidence)
        except ValueError as exc:
            log.warning("lesson %s for %s skipped: %s", lesson.pk, lesson.mac, exc)
            continue
        done += 1
    return done


def save_baselines(detector: AnomalyDetector, everything: bool = False) -> int:
    """Write the baselines that changed (all with `everything`); returns how many."""
    changed = detector.export() if everything else detector.take_dirty()
    now = timezone.now()
    for mac, data in changed.items():
        DeviceBaseline.objects.update_or_create(mac=mac, defaults={"data": data, "updated": now})
    return len(changed)


def keep_baselines(engine: Any, final: bool = False) -> None:
    """The station's flush: load once, apply lessons every time, save every `SAVE_EVERY_S`
    and at the end. Does nothing when the engine runs no anomaly detector."""
    detector = find(engine.addons)
    if detector is None:
        return
    from lanward.privacy.models import PrivacySettings

    keeper = _keepers.setdefault(detector, _Keeper())
    if not PrivacySettings.load().smart_alerts:  # switched off: forget, learn nothing
        if detector.enabled or DeviceBaseline.objects.exists():
            detector.switch(False)
            DeviceBaseline.objects.all().delete()
            BaselineLesson.objects.all().delete()
        keeper.loaded = False  # switched on again later: start from what is stored (nothing)
        return
    if not detector.enabled:
        detector.switch(True)
    if not keeper.loaded:
        keeper.loaded = True
        for problem in load_baselines(detector):
            log.warning("%s", problem)
    apply_lessons(detector)
    if final or time.monotonic() - keeper.saved_at >= SAVE_EVERY_S:
        save_baselines(detector)
        keeper.saved_at = time.monotonic()


def learn_from_alert(alert: Alert, user: Any) -> list[str]:
    """ "This is normal": update the stored baseline, leave a lesson for the running station,
    and acknowledge the alert. Returns what was learned, in words; LearnError otherwise."""
    if alert.kind != Alert.Kind.ANOMALY:
        raise LearnError("Only unusual-behaviour alerts can be learned as normal.")
    if alert.device is None:
        raise LearnError(
            "This alert is about a device lanward no longer knows, so there is no baseline to "
            "teach. Mark it as seen instead."
        )
    mac = alert.device.mac
    evidence = dict(alert.evidence or {})
    with transaction.atomic():
        row = DeviceBaseline.objects.select_for_update().filter(mac=mac).first()
        try:
            baseline = Baseline.load(row.data) if row is not None else Baseline(mac)
        except ValueError:
            baseline = Baseline(mac)  # a damaged stored baseline starts over
        try:
            learned = learn(baseline, evidence)
        except ValueError as exc:
            raise LearnError(f"Nothing to learn from this alert: {exc}.") from exc
        DeviceBaseline.objects.update_or_create(
            mac=mac, defaults={"data": baseline.export(), "updated": timezone.now()}
        )
        BaselineLesson.objects.create(
            mac=mac,
            alert=alert,
            evidence=evidence,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        alert.acknowledged = True
        alert.save(update_fields=["acknowledged"])
    return learned
