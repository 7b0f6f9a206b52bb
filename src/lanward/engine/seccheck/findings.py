"""Findings in plain words: what was found, what it means, how to fix it.

A finding is a dict (the console and `lanward scan --json` show it as is): kind, severity,
address, port, service, check (a stable name of the check, for "fixed when a re-scan no longer
finds it"), summary, fix, evidence, and for passwords `credential` = list, vendor, username.
The password itself is never part of a finding.
"""

from __future__ import annotations

from typing import Any

from lanward.engine.seccheck.credentials import Credential
from lanward.engine.seccheck.model import Service

PROTOCOL_NAMES = {
    "http": "web console",
    "https": "web console",
    "ssh": "SSH",
    "telnet": "Telnet",
    "ftp": "FTP",
    "rtsp": "camera stream (RTSP)",
    "snmp": "SNMP",
    "mqtt": "MQTT broker",
}
# A shell (Telnet/SSH) gives the whole device away; the others give away what they serve.
PASSWORD_SEVERITY = {"telnet": "critical", "ssh": "critical", "snmp": "high"}


def finding(
    kind: str,
    severity: str,
    service: Service,
    check: str,
    summary: str,
    fix: str,
    evidence: dict[str, Any] | None = None,
    credential: dict[str, str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": kind,
        "severity": severity,
        "address": service.address,
        "port": service.port,
        "transport": service.transport,
        "service": service.name,
        "check": check,
        "summary": summary,
        "fix": fix,
        "evidence": evidence or {},
    }
    if credential is not None:
        out["credential"] = credential
    return out


def password_finding(service: Service, cred: Credential, method: str) -> dict[str, Any]:
    """A service accepted a credential from one of the lists; says which entry, not the password."""
    what = PROTOCOL_NAMES.get(service.name, service.name)
    who = f"the account '{cred.username}'" if cred.username else "a login with an empty user name"
    if service.name == "snmp":
        who = "a well-known community string"
    if cred.list in ("weak", "custom"):
        kind = "weak_password"
        summary = (
            f"The {what} on {service.address} port {service.port} accepts {who} with a "
            "password from a list of commonly used weak passwords. Anyone on your network, or "
            "malware on any device in it, can guess it in seconds."
        )
    else:
        kind = "default_password"
        source = {"mirai": "the Mirai botnet's list"}.get(cred.list, "published default logins")
        maker = f" for {cred.vendor}" if cred.vendor else ""
        summary = (
            f"The {what} on {service.address} port {service.port} still accepts {who} with the "
            f"factory password ({source}{maker}). Botnets and intruders try exactly these first."
        )
    if service.name == "snmp":
        fix = (
            "Change the SNMP community in the device's settings to a long random string, or "
            "turn SNMP off if you do not use it."
        )
    else:
        fix = (
            f"Log in to the device and set a new, long, unique password for {who}"
            " (a password manager can make one). If the device cannot change it, turn the "
            f"{what} off. Then run the security check again to confirm."
        )
    return finding(
        kind,
        PASSWORD_SEVERITY.get(service.name, "high"),
        service,
        f"{service.name}-password",
        summary,
        fix,
        evidence={"method": method},
        credential=cred.public(),
    )


def anonymous_ftp_finding(service: Service) -> dict[str, Any]:
    return finding(
        "default_password",
        "medium",
        service,
        "ftp-anonymous",
        f"The FTP server on {service.address} lets anyone log in as 'anonymous' without a "
        "password and see the files it shares.",
        "Turn off anonymous (guest) FTP access in the device's file-sharing settings, or turn "
        "FTP off and use a protocol with accounts and encryption (SFTP or SMB with passwords).",
        evidence={"method": "FTP anonymous login"},
        credential={"list": "defaultcreds", "vendor": "", "username": "anonymous"},
    )


def configuration_findings(service: Service) -> list[dict[str, Any]]:
    """Risky settings a service shows by itself, from the evidence the scanner collected."""
    out: list[dict[str, Any]] = []
    ev = service.evidence
    where = f"{service.address} port {service.port}"
    if service.name == "telnet":
        out.append(
            finding(
                "configuration",
                "medium",
                service,
                "telnet-open",
                f"Telnet is open on {where}. Telnet sends passwords unencrypted and is the "
                "first thing IoT botnets such as Mirai try.",
                "Turn Telnet off in the device's settings (use SSH if you need a shell); if it "
                "cannot be turned off, update the firmware or replace the device.",
            )
        )
    if ev.get("smb1"):
        out.append(
            finding(
                "configuration",
                "high",
                service,
                "smb1-enabled",
                f"The file sharing service on {where} still speaks SMB version 1, the "
                "protocol WannaCry and NotPetya spread through.",
                "Turn SMBv1 off (on a NAS: set the minimum SMB protocol to SMB2 or SMB3; on "
                "Windows: disable the 'SMB 1.0/CIFS File Sharing Support' feature).",
            )
        )
    if service.name == "http" and ev.get("login") in ("basic", "digest", "form"):
        out.append(
            finding(
                "configuration",
                "medium",
                service,
                "http-plain-login",
                f"The admin console on {where} asks for a password over plain HTTP, so the "
                "password crosses the network unencrypted.",
                "Turn on HTTPS for the device's web interface (and turn off plain HTTP or make "
                "it redirect to HTTPS); log in only over https://.",
                evidence={"login": ev.get("login"), "title": service.title},
            )
        )
    old = service.tls.get("old_versions_accepted") or []
    if old:
        out.append(
            finding(
                "configuration",
                "low",
                service,
                "tls-outdated",
                f"The encrypted service on {where} still accepts {' and '.join(old)}, "
                "outdated versions with known weaknesses.",
                "Update the device's firmware, and if its settings allow it, set the minimum "
                "TLS version to 1.2.",
                evidence={"accepted": old},
            )
        )
    if service.name == "rtsp" and ev.get("rtsp_open"):
        out.append(
            finding(
                "configuration",
                "high",
                service,
                "rtsp-no-auth",
                f"The camera stream on {where} plays without a password: anyone on your "
                "network can watch it.",
                "Turn on authentication for RTSP/streaming in the camera's settings and set a "
                "strong password.",
                evidence={"url": ev.get("rtsp_url", "")},
            )
        )
    if service.name == "mqtt" and ev.get("mqtt_anonymous"):
        out.append(
            finding(
                "configuration",
                "medium",
                service,
                "mqtt-anonymous",
                f"The MQTT broker on {where} accepts clients without any password, so any "
                "device on your network can read and send smart-home commands.",
                "Require a user name and password in the broker's settings (for Mosquitto: "
                "allow_anonymous false and a password_file).",
            )
        )
    if ev.get("upnp_wan"):
        out.append(
            finding(
                "configuration",
                "high",
                service,
                "upnp-wan",
                f"{service.address} answers UPnP on its internet-facing side.",
                "Turn off UPnP on the router's WAN interface (or UPnP altogether) and update "
                "its firmware.",
            )
        )
    return out
