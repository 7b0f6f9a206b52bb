"""Remote shells: Telnet (prompt handling, options refused) and SSH (asyncssh, password auth).

One credential per connection, so the device sees exactly one login attempt per credential.
"""

from __future__ import annotations

import asyncio
import re

import asyncssh

from lanward.daemons.scanner.banners import read_some
from lanward.daemons.scanner.passwords.attempts import Attempt
from lanward.daemons.scanner.ports import close, connect
from lanward.engine.seccheck import wire
from lanward.engine.seccheck.credentials import Credential
from lanward.engine.seccheck.model import Service

LOGIN_PROMPT = re.compile(r"(?:login|user ?name|user)\s*:\s*$", re.I)
PASSWORD_PROMPT = re.compile(r"password\s*:\s*$", re.I)
REFUSED = re.compile(r"incorrect|invalid|failed|denied|wrong|bad password|login\s*:\s*$", re.I)
SHELL_PROMPT = re.compile(r"(?:[#$>%]|\][#$])\s*$")


ANSWER = re.compile(
    "|".join(
        (REFUSED.pattern, SHELL_PROMPT.pattern, LOGIN_PROMPT.pattern, PASSWORD_PROMPT.pattern)
    ),
    re.I,
)


class _Telnet:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float
    ) -> None:
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.filter = wire.TelnetFilter()

    async def until(self, pattern: re.Pattern[str]) -> str:
        """Text (options answered) until it ends with `pattern`, the peer closes, or time is up."""
        seen = ""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while loop.time() < deadline:
            raw = await read_some(self.reader, deadline - loop.time(), idle=0.1)
            text, reply = self.filter.feed(raw)
            if reply:
                self.writer.write(reply)
                await self.writer.drain()
            seen += text.decode("utf-8", "replace").replace("\x00", "")
            if pattern.search(seen.strip()):
                break
            if not raw and self.reader.at_eof():
                break
        return seen

    async def send(self, line: str) -> None:
        self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()


def telnet_attempt(service: Service, timeout: float) -> Attempt:
    first_prompt = re.compile(LOGIN_PROMPT.pattern + "|" + PASSWORD_PROMPT.pattern, re.I)

    async def attempt(cred: Credential) -> bool:
        reader, writer = await connect(service.address, service.port, timeout)
        session = _Telnet(reader, writer, timeout)
        try:
            first = (await session.until(first_prompt)).strip()
            if not first_prompt.search(first):
                raise EOFError("no login prompt")
            if not PASSWORD_PROMPT.search(first):
                await session.send(cred.username)
                if not PASSWORD_PROMPT.search((await session.until(ANSWER)).strip()):
                    return False  # no password asked: refused, or a login we do not understand
            await session.send(cred.password)
            answer = (await session.until(ANSWER)).strip()
        finally:
            await close(writer)
        last = answer.splitlines()[-1] if answer else ""
        return SHELL_PROMPT.search(last) is not None and REFUSED.search(answer) is None

    return attempt


def ssh_attempt(service: Service, timeout: float) -> Attempt:
    async def attempt(cred: Credential) -> bool:
        try:
            conn = await asyncssh.connect(
                service.address,
                service.port,
                username=cred.username,
                password=cred.password,
                known_hosts=None,
                client_keys=None,
                agent_path=None,
                config=[],
                preferred_auth="password",
                connect_timeout=timeout,
                login_timeout=timeout * 2,
            )
        except asyncssh.PermissionDenied:
            return False
        except (asyncssh.Error, asyncssh.misc.ConnectionLost) as exc:
            raise OSError(f"SSH connection failed ({type(exc).__name__})") from None
        conn.close()
        try:
            await asyncio.wait_for(conn.wait_closed(), 1.0)
        except TimeoutError:
            pass
        return True

    return attempt
