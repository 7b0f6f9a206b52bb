"""One device's login attempts: the hard budget, the pause between attempts, giving up.

Every credential sent to the device, on any service, goes through `Attempts.take()`: it waits
its turn (attempts on one device never overlap), keeps `delay_s` between them and refuses once
the budget is spent. Three connection failures in a row mean the device has gone away.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from importlib import resources

from lanward.daemons.scanner.ports import DeviceGone
from lanward.engine.seccheck.budget import Budget
from lanward.engine.seccheck.credentials import Credential, CredentialData, parse_defaultcreds_json

MAX_CONSECUTIVE_FAILURES = 3

# One login attempt: True accepted, False refused; OSError/TimeoutError when it did not get
# as far as an answer (the connection failed or was cut).
Attempt = Callable[[Credential], Awaitable[bool]]


class Attempts:
    def __init__(self, address: str, limit: int, delay_s: float) -> None:
        self.address = address
        self.budget = Budget(limit)
        self.delay_s = delay_s
        self._lock = asyncio.Lock()
        self._last = float("-inf")
        self._failures = 0

    @property
    def used(self) -> int:
        return self.budget.used

    async def take(self) -> bool:
        async with self._lock:
            if self.budget.exhausted:
                return False
            loop = asyncio.get_running_loop()
            wait = self._last + self.delay_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.budget.take()
            self._last = loop.time()
            return True

    def failed(self, why: BaseException) -> None:
        self._failures += 1
        if self._failures >= MAX_CONSECUTIVE_FAILURES:
            raise DeviceGone(
                f"{self.address} stopped answering during the password check ({type(why).__name__})"
            ) from why

    def answered(self) -> None:
        self._failures = 0

    async def first_accepted(self, creds: list[Credential], attempt: Attempt) -> Credential | None:
        """Try `creds` in order within the budget; the first one the service accepts."""
        for cred in creds:
            if not await self.take():
                return None
            try:
                ok = await attempt(cred)
            except (OSError, TimeoutError, EOFError) as exc:
                self.failed(exc)
                continue
            self.answered()
            if ok:
                return cred
        return None


@lru_cache(maxsize=1)
def credential_data() -> CredentialData:
    """The defaultcreds-cheat-sheet database shipped in its PyPI package (MIT)."""
    try:
        text = resources.files("DefaultCreds").joinpath("DefaultCreds_db.json").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, json.JSONDecodeError):
        return CredentialData([])
    return CredentialData(parse_defaultcreds_json(text))
