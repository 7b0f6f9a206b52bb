"""nmap -sV XML into services; our CPE names (NVD's) win over nmap's where we know the product."""

from __future__ import annotations

import pytest

from lanward.engine.seccheck import nmapxml

XML = """<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -sV -oX - 192.168.77.30" version="7.93">
<host><status state="up"/><address addr="192.168.77.30" addrtype="ipv4"/>
<ports>
<port protocol="tcp" portid="21"><state state="open"/><service name="ftp" product="vsftpd" version="2.3.4" ostype="Unix" method="probed" conf="10"><cpe>cpe:/a:vsftpd:vsftpd:2.3.4</cpe></service></port>
<port protocol="tcp" portid="443"><state state="open"/><service name="http" product="nginx" version="1.18.0" tunnel="ssl" method="probed" conf="10"><cpe>cpe:/a:igor_sysoev:nginx:1.18.0</cpe></service></port>
<port protocol="tcp" portid="23"><state state="closed"/></port>
<port protocol="tcp" portid="9999"><state state="open"/><service name="abyss" method="table" conf="3"/></port>
</ports></host></nmaprun>"""


def test_parse() -> None:
    services = {s.port: s for s in nmapxml.parse(XML)}
    assert set(services) == {21, 443, 9999}
    ftp = services[21]
    assert (ftp.address, ftp.name, ftp.product, ftp.version) == (
        "192.168.77.30",
        "ftp",
        "vsftpd",
        "2.3.4",
    )
    assert ftp.cpe == "cpe:2.3:a:beasts:vsftpd:2.3.4:*:*:*:*:*:*:*"
    assert ftp.evidence["nmap"]["cpe"] == ["cpe:/a:vsftpd:vsftpd:2.3.4"]
    assert services[443].name == "https"
    assert services[443].cpe == "cpe:2.3:a:f5:nginx:1.18.0:*:*:*:*:*:*:*"
    assert services[9999].cpe == ""


def test_bad_output() -> None:
    with pytest.raises(ValueError, match="not XML"):
        nmapxml.parse("Starting Nmap")
    with pytest.raises(ValueError, match="not nmap"):
        nmapxml.parse("<html/>")
    with pytest.raises(ValueError, match="entity"):
        nmapxml.parse('<!DOCTYPE x [<!ENTITY a "b">]><nmaprun/>')
