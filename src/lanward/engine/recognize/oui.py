"""Vendor from the MAC address's OUI, from the IEEE registry that netaddr ships (offline)."""

from __future__ import annotations

from functools import lru_cache

from lanward.engine.events import Evidence


def normalize_mac(mac: str) -> str:
    digits = "".join(ch for ch in mac.lower() if ch in "0123456789abcdef")
    if len(digits) != 12:
        raise ValueError(f"not a MAC address: {mac!r}")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def is_locally_administered(mac: str) -> bool:
    """Randomized ("private") MACs set the locally-administered bit of the first octet."""
    return bool(int(normalize_mac(mac)[:2], 16) & 0x02)


def is_multicast(mac: str) -> bool:
    return bool(int(normalize_mac(mac)[:2], 16) & 0x01)


@lru_cache(maxsize=4096)
def vendor_name(mac: str) -> str:
    from netaddr import EUI, NotRegisteredError
    from netaddr.core import AddrFormatError

    try:
        return str(EUI(mac).oui.registration().org).strip()
    except (NotRegisteredError, AddrFormatError, IndexError, ValueError):
        return ""


# Registry names are long and legal; show the brand people know.
BRANDS = {
    "apple": "Apple",
    "samsung": "Samsung",
    "lg electronics": "LG",
    "lg innotek": "LG",
    "google": "Google",
    "amazon": "Amazon",
    "sonos": "Sonos",
    "hewlett packard": "HP",
    "hp inc": "HP",
    "tp-link": "TP-Link",
    "xiaomi": "Xiaomi",
    "huawei": "Huawei",
    "sony": "Sony",
    "microsoft": "Microsoft",
    "intel": "Intel",
    "raspberry pi": "Raspberry Pi",
    "espressif": "Espressif",
    "tuya": "Tuya",
    "roku": "Roku",
    "netgear": "Netgear",
    "asustek": "ASUS",
    "ubiquiti": "Ubiquiti",
    "synology": "Synology",
    "brother": "Brother",
    "canon": "Canon",
    "epson": "Epson",
    "seiko epson": "Epson",
    "hikvision": "Hikvision",
    "dahua": "Dahua",
    "nintendo": "Nintendo",
    "avm": "AVM",
    "murata": "Murata",
    "cisco": "Cisco",
    "dell": "Dell",
    "lenovo": "Lenovo",
    "motorola": "Motorola",
    "oneplus": "OnePlus",
    "oppo": "OPPO",
    "vivo": "vivo",
    "nest labs": "Google Nest",
    "ring": "Ring",
    "wyze": "Wyze",
    "ecobee": "ecobee",
    "shenzhen": "",
}


def brand_of(vendor: str) -> str:
    low = vendor.lower()
    for key, brand in BRANDS.items():
        if key in low:
            return brand or vendor
    return vendor


# NIC makers whose chips go (almost) only into one kind of device.
VENDOR_TYPES: list[tuple[str, str, float]] = [
    ("espressif", "smart plug/IoT hub", 0.45),
    ("tuya", "smart plug/IoT hub", 0.6),
    ("shelly", "smart plug/IoT hub", 0.6),
    ("sonos", "speaker", 0.6),
    ("hikvision", "camera", 0.6),
    ("dahua", "camera", 0.6),
    ("wyze", "camera", 0.5),
    ("ring llc", "camera", 0.4),
    ("synology", "NAS", 0.6),
    ("qnap", "NAS", 0.6),
    ("nintendo", "game console", 0.6),
    ("sony interactive", "game console", 0.6),
    ("roku", "streaming stick", 0.6),
    ("ubiquiti", "router/access point", 0.4),
    ("avm", "router/access point", 0.5),
    ("brother", "printer", 0.5),
    ("seiko epson", "printer", 0.5),
    ("canon", "printer", 0.3),
]


def evidence(mac: str) -> list[Evidence]:
    if is_locally_administered(mac):
        return [Evidence("oui", "mac", "randomized (locally administered)", 0.9)]
    vendor = vendor_name(mac)
    if not vendor:
        return []
    out = [Evidence("oui", "vendor", vendor, 0.9)]
    # The NIC maker is often a module vendor (Murata, Espressif): a weak brand hint only.
    out.append(Evidence("oui", "brand", brand_of(vendor), 0.35))
    low = vendor.lower()
    for needle, kind, confidence in VENDOR_TYPES:
        if needle in low:
            out.append(Evidence("oui", "type", kind, confidence))
            break
    return out
