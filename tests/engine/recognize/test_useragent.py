"""lanward.engine.recognize.useragent: HTTP User-Agents, parsed with Device Detector."""

from __future__ import annotations

import pytest

from lanward.engine.recognize.useragent import evidence

LG = (
    "Mozilla/5.0 (Linux; Android 5.1.1; LGLS751 Build/LMY47V; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/56.0.2924.87 Mobile Safari/537.36"
)


def facts(ua: str) -> dict[str, str]:
    return {e.field: e.value for e in evidence(ua) if e.field != "user_agent"}


def test_lg_phone() -> None:
    found = facts(LG)
    assert found["type"] == "phone"
    assert found["brand"] == "LG"
    assert (found["os"], found["os_version"]) == ("Android", "5.1.1")
    assert "Volt" in found["model"]


@pytest.mark.parametrize(
    ("ua", "kind", "os_name"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; rv:68.0) Gecko/20100101 Firefox/68.0",
            "computer",
            "Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "phone",
            "iOS",
        ),
        (
            "Dalvik/2.1.0 (Linux; U; Android 10; Redmi Note 9 Pro MIUI/V12.0.3.0.QJZMIXM)",
            "phone",
            "Android",
        ),
    ],
)
def test_common_agents(ua: str, kind: str, os_name: str) -> None:
    found = facts(ua)
    assert (found.get("type"), found.get("os")) == (kind, os_name)


def test_the_agent_itself_is_evidence() -> None:
    [first, *_] = evidence("  CaptiveNetworkSupport-390.60.1 wispr ")
    assert (first.source, first.field, first.value) == (
        "http",
        "user_agent",
        "CaptiveNetworkSupport-390.60.1 wispr",
    )


@pytest.mark.parametrize("ua", ["", "   ", "\x00\xff", "a" * 5000, "Mozilla/5.0 ((((("])
def test_odd_agents_do_not_raise(ua: str) -> None:
    found = evidence(ua)
    assert all(len(e.value) <= 300 for e in found)
