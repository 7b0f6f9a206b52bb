"""threshold and detection_filter, counted on the events' own times."""

from __future__ import annotations

import dataclasses

import pytest

from lanward.engine.rules import FlowStates
from lanward.engine.rules.threshold import parse_threshold
from tests.engine.rules.util import flow, http, ruleset, sids, uri_rule

START = 1_700_000_000_000


def hits(option: str, seconds: list[float], sources: list[str] | None = None) -> list[int]:
    """Which of the requests (by index) alert, the nth at START + seconds[n]."""
    text = uri_rule(f'http.uri; content:"/x"; {option}')
    events = []
    for n, offset in enumerate(seconds):
        key = flow(src=sources[n]) if sources else flow()
        events.append(dataclasses.replace(http("/x", key=key), ts_ms=START + int(offset * 1000)))
    rules = ruleset(text)
    states = FlowStates()
    return [n for n, event in enumerate(events) if rules.match(event, states)]


def test_limit() -> None:
    option = "threshold: type limit, track by_src, count 2, seconds 60;"
    assert hits(option, [0, 1, 2, 59, 60.9, 61, 62, 63]) == [0, 1, 5, 6]


def test_threshold_every_nth() -> None:
    option = "threshold:type threshold,track by_rule,count 3,seconds 60;"
    assert hits(option, [0, 1, 2, 3, 4, 5, 6]) == [2, 5]


def test_both_once_per_window_at_the_nth() -> None:
    option = "threshold: type both, track by_dst, count 2, seconds 10;"
    assert hits(option, [0, 1, 2, 3, 20, 21, 22]) == [1, 5]


def test_detection_filter_after_the_first_n() -> None:
    option = "detection_filter: track by_src, count 2, seconds 60;"
    assert hits(option, [0, 1, 2, 3, 100]) == [2, 3]


def test_tracked_per_source() -> None:
    option = "threshold: type limit, track by_src, count 1, seconds 60;"
    sources = ["192.168.1.20", "192.168.1.21", "192.168.1.20", "192.168.1.21"]
    assert hits(option, [0, 1, 2, 3], sources) == [0, 1]


def test_a_limited_match_still_sets_its_flowbits() -> None:
    rules = (
        uri_rule(
            'http.uri; content:"/x"; flowbits:set,seen; threshold: type limit, track by_rule, count 1, seconds 600;',
            1,
        )
        + "\n"
        + uri_rule('http.uri; content:"/y"; flowbits:isset,seen; flowbits:unset,seen;', 2)
    )
    assert sids(rules, http("/x"), http("/y"), http("/x"), http("/y")) == [1, 2, 2]


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        ("threshold: type often, track by_src, count 1, seconds 60;", "type must be"),
        ("threshold: type limit, track by_port, count 1, seconds 60;", "track must be"),
        ("threshold: type limit, track by_src, count x, seconds 60;", "whole numbers"),
        ("threshold: type limit, track by_src, count 1;", "whole numbers"),
        ("threshold: type limit, track by_src, count 1, seconds 60, color red;", "unknown field"),
        ("detection_filter: type limit, track by_src, count 1, seconds 60;", "takes no type"),
    ],
)
def test_bad_threshold_is_malformed(option: str, reason: str) -> None:
    report = ruleset(uri_rule(f'http.uri; content:"/x"; {option}')).report.files[0]
    assert reason in report.malformed[0].message


def test_parse() -> None:
    t = parse_threshold("type limit, track by_src, count 1, seconds 3600")
    assert (t.type, t.track, t.count, t.seconds) == ("limit", "by_src", 1, 3600)
