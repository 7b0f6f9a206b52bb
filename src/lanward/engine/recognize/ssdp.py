"""Evidence from SSDP/UPnP: SERVER and USER-AGENT headers, USN and device types."""

from __future__ import annotations

import re

from lanward.engine.events import Evidence, SsdpSeen

# urn:schemas-upnp-org:device:<type>:<v> and vendor device types -> our device types.
DEVICE_TYPES = {
    "internetgatewaydevice": ("router/access point", 0.85),
    "wanconnectiondevice": ("router/access point", 0.7),
    "wlanaccesspointdevice": ("router/access point", 0.8),
    "mediarenderer": ("TV", 0.45),
    "mediaserver": ("NAS", 0.4),
    "zoneplayer": ("speaker", 0.85),
    "dial": ("streaming stick", 0.4),
    "printer": ("printer", 0.8),
    "digitalsecuritycamera": ("camera", 0.85),
    "basic": ("", 0.0),
}

SERVER_OS = [
    (re.compile(r"\bLinux/?([\d.]+)?", re.I), "Linux"),
    (re.compile(r"\bWindows(?: NT)?/?([\d.]+)?", re.I), "Windows"),
    (re.compile(r"\bDarwin/?([\d.]+)?", re.I), "macOS or iOS"),
    (re.compile(r"\bMac OS X\b", re.I), "macOS"),
    (re.compile(r"\bAndroid/?([\d.]+)?", re.I), "Android"),
    (re.compile(r"\bTizen/?([\d.]+)?", re.I), "Tizen"),
    (re.compile(r"\bwebOS/?([\d.]+)?", re.I), "webOS"),
]


def device_types(text: str) -> list[str]:
    return re.findall(r"urn:[\w.-]+:device:([\w-]+):\d+", text, flags=re.I)


def evidence(event: SsdpSeen) -> list[Evidence]:
    out: list[Evidence] = []
    banner = event.server or event.user_agent
    if event.server:
        out.append(Evidence("ssdp", "server", event.server, 1.0))
    if event.user_agent:
        out.append(Evidence("ssdp", "user_agent", event.user_agent, 1.0))
    for pattern, os_name in SERVER_OS:
        match = pattern.search(banner)
        if match:
            out.append(Evidence("ssdp", "os", os_name, 0.4))
            break
    low = banner.lower()
    if "sonos" in low:
        out.append(Evidence("ssdp", "brand", "Sonos", 0.85))
        out.append(Evidence("ssdp", "type", "speaker", 0.8))
    if "roku" in low:
        out.append(Evidence("ssdp", "brand", "Roku", 0.85))
        out.append(Evidence("ssdp", "type", "streaming stick", 0.75))
    # An M-SEARCH's ST names what the sender looks for (every UPnP client searches for the
    # router), not what it is; NOTIFY and search responses describe their sender.
    described = event.usn if event.method == "M-SEARCH" else f"{event.nt} {event.usn}"
    for kind in device_types(described):
        out.append(Evidence("ssdp", "upnp_device", kind, 1.0))
        mapped = DEVICE_TYPES.get(kind.lower())
        if mapped and mapped[0]:
            out.append(Evidence("ssdp", "type", mapped[0], mapped[1]))
    return out
