"""Web consoles, TLS and UPnP: Server header, title, login kind, certificate, device description.

Requests go only to the device being scanned: redirects and UPnP description URLs that point
anywhere else are not followed, and proxies from the environment are ignored.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import warnings
import xml.etree.ElementTree as ET  # noqa: S405 - size-bounded, DTDs refused
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from cryptography import x509

from lanward.daemons.scanner.banners import apply_identity
from lanward.daemons.scanner.ports import close
from lanward.engine.seccheck import forms
from lanward.engine.seccheck.model import Service
from lanward.engine.seccheck.products import device_maker, identify

MAX_BODY = 256 * 1024
USER_AGENT = "lanward-seccheck"


def lax_tls(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """Home devices have self-signed certificates and old ciphers: look, do not judge, here."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():  # naming TLS 1.0/1.1 is the point: we test for them
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = version or ssl.TLSVersion.TLSv1
        if version is not None:
            ctx.maximum_version = version
    return ctx


def http_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        verify=lax_tls(),
        trust_env=False,
        follow_redirects=False,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
    )


def same_host(url: str, address: str) -> bool:
    try:
        return (urlsplit(url).hostname or "") == address
    except ValueError:
        return False


async def fetch(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, str]:
    """One request; the body read up to MAX_BODY and decoded leniently."""
    async with client.stream(method, url, **kwargs) as resp:
        body = b""
        async for chunk in resp.aiter_bytes():
            body += chunk
            if len(body) >= MAX_BODY:
                break
    return resp, body[:MAX_BODY].decode(resp.encoding or "utf-8", "replace")


async def get_page(
    client: httpx.AsyncClient, url: str, address: str, hops: int = 3
) -> tuple[httpx.Response, str, str]:
    """GET, following redirects that stay on the device; (response, body, final url)."""
    for _ in range(hops + 1):
        resp, body = await fetch(client, "GET", url)
        location = resp.headers.get("location", "")
        if resp.is_redirect and location:
            nxt = urljoin(url, location)
            if same_host(nxt, address) and nxt != url:
                url = nxt
                continue
        return resp, body, url
    return resp, body, url


async def http(service: Service, client: httpx.AsyncClient, tls: bool) -> None:
    scheme = "https" if tls else "http"
    resp, body, url = await get_page(
        client, f"{scheme}://{service.address}:{service.port}/", service.address
    )
    service.name = scheme
    server = resp.headers.get("server", "")
    service.banner = f"HTTP {resp.status_code} {server}".strip()
    service.title = forms.page_title(body)
    ev = service.evidence
    ev["http_status"] = resp.status_code
    ev["url"] = url
    realm = ""
    challenge = resp.headers.get("www-authenticate", "")
    if resp.status_code == 401 and challenge:
        scheme_name = challenge.split(" ", 1)[0].lower()
        if "digest" in challenge.lower():
            scheme_name = "digest"
        m = re.search(r'realm="([^"]*)"', challenge, re.I)
        realm = m.group(1) if m else ""
        if scheme_name in ("basic", "digest"):
            ev["login"] = scheme_name
            ev["realm"] = realm
    else:
        form = forms.login_form(body, url)
        if form is not None:
            ev["login"] = "form"
            ev["form"] = {
                "action": form.action,
                "method": form.method,
                "user_field": form.user_field,
                "password_field": form.password_field,
                "hidden": form.hidden,
            }
    if server:
        apply_identity(service, server)
    if not service.product and service.title:
        known = identify(service.title)
        if known is not None:
            service.product, service.version, service.cpe = known.product, known.version, known.cpe
    maker = device_maker(service.title, realm, server)
    if maker:
        ev["maker"] = maker
    page = forms.recognise(service.title, realm, server, body[:4096])
    if page is not None:
        ev["login_page"] = page.maker
        ev.setdefault("maker", page.maker)


def _name(name: x509.Name) -> str:
    return name.rfc4514_string()


async def tls(service: Service, timeout: float) -> bool:
    """Certificate and version of a TLS service, then which outdated versions it still takes."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                service.address, service.port, ssl=lax_tls(), server_hostname=None
            ),
            timeout,
        )
    except (OSError, ssl.SSLError, TimeoutError):
        return False
    try:
        sslobj = writer.get_extra_info("ssl_object")
        info: dict[str, Any] = {"version": sslobj.version() if sslobj else ""}
        der = sslobj.getpeercert(binary_form=True) if sslobj else None
        if der:
            cert = x509.load_der_x509_certificate(der)
            info.update(
                subject=_name(cert.subject),
                issuer=_name(cert.issuer),
                not_before=cert.not_valid_before_utc.isoformat(),
                not_after=cert.not_valid_after_utc.isoformat(),
                self_signed=cert.subject == cert.issuer,
            )
    finally:
        await close(writer)
    old = []
    for version, label in ((ssl.TLSVersion.TLSv1, "TLS 1.0"), (ssl.TLSVersion.TLSv1_1, "TLS 1.1")):
        try:
            _, w = await asyncio.wait_for(
                asyncio.open_connection(
                    service.address, service.port, ssl=lax_tls(version), server_hostname=None
                ),
                timeout,
            )
        except (OSError, ssl.SSLError, TimeoutError):
            continue
        old.append(label)
        await close(w)
    info["old_versions_accepted"] = old
    service.tls = info
    return True


# --- UPnP -----------------------------------------------------------------------------------


class _Collect(asyncio.DatagramProtocol):
    def __init__(self, address: str) -> None:
        self.address = address
        self.replies: list[bytes] = []
        self.got = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if addr[0] == self.address:
            self.replies.append(data)
            self.got.set()

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable: no SSDP
        self.got.set()


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_description(text: str) -> dict[str, str]:
    """manufacturer, modelName, modelNumber, friendlyName, firmware of a UPnP description."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("UPnP description with a DTD refused")
    root = ET.fromstring(text)  # noqa: S314 - see above
    device = next((e for e in root.iter() if _strip_ns(e.tag) == "device"), None)
    out: dict[str, str] = {}
    if device is None:
        return out
    wanted = {
        "manufacturer",
        "modelName",
        "modelNumber",
        "friendlyName",
        "deviceType",
        "firmwareVersion",
        "softwareVersion",
    }
    for child in device:
        tag = _strip_ns(child.tag)
        if tag in wanted and child.text:
            out[tag] = child.text.strip()[:200]
    return out


async def upnp(address: str, client: httpx.AsyncClient, timeout: float) -> Service | None:
    """Unicast M-SEARCH to the device's SSDP port; its description when it points to itself."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        lambda: _Collect(address), remote_addr=(address, 1900), family=socket.AF_INET
    )
    try:
        transport.sendto(
            b"M-SEARCH * HTTP/1.1\r\nHOST: " + address.encode() + b":1900\r\n"
            b'MAN: "ssdp:discover"\r\nMX: 1\r\nST: upnp:rootdevice\r\n\r\n'
        )
        try:
            await asyncio.wait_for(proto.got.wait(), timeout)
            await asyncio.sleep(0.1)
        except TimeoutError:
            return None
    finally:
        transport.close()
    if not proto.replies:
        return None
    headers: dict[str, str] = {}
    for line in proto.replies[0].decode("latin-1").split("\r\n")[1:]:
        k, sep, v = line.partition(":")
        if sep:
            headers[k.strip().lower()] = v.strip()
    service = Service(address=address, port=1900, transport="udp", name="upnp")
    service.banner = headers.get("server", "")[:300]
    apply_identity(service, service.banner)
    location = headers.get("location", "")
    service.evidence["upnp"] = {"location": location, "st": headers.get("st", "")}
    if location and same_host(location, address):
        try:
            resp, body = await fetch(client, "GET", location)
            desc = parse_description(body) if resp.status_code == 200 else {}
        except (httpx.HTTPError, ValueError, ET.ParseError):
            desc = {}
        service.evidence["upnp"].update(desc)
        if desc.get("manufacturer"):
            service.vendor = desc["manufacturer"]
        service.title = desc.get("friendlyName", "")
        firmware = desc.get("firmwareVersion") or desc.get("softwareVersion") or ""
        if firmware:
            service.evidence["upnp"]["firmware"] = firmware
        maker = device_maker(desc.get("manufacturer", ""), desc.get("modelName", ""))
        if maker:
            service.evidence["maker"] = maker
    return service
