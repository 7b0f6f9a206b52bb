"""FTP logins: USER/PASS on a fresh control connection, anonymous first."""

from __future__ import annotations

import asyncio

from lanward.daemons.scanner.passwords.attempts import Attempt
from lanward.daemons.scanner.ports import close, connect
from lanward.engine.seccheck.credentials import Credential
from lanward.engine.seccheck.model import Service

ANONYMOUS = Credential("defaultcreds", "", "anonymous", "lanward@")


async def _reply(reader: asyncio.StreamReader, timeout: float) -> int:
    """The code of the next (possibly multi-line) FTP reply."""
    while True:
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise EOFError("FTP server closed the connection")
        text = line.decode("utf-8", "replace")
        if len(text) >= 4 and text[:3].isdigit() and text[3] != "-":
            return int(text[:3])


def ftp_attempt(service: Service, timeout: float) -> Attempt:
    async def attempt(cred: Credential) -> bool:
        reader, writer = await connect(service.address, service.port, timeout)
        try:
            if await _reply(reader, timeout) != 220:
                raise EOFError("FTP server did not greet")
            writer.write(f"USER {cred.username}\r\n".encode())
            await writer.drain()
            code = await _reply(reader, timeout)
            if code == 331:
                writer.write(f"PASS {cred.password}\r\n".encode())
                await writer.drain()
                code = await _reply(reader, timeout)
            if code == 230:
                writer.write(b"QUIT\r\n")
            return code == 230
        finally:
            await close(writer)

    return attempt
