"""Checks on the rhythm and volume of a device's connections to the internet: upload spikes and
beaconing; and what a remote address is (its network and registered country). Each learns while
the baseline is learning and alerts (through explain.make) once it is not.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

import iptocc

from lanward.engine.detect.anomaly.beacon import rhythm
from lanward.engine.detect.anomaly.explain import Who, human_bytes, human_period, make
from lanward.engine.detect.anomaly.state import HOUR_MS, DeviceState
from lanward.engine.detect.anomaly.volume import upload_threshold
from lanward.engine.events import Flow

TCP, UDP = 6, 17
# Infrastructure protocols whose timers are not beacons and whose servers are not "services".
INFRA_PORTS = frozenset({53, 67, 68, 123, 137, 138, 853, 1900, 3702, 5353, 5355})
UPLOAD_COOLDOWN_MS = 3 * HOUR_MS
NOVELTY_COOLDOWN_MS = HOUR_MS
FAMILIAR_USES = 10


@lru_cache(maxsize=65536)
def network_of(ip: str) -> str:
    """The /16 (IPv4) or /48 (IPv6) network of an address: the unit of 'a network'."""
    addr = ipaddress.ip_address(ip)
    prefix = 16 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=65536)
def country_of(ip: str) -> str:
    """ISO country the address block is registered to (RIR data in iptocc), '' when none."""
    try:
        return iptocc.country_code(ip) or ""
    except (ValueError, TypeError):
        return ""


def _top(up_by_dest: dict[str, int]) -> list[dict[str, object]]:
    ranked = sorted(up_by_dest.items(), key=lambda kv: -kv[1])[:5]
    return [{"destination": d, "bytes": b} for d, b in ranked]


def volume(
    state: DeviceState, who: Who, ts_ms: int, up: int, down: int, dest: str, new_dest: bool
) -> list[dict[str, Any]]:
    """Remote upload per hour against the baseline's robust thresholds (volume.py). `dest`: the
    registered domain, or the /16 or /48 network of a bare address."""
    base = state.baseline
    hour = ts_ms // HOUR_MS
    if state.hour < 0:
        state.hour = hour
    if hour > state.hour:
        if (state.up or state.down) and not state.upload_alerted:
            base.add_hour(state.up, state.down, state.up_by_dest)
        state.hour, state.up, state.down = hour, 0, 0
        state.up_by_dest, state.threshold, state.upload_alerted = {}, None, False
    state.up += up
    state.down += down
    if dest and (dest in state.up_by_dest or len(state.up_by_dest) < 64):
        state.up_by_dest[dest] = state.up_by_dest.get(dest, 0) + up
    if base.learning or who.sensitivity.off or state.upload_alerted:
        return []
    if state.threshold is None:
        allowed = base.tolerance.get("upload_hour_bytes", 0)
        state.threshold = upload_threshold(base.upload_hours, who.sensitivity, allowed)
    limit = state.threshold
    to_dest = state.up_by_dest.get(dest, 0)
    peak = base.upload_peaks.get(dest, 0)
    if state.up > limit.bytes:
        reason = "total"
    elif dest and to_dest > limit.for_destination(peak):
        reason = "destination"
    else:
        return []
    state.upload_alerted = True
    if state.cooling("upload", ts_ms, UPLOAD_COOLDOWN_MS):
        return []
    top = _top(state.up_by_dest)
    main = dest if reason == "destination" else str(top[0]["destination"]) if top else dest
    severity = "high" if state.up >= 5 * limit.bytes or new_dest else "medium"
    if reason == "total":
        what = f"{human_bytes(state.up)} to the internet within the hour"
        where = f" Most of it went to {main}."
    else:
        what = f"{human_bytes(to_dest)} to {main} within the hour"
        where = (
            f" It never sent more than {human_bytes(peak)} an hour there before."
            if peak
            else " It never sent data there before."
        )
    return [
        make(
            who,
            "upload",
            severity,
            ts_ms,
            main,
            f"{who.name} sent {what}; its usual hour is {human_bytes(limit.median)} and its "
            f"busiest hour on record {human_bytes(limit.busiest)}.{where} A sudden large upload "
            "can be data being stolen (documents, photos, camera footage) or a backup someone "
            "started; if nobody did, disconnect the device and check it.",
            baseline={**limit.as_dict(), "destination_peak_bytes": peak},
            now={
                "upload_bytes": state.up,
                "download_bytes": state.down,
                "to_destination_bytes": to_dest,
                "destination": main,
                "new_destination": new_dest,
                "spike_of": reason,
                "top_destinations": top,
            },
            learn={
                "tolerance": {"upload_hour_bytes": state.up},
                "upload_peaks": {main: max(to_dest, state.up_by_dest.get(main, 0))},
            },
        )
    ]


def beacon(
    state: DeviceState, who: Who, flow: Flow, dest: str, domain: str, known: bool
) -> list[dict[str, Any]]:
    """Regular connections to one remote destination (beacon.py): `dest` is the server name or
    the address, `domain` its registered domain ('' for an address).

    `known`: the device used the destination (its domain, or the network of a bare address)
    before this flow. A rhythm is learned while the baseline learns; after that a new rhythm
    alarms, except towards a domain the device used during learning at least `FAMILIAR_USES`
    times (a familiar service starting a timer is weak evidence, and common).
    """
    if flow.protocol not in (TCP, UDP) or flow.dst_port in INFRA_PORTS:
        return []
    fresh_entry = dest not in state.arrivals
    arrivals = state.arrivals_for(dest)
    if fresh_entry:
        arrivals.known = known
    if not arrivals.add(flow.first_seen_ms, flow.src_port, flow.src2dst_bytes):
        return []
    found = rhythm(list(arrivals.times), who.sensitivity.beacon_min_events)
    if found is None:
        return []
    base = state.baseline
    if base.learning:
        base.stamp("periodic", dest, found.period_ms)
        return []
    if dest in base.periodic or base.is_flagged("beacon", dest) or who.sensitivity.off:
        return []
    entry = base.domains.get(domain) if domain else None
    if entry is not None and entry[0] < base.learned_ms and entry[2] >= FAMILIAR_USES:
        base.stamp("periodic", dest, found.period_ms)
        return []
    base.flag("beacon", dest, flow.first_seen_ms)
    known = arrivals.known
    raw_ip = dest == flow.dst_ip
    severity = "high" if raw_ip and not known else "medium"
    calls = human_period(found.period_ms)
    return [
        make(
            who,
            "beacon",
            severity,
            flow.first_seen_ms,
            dest,
            f"{who.name} has been contacting {dest} every {calls} like clockwork "
            f"({found.connections} connections over {human_period(found.span_ms)}, timing "
            f"within {found.jitter:.0%}). People do not click that regularly: this is a program "
            "calling home on a timer. Malware does this to wait for orders; "
            + (
                "it is a destination this device never used before."
                if not known
                else "the device used this destination before, but never on a timer."
            ),
            baseline={
                "regular_destinations": list(base.periodic)[:20],
                "destination_known": known,
            },
            now={
                "destination": dest,
                "address": flow.dst_ip,
                "port": flow.dst_port,
                **found.as_dict(),
            },
            # "Normal" covers where the calls go, too: their network and country.
            learn={
                "periodic": {dest: found.period_ms},
                "networks": [network_of(flow.dst_ip)],
                "countries": [c for c in (country_of(flow.dst_ip),) if c],
            },
            app=flow.app,
        )
    ]
