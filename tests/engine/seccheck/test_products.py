"""Product, version and CPE from banners, Server headers and nmap's CPEs."""

from __future__ import annotations

import pytest

from lanward.engine.seccheck.products import cpe_for, device_maker, identify, parse_cpe22


@pytest.mark.parametrize(
    ("text", "product", "version", "cpe"),
    [
        ("220 (vsFTPd 2.3.4)", "vsftpd", "2.3.4", "cpe:2.3:a:beasts:vsftpd:2.3.4:*:*:*:*:*:*:*"),
        (
            "lighttpd/1.4.35",
            "lighttpd",
            "1.4.35",
            "cpe:2.3:a:lighttpd:lighttpd:1.4.35:*:*:*:*:*:*:*",
        ),
        (
            "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
            "OpenSSH",
            "9.2p1",
            "cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*",
        ),
        (
            "SSH-2.0-dropbear_2019.78",
            "Dropbear SSH",
            "2019.78",
            "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2019.78:*:*:*:*:*:*:*",
        ),
        (
            "Apache/2.4.57 (Debian)",
            "Apache httpd",
            "2.4.57",
            "cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*",
        ),
        (
            "220 ProFTPD 1.3.5 Server (Debian)",
            "ProFTPD",
            "1.3.5",
            "cpe:2.3:a:proftpd:proftpd:1.3.5:*:*:*:*:*:*:*",
        ),
        (
            "Linux/3.10 UPnP/1.0 miniupnpd/2.1",
            "MiniUPnPd",
            "2.1",
            "cpe:2.3:a:miniupnp_project:miniupnpd:2.1:*:*:*:*:*:*:*",
        ),
        (
            "RomPager/4.07 UPnP/1.0",
            "RomPager",
            "4.07",
            "cpe:2.3:a:allegrosoft:rompager:4.07:*:*:*:*:*:*:*",
        ),
        ("App-webs/", "Hikvision web server", "", ""),
    ],
)
def test_identify(text: str, product: str, version: str, cpe: str) -> None:
    known = identify(text)
    assert known is not None
    assert (known.product, known.version, known.cpe) == (product, version, cpe)


def test_unknown_banner() -> None:
    assert identify("220 Welcome to my server") is None
    assert cpe_for("", "x", "1.0") == ""


def test_device_maker() -> None:
    assert device_maker("", "ZyXEL NBG6515 - Web Configurator") == "ZyXEL"
    assert device_maker("TL-WR841N") == "TP-Link"
    assert device_maker("Welcome") == ""


def test_nmap_cpe22() -> None:
    assert (
        parse_cpe22("cpe:/a:vsftpd:vsftpd:2.3.4") == "cpe:2.3:a:vsftpd:vsftpd:2.3.4:*:*:*:*:*:*:*"
    )
    assert (
        parse_cpe22("cpe:/o:linux:linux_kernel") == "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"
    )
    assert parse_cpe22("not a cpe") == ""
