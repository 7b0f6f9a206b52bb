"""Dangerous files: a download over clear-text HTTP, a mail attachment sent or fetched in clear
text (SMTP, POP3, IMAP), or a file copied to or from an SMB share (a NAS, a Windows share),
whose hash is on a malware hash list.

The application-layer parsers hash every HTTP body, every mail attachment and every file
copied over unencrypted SMB as it streams past (engine/applayer); this detector looks the MD5,
SHA-1 and SHA-256 up in the hashes of the loaded indicator feeds (`EngineConfig.indicators`:
MalwareBazaar CSV exports, STIX file-hash indicators or plain lists of hashes) and recognises the EICAR anti-virus test file. A listed file is
`critical` (malware reached a home device); EICAR is `high` (harmless by design, but it is how
people check that protection works, so it must be reported like the real thing). A mail alert
names the sender and recipients; never the subject or the text. An SMB alert names the share
and the device that copied the file (or, when the client is outside, the home server).
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.detect.feeds import Indicator, Indicators
from lanward.engine.events import (
    FileInfo,
    FlowKey,
    HttpTransaction,
    MailTransaction,
    SmbTransaction,
)

# The 68-byte EICAR test file (https://www.eicar.org/download-anti-malware-testfile/).
EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"
MAX_RECIPIENTS_SHOWN = 3


class DangerousFiles:
    def __init__(self) -> None:
        self.home = HomeNets()
        self.indicators = Indicators()

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))
        self.feeds(config)

    def feeds(self, config: Any) -> None:
        indicators = getattr(config, "indicators", None)
        self.indicators = indicators if indicators is not None else Indicators()

    def app_event(self, event: object) -> list[dict[str, Any]]:
        if isinstance(event, MailTransaction):
            return [a for file in event.files for a in self._mail(event, file)]
        if isinstance(event, SmbTransaction):
            return [a for file in event.files for a in self._smb(event, file)]
        if not isinstance(event, HttpTransaction) or event.file is None:
            return []
        file = event.file
        f = event.flow
        found = self._listed(file)
        if found is None:
            return []
        downloader_home = f.src_ip in self.home if file.direction == "to_client" else False
        mac = f.src_mac if downloader_home or f.dst_ip not in self.home else f.dst_mac
        device = f.src_ip if file.direction == "to_client" else f.dst_ip
        url = f"http://{event.host or f.dst_ip}{event.uri}"
        name = file.name or "a file"
        evidence = _evidence(file)
        evidence["url"] = url
        summary = _summary(
            found,
            f"{device} downloaded",
            name,
            f"from {url}",
            "delete it, and scan the device if it was opened",
            "who sent it",
        )
        return [_alert(found, evidence, event.ts_ms, f, mac, summary, "HTTP")]

    def _mail(self, event: MailTransaction, file: FileInfo) -> list[dict[str, Any]]:
        found = self._listed(file)
        if found is None:
            return []
        f = event.flow
        # The home device: the client (it sent the mail, or fetched it), else a home mail server.
        on_client = f.src_ip in self.home or f.dst_ip not in self.home
        device, mac = (f.src_ip, f.src_mac) if on_client else (f.dst_ip, f.dst_mac)
        verb = "sent" if (file.direction == "to_server") == on_client else "received"
        protocol = event.protocol.upper()
        shown = ", ".join(event.rcpt_to[:MAX_RECIPIENTS_SHOWN])
        if len(event.rcpt_to) > MAX_RECIPIENTS_SHOWN:
            shown += f" and {len(event.rcpt_to) - MAX_RECIPIENTS_SHOWN} more"
        via = (
            f"by mail ({protocol}, from {event.mail_from or 'an unknown sender'}"
            f" to {shown or 'unknown recipients'})"
        )
        name = file.name or "an attachment"
        evidence = _evidence(file)
        evidence.update(
            {
                "protocol": event.protocol,
                "mail_from": event.mail_from,
                "rcpt_to": list(event.rcpt_to),
            }
        )
        summary = _summary(
            found,
            f"{device} {verb}",
            name,
            via,
            "delete the mail, and scan the device if it was opened",
            "who sent it",
        )
        return [_alert(found, evidence, event.ts_ms, f, mac, summary, protocol)]

    def _smb(self, event: SmbTransaction, file: FileInfo) -> list[dict[str, Any]]:
        found = self._listed(file)
        if found is None:
            return []
        f = event.flow
        # The home device: the client that copied the file, else the home server it reached.
        on_client = f.src_ip in self.home or f.dst_ip not in self.home
        mac = f.src_mac if on_client else f.dst_mac
        share = f"the share {event.share}" if event.share else f"a share on {f.dst_ip}"
        where = f"{'to' if file.direction == 'to_server' else 'from'} {share}"
        if not on_client:
            where += f" (the home device {f.dst_ip})"
        copied = f"{f.src_ip} copied"
        name = file.name or "a file"
        evidence = _evidence(file)
        evidence.update({"protocol": event.protocol, "share": event.share})
        summary = _summary(
            found,
            copied,
            name,
            where,
            "delete it from the share, and scan the devices that opened it",
            "where it came from",
        )
        return [_alert(found, evidence, event.ts_ms, f, mac, summary, "SMB")]

    def _listed(self, file: FileInfo) -> tuple[str, Indicator | None] | None:
        """(the hash that matched, its indicator) for a listed file, ("sha256", None) for the
        EICAR test file, None for any other."""
        hashes = {"sha256": file.sha256, "sha1": file.sha1, "md5": file.md5}
        for algo, value in hashes.items():
            if value and value in self.indicators.hashes:
                return algo, self.indicators.hashes[value]
        if file.sha256 == EICAR_SHA256 or file.md5 == EICAR_MD5:
            return "sha256", None
        return None


def _evidence(file: FileInfo) -> dict[str, Any]:
    return {
        "name": file.name,
        "size": file.size,
        "md5": file.md5,
        "sha1": file.sha1,
        "sha256": file.sha256,
        "content_type": file.content_type,
        "magic": file.magic,
        "complete": file.complete,
        "direction": file.direction,
    }


def _summary(
    found: tuple[str, Indicator | None], who_did: str, name: str, where: str, remedy: str, ask: str
) -> str:
    """The alert's sentence: a listed file (its hash, list and line, what to do) or the EICAR
    test file (harmless, but find out `ask`)."""
    algo, ind = found
    if ind is not None:
        return (
            f"{who_did} {name} {where}; its {algo.upper()} is on the malware hash list "
            f"{ind.feed!r} (line {ind.line}){_family(ind)}. Do not open it: {remedy}."
        )
    return (
        f"{who_did} the EICAR anti-virus test file ({name}) {where}. It is harmless by design "
        f"and used to check that protection works; if nobody was testing, find out {ask}."
    )


def _family(ind: Indicator) -> str:
    return f" ({ind.note})" if ind.note else ""


def _alert(
    found: tuple[str, Indicator | None],
    evidence: dict[str, Any],
    ts_ms: int,
    f: FlowKey,
    mac: str,
    summary: str,
    app: str,
) -> dict[str, Any]:
    algo, ind = found
    if ind is not None:
        evidence.update({"matched_hash": algo, "list": ind.feed, "entry": ind.source or ind.value})
        evidence["indicator"] = ind.as_dict()
        severity = "critical"
    else:
        evidence.update({"list": "EICAR test file", "entry": EICAR_SHA256})
        severity = "high"
    return alert("dangerous_file", severity, ts_ms, f.src_ip, f.dst_ip, mac, summary, app, evidence)
