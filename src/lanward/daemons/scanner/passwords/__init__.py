"""The password check of one device: every service that takes a login, within one budget.

Services are checked side by side, but their attempts take turns through the device's
`Attempts` (one at a time, `delay_s` apart, at most `attempts_per_device` in all). Each service
stops at its first accepted credential. Which credentials, in which order: see
`lanward.engine.seccheck.credentials`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lanward.daemons.scanner.passwords.attempts import Attempt, Attempts, credential_data
from lanward.daemons.scanner.passwords.ftp import ANONYMOUS, ftp_attempt
from lanward.daemons.scanner.passwords.http import auth_attempt, form_attempt
from lanward.daemons.scanner.passwords.iot import NoAgent, mqtt_attempt, snmp_attempt
from lanward.daemons.scanner.passwords.rtsp import rtsp_attempt
from lanward.daemons.scanner.passwords.shells import ssh_attempt, telnet_attempt
from lanward.daemons.scanner.ports import DeviceGone
from lanward.engine.recognize.oui import brand_of
from lanward.engine.seccheck import credentials as cr
from lanward.engine.seccheck.findings import anonymous_ftp_finding, password_finding
from lanward.engine.seccheck.forms import LOGIN_PAGES
from lanward.engine.seccheck.model import ScanOptions, Service, Target

__all__ = ["Attempts", "check_device", "credential_data"]


def vendor_hints(target: Target, services: list[Service]) -> list[str]:
    """Everything that may name the device's maker: MAC vendor, UPnP, realms, titles."""
    hints = [target.vendor, brand_of(target.vendor) if target.vendor else "", target.name]
    for s in services:
        upnp = s.evidence.get("upnp", {})
        hints += [
            s.vendor,
            str(s.evidence.get("maker", "")),
            str(s.evidence.get("login_page", "")),
            str(s.evidence.get("realm", "")),
            str(upnp.get("manufacturer", "")),
            str(upnp.get("modelName", "")),
            s.title,
        ]
    return [h for h in hints if h]


def table_accounts(services: list[Service]) -> list[tuple[str, str, str]]:
    """Default accounts of the login-page fingerprints the device matched."""
    makers = {str(s.evidence.get(k, "")) for s in services for k in ("login_page", "maker")}
    return [(p.maker, u, pw) for p in LOGIN_PAGES if p.maker in makers for u, pw in p.accounts]


def _plan(
    services: list[Service],
    options: ScanOptions,
    hints: list[str],
    table: list[tuple[str, str, str]],
) -> list[tuple[Service, str, str, Attempt]]:
    """(service, credential kind, method, attempt) for each service that takes a login."""
    t = options.connect_timeout_s
    plan: list[tuple[Service, str, str, Attempt]] = []
    for s in services:
        login = s.evidence.get("login")
        if s.name in ("http", "https") and login in ("basic", "digest"):
            plan.append((s, "http", f"HTTP {login.capitalize()}", auth_attempt(s, t)))
        elif s.name in ("http", "https") and login == "form":
            plan.append((s, "http", "web login form", form_attempt(s, t)))
        elif s.name == "telnet":
            plan.append((s, "telnet", "Telnet login", telnet_attempt(s, t)))
        elif s.name == "ssh":
            plan.append((s, "ssh", "SSH password", ssh_attempt(s, t)))
        elif s.name == "ftp":
            plan.append((s, "ftp", "FTP login", ftp_attempt(s, t)))
        elif s.name == "rtsp" and "rtsp_auth" in s.evidence:
            plan.append((s, "rtsp", "RTSP DESCRIBE", rtsp_attempt(s, t)))
        elif s.name == "mqtt" and s.evidence.get("mqtt_connack") in (4, 5):
            plan.append((s, "mqtt", "MQTT CONNECT", mqtt_attempt(s, t)))
    return plan


async def check_device(
    target: Target,
    services: list[Service],
    options: ScanOptions,
    attempts: Attempts,
    on_attempt: Callable[[], None] | None = None,
) -> tuple[list[dict[str, Any]], list[Service]]:
    """Findings for accepted credentials, and the SNMP service when an agent answered."""
    data = credential_data() if not options.credentials else cr.CredentialData([])
    hints = vendor_hints(target, services)
    table = table_accounts(services)
    findings: list[dict[str, Any]] = []
    extra: list[Service] = []

    async def run(service: Service, kind: str, method: str, attempt: Attempt) -> None:
        creds = cr.candidates(data, kind, hints, table=table, custom=options.credentials)
        if kind == "ftp" and not options.credentials:
            creds = [ANONYMOUS, *[c for c in creds if c.username != "anonymous"]]

        async def counted(cred: cr.Credential) -> bool:
            if on_attempt is not None:
                on_attempt()
            return await attempt(cred)

        found = await attempts.first_accepted(creds, counted)
        if found is None:
            return
        if found is ANONYMOUS:
            findings.append(anonymous_ftp_finding(service))
        else:
            findings.append(password_finding(service, found, method))

    async def snmp() -> None:
        answer: dict[str, str] = {}
        service = Service(address=target.address, port=161, transport="udp", name="snmp")
        try:
            found = await attempts.first_accepted(
                cr.snmp_communities(data, hints),
                snmp_attempt(target.address, options.connect_timeout_s, answer),
            )
        except NoAgent:
            return
        if found is not None:
            service.banner = answer.get("sysDescr", "")
            extra.append(service)
            findings.append(password_finding(service, found, "SNMP v2c community"))

    jobs = [run(*step) for step in _plan(services, options, hints, table)]
    if options.snmp and not options.credentials:
        jobs.append(snmp())
    try:
        async with asyncio.TaskGroup() as group:  # one service failing ends the others
            for job in jobs:
                group.create_task(job)
    except BaseExceptionGroup as errors:
        raise _first(errors) from None
    return findings, extra


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error in a (nested) exception group, DeviceGone preferred."""
    leaves: list[BaseException] = []

    def walk(g: BaseExceptionGroup[BaseException]) -> None:
        for exc in g.exceptions:
            walk(exc) if isinstance(exc, BaseExceptionGroup) else leaves.append(exc)

    walk(group)
    return next((e for e in leaves if isinstance(e, DeviceGone)), leaves[0])
