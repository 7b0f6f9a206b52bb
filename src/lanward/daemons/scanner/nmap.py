"""nmap as the version-detection engine: `nmap -sV -oX -` on ports we already know are open."""

from __future__ import annotations

import asyncio
import contextlib
import shutil

from lanward.engine.seccheck import nmapxml
from lanward.engine.seccheck.model import Service


class NmapError(Exception):
    """nmap could not be run or its output could not be read; the message says why."""


def nmap_path() -> str | None:
    return shutil.which("nmap")


def command(addresses: list[str], ports: list[int], host_timeout_s: float = 120) -> list[str]:
    return [
        "nmap",
        "-sV",
        "-Pn",  # the scanner already knows the host is up
        "-n",  # no DNS look-ups: no traffic besides the targets
        "--host-timeout",
        f"{int(host_timeout_s)}s",
        "-oX",
        "-",
        "-p",
        ",".join(str(p) for p in sorted(set(ports))),
        *addresses,
    ]


async def run_nmap(addresses: list[str], ports: list[int], timeout_s: float = 300) -> list[Service]:
    """nmap's view of the ports; NmapError when it is missing, fails or times out."""
    if not ports or not addresses:
        return []
    if nmap_path() is None:
        raise NmapError(
            "nmap is not installed (apt-get install nmap); the built-in scanner was used"
        )
    proc = await asyncio.create_subprocess_exec(
        *command(addresses, ports, timeout_s),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s + 30)
    except TimeoutError:
        raise NmapError(f"nmap did not finish within {timeout_s:.0f} s") from None
    finally:
        if proc.returncode is None:  # cancelled or timed out: do not leave it running
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        raise NmapError(f"nmap failed: {err.decode('utf-8', 'replace').strip()[:300]}")
    try:
        return nmapxml.parse(out.decode("utf-8", "replace"))
    except ValueError as exc:
        raise NmapError(str(exc)) from exc


def merge(ours: list[Service], theirs: list[Service]) -> None:
    """nmap fills in what our probes left empty; what it said is kept as evidence."""
    by_port = {(s.address, s.port, s.transport): s for s in theirs}
    for s in ours:
        other = by_port.get((s.address, s.port, s.transport))
        if other is None:
            continue
        s.evidence["nmap"] = {
            **other.evidence.get("nmap", {}),
            "product": other.product,
            "version": other.version,
        }
        if not s.name and other.name:
            s.name = other.name
        if not s.product and other.product:
            s.product, s.version = other.product, other.version
            s.vendor = s.vendor or other.vendor
        if not s.cpe and other.cpe:
            s.cpe = other.cpe
