"""Clear-text sign-ins: a user name and password sent where anyone on the path can read them.

The application-layer parser (engine/applayer) reports each sign-in it sees in HTTP Basic
authentication or a login form over plain HTTP, Telnet, FTP, POP3, IMAP or SMTP, without the
secret. A sign-in that crosses the internet is `high` (anyone on the way can read it); one
inside the home is `medium` (a device or a camera that still takes passwords in clear text). One
alert per (client, server, protocol, user) per `repeat_s`.
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.events import CredentialSeen

_NAMES = {
    "http-basic": "HTTP Basic authentication",
    "http-digest": "HTTP Digest authentication",
    "http-form": "a web login form over plain HTTP",
    "telnet": "Telnet",
    "ftp": "FTP",
    "pop3": "POP3",
    "imap": "IMAP",
    "smtp": "SMTP",
}
_FIX = {
    "telnet": "Use SSH instead of Telnet, and switch Telnet off on the device.",
    "ftp": "Use SFTP or FTPS instead of FTP.",
    "pop3": "Turn on SSL/TLS for the mail account (POP3S on port 995).",
    "imap": "Turn on SSL/TLS for the mail account (IMAPS on port 993).",
    "smtp": "Turn on SSL/TLS for sending mail (port 465 or STARTTLS on 587).",
}


class CleartextCredentials:
    def __init__(self, repeat_s: int = 3600) -> None:
        self.home = HomeNets()
        self.repeat_ms = repeat_s * 1000
        self.last: dict[tuple[str, str, str, str], int] = {}

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))

    def app_event(self, event: object) -> list[dict[str, Any]]:
        if not isinstance(event, CredentialSeen):
            return []
        f = event.flow
        key = (f.src_ip, f.dst_ip, event.protocol, event.username)
        last = self.last.get(key)
        if last is not None and event.ts_ms - last < self.repeat_ms:
            return []
        self.last[key] = event.ts_ms
        if len(self.last) > 8192:
            self.last.pop(next(iter(self.last)))
        src_home, dst_home = f.src_ip in self.home, f.dst_ip in self.home
        internet = src_home != dst_home
        mac = f.src_mac if src_home or not dst_home else f.dst_mac
        how = _NAMES.get(event.protocol, event.protocol)
        user = f"the user name {event.username!r}" if event.username else "a password"
        where = "across the internet" if internet else "inside the home"
        fix = _FIX.get(
            event.protocol,
            "Use the https:// address of the device or site, and change the password.",
        )
        outcome = (
            ""
            if event.success is None
            else " The sign-in worked."
            if event.success
            else " The sign-in was refused."
        )
        summary = (
            f"{f.src_ip} signed in to {f.dst_ip} with {user} over {how}, unencrypted, {where}: "
            f"anyone who can see this traffic can read the password.{outcome} {fix}"
        )
        return [
            alert(
                "cleartext_credentials",
                "high" if internet else "medium",
                event.ts_ms,
                f.src_ip,
                f.dst_ip,
                mac,
                summary,
                app=event.protocol,
                evidence={
                    "protocol": event.protocol,
                    "username": event.username,
                    "seen_in": event.detail,
                    "success": event.success,
                    "src_port": f.src_port,
                    "dst_port": f.dst_port,
                    "password": "not kept",
                },
            )
        ]
