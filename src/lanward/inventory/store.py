"""Writing what the engine learned into the database. The one place the station's data lands.

User-set fields (name, user_type, user_brand, user_model, owner) are never written here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lanward.engine.devices import Device as EngineDevice
from lanward.engine.pipeline import Engine

from .models import Device, DeviceEvent, DeviceLink, StationNotice, UnlinkedMac

INFERRED_FIELDS = (
    "hostname",
    "vendor",
    "type",
    "type_confidence",
    "os",
    "os_confidence",
    "brand",
    "model",
    "model_confidence",
    "dhcp_fingerprint",
    "dhcp_vendor_class",
    "user_agents",
    "services",
    "evidence",
)
# What the privacy switch "Keep device recognition evidence" leaves out when it is off.
EVIDENCE_FIELDS = {
    "dhcp_fingerprint": "",
    "dhcp_vendor_class": "",
    "user_agents": [],
    "services": [],
    "evidence": [],
}


def _privacy() -> Any:
    from lanward.privacy.models import PrivacySettings

    return PrivacySettings.load()


def forget_if_erased(engine: Engine, erased_at: datetime | None) -> bool:
    """After "Delete all household data" the engine forgets what it learned too, or the next
    pass would write it all back. True when it did."""
    seen = getattr(engine, "erased_seen", "unset")
    engine.erased_seen = erased_at  # type: ignore[attr-defined]
    if seen == "unset" or seen == erased_at:
        return False
    fresh = []
    for addon in engine.addons:  # detectors keep per-device state (smart-alert baselines)
        try:
            fresh.append(type(addon)())
        except TypeError:  # one that needs arguments keeps its state
            fresh.append(addon)
    engine.addons = fresh
    engine.__post_init__()  # fresh device table, usage meter, kept flows, alerts and notices
    return True


def ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def apply_unlinks(engine: Engine) -> None:
    """MACs the user split off must stay split in the engine too."""
    for mac in UnlinkedMac.objects.values_list("mac", flat=True):
        if mac in engine.devices.aliases:
            engine.devices.unlink(mac)
        engine.devices.never_link.add(mac)


def save_devices(engine: Engine, macs: list[str] | None = None) -> int:
    """Upsert engine devices (all, or those in `macs`). Returns how many rows were written."""
    prefs = _privacy()
    forget_if_erased(engine, prefs.erased_at)
    written = 0
    table = engine.devices.devices
    keep_evidence = prefs.device_evidence
    for mac in macs if macs is not None else list(table):
        device = table.get(mac)
        if device is not None:
            _save_one(device, keep_evidence)
            written += 1
    return written


@transaction.atomic
def _save_one(dev: EngineDevice, keep_evidence: bool = True) -> Device:
    data = dev.as_dict()
    values = {f: data[f] for f in INFERRED_FIELDS}
    if not keep_evidence:
        values.update(EVIDENCE_FIELDS)
    values["type"] = values["type"] or "unknown"
    first, last = ms_to_dt(dev.first_seen_ms), ms_to_dt(dev.last_seen_ms)
    row = Device.objects.select_for_update().filter(mac=dev.mac).first()
    if row is None:
        row = Device.objects.create(
            mac=dev.mac, first_seen=first, last_seen=last, ips=data["ips"], **values
        )
        DeviceEvent.objects.create(
            device=row, kind=DeviceEvent.Kind.NEW, created=first, detail=_describe(row)
        )
    else:
        new_ips = [ip for ip in data["ips"] if ip not in row.ips]
        for ip in new_ips:
            DeviceEvent.objects.create(
                device=row, kind=DeviceEvent.Kind.IP, created=last, detail=ip
            )
        # The station saves every device on each pass: only new activity brings one back online
        # (else an idle device would flap online/offline, with two events every pass).
        # Flows are reported late: activity from before the device was marked offline doesn't
        # bring it back, only activity after that.
        came_back = False
        if not row.online and last > row.last_seen:
            went = row.events.filter(kind=DeviceEvent.Kind.OFFLINE).order_by("-created").first()
            came_back = went is None or last > went.created
        for name, value in values.items():
            setattr(row, name, value)
        # The engine lists IPs oldest-used first; keep that order so the last is the current one.
        row.ips = ([ip for ip in row.ips if ip not in data["ips"]] + data["ips"])[-16:]
        row.first_seen = min(row.first_seen, first)
        row.last_seen = max(row.last_seen, last)
        if came_back:
            row.online = True
            DeviceEvent.objects.create(device=row, kind=DeviceEvent.Kind.ONLINE, created=last)
        row.save()
    for link in data["linked_macs"]:
        _, created = DeviceLink.objects.get_or_create(
            mac=link["mac"], defaults={"device": row, "reason": link["reason"]}
        )
        if created:
            DeviceEvent.objects.create(
                device=row, kind=DeviceEvent.Kind.LINKED, detail=f"{link['mac']}: {link['reason']}"
            )
    return row


def _describe(row: Device) -> str:
    what = " ".join(x for x in (row.brand, row.model) if x) or row.vendor or "unknown maker"
    return f"{row.type} · {what}" + (f" · {row.ips[0]}" if row.ips else "")


def save_usage(engine: Engine, before_ms: int | None = None) -> int:
    """Move finished hours (or everything) from the engine's usage meter into UsageHour."""
    from lanward.usage.models import UsageHour

    rows = engine.usage.drain_all() if before_ms is None else engine.usage.drain_hours(before_ms)
    if not _privacy().usage_metering:
        return 0  # metered, then forgotten: the household switched usage metering off
    by_mac = dict(Device.objects.filter(mac__in={r.mac for r in rows}).values_list("mac", "pk"))
    written = 0
    for r in rows:
        device_id = by_mac.get(r.mac)
        if device_id is None:
            continue
        hour = ms_to_dt(r.hour_ms)
        with transaction.atomic():
            updated = UsageHour.objects.filter(device_id=device_id, hour=hour, app=r.app).update(
                bytes_up=F("bytes_up") + r.bytes_up,
                bytes_down=F("bytes_down") + r.bytes_down,
                active_seconds=F("active_seconds") + r.active_seconds,
            )
            if not updated:
                UsageHour.objects.create(
                    device_id=device_id,
                    hour=hour,
                    app=r.app,
                    category=r.category,
                    bytes_up=r.bytes_up,
                    bytes_down=r.bytes_down,
                    active_seconds=r.active_seconds,
                )
        written += 1
    return written


def save_notices(engine: Engine) -> int:
    notices = engine.take_notices()
    for n in notices:
        StationNotice.objects.create(kind=n.kind, message=n.message[:500])
    return len(notices)


def mark_offline(now: datetime | None = None) -> int:
    """Flip devices not seen within the timeout to offline, with an event each."""
    from datetime import timedelta

    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.LANWARD_OFFLINE_AFTER_SECONDS)
    stale = list(Device.objects.filter(online=True, last_seen__lt=cutoff))
    for device in stale:
        device.online = False
        device.save(update_fields=["online"])
        DeviceEvent.objects.create(device=device, kind=DeviceEvent.Kind.OFFLINE, created=now)
    return len(stale)


def save_all(engine: Engine) -> dict[str, int]:
    """Everything the engine holds: used by `analyze --store` and the demo."""
    apply_unlinks(engine)
    devices = save_devices(engine)
    usage = save_usage(engine)
    notices = save_notices(engine)
    from lanward.threats.store import save_alerts

    alerts = save_alerts(engine.alerts)
    return {"devices": devices, "usage_rows": usage, "notices": notices, "alerts": alerts}


def save_flows(engine: Engine) -> int:
    """Raw flows the engine kept (see save_kept_flows), then forgets them."""
    from lanward.usage.models import FlowRecord

    flows = engine.kept_flows[: engine.config.max_kept_flows]
    engine.kept_flows = []
    if not flows:
        return 0
    macs = {f.src_mac for f in flows} | {f.dst_mac for f in flows}
    by_mac = dict(Device.objects.filter(mac__in=macs).values_list("mac", "pk"))
    rows = []
    for f in flows:
        local_src = engine.devices.is_home(f.src_ip)
        device_id = by_mac.get(f.src_mac if local_src else f.dst_mac)
        rows.append(
            FlowRecord(
                device_id=device_id,
                first_seen=ms_to_dt(f.first_seen_ms),
                last_seen=ms_to_dt(f.last_seen_ms),
                src=f"{f.src_ip}:{f.src_port}"[:64],
                dst=f"{f.dst_ip}:{f.dst_port}"[:64],
                protocol=f.protocol,
                app=f.app[:64],
                sni=f.sni[:255],
                bytes_up=f.src2dst_bytes if local_src else f.dst2src_bytes,
                bytes_down=f.dst2src_bytes if local_src else f.src2dst_bytes,
            )
        )
    FlowRecord.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def keeping_flows() -> bool:
    """Whether raw flows are kept: Privacy settings, "Keep raw connection records"."""
    return bool(_privacy().flow_records)


def save_kept_flows(engine: Engine) -> int:
    """The station's pass: raw flows are kept (and saved) only while the household keeps them;
    the switch is read on every pass, so turning it on or off needs no restart."""
    engine.config.keep_flows = keeping_flows()
    if not engine.config.keep_flows:
        engine.kept_flows = []
        return 0
    return save_flows(engine)
