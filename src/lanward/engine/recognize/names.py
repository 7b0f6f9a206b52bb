"""Hints from device names (DHCP hostname, mDNS, NetBIOS, LLMNR): people rarely rename gadgets."""

from __future__ import annotations

import re

from lanward.engine.events import Evidence, NameSeen

# (pattern, field, value, confidence). Factory default names of common home devices.
NAME_RULES: list[tuple[re.Pattern[str], str, str, float]] = [
    (re.compile(r"iphone", re.I), "type", "phone", 0.7),
    # Only iOS runs on an iPhone; without this a DHCP fingerprint's "macOS or iOS" ties with it.
    (re.compile(r"iphone", re.I), "os", "iOS", 0.6),
    (re.compile(r"ipad", re.I), "type", "tablet", 0.7),
    (re.compile(r"macbook|imac|mac-?mini", re.I), "type", "computer", 0.7),
    (re.compile(r"apple-?tv", re.I), "type", "streaming stick", 0.7),
    (re.compile(r"apple-?watch", re.I), "type", "wearable", 0.7),
    (re.compile(r"^android[-_]", re.I), "os", "Android", 0.6),
    (re.compile(r"galaxy|^sm-[a-z]\d", re.I), "type", "phone", 0.5),
    (re.compile(r"^(desktop|laptop)-[a-z0-9]{5,}", re.I), "os", "Windows", 0.6),
    (re.compile(r"^(desktop|laptop)-[a-z0-9]{5,}", re.I), "type", "computer", 0.6),
    (re.compile(r"chromecast", re.I), "type", "streaming stick", 0.75),
    (re.compile(r"roku", re.I), "type", "streaming stick", 0.7),
    (re.compile(r"fire-?tv|amazon-[0-9a-f]{6,}", re.I), "type", "streaming stick", 0.5),
    # Not "Alexander-PC": people's names are in most device names.
    (re.compile(r"echo|alexa(?!nd)", re.I), "type", "speaker", 0.5),
    (re.compile(r"sonos", re.I), "type", "speaker", 0.7),
    (re.compile(r"google-?home|nest-?(mini|audio|hub)", re.I), "type", "speaker", 0.6),
    (re.compile(r"^(hp|brn|epson|canon|brother)[-_0-9a-f]", re.I), "type", "printer", 0.6),
    (re.compile(r"printer|laserjet|officejet|deskjet", re.I), "type", "printer", 0.7),
    (re.compile(r"cam(era)?\b|ipcam|wyze|ring-", re.I), "type", "camera", 0.5),
    (re.compile(r"xbox", re.I), "type", "game console", 0.8),
    (re.compile(r"playstation|ps[345]-", re.I), "type", "game console", 0.8),
    (re.compile(r"nintendo|switch", re.I), "type", "game console", 0.5),
    # "nas" as a word of its own: not "Jonas-iPhone" or "Annas-Pixel".
    (re.compile(r"synology|diskstation|qnap|(?<![a-z])nas(?![a-z])", re.I), "type", "NAS", 0.7),
    (
        re.compile(r"esp[-_]?[0-9a-f]{6}|tasmota|shelly|tuya|smart-?plug|^wemo", re.I),
        "type",
        "smart plug/IoT hub",
        0.6,
    ),
    (re.compile(r"router|fritz|openwrt|gateway|archer", re.I), "type", "router/access point", 0.5),
    (re.compile(r"[-_ ]tv\b|bravia|lgwebostv|samsung-?tv|\[tv\]", re.I), "type", "TV", 0.6),
    (re.compile(r"raspberrypi", re.I), "type", "computer", 0.5),
]


def from_name(name: str, source: str) -> list[Evidence]:
    out: list[Evidence] = []
    for pattern, field_name, value, confidence in NAME_RULES:
        if pattern.search(name):
            out.append(Evidence(source, field_name, value, confidence * 0.9))
    return out


# WS-Discovery device types (e.g. "pub:Computer", "wprt:PrintDeviceType").
WSD_TYPES = [
    ("print", "printer", 0.8),
    ("scan", "printer", 0.6),
    ("computer", "computer", 0.7),
    # ONVIF cameras (Hikvision, Dahua, Axis, Reolink ...) announce dn:NetworkVideoTransmitter.
    ("networkvideotransmitter", "camera", 0.85),
]


def evidence(event: NameSeen) -> list[Evidence]:
    name = event.name.strip()
    out: list[Evidence] = []
    if name:
        out.append(Evidence(event.source, "hostname", name, 0.75))
        out += from_name(name, event.source)
    if event.detail:
        out.append(Evidence(event.source, "service", event.detail.split(" http")[0], 0.8))
        low = event.detail.lower()
        for needle, kind, confidence in WSD_TYPES:
            if needle in low:
                out.append(Evidence(event.source, "type", kind, confidence))
                break
    return out
