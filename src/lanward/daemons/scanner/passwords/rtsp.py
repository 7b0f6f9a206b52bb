"""RTSP (camera stream) logins: DESCRIBE with Basic or Digest, on the path that asked for one."""

from __future__ import annotations

import asyncio
import secrets

from lanward.daemons.scanner.banners import read_message
from lanward.daemons.scanner.passwords.attempts import Attempt
from lanward.daemons.scanner.ports import close, connect
from lanward.engine.seccheck import wire
from lanward.engine.seccheck.credentials import Credential
from lanward.engine.seccheck.model import Service


def rtsp_attempt(service: Service, timeout: float) -> Attempt:
    path = str(service.evidence.get("rtsp_auth", {}).get("path", "/"))
    url = f"rtsp://{service.address}:{service.port}{path}"

    async def exchange(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        cseq: int,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        writer.write(wire.rtsp_request("DESCRIBE", url, cseq, headers))
        await writer.drain()
        return await read_message(reader, timeout)

    async def attempt(cred: Credential) -> bool:
        # One connection: a fresh challenge (that request carries no credential), then the
        # answer to it; cameras may tie the nonce to the connection.
        reader, writer = await connect(service.address, service.port, timeout)
        try:
            status, headers, _ = await exchange(reader, writer, 1)
            if status != 401:
                return status == 200
            scheme, params = wire.parse_challenge(headers.get("www-authenticate", ""))
            if scheme == "digest":
                auth = wire.digest_authorization(
                    cred.username, cred.password, "DESCRIBE", url, params, secrets.token_hex(8)
                )
            else:
                auth = wire.basic_authorization(cred.username, cred.password)
            status, _, _ = await exchange(reader, writer, 2, {"Authorization": auth})
        finally:
            await close(writer)
        return status == 200

    return attempt
