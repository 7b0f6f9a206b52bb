"""Findings say what was found and how to fix it, and never carry a password."""

from __future__ import annotations

import json

from lanward.engine.seccheck.credentials import Credential
from lanward.engine.seccheck.findings import configuration_findings, password_finding
from lanward.engine.seccheck.model import Service


def test_password_finding() -> None:
    svc = Service("192.168.1.5", 23, name="telnet")
    f = password_finding(svc, Credential("mirai", "", "root", "xc3511"), "Telnet login")
    assert (f["kind"], f["severity"], f["check"]) == (
        "default_password",
        "critical",
        "telnet-password",
    )
    assert f["credential"] == {"list": "mirai", "vendor": "", "username": "root"}
    assert "xc3511" not in json.dumps(f)
    assert "Mirai" in f["summary"] and "new" in f["fix"]
    weak = password_finding(
        Service("192.168.1.5", 80, name="http"),
        Credential("weak", "", "admin", "qwerty"),
        "HTTP Basic",
    )
    assert (weak["kind"], weak["severity"]) == ("weak_password", "high")


def test_configuration_findings() -> None:
    telnet = configuration_findings(Service("192.168.1.5", 23, name="telnet"))
    assert [f["check"] for f in telnet] == ["telnet-open"]
    web = Service("192.168.1.5", 80, name="http", evidence={"login": "form"})
    assert [f["check"] for f in configuration_findings(web)] == ["http-plain-login"]
    tls = Service(
        "192.168.1.5",
        443,
        name="https",
        tls={"old_versions_accepted": ["TLS 1.0"]},
        evidence={"login": "basic"},
    )
    assert [f["check"] for f in configuration_findings(tls)] == ["tls-outdated"]
    smb = Service("192.168.1.5", 445, name="smb", evidence={"smb1": True})
    assert [(f["check"], f["severity"]) for f in configuration_findings(smb)] == [
        ("smb1-enabled", "high")
    ]
    assert (
        configuration_findings(Service("192.168.1.5", 445, name="smb", evidence={"smb1": False}))
        == []
    )
    rtsp = Service("192.168.1.5", 554, name="rtsp", evidence={"rtsp_open": True})
    assert [f["check"] for f in configuration_findings(rtsp)] == ["rtsp-no-auth"]
