"""Dangerous files: HTTP transactions with file hashes in, alerts out."""

from __future__ import annotations

import hashlib

from lanward.engine.detect.dangerous_files import EICAR_MD5, EICAR_SHA256, DangerousFiles
from lanward.engine.detect.feeds import parse_feed
from lanward.engine.events import FileInfo, FlowKey, HttpTransaction
from lanward.engine.pipeline import Engine, EngineConfig

from .flows import HOME_MAC

T0 = 1_700_000_000_000
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PAYLOAD = b"MZ\x90\x00 pretend this is a trojan" * 10
# The header and one row in MalwareBazaar's CSV export shape.
BAZAAR = (
    '# MalwareBazaar\n# "first_seen_utc","sha256_hash","md5_hash","sha1_hash","reporter",'
    '"file_name","file_type_guess","mime_type","signature","clamav","vtpercent","imphash",'
    '"ssdeep","tlsh"\n'
    f'"2024-04-01 10:00:00","{hashlib.sha256(PAYLOAD).hexdigest()}",'
    f'"{hashlib.md5(PAYLOAD).hexdigest()}","{hashlib.sha1(PAYLOAD).hexdigest()}","anon",'
    '"invoice.exe","exe","application/x-dosexec","AgentTesla","n/a","n/a","n/a","n/a","n/a"\n'
)


def download(body: bytes, name: str = "invoice.exe") -> HttpTransaction:
    key = FlowKey("192.168.1.10", 50000, "198.51.100.7", 80, 6, HOME_MAC, "00:00:5e:00:01:01", 3)
    file = FileInfo(
        name,
        len(body),
        hashlib.md5(body).hexdigest(),
        hashlib.sha1(body).hexdigest(),
        hashlib.sha256(body).hexdigest(),
    )
    return HttpTransaction(
        key, T0, "GET", f"/files/{name}", "HTTP/1.1", "dl.example", status=200, file=file
    )


def configured(feed: str = "") -> DangerousFiles:
    d = DangerousFiles()
    d.configure(EngineConfig(indicators=parse_feed(feed, "malwarebazaar.csv") if feed else None))
    return d


def test_eicar_constants_are_the_test_file() -> None:
    assert hashlib.sha256(EICAR).hexdigest() == EICAR_SHA256
    assert hashlib.md5(EICAR).hexdigest() == EICAR_MD5


def test_eicar_download_is_high() -> None:
    [a] = configured().app_event(download(EICAR, "eicar.com"))
    assert (a["kind"], a["severity"], a["mac"]) == ("dangerous_file", "high", HOME_MAC)
    assert a["evidence"]["url"] == "http://dl.example/files/eicar.com"
    assert "EICAR" in a["summary"]


def test_listed_hash_is_critical_and_names_the_list() -> None:
    [a] = configured(BAZAAR).app_event(download(PAYLOAD))
    assert a["severity"] == "critical"
    assert a["evidence"]["list"] == "malwarebazaar.csv"
    assert a["evidence"]["matched_hash"] == "sha256"
    assert "invoice.exe" in a["summary"]


def test_unlisted_file_is_quiet() -> None:
    assert configured(BAZAAR).app_event(download(b"just a holiday photo")) == []


def test_request_without_a_file_is_quiet() -> None:
    key = FlowKey("192.168.1.10", 1, "198.51.100.7", 80, 6)
    assert configured().app_event(HttpTransaction(key, T0, "GET", "/")) == []


def test_engine_runs_it() -> None:
    engine = Engine(EngineConfig(indicators=parse_feed(BAZAAR, "bazaar.csv")))
    engine.app_event(download(PAYLOAD))
    assert [a["detector"] for a in engine.alerts] == ["dangerous_file"]
