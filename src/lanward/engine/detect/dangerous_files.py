"""Dangerous files: a download over clear-text HTTP whose hash is on a malware hash list.

The application-layer parser hashes every HTTP body as it streams past (engine/applayer); this
detector looks the MD5, SHA-1 and SHA-256 up in the hashes of the loaded indicator feeds
(`EngineConfig.indicators`: MalwareBazaar CSV exports, STIX file-hash indicators or plain lists of
hashes) and recognises the EICAR anti-virus test file. A listed file is `critical` (malware reached
a home device); EICAR is `high` (harmless by design, but it is how people check that protection
works, so it must be reported like the real thing).
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.detect.feeds import Indicators
from lanward.engine.events import HttpTransaction

# The 68-byte EICAR test file (https://www.eicar.org/download-anti-malware-testfile/).
EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"


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
        if not isinstance(event, HttpTransaction) or event.file is None:
            return []
        file = event.file
        f = event.flow
        hashes = {"sha256": file.sha256, "sha1": file.sha1, "md5": file.md5}
        hit = next(
            (
                (algo, self.indicators.hashes[value])
                for algo, value in hashes.items()
                if value and value in self.indicators.hashes
            ),
            None,
        )
        eicar = file.sha256 == EICAR_SHA256 or file.md5 == EICAR_MD5
        if hit is None and not eicar:
            return []
        downloader_home = f.src_ip in self.home if file.direction == "to_client" else False
        mac = f.src_mac if downloader_home or f.dst_ip not in self.home else f.dst_mac
        device = f.src_ip if file.direction == "to_client" else f.dst_ip
        url = f"http://{event.host or f.dst_ip}{event.uri}"
        name = file.name or "a file"
        evidence: dict[str, Any] = {
            "name": file.name,
            "size": file.size,
            "md5": file.md5,
            "sha1": file.sha1,
            "sha256": file.sha256,
            "url": url,
            "content_type": file.content_type,
            "magic": file.magic,
            "complete": file.complete,
            "direction": file.direction,
        }
        if hit is not None:
            algo, ind = hit
            evidence.update(
                {"matched_hash": algo, "list": ind.feed, "entry": ind.source or ind.value}
            )
            evidence["indicator"] = ind.as_dict()
            family = f" ({ind.note})" if ind.note else ""
            summary = (
                f"{device} downloaded {name} from {url}; its {algo.upper()} is on the malware "
                f"hash list {ind.feed!r} (line {ind.line}){family}. Do not open it: delete it, "
                "and scan the device if it was opened."
            )
            severity = "critical"
        else:
            evidence.update({"list": "EICAR test file", "entry": EICAR_SHA256})
            summary = (
                f"{device} downloaded the EICAR anti-virus test file ({name}) from {url}. It is "
                "harmless by design and used to check that protection works; if nobody was "
                "testing, find out who sent it."
            )
            severity = "high"
        return [
            alert(
                "dangerous_file",
                severity,
                event.ts_ms,
                f.src_ip,
                f.dst_ip,
                mac,
                summary,
                app="HTTP",
                evidence=evidence,
            )
        ]
