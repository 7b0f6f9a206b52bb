"""SNMP v2c communities (UDP 161) and MQTT broker logins."""

from __future__ import annotations

import asyncio
import secrets
import socket

from lanward.daemons.scanner.banners import read_some
from lanward.daemons.scanner.passwords.attempts import Attempt
from lanward.daemons.scanner.ports import close, connect
from lanward.engine.seccheck import wire
from lanward.engine.seccheck.credentials import Credential
from lanward.engine.seccheck.model import Service


class NoAgent(Exception):
    """Nothing listens on UDP 161 (the device said port unreachable)."""


class _Reply(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.future.done():
            self.future.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(NoAgent(str(exc)))


def snmp_attempt(address: str, timeout: float, sysdescr: dict[str, str]) -> Attempt:
    """v2c GET sysDescr.0 with the community; agents ignore requests with a wrong one."""

    async def attempt(cred: Credential) -> bool:
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(
            _Reply, remote_addr=(address, 161), family=socket.AF_INET
        )
        request_id = secrets.randbelow(2**31 - 1)
        try:
            transport.sendto(wire.snmp_get_request(cred.password, request_id))
            try:
                data = await asyncio.wait_for(proto.future, timeout)
            except TimeoutError:
                return False
        finally:
            transport.close()
        try:
            rid, status, value = wire.snmp_response(data)
        except ValueError:
            return False
        if rid == request_id and status == 0:
            sysdescr["sysDescr"] = value[:300]
            return True
        return False

    return attempt


def mqtt_attempt(service: Service, timeout: float) -> Attempt:
    async def attempt(cred: Credential) -> bool:
        reader, writer = await connect(service.address, service.port, timeout)
        try:
            writer.write(wire.mqtt_connect("lanward-seccheck", cred.username, cred.password))
            await writer.drain()
            raw = await read_some(reader, timeout, idle=0.3, limit=4)
            if len(raw) < 4:
                raise EOFError("MQTT broker sent no CONNACK")
            code = wire.mqtt_connack(raw)
            if code == wire.MQTT_ACCEPTED:
                writer.write(b"\xe0\x00")
            return code == wire.MQTT_ACCEPTED
        except ValueError:
            return False
        finally:
            await close(writer)

    return attempt
