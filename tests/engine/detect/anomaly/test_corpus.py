"""False-positive review: the anomaly detector on the real nDPI captures (../shared/corpus).

Each capture runs through the real flow meter (nfstream) and discovery parser, into the whole
engine, with a learning period of half the capture (from the first flow to the median flow
start): what the first half shows is normal, the second half is judged. These are benign
captures of phones, IoT devices and servers, so whatever fires must be explained here; the
list is exact, so a new false positive fails the test.
"""

from __future__ import annotations

from typing import Any

import pytest

from lanward.daemons import capture
from lanward.engine.detect.anomaly import find
from lanward.engine.pipeline import Engine, EngineConfig
from tests.ndpi_corpus import PCAPS, capture_params, require_corpus

# capture -> the checks that fire, and why that is right.
EXPECTED = {
    # One HTTP connection each: the learning period is empty (half of no time), and the host
    # answering on port 80 is a web server lanward never saw serve: a new listening service.
    "sql_injection.pcap": ["listening"],
    "xss.pcap": ["listening"],
    # One telnet session to 192.168.0.1: the same, a new service (and telnet at that).
    "telnet.pcap": ["listening"],
}
IOT = ["tuya_lp.pcap", "tplink_shp.pcap", "xiaomi.pcap"]


def run(name: str, appliance: bool = False) -> list[dict[str, Any]]:
    path = str(PCAPS / name)
    flows = list(capture.flows(path))
    starts = sorted(f.first_seen_ms for f in flows)
    half = (starts[len(starts) // 2] - starts[0]) / 86_400_000 if starts else 0.0
    engine = Engine(EngineConfig(anomaly_learning_days=half))
    detector = find(engine.addons)
    assert detector is not None
    for event in capture.discovery_events(path):
        engine.discovery(event)
    if appliance:  # as if the household had said every device here is a smart plug
        for flow in flows:
            for mac in (flow.src_mac, flow.dst_mac):
                detector.type_overrides[mac] = "smart plug/IoT hub"
    for flow in flows:
        engine.flow(flow)
    assert engine.notices == [] or all(n.kind != "addon_error" for n in engine.notices)
    return [a for a in engine.alerts if a["kind"] == "anomaly"]


@pytest.mark.parametrize("name", capture_params())
def test_what_fires_on_real_captures_is_justified(name: str) -> None:
    require_corpus()
    alerts = run(name)
    assert sorted(a["evidence"]["check"] for a in alerts) == EXPECTED.get(name, []), [
        a["summary"] for a in alerts
    ]
    for alert in alerts:
        assert alert["evidence"]["baseline"] is not None and alert["evidence"]["learn"]


@pytest.mark.parametrize("name", IOT)
def test_iot_captures_are_quiet_at_appliance_sensitivity(name: str) -> None:
    """Real IoT devices (a Tuya plug, a TP-Link plug, Xiaomi gear) behaving normally stay quiet
    even judged as appliances, the tightest profile."""
    require_corpus()
    assert run(name, appliance=True) == []
