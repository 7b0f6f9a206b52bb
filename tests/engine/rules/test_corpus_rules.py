"""lanward's own rules on real captures: the nDPI corpus's attacks alert, ordinary traffic not."""

from __future__ import annotations

import pytest

from tests.ndpi_corpus import BENIGN, PCAPS, analyze, require_corpus

ATTACKS = {
    "sql_injection.pcap": {9000001},  # ?id=a'+UNION+SELECT+"text1","text2";--
    "xss.pcap": {9000010},  # ?default=English<script>alert(1)</script>
}


def signature_alerts(name: str) -> list[dict]:
    require_corpus()
    if not (PCAPS / name).is_file():
        pytest.skip(f"{name} is not in the corpus")
    run = analyze(name)
    assert run.returncode == 0, run.stderr
    return [a for a in run.result["alerts"] if a["detector"] == "signature"]


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_alert_as_web_attacks(name: str) -> None:
    alerts = signature_alerts(name)
    assert {a["evidence"]["sid"] for a in alerts} >= ATTACKS[name], alerts
    for a in alerts:
        assert a["kind"] == "web_attack" and a["severity"] == "high"
        assert a["app"] == "HTTP" and a["evidence"]["source"] == "lanward.rules"
        assert a["src"] == "192.168.3.109" and a["dst"] == "192.168.3.107"
        assert a["mac"], "the home side's MAC"


@pytest.mark.parametrize("name", BENIGN)
def test_ordinary_traffic_does_not_alert(name: str) -> None:
    assert signature_alerts(name) == []
