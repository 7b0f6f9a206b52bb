"""Clear-text sign-ins: credential events in, alerts out; the password is never in them."""

from __future__ import annotations

import json

from lanward.engine.detect.cleartext import CleartextCredentials
from lanward.engine.events import CredentialSeen, FlowKey
from lanward.engine.pipeline import Engine, EngineConfig

from .flows import HOME_MAC, OTHER_MAC

T0 = 1_700_000_000_000


def seen(dst: str = "192.168.1.2", protocol: str = "telnet", user: str = "root", at: int = T0):
    key = FlowKey("192.168.1.10", 50000, dst, 23, 6, HOME_MAC, OTHER_MAC, 1)
    return CredentialSeen(key, at, protocol, user, "login prompt", True)


def detector() -> CleartextCredentials:
    d = CleartextCredentials()
    d.configure(EngineConfig())
    return d


def test_inside_the_home_is_medium() -> None:
    [a] = detector().app_event(seen())
    assert (a["kind"], a["severity"], a["mac"], a["app"]) == (
        "cleartext_credentials",
        "medium",
        HOME_MAC,
        "telnet",
    )
    assert a["evidence"]["username"] == "root"
    assert "SSH" in a["summary"] and "'root'" in a["summary"]


def test_across_the_internet_is_high() -> None:
    [a] = detector().app_event(seen(dst="203.0.113.5", protocol="http-basic"))
    assert a["severity"] == "high"
    assert "HTTP Basic" in a["summary"] and "https://" in a["summary"]


def test_repeats_are_folded_per_hour() -> None:
    d = detector()
    assert len(d.app_event(seen())) == 1
    assert d.app_event(seen(at=T0 + 60_000)) == []
    assert len(d.app_event(seen(user="admin", at=T0 + 60_000))) == 1
    assert len(d.app_event(seen(at=T0 + 3_700_000))) == 1


def test_other_events_are_ignored() -> None:
    assert detector().app_event(object()) == []


def test_engine_alert_is_json_and_holds_no_secret() -> None:
    engine = Engine(EngineConfig())
    engine.app_event(seen(protocol="ftp", user="anna"))
    text = json.dumps(engine.result()["alerts"])
    assert '"cleartext_credentials"' in text and "anna" in text
    assert engine.result()["alerts"][0]["evidence"]["password"] == "not kept"
