"""Plain-language recommendations per detector, and the EVE-JSON shape of an alert."""

from __future__ import annotations

from typing import Any

from .models import Alert

RECOMMENDATIONS = {
    "remote_access_inbound": (
        "If nobody at home set up this remote session, disconnect the device from the network, "
        "change its passwords and check it for programs you did not install. If it is yours, "
        "allow the program for this device (for an hour or for good)."
    ),
    "remote_access": "Nothing to do if you know who is working on this device.",
    "scan": (
        "A home device is probing others. If nobody is running a network tool on it, it may be "
        "infected: disconnect it, update or reset it and change its password."
    ),
    "scan_inbound": "Close port forwarding on the router that you do not need.",
    "brute_force": (
        "A home device is guessing passwords on another: disconnect it and check it. Make sure "
        "the attacked device has a strong password."
    ),
    "brute_force_inbound": (
        "A login on a home device is reachable from the internet: close the port forwarding or "
        "use a strong password and two-factor authentication."
    ),
    "worm_spread": "Disconnect the device now, reset it to factory settings and set a new password.",
    "arp_spoofing": (
        "A device pretends to be another one to read its traffic. Disconnect the device named in "
        "the alert and check it; the station blocks it in gateway mode."
    ),
    "router_access": (
        "If it was you, approve this device to manage the router. If not, change the router's "
        "admin password and check the device that tried."
    ),
    "indicator_match": (
        "The device talked to a listed threat. Scan it for malware and change passwords used on it."
    ),
    "signature": (
        "A known attack pattern was seen. Update the software of the device that was targeted."
    ),
    "cleartext_credentials": (
        "Change that password, and use the encrypted version of the service (HTTPS, SSH, "
        "IMAPS...) from now on."
    ),
    "dangerous_file": (
        "Do not open the file. Delete it, and scan the device if it was already opened."
    ),
    "anomaly": (
        "Check what the device is doing. If it is expected, tell lanward it is normal so it learns."
    ),
}

_EVE_SEVERITY = {"critical": 1, "high": 1, "medium": 2, "low": 3, "info": 3}
_PROTO = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPv6-ICMP"}


def recommendation(alert: Alert) -> str:
    return RECOMMENDATIONS.get(alert.detector, RECOMMENDATIONS.get(alert.kind, ""))


def _split(addr: str, port: Any) -> tuple[str, int | None]:
    """'192.0.2.1:23' -> ('192.0.2.1', 23); a port in the evidence wins; IPv6 stays whole."""
    host, sep, tail = addr.rpartition(":")
    parsed: int | None = None
    if sep and tail.isdigit() and host.count(":") == 0:
        addr, parsed = host, int(tail)
    if port not in (None, ""):
        try:
            return addr, int(port)
        except (TypeError, ValueError):
            pass
    return addr, parsed


def eve(alert: Alert) -> dict[str, Any]:
    """The alert as a Suricata EVE-JSON `alert` event (https://docs.suricata.io/ eve format)."""
    ev = alert.evidence if isinstance(alert.evidence, dict) else {}
    src_ip, src_port = _split(alert.src, ev.get("src_port"))
    dest_ip, dest_port = _split(alert.dst, ev.get("dst_port", ev.get("port")))
    proto = ev.get("protocol")
    blocked = alert.action.startswith("blocked")
    out: dict[str, Any] = {
        "timestamp": alert.time.isoformat(timespec="microseconds"),
        "event_type": "alert",
        "src_ip": src_ip,
        "dest_ip": dest_ip,
        "proto": _PROTO.get(proto, str(proto)) if proto is not None else "",
        "app_proto": alert.app,
        "alert": {
            "action": "blocked" if blocked else "allowed",
            "gid": 1,
            "signature_id": int(ev.get("sid", 0) or 0),
            "rev": int(ev.get("rev", 0) or 0),
            "signature": str(ev.get("msg") or alert.summary),
            "category": alert.kind_label,
            "severity": _EVE_SEVERITY.get(alert.severity, 3),
            "metadata": {
                "lanward_kind": [alert.kind],
                "lanward_detector": [alert.detector],
                "lanward_count": [str(alert.count)],
            },
        },
        "lanward": {
            "id": alert.pk,
            "device_mac": alert.device.mac if alert.device else "",
            "severity": alert.severity,
            "summary": alert.summary,
            "evidence": ev,
            "first": alert.time.isoformat(),
            "last": (alert.last_time or alert.time).isoformat(),
            "count": alert.count,
            "acknowledged": alert.acknowledged,
        },
    }
    if src_port is not None:
        out["src_port"] = src_port
    if dest_port is not None:
        out["dest_port"] = dest_port
    return out
