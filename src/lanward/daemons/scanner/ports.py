"""TCP connect scan of a device's ports, bounded by a shared concurrency limit."""

from __future__ import annotations

import asyncio
import errno

UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN}


class DeviceGone(Exception):
    """The device stopped answering (no route, or every connection fails)."""


async def connect(
    address: str, port: int, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a TCP connection; DeviceGone when there is no route to the device any more."""
    try:
        return await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except OSError as exc:
        if exc.errno in UNREACHABLE:
            raise DeviceGone(f"{address} is unreachable ({exc.strerror})") from exc
        raise


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (OSError, TimeoutError):
        pass


async def _probe(address: str, port: int, timeout: float, limit: asyncio.Semaphore) -> bool:
    async with limit:
        try:
            _, writer = await connect(address, port, timeout)
        except (OSError, TimeoutError):
            return False
        await close(writer)
        return True


async def open_ports(
    address: str, ports: tuple[int, ...], timeout: float, limit: asyncio.Semaphore
) -> list[int]:
    """The ports that accept a TCP connection, in ascending order."""
    results = await asyncio.gather(*(_probe(address, p, timeout, limit) for p in ports))
    return sorted(p for p, ok in zip(ports, results, strict=True) if ok)
