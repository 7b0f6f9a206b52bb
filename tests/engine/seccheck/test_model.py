"""Targets outside the protected networks are refused, with a message that says what to do."""

from __future__ import annotations

import pytest

from lanward.engine.seccheck.model import ScanRefused, Target, check_targets

HOME = ("192.168.1.0/24", "10.0.0.0/8")


def test_home_targets_pass() -> None:
    check_targets([Target("192.168.1.20"), Target("10.1.2.3")], HOME)


@pytest.mark.parametrize(
    ("targets", "nets", "message"),
    [
        ([Target("8.8.8.8")], HOME, "8.8.8.8 is not on a network this station protects"),
        ([Target("192.168.1.2"), Target("192.168.2.2")], HOME, "192.168.2.2 is not on a network"),
        ([Target("printer.local")], HOME, "not an IP address"),
        ([Target("192.168.1.2")], (), "no protected networks are configured"),
        ([Target("192.168.1.2")], ("home",), "is not a network"),
    ],
)
def test_refusals(targets: list[Target], nets: tuple[str, ...], message: str) -> None:
    with pytest.raises(ScanRefused, match=message):
        check_targets(targets, nets)
    assert issubclass(ScanRefused, ValueError)
