"""Where notifications come from: a registry of sources, each one small function.

A source reads the rows of one model that are newer than the job's cursor and says what to tell
the household about each. The job (collect) keeps one SourceCursor per source and moves it with a
compare-and-set update in the same transaction as the publish, so every row is announced once,
even with several job runners, and rows created with bulk_create (no post_save) are not missed.

To add a source (e.g. a new app's findings):

    @source("myapp_things", "myapp.Thing")
    def things(rows: QuerySet[Any]) -> Iterator[tuple[int, Message | None]]:
        for thing in rows:          # rows: pk > cursor, in pk order, at most BATCH of them
            yield thing.pk, Message(kind="alert", severity="high", title=str(thing))

Yield None as the message for a row that needs no notification (the cursor still moves past it).
A source whose model isn't installed is skipped, so a source may name an app that is optional.
A new source starts after the rows that exist when it first runs: history is not announced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.db import models, transaction
from django.db.models import Max, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .models import SEVERITIES, SourceCursor, severity_rank
from .services import Message, publish_message

log = logging.getLogger("lanward.notify")

BATCH = 500
SourceFn = Callable[[QuerySet[Any]], Iterator[tuple[int, Message | None]]]


@dataclass(frozen=True)
class Source:
    name: str
    model: str  # "app_label.ModelName"
    read: SourceFn

    def model_class(self) -> type[models.Model] | None:
        try:
            return apps.get_model(self.model)
        except (LookupError, ValueError):
            return None


SOURCES: list[Source] = []


def source(name: str, model: str) -> Callable[[SourceFn], SourceFn]:
    def register(fn: SourceFn) -> SourceFn:
        SOURCES[:] = [s for s in SOURCES if s.name != name] + [Source(name, model, fn)]
        return fn

    return register


# --- The sources ------------------------------------------------------------------------------


# When this many alerts of one kind about one device arrive together (a device hitting many
# listed hosts, an infected laptop scanning the home), they are one notification, at the
# highest severity among them, pointing at the alerts list filtered to that device and kind.
GROUP_ALERTS_AT = 4


@source("alerts", "threats.Alert")
def alerts(rows: QuerySet[Any]) -> Iterator[tuple[int, Message | None]]:
    batch = list(rows.select_related("device"))
    groups: dict[tuple[object, str], list[Any]] = {}
    for alert in batch:
        groups.setdefault((alert.device_id or alert.src, alert.kind), []).append(alert)
    for alert in batch:
        group = groups[(alert.device_id or alert.src, alert.kind)]
        if len(group) < GROUP_ALERTS_AT:
            yield alert.pk, _one_alert(alert)
        elif alert is group[0]:
            yield alert.pk, _alerts_together(group)
        else:
            yield alert.pk, None


def _one_alert(alert: Any) -> Message:
    where = f"{alert.src} → {alert.dst}" if alert.src or alert.dst else ""
    body = " · ".join(x for x in (f"Device: {alert.device}" if alert.device else "", where) if x)
    return Message(
        kind="alert",
        severity=alert.severity if alert.severity in SEVERITIES else "info",
        title=alert.summary[:200] or alert.kind,
        body=body,
        url=_url("threats:alert", alert.pk) or reverse("threats:alerts"),
        data={"alert": alert.pk, "kind": alert.kind, "src": alert.src, "dst": alert.dst},
        device=alert.device,
        source_key=f"alert:{alert.pk}",
    )


def _alerts_together(group: list[Any]) -> Message:
    first = group[0]
    severity = max(
        (a.severity if a.severity in SEVERITIES else "info" for a in group), key=severity_rank
    )
    who = first.device.display_name if first.device else first.src or "A device"
    label = first.kind_label
    remotes = sorted({a.dst if a.src == first.src else a.src for a in group} - {""})
    shown = ", ".join(remotes[:5]) + (f" and {len(remotes) - 5} more" if len(remotes) > 5 else "")
    query = {"kind": first.kind, "open": "1"}
    if first.device_id:
        query["device"] = str(first.device_id)
    return Message(
        kind="alert",
        severity=severity,
        title=f"{who}: {len(group)} alerts ({label.lower()})"[:200],
        body=(
            f"{first.summary[:200]}"
            + (f" Other side: {shown}." if shown else "")
            + " See them together in Alerts."
        ),
        url=reverse("threats:alerts") + "?" + urlencode(query),
        data={"alerts": [a.pk for a in group], "kind": first.kind, "src": first.src},
        device=first.device,
        source_key=f"alerts:{first.pk}+{len(group) - 1}",
    )


# When this many new devices arrive together (a station's first look at the home, a party),
# they are announced in one notification instead of one each.
GROUP_NEW_DEVICES_AT = 4


@source("new_devices", "inventory.DeviceEvent")
def new_devices(rows: QuerySet[Any]) -> Iterator[tuple[int, Message | None]]:
    events = list(rows.select_related("device"))
    fresh = [e for e in events if e.kind == "new" and e.device.is_new]
    if len(fresh) >= GROUP_NEW_DEVICES_AT:
        yield fresh[0].pk, _new_devices_together(fresh)
        for event in events:
            if event is not fresh[0]:
                yield event.pk, None
        return
    for event in events:
        device = event.device
        if event.kind != "new" or not device.is_new:  # other events, or already looked at
            yield event.pk, None
            continue
        yield (
            event.pk,
            Message(
                kind="new_device",
                severity="medium",
                title=f"New device on your network: {device.display_name}",
                body=(
                    f"{event.detail or device.display_type_label}. MAC {device.mac}. "
                    "Approve it if you know it; block it if you don't."
                ),
                url=reverse("inventory:device", args=[device.pk]),
                data={
                    "device": device.pk,
                    "mac": device.mac,
                    "ips": device.ips,
                    "vendor": device.vendor,
                    "type": device.display_type,
                },
                device=device,
                source_key=f"device:{device.pk}",
            ),
        )


def _new_devices_together(events: list[Any]) -> Message:
    devices = list({e.device.pk: e.device for e in events}.values())
    names = ", ".join(d.display_name for d in devices[:8])
    more = f" and {len(devices) - 8} more" if len(devices) > 8 else ""
    return Message(
        kind="new_device",
        severity="medium",
        title=f"{len(devices)} new devices on your network",
        body=(
            f"{names}{more}. Look through them on the Devices page: approve the ones you know, "
            "block any you don't."
        ),
        url=reverse("inventory:devices") + "?status=new",
        data={"devices": [d.pk for d in devices], "macs": [d.mac for d in devices]},
        source_key=f"devices:{devices[0].pk}+{len(devices) - 1}",
    )


@source("station_notices", "inventory.StationNotice")
def station_notices(rows: QuerySet[Any]) -> Iterator[tuple[int, Message | None]]:
    for notice in rows:
        yield (
            notice.pk,
            Message(
                kind="station",
                severity="low",
                title=notice.message[:200],
                url=reverse("inventory:devices"),
                data={"notice": notice.pk, "kind": notice.kind},
                source_key=f"notice:{notice.pk}",
            ),
        )


@source("security_check", "securitycheck.Finding")
def security_findings(rows: QuerySet[Any]) -> Iterator[tuple[int, Message | None]]:
    """New high or critical findings of the security check (a re-scan updates its row, so only
    problems found for the first time are announced)."""
    for finding in rows.select_related("device"):
        if finding.severity not in ("high", "critical") or finding.fixed_at is not None:
            yield finding.pk, None
            continue
        where = finding.device.display_name if finding.device else finding.address
        port = f" port {finding.port}" if finding.port else ""
        yield (
            finding.pk,
            Message(
                kind="security_check",
                severity=finding.severity,
                title=f"{where}: {finding.summary}"[:200],
                body=f"Found on {finding.address}{port}. What to do: {finding.fix}".strip(),
                url=(
                    _url("securitycheck:device", finding.device_id)
                    if finding.device_id
                    else _url("securitycheck:overview")
                ),
                data={
                    "finding": finding.pk,
                    "kind": finding.kind,
                    "address": finding.address,
                    "port": finding.port,
                    "cve": finding.cve,
                },
                device=finding.device,
                source_key=f"finding:{finding.pk}",
            ),
        )


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:  # the app's pages may not exist (yet)
        return ""


# --- The job ----------------------------------------------------------------------------------


def ensure_cursor(src: Source) -> SourceCursor | None:
    """The source's cursor; a new one starts after the rows that exist now."""
    model = src.model_class()
    if model is None:
        return None
    cursor = SourceCursor.objects.filter(source=src.name).first()
    if cursor is None:
        latest = model._default_manager.aggregate(m=Max("pk"))["m"] or 0
        cursor, _ = SourceCursor.objects.get_or_create(
            source=src.name, defaults={"last_id": latest}
        )
    return cursor


def collect_one(src: Source, now: datetime | None = None) -> int:
    """Announce one batch of new rows of `src`. Returns how many notifications were made."""
    cursor = ensure_cursor(src)
    model = src.model_class()
    if cursor is None or model is None:
        return 0
    after = cursor.last_id
    rows = model._default_manager.filter(pk__gt=after).order_by("pk")[:BATCH]
    made = 0
    with transaction.atomic():
        messages = list(src.read(rows))
        if not messages:
            return 0
        last = max(pk for pk, _ in messages)
        moved = SourceCursor.objects.filter(source=src.name, last_id=after).update(
            last_id=last, updated=now or timezone.now()
        )
        if not moved:  # another runner took this batch
            return 0
        for _, message in messages:
            if message is not None:
                made += len(publish_message(message, now=now))
    return made


def collect(now: datetime | None = None) -> dict[str, int]:
    """Every source until it has nothing new; a failing source is logged, the others go on."""
    made: dict[str, int] = {}
    for src in SOURCES:
        try:
            total = 0
            for _ in range(100):  # at most 100 batches a run; the rest comes next time
                before = (
                    SourceCursor.objects.filter(source=src.name)
                    .values_list("last_id", flat=True)
                    .first()
                )
                total += collect_one(src, now)
                after = (
                    SourceCursor.objects.filter(source=src.name)
                    .values_list("last_id", flat=True)
                    .first()
                )
                if after == before:
                    break
            made[src.name] = total
        except Exception:  # noqa: BLE001 - one broken source must not stop the others
            log.exception("notify: source %s failed", src.name)
    return made
