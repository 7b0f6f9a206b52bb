"""One security-check run over a list of home devices.

Per device: TCP connect scan of the configured ports, a probe of each open port for what it is
(greeting, HTTP, TLS, RTSP, SMB1, MQTT), unicast SSDP for its UPnP description, optionally nmap
-sV, the configuration checks, then the password check. Devices are scanned side by side; all
connections share `concurrency`. Results are added as they come, so a cancelled scan keeps what
it found. A device that stops answering ends its own scan with an error; the others go on.

UPnP answering on the router's WAN side is not checked: from the LAN the scanner neither knows
the router's public address nor may it send there (only home targets are contacted). The
finding exists (`upnp-wan`, set by evidence["upnp_wan"]) for a caller that can tell.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any

import httpx

from lanward.daemons.scanner import banners, nmap, web
from lanward.daemons.scanner.passwords import Attempts, check_device, credential_data
from lanward.daemons.scanner.ports import DeviceGone, open_ports
from lanward.engine.seccheck.findings import configuration_findings
from lanward.engine.seccheck.model import (
    PORT_SERVICES,
    ScanOptions,
    ScanResult,
    Service,
    Target,
    check_targets,
)

log = logging.getLogger("lanward.scanner")
Progress = Callable[[str, float], None]
PROBE_ERRORS = (
    OSError,
    TimeoutError,
    asyncio.TimeoutError,
    ValueError,
    EOFError,
    httpx.HTTPError,
    ssl.SSLError,
)
NMAP_AT_ONCE = 2


def check_options(options: ScanOptions) -> None:
    if options.attempts_per_device < 0:
        raise ValueError("attempts_per_device cannot be negative (0 turns password guessing off)")
    if not all(0 < p < 65536 for p in options.ports):
        raise ValueError("ports must be between 1 and 65535")
    if options.concurrency < 1 or options.connect_timeout_s <= 0 or options.delay_s < 0:
        raise ValueError(
            "concurrency must be at least 1, timeouts positive and delays not negative"
        )


async def identify(service: Service, client: httpx.AsyncClient, timeout: float) -> None:
    """Fill in what the service is; a probe that fails leaves what is known and notes why."""
    name = service.name
    try:
        if name in ("http", "upnp"):
            await web.http(service, client, tls=False)
        elif name in ("https", "mqtts"):
            if await web.tls(service, timeout) and name == "https":
                await web.http(service, client, tls=True)
        elif name == "rtsp":
            await banners.rtsp(service, timeout)
        elif name == "smb":
            await banners.smb1(service, timeout)
        elif name == "mqtt":
            await banners.mqtt(service, timeout)
        elif name == "netbios-ssn":
            return
        else:  # ssh, ftp, telnet, smtp and ports we do not know: let them speak first
            await banners.greeting(service, timeout)
            if not service.banner and name not in ("telnet",):
                try:
                    await web.http(service, client, tls=False)
                except PROBE_ERRORS:
                    if await web.tls(service, timeout):
                        await web.http(service, client, tls=True)
    except DeviceGone:
        raise
    except PROBE_ERRORS as exc:
        service.evidence["probe_error"] = type(exc).__name__


class _DeviceScan:
    def __init__(
        self,
        target: Target,
        options: ScanOptions,
        result: ScanResult,
        limit: asyncio.Semaphore,
        nmap_limit: asyncio.Semaphore | None,
        progress: Progress | None,
    ) -> None:
        self.target, self.options, self.result = target, options, result
        self.limit, self.nmap_limit, self.progress = limit, nmap_limit, progress
        self.attempts = Attempts(target.address, options.attempts_per_device, options.delay_s)

    def report(self, fraction: float) -> None:
        if self.progress is not None:
            try:
                self.progress(self.target.address, round(min(max(fraction, 0.0), 1.0), 3))
            except Exception:  # noqa: BLE001 - a broken progress display must not stop a scan
                log.exception("progress callback failed")

    async def _probe(self, service: Service, client: httpx.AsyncClient) -> None:
        async with self.limit:
            await identify(service, client, self.options.connect_timeout_s)

    async def run(self) -> None:
        address, opts = self.target.address, self.options
        self.report(0.0)
        ports = await open_ports(address, opts.ports, opts.connect_timeout_s, self.limit)
        self.report(0.2)
        services = [Service(address=address, port=p, name=PORT_SERVICES.get(p, "")) for p in ports]
        async with web.http_client(opts.connect_timeout_s) as client:
            await asyncio.gather(*(self._probe(s, client) for s in services))
            try:
                ssdp = await web.upnp(address, client, min(opts.connect_timeout_s, 1.0))
            except PROBE_ERRORS:
                ssdp = None
        if ssdp is not None:
            services.append(ssdp)
        if self.nmap_limit is not None and ports:
            async with self.nmap_limit:
                try:
                    nmap.merge(services, await nmap.run_nmap([address], ports))
                except nmap.NmapError as exc:
                    self.result.errors.append(f"{address}: {exc}")
        self.result.services.extend(services)
        for s in services:
            self.result.findings.extend(configuration_findings(s))
        self.report(0.5)
        if opts.password_check and opts.attempts_per_device > 0:
            limit = max(opts.attempts_per_device, 1)

            def attempted() -> None:
                self.result.attempts[address] = self.attempts.used
                self.report(0.5 + 0.5 * self.attempts.used / limit)

            findings, extra = await check_device(
                self.target, services, opts, self.attempts, attempted
            )
            self.result.services.extend(extra)
            self.result.findings.extend(findings)
        self.result.attempts[address] = self.attempts.used
        self.report(1.0)

    async def guarded(self) -> None:
        try:
            await self.run()
        except DeviceGone as exc:
            self.result.errors.append(f"{self.target.address}: {exc}; its scan ended early")
        except PROBE_ERRORS as exc:
            self.result.errors.append(f"{self.target.address}: scan failed ({type(exc).__name__})")
        finally:
            self.result.attempts[self.target.address] = self.attempts.used


async def scan_hosts(
    targets: list[Target],
    options: ScanOptions,
    progress: Progress | None = None,
    cancel: asyncio.Event | None = None,
) -> ScanResult:
    """Scan `targets`; ScanRefused (before any packet) if one is outside the protected networks."""
    check_targets(targets, options.protected_nets)
    check_options(options)
    result = ScanResult()
    use_nmap = options.use_nmap
    if use_nmap is None:
        use_nmap = nmap.nmap_path() is not None
    elif use_nmap and nmap.nmap_path() is None:
        result.errors.append(
            "nmap is not installed (apt-get install nmap); the built-in scanner was used"
        )
        use_nmap = False
    if options.password_check and not options.credentials and not credential_data().defaults:
        result.errors.append(
            "the default-credentials database (Python package defaultcreds-cheat-sheet) is "
            "missing, so only the Mirai and weak lists were tried: pip install defaultcreds-cheat-sheet"
        )
    limit = asyncio.Semaphore(options.concurrency)
    nmap_limit = asyncio.Semaphore(NMAP_AT_ONCE) if use_nmap else None
    unique = list({t.address: t for t in targets}.values())
    tasks = [
        asyncio.create_task(_DeviceScan(t, options, result, limit, nmap_limit, progress).guarded())
        for t in unique
    ]
    if not tasks:
        return result
    everything: asyncio.Future[Any] = asyncio.gather(*tasks)
    try:
        if cancel is None:
            await everything
        else:
            stop = asyncio.create_task(cancel.wait())
            await asyncio.wait({everything, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if cancel.is_set() and not everything.done():
                result.cancelled = True
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return result
