from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanward.engine.detect.anomaly.baseline import Baseline, learn

domains = st.dictionaries(
    st.from_regex(r"[a-z]{3,10}\.(com|net|de)", fullmatch=True),
    st.tuples(st.integers(0, 2**40), st.integers(0, 2**40), st.integers(1, 1000)),
    max_size=20,
)


@given(domains, st.lists(st.integers(0, 10**9), max_size=30), st.integers(0, 2**41))
def test_export_load_round_trip(doms, hours, learned) -> None:
    base = Baseline("24:48:45:00:00:40", first_ms=1, last_ms=2, learned_ms=learned)
    for name, (first, last, count) in doms.items():
        base.domains[name] = [first, last, count]
    for up in hours:
        base.add_hour(up, up // 2, {"example.com": up})
    base.stamp("services", "tcp/554", 5)
    base.flag("beacon", "185.10.4.4", 7)
    data = json.loads(json.dumps(base.export()))  # what a JSON column gives back
    again = Baseline.load(data)
    assert again.export() == base.export()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"format": 99}, "unknown baseline format"),
        ({"format": 1}, "no device MAC"),
        ({"format": 1, "mac": "x"}, "damaged"),
        ({"format": 1, "mac": "x", "domains": {}, "apps": {"a": "many"}}, "numbers"),
        ({"format": 1, "mac": "x", "domains": {}, "hours_of_day": [1]}, "24 counts"),
        ({"format": 1, "mac": "x", "domains": {"a.com": [1, 2]}}, "first_ms, last_ms, count"),
    ],
)
def test_a_bad_baseline_says_what_is_wrong(data, message) -> None:
    with pytest.raises(ValueError, match=message):
        Baseline.load(data)


def test_learning_is_idempotent() -> None:
    base = Baseline("24:48:45:00:00:40")
    base.flag("domain", "example.org", 5)
    evidence = {
        "time_ms": 10,
        "learn": {
            "domains": ["example.org"],
            "periodic": {"185.10.4.4": 300_000},
            "services": ["tcp/23"],
            "countries": ["DE"],
            "categories": ["Mining"],
            "tolerance": {"upload_hour_bytes": 50_000_000},
            "upload_peaks": {"example.org": 50_000_000},
        },
    }
    said = learn(base, evidence)
    once = base.export()
    learn(base, evidence)
    twice = base.export()
    once["domains"]["example.org"][2] = twice["domains"]["example.org"][2]  # a use is counted
    assert once == twice
    assert "domain:example.org" not in base.flagged
    assert "domain example.org" in said and "regular calls to 185.10.4.4" in said


def test_nothing_to_learn_is_an_error() -> None:
    with pytest.raises(ValueError, match="nothing to learn"):
        learn(Baseline("m"), {"check": "scan"})
    with pytest.raises(ValueError, match="nothing to learn"):
        learn(Baseline("m"), {"learn": {"unknown": [1]}})
