"""Evidence from mDNS / DNS-SD announcements: names, service types and TXT model fields."""

from __future__ import annotations

from lanward.engine.events import Evidence, MdnsSeen

# DNS-SD service type -> (device type, confidence). Service types are registered with IANA.
SERVICE_TYPES: dict[str, tuple[str, float]] = {
    "_ipp._tcp": ("printer", 0.8),
    "_ipps._tcp": ("printer", 0.8),
    "_printer._tcp": ("printer", 0.8),
    "_pdl-datastream._tcp": ("printer", 0.8),
    "_scanner._tcp": ("printer", 0.6),
    "_uscan._tcp": ("printer", 0.6),
    "_googlecast._tcp": ("streaming stick", 0.55),
    "_airplay._tcp": ("TV", 0.45),
    "_raop._tcp": ("speaker", 0.4),
    "_spotify-connect._tcp": ("speaker", 0.5),
    "_sonos._tcp": ("speaker", 0.85),
    "_hap._tcp": ("smart plug/IoT hub", 0.6),
    "_hap._udp": ("smart plug/IoT hub", 0.6),
    "_matter._tcp": ("smart plug/IoT hub", 0.5),
    "_matterc._udp": ("smart plug/IoT hub", 0.5),
    "_homekit._tcp": ("smart plug/IoT hub", 0.5),
    "_amzn-wplay._tcp": ("streaming stick", 0.6),
    "_smb._tcp": ("computer", 0.3),
    "_afpovertcp._tcp": ("NAS", 0.4),
    "_adisk._tcp": ("NAS", 0.5),
    "_nvstream._tcp": ("computer", 0.4),
    "_companion-link._tcp": ("phone", 0.3),
    "_apple-mobdev2._tcp": ("phone", 0.45),
    "_rtsp._tcp": ("camera", 0.5),
    "_axis-video._tcp": ("camera", 0.8),
    "_esphomelib._tcp": ("smart plug/IoT hub", 0.7),
    "_workstation._tcp": ("computer", 0.5),
    "_ssh._tcp": ("computer", 0.2),
    "_device-info._tcp": ("", 0.0),
}

# TXT keys that carry a model: "md" (Google Cast), "model"/"am" (Apple), "ty"/"product" (IPP).
MODEL_KEYS = ("md", "model", "am", "ty", "usb_mdl", "product", "mdl")
BRAND_KEYS = ("manufacturer", "usb_mfg", "mfg", "mf")


def service_type(name: str) -> str:
    """'Living Room._googlecast._tcp.local' -> '_googlecast._tcp'."""
    labels = name.rstrip(".").split(".")
    for i in range(len(labels) - 1):
        if labels[i].startswith("_") and labels[i + 1] in {"_tcp", "_udp"}:
            return f"{labels[i]}.{labels[i + 1]}"
    return ""


def evidence(event: MdnsSeen) -> list[Evidence]:
    out: list[Evidence] = []
    for name in event.names:
        host = name.rstrip(".")
        if host.endswith(".local"):
            host = host[: -len(".local")]
        if host and not host.startswith("_") and "._" not in host:
            out.append(Evidence("mdns", "hostname", host, 0.8))
    for svc in event.services:
        stype = service_type(svc) or svc
        out.append(Evidence("mdns", "service", stype, 1.0))
        kind = SERVICE_TYPES.get(stype)
        if kind and kind[0]:
            out.append(Evidence("mdns", "type", kind[0], kind[1]))
    for key, value in event.txt:
        low = key.lower()
        if low in MODEL_KEYS and value:
            out.append(Evidence("mdns", "model", value.strip().strip('"'), 0.85))
        elif low in BRAND_KEYS and value:
            out.append(Evidence("mdns", "brand", value.strip(), 0.8))
        elif low == "osxvers" and value:
            out.append(Evidence("mdns", "os", "macOS", 0.8))
    return out
