"""Product, version and CPE from what a service says about itself.

Banners (FTP/SMTP greetings, SSH identification strings, Telnet and RTSP text), HTTP `Server`
headers, page titles, Basic/Digest realms and UPnP descriptions name the software or the device.
Each rule below maps one such name to the CPE 2.3 vendor and product NVD uses for it, so the
vulnerability check can look the version up. Rules are tried in order; the first match wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = r"(\d+(?:\.\d+)*[a-z]?\d*(?:[-_.]?(?:p|rc|beta)\d+)?)"


@dataclass(frozen=True)
class Identity:
    product: str
    version: str = ""
    vendor: str = ""
    cpe: str = ""


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    product: str  # how a person calls it
    vendor: str  # who makes it, as a person would say
    cpe_vendor: str = ""  # NVD's names, '' when NVD has none
    cpe_product: str = ""
    part: str = "a"


def _r(
    pattern: str, product: str, vendor: str, cpe_vendor: str = "", cpe_product: str = ""
) -> Rule:
    return Rule(re.compile(pattern, re.I), product, vendor, cpe_vendor, cpe_product)


# Software that answers on home devices, by the way it names itself.
RULES: tuple[Rule, ...] = (
    # FTP
    _r(r"\bvsFTPd " + VERSION, "vsftpd", "vsftpd", "beasts", "vsftpd"),
    _r(r"\bProFTPD " + VERSION, "ProFTPD", "ProFTPD", "proftpd", "proftpd"),
    _r(r"\bPure-FTPd\b", "Pure-FTPd", "Pure-FTPd", "pureftpd", "pure-ftpd"),
    _r(r"\bFileZilla Server(?: version)? " + VERSION, "FileZilla Server", "FileZilla"),
    _r(r"\bpyftpdlib " + VERSION, "pyftpdlib", "pyftpdlib"),
    # SSH
    _r(r"^SSH-[\d.]+-OpenSSH_" + VERSION, "OpenSSH", "OpenBSD", "openbsd", "openssh"),
    _r(
        r"^SSH-[\d.]+-dropbear_" + VERSION,
        "Dropbear SSH",
        "Dropbear",
        "dropbear_ssh_project",
        "dropbear_ssh",
    ),
    _r(r"^SSH-[\d.]+-AsyncSSH_" + VERSION, "AsyncSSH", "AsyncSSH", "asyncssh_project", "asyncssh"),
    # Web servers embedded in routers, cameras and NAS
    _r(r"\blighttpd/" + VERSION, "lighttpd", "lighttpd", "lighttpd", "lighttpd"),
    _r(r"\bnginx/" + VERSION, "nginx", "F5", "f5", "nginx"),
    _r(r"\bApache/" + VERSION, "Apache httpd", "Apache", "apache", "http_server"),
    _r(r"\bBoa/" + VERSION, "Boa", "Boa", "boa", "boa"),
    _r(
        r"\bGoAhead-(?:Webs|http)(?:/" + VERSION + ")?",
        "GoAhead",
        "Embedthis",
        "embedthis",
        "goahead",
    ),
    _r(r"\bmini_httpd/" + VERSION, "mini_httpd", "ACME Labs", "acme", "mini_httpd"),
    _r(r"\bthttpd/" + VERSION, "thttpd", "ACME Labs", "acme", "thttpd"),
    _r(r"\bmicro_httpd\b", "micro_httpd", "ACME Labs", "acme", "micro_httpd"),
    _r(r"\bRomPager/" + VERSION, "RomPager", "Allegro", "allegrosoft", "rompager"),
    _r(r"\bJetty\(" + VERSION, "Jetty", "Eclipse", "eclipse", "jetty"),
    _r(
        r"\bMicrosoft-IIS/" + VERSION,
        "IIS",
        "Microsoft",
        "microsoft",
        "internet_information_services",
    ),
    _r(r"\buhttpd\b", "uhttpd", "OpenWrt"),
    _r(r"\b(?:App|DNVRS|Hikvision)-Webs\b", "Hikvision web server", "Hikvision"),
    # UPnP stacks
    _r(r"\bminiupnpd/" + VERSION, "MiniUPnPd", "MiniUPnP", "miniupnp_project", "miniupnpd"),
    _r(
        r"\bportable SDK for UPnP devices/" + VERSION,
        "libupnp",
        "pupnp",
        "libupnp_project",
        "libupnp",
    ),
    # Mail
    _r(r"\bExim " + VERSION, "Exim", "Exim", "exim", "exim"),
    _r(r"\bESMTP Postfix\b", "Postfix", "Postfix", "postfix", "postfix"),
    # RTSP servers in cameras and NVRs
    _r(
        r"\bLIVE555 Streaming Media v" + VERSION,
        "LIVE555",
        "Live Networks",
        "live555",
        "streaming_media",
    ),
    _r(r"\bGStreamer RTSP server\b", "GStreamer RTSP server", "GStreamer"),
    # Telnet greetings
    _r(r"\bBusyBox v" + VERSION, "BusyBox", "BusyBox", "busybox", "busybox"),
)

# Device makers that name themselves in titles, realms or banners, and the name people use.
DEVICE_MAKERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), name)
    for p, name in (
        (r"\bhikvision\b", "Hikvision"),
        (r"\bdahua\b", "Dahua"),
        (r"\baxis\b", "Axis"),
        (r"\bfoscam\b", "Foscam"),
        (r"\breolink\b", "Reolink"),
        (r"\bzyxel\b", "ZyXEL"),
        (r"\btp-?link\b|\bTL-(?:WR|MR|WA)\d", "TP-Link"),
        (r"\bnetgear\b", "Netgear"),
        (r"\bd-?link\b|\bDIR-\d{3}", "D-Link"),
        (r"\blinksys\b", "Linksys"),
        (r"\basus\b|\bRT-AC\d", "ASUS"),
        (r"\bfritz!?box\b|\bavm\b", "AVM"),
        (r"\bsynology\b|\bDiskStation\b", "Synology"),
        (r"\bqnap\b", "QNAP"),
        (r"\bubiquiti\b|\bunifi\b|\bairos\b", "Ubiquiti"),
        (r"\bmikrotik\b|\brouteros\b", "MikroTik"),
        (r"\bhuawei\b", "Huawei"),
        (r"\bzte\b", "ZTE"),
        (r"\bnetis\b", "Netis"),
        (r"\bbelkin\b", "Belkin"),
        (r"\btenda\b", "Tenda"),
    )
)


def cpe_escape(value: str) -> str:
    """A CPE 2.3 formatted-string component: lower case, specials backslash-escaped."""
    out = []
    for ch in value.lower():
        out.append(ch if ch.isalnum() or ch in "_-." else "\\" + ch)
    return "".join(out) or "*"


def cpe_for(cpe_vendor: str, cpe_product: str, version: str, part: str = "a") -> str:
    """cpe:2.3 name; OpenSSH-style 'X.Yp1' versions carry the 'p1' as the update field."""
    if not cpe_vendor or not version:
        return ""
    update = "*"
    m = re.fullmatch(r"(\d+(?:\.\d+)*)(p\d+)", version)
    if m and cpe_vendor == "openbsd":
        version, update = m.group(1), m.group(2)
    fields = [part, cpe_escape(cpe_vendor), cpe_escape(cpe_product), cpe_escape(version), update]
    return "cpe:2.3:" + ":".join(fields + ["*"] * 6)


def identify(text: str) -> Identity | None:
    """The software a banner, Server header or title names, with its version and CPE."""
    text = text.strip()
    for rule in RULES:
        m = rule.pattern.search(text)
        if m is None:
            continue
        version = next((g for g in m.groups() if g), "") if m.groups() else ""
        cpe = cpe_for(rule.cpe_vendor, rule.cpe_product, version, rule.part)
        return Identity(rule.product, version, rule.vendor, cpe)
    return None


def device_maker(*texts: str) -> str:
    """The device maker named anywhere in `texts` (title, realm, banner, UPnP), or ''."""
    for text in texts:
        if not text:
            continue
        for pattern, name in DEVICE_MAKERS:
            if pattern.search(text):
                return name
    return ""


def parse_cpe22(uri: str) -> str:
    """nmap's CPE 2.2 URI (cpe:/a:beasts:vsftpd:2.3.4) as a CPE 2.3 formatted string."""
    m = re.fullmatch(r"cpe:/([aho]):([^:]*)(?::([^:]*))?(?::([^:]*))?(?::([^:]*))?", uri.strip())
    if m is None:
        return ""
    part, vendor, product, version, update = m.groups()
    fields = [
        part,
        cpe_escape(vendor),
        cpe_escape(product or ""),
        cpe_escape(version) if version else "*",
        cpe_escape(update) if update else "*",
    ]
    return "cpe:2.3:" + ":".join(fields + ["*"] * 6)
