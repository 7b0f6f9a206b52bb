"""nmap's XML output (`nmap -sV -oX -`) as the scanner's Service objects."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - output of the local nmap process

from lanward.engine.seccheck.model import Service
from lanward.engine.seccheck.products import identify, parse_cpe22

# nmap's service names -> ours
NAMES = {
    "microsoft-ds": "smb",
    "netbios-ssn": "netbios-ssn",
    "rtsp": "rtsp",
    "http-proxy": "http",
    "http-alt": "http",
    "https-alt": "https",
    "ssl": "https",
}


def _name(service: ET.Element) -> str:
    name = service.get("name", "")
    name = NAMES.get(name, name)
    if service.get("tunnel") == "ssl" and name in ("http", "https"):
        return "https"
    return name


def parse(text: str) -> list[Service]:
    """Open ports with what nmap found out about them; ValueError if it is not nmap XML."""
    if "<!ENTITY" in text:
        raise ValueError("nmap output with entity declarations refused")
    try:
        root = ET.fromstring(text)  # noqa: S314 - see above
    except ET.ParseError as exc:
        raise ValueError(f"nmap output is not XML: {exc}") from exc
    if root.tag != "nmaprun":
        raise ValueError("not nmap XML output")
    out: list[Service] = []
    for host in root.iter("host"):
        addr = next(
            (
                a.get("addr", "")
                for a in host.iter("address")
                if a.get("addrtype") in ("ipv4", "ipv6")
            ),
            "",
        )
        for port in host.iter("port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            svc = port.find("service")
            s = Service(
                address=addr,
                port=int(port.get("portid", "0")),
                transport=port.get("protocol", "tcp"),
            )
            if svc is not None:
                s.name = _name(svc)
                s.product = svc.get("product", "")
                s.version = svc.get("version", "")
                extra = svc.get("extrainfo", "")
                s.banner = " ".join(x for x in (s.product, s.version, extra) if x)
                cpes = [c.text or "" for c in svc.iter("cpe")]
                app = [c for c in cpes if c.startswith("cpe:/a:")]
                if app and s.version:
                    s.cpe = parse_cpe22(app[0])
                    if s.cpe.split(":")[5] == "*":  # nmap left the version out of the CPE
                        parts = s.cpe.split(":")
                        parts[5] = s.version.lower()
                        s.cpe = ":".join(parts)
                known = identify(f"{s.product}/{s.version}") or identify(f"{s.product} {s.version}")
                if known is not None:
                    # Our rules carry NVD's names; nmap's can differ (vsftpd:vsftpd, NVD
                    # beasts:vsftpd), and the vulnerability check looks names up in NVD's.
                    s.vendor = known.vendor
                    s.cpe = known.cpe or s.cpe
                s.evidence = {
                    "nmap": {
                        "name": svc.get("name", ""),
                        "method": svc.get("method", ""),
                        "conf": svc.get("conf", ""),
                        "cpe": cpes,
                    }
                }
            out.append(s)
    return out
