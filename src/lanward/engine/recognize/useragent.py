"""Evidence from HTTP User-Agent strings, parsed with Matomo's Device Detector (offline)."""

from __future__ import annotations

from functools import lru_cache

from lanward.engine.events import Evidence

DEVICE_TYPES = {
    "smartphone": "phone",
    "phablet": "phone",
    "feature phone": "phone",
    "tablet": "tablet",
    "desktop": "computer",
    "tv": "TV",
    "smart display": "TV",
    "smart speaker": "speaker",
    "console": "game console",
    "portable media player": "streaming stick",
    "wearable": "wearable",
    "camera": "camera",
    "peripheral": "printer",
}


@lru_cache(maxsize=2048)
def _parse(user_agent: str) -> tuple[str, str, str, str, str]:
    from device_detector import DeviceDetector

    try:
        parsed = DeviceDetector(user_agent).parse()
    except Exception:  # noqa: BLE001 - a library bug on odd input must not stop the engine
        return ("", "", "", "", "")
    os_name = parsed.os_name() or ""
    return (
        parsed.device_type() or "",
        parsed.device_brand() or "",
        parsed.device_model() or "",
        "" if os_name in {"UNK", ""} else os_name,
        parsed.os_version() or "",
    )


def evidence(user_agent: str) -> list[Evidence]:
    ua = user_agent.strip()
    if not ua:
        return []
    out = [Evidence("http", "user_agent", ua[:300], 1.0)]
    device_type, brand, model, os_name, os_version = _parse(ua[:1000])
    if device_type in DEVICE_TYPES:
        out.append(Evidence("http", "type", DEVICE_TYPES[device_type], 0.7))
    if brand and brand != "UNK":
        out.append(Evidence("http", "brand", brand, 0.75))
    if model:
        out.append(Evidence("http", "model", model, 0.7))
    if os_name:
        out.append(Evidence("http", "os", os_name, 0.7))
        if os_version:
            out.append(Evidence("http", "os_version", os_version, 0.65))
    return out
