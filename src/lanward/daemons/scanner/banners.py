"""What a service says first: SSH, FTP, SMTP and Telnet greetings, RTSP answers, SMB1, MQTT.

Each probe opens one connection, reads or asks as little as it takes, and fills in the Service
(name, banner, product, version, vendor, CPE, evidence). None of them sends a credential.
"""

from __future__ import annotations

import asyncio

from lanward.daemons.scanner.ports import close, connect
from lanward.engine.seccheck import wire
from lanward.engine.seccheck.model import Service
from lanward.engine.seccheck.products import device_maker, identify

# Paths cameras serve their main stream on; DESCRIBE is tried on them until one is not 404.
RTSP_PATHS = ("/", "/live", "/stream1", "/h264", "/Streaming/Channels/101", "/live/ch00_0")


async def read_some(
    reader: asyncio.StreamReader, timeout: float, idle: float = 0.4, limit: int = 8192
) -> bytes:
    """Bytes until the peer is quiet for `idle` seconds, closes, or `timeout` passes."""
    data = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(data) < limit:
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            chunk = await asyncio.wait_for(
                reader.read(limit - len(data)), min(left, idle) if data else left
            )
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data


def apply_identity(service: Service, text: str) -> None:
    known = identify(text)
    if known is not None:
        service.product, service.version = known.product, known.version
        service.vendor, service.cpe = known.vendor, known.cpe
    maker = device_maker(text)
    if maker:
        service.evidence.setdefault("maker", maker)


def classify_banner(port_name: str, text: str) -> str:
    if text.startswith("SSH-"):
        return "ssh"
    if text.startswith("220"):
        low = text.lower()
        if "smtp" in low or "mail" in low:
            return "smtp"
        if "ftp" in low or port_name == "ftp":
            return "ftp"
        return port_name if port_name in ("ftp", "smtp") else "ftp"
    if text.startswith("RFB "):
        return "vnc"
    return port_name


async def greeting(service: Service, timeout: float) -> None:
    """Services that speak first (SSH, FTP, SMTP, Telnet, and unknown ports that do)."""
    reader, writer = await connect(service.address, service.port, timeout)
    try:
        raw = await read_some(reader, timeout, idle=0.5)
        if service.name == "telnet" or raw[:1] == bytes([wire.IAC]):
            flt = wire.TelnetFilter()
            text_b, reply = flt.feed(raw)
            if reply:
                writer.write(reply)
                await writer.drain()
                more, reply2 = flt.feed(await read_some(reader, timeout, idle=0.5))
                text_b += more
                if reply2:
                    writer.write(reply2)
            service.name = "telnet"
            raw = text_b
    finally:
        await close(writer)
    text = raw.decode("utf-8", "replace").replace("\x00", "").strip()
    if not text and service.name != "telnet":
        return
    service.banner = text[:512]
    if service.name != "telnet":
        service.name = classify_banner(service.name, text)
    apply_identity(service, text.splitlines()[0] if service.name in ("ssh",) else text)
    if service.name == "telnet":
        service.evidence["prompt"] = text.splitlines()[-1][-80:] if text else ""


async def read_message(
    reader: asyncio.StreamReader, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    """One RTSP/HTTP-style response: headers up to the blank line, then Content-Length bytes."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.LimitOverrunError as exc:
        raise ValueError("response headers too long") from exc
    except asyncio.IncompleteReadError as exc:
        raise EOFError("connection closed mid-response") from exc
    status, headers, _ = wire.parse_response(head)
    length = min(int(headers.get("content-length", "0") or 0), 65536)
    body = await asyncio.wait_for(reader.readexactly(length), timeout) if length > 0 else b""
    return status, headers, body


async def rtsp_exchange(
    service: Service,
    method: str,
    path: str,
    cseq: int,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    url = f"rtsp://{service.address}:{service.port}{path}"
    reader, writer = await connect(service.address, service.port, timeout)
    try:
        writer.write(wire.rtsp_request(method, url, cseq, headers))
        await writer.drain()
        return await read_message(reader, timeout)
    finally:
        await close(writer)


async def rtsp(service: Service, timeout: float) -> None:
    """OPTIONS for the server's name, DESCRIBE to see whether the stream needs a password."""
    status, headers, _ = await rtsp_exchange(service, "OPTIONS", "/", 1, timeout)
    service.name = "rtsp"
    server = headers.get("server", "")
    service.banner = f"RTSP {status} {server}".strip()
    apply_identity(service, server)
    for cseq, path in enumerate(RTSP_PATHS, start=2):
        status, headers, _ = await rtsp_exchange(service, "DESCRIBE", path, cseq, timeout)
        if status == 404:
            continue
        if status == 200:
            service.evidence["rtsp_open"] = True
            service.evidence["rtsp_url"] = f"rtsp://{service.address}:{service.port}{path}"
        elif status == 401:
            scheme, params = wire.parse_challenge(headers.get("www-authenticate", ""))
            service.evidence["rtsp_auth"] = {
                "path": path,
                "scheme": scheme,
                "realm": params.get("realm", ""),
            }
            maker = device_maker(params.get("realm", ""))
            if maker:
                service.evidence.setdefault("maker", maker)
        break


async def smb1(service: Service, timeout: float) -> None:
    """Offer only SMB1's NT LM 0.12 dialect; a server that takes it has SMBv1 on."""
    reader, writer = await connect(service.address, service.port, timeout)
    try:
        writer.write(wire.smb1_negotiate())
        await writer.drain()
        raw = await read_some(reader, timeout, idle=0.3)
    finally:
        await close(writer)
    service.name = "smb"
    service.evidence["smb1"] = wire.smb1_accepted(raw)


async def mqtt(service: Service, timeout: float) -> None:
    """CONNECT without credentials: a broker that accepts it lets anyone in."""
    reader, writer = await connect(service.address, service.port, timeout)
    try:
        writer.write(wire.mqtt_connect("lanward-seccheck"))
        await writer.drain()
        raw = await read_some(reader, timeout, idle=0.3, limit=4)
        if len(raw) >= 4:
            writer.write(b"\xe0\x00")  # DISCONNECT
    finally:
        await close(writer)
    try:
        code = wire.mqtt_connack(raw)
    except ValueError:
        return
    service.name = "mqtt"
    service.evidence["mqtt_anonymous"] = code == wire.MQTT_ACCEPTED
    service.evidence["mqtt_connack"] = code
