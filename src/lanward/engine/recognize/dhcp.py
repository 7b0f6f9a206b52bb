"""Evidence from DHCP client messages: hostname (12), parameter list (55), vendor class (60)."""

from __future__ import annotations

from lanward.engine.events import DhcpSeen, Evidence

# (substring of option 60, field, value, confidence): written from the vendor-class strings
# that DHCP clients send (dhcpcd, Android, Windows, udhcpc, ...).
VENDOR_CLASS_RULES: list[tuple[str, str, str, float]] = [
    ("android-dhcp", "os", "Android", 0.85),
    ("msft 5.0", "os", "Windows", 0.8),
    ("msft 98", "os", "Windows", 0.7),
    ("dhcpcd", "os", "Linux", 0.5),
    ("udhcp", "os", "Linux (embedded)", 0.6),
    ("ubnt", "type", "router/access point", 0.6),
    ("cisco", "type", "router/access point", 0.5),
    ("hp", "type", "printer", 0.3),
    ("xbox", "type", "game console", 0.8),
    ("playstation", "type", "game console", 0.8),
    ("aastra", "type", "phone", 0.6),
]

# Parameter-request lists (option 55) of well-known DHCP clients. A full fingerprint database
# is better (see the security-check and fingerprint issues); these are the families a home has.
FINGERPRINTS: dict[str, tuple[str, str, float]] = {
    "1,33,3,6,15,26,28,51,58,59": ("os", "Android", 0.75),
    "1,3,6,15,26,28,51,58,59,43": ("os", "Android", 0.75),
    "1,3,6,15,26,28,51,58,59,43,114,108": ("os", "Android", 0.75),
    "1,121,3,6,15,108,114,119,252,95,44,46": ("os", "macOS or iOS", 0.7),
    "1,121,3,6,15,119,252,95,44,46": ("os", "macOS or iOS", 0.7),
    "1,121,3,6,15,119,252": ("os", "macOS or iOS", 0.7),
    "1,3,6,15,119,252": ("os", "macOS or iOS", 0.7),
    "1,3,6,15,119,95,252,44,46": ("os", "macOS or iOS", 0.7),
    "1,3,6,15,119,95,252,44,46,101": ("os", "macOS or iOS", 0.7),
    "1,3,6,15,31,33,43,44,46,47,119,121,249,252": ("os", "Windows", 0.8),
    "1,15,3,6,44,46,47,31,33,121,249,43": ("os", "Windows", 0.8),
    "1,15,3,6,44,46,47,31,33,121,249,43,252": ("os", "Windows", 0.8),
    "1,15,3,6,44,46,47,31,33,249,43": ("os", "Windows", 0.75),
    "1,28,2,3,15,6,119,12,44,47,26,121,42": ("os", "Linux", 0.6),
    "1,28,2,3,15,6,12": ("os", "Linux", 0.5),
    "1,3,6,12,15,28,42": ("os", "Linux (embedded)", 0.5),
    "1,3,6,12,15,28,40,41,42": ("os", "Linux (embedded)", 0.5),
    "1,3,28,6": ("os", "Linux (embedded)", 0.4),
    "1,3,6,15,28,33": ("os", "Linux (embedded)", 0.4),
}


def fingerprint_string(params: tuple[int, ...]) -> str:
    return ",".join(str(p) for p in params)


def evidence(event: DhcpSeen) -> list[Evidence]:
    out: list[Evidence] = []
    src = "dhcpv6" if event.v6 else "dhcp"
    if event.hostname:
        out.append(Evidence(src, "hostname", event.hostname, 0.9))
    if event.param_list:
        fp = fingerprint_string(event.param_list)
        if event.v6:  # the option-request list (option 6): DHCPv6 option codes, not option 55
            out.append(Evidence(src, "dhcpv6_option_request", fp, 1.0))
        else:
            out.append(Evidence(src, "dhcp_fingerprint", fp, 1.0))
            known = FINGERPRINTS.get(fp)
            if known:
                out.append(Evidence(src, known[0], known[1], known[2]))
    if event.vendor_class:
        out.append(Evidence(src, "dhcp_vendor_class", event.vendor_class, 1.0))
        low = event.vendor_class.lower()
        for needle, field_name, value, confidence in VENDOR_CLASS_RULES:
            if needle in low:
                out.append(Evidence(src, field_name, value, confidence))
                break
    if event.client_id:
        out.append(Evidence(src, "duid" if event.v6 else "client_id", event.client_id, 1.0))
    return out
