"""The station takes the console's threat feeds without a restart."""

from __future__ import annotations

from pathlib import Path

from lanward.daemons.station import Station
from lanward.engine.detect.feeds import parse_feed
from lanward.engine.events import FlowKey, HttpTransaction
from lanward.engine.pipeline import EngineConfig
from lanward.threats.models import ThreatFeed

RULE = (
    'alert http any any -> any any (msg:"EvilBot agent"; http.user_agent; content:"EvilBot"; '
    "sid:1000001; rev:1;)\n"
)


def request(agent: str) -> HttpTransaction:
    key = FlowKey("192.168.1.10", 50000, "198.51.100.7", 80, 6, "02:00:00:00:00:10", "", 1)
    return HttpTransaction(key, 1_700_000_000_000, "GET", "/", "HTTP/1.1", "x.test", agent)


def test_feeds_added_in_the_console_reach_the_engine(db, settings, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    from_file = parse_feed("203.0.113.9\n", "file-c2.txt")
    station = Station("lo", EngineConfig(indicators=from_file))
    station.refresh_feeds()
    engine = station.engine
    assert engine.config.indicators is not None
    assert engine.config.indicators.match_ip("203.0.113.9") is not None  # the file feed stays
    engine.app_event(request("EvilBot/1.0"))
    assert engine.alerts == []  # no such rule yet

    rules = tmp_path / "mine.rules"
    rules.write_text(RULE)
    ThreatFeed.objects.create(name="mine", source=str(rules), kind=ThreatFeed.Kind.RULES)
    c2 = tmp_path / "c2.txt"
    c2.write_text("198.51.100.7\n")
    ThreatFeed.objects.create(name="c2", source=str(c2))
    station.refresh_feeds()
    assert engine.config.indicators.match_ip("198.51.100.7") is not None
    assert engine.config.indicators.match_ip("203.0.113.9") is not None
    engine.app_event(request("EvilBot/1.0"))
    assert [a["evidence"]["sid"] for a in engine.alerts if a["detector"] == "signature"] == [
        1000001
    ]

    # Unchanged feeds are not read again; switching one off takes it out.
    loaded_at = station.feeds_loaded_at
    station.refresh_feeds()
    assert station.feeds_loaded_at == loaded_at
    ThreatFeed.objects.filter(name="c2").update(enabled=False)
    station.refresh_feeds()
    assert engine.config.indicators.match_ip("198.51.100.7") is None
