"""The database rate limiter: a sliding window, so attempts cannot double up at a boundary."""

from __future__ import annotations

import pytest

from lanward.accounts.models import RateCounter
from lanward.lib import ratelimit

pytestmark = pytest.mark.django_db

WINDOW = 600
START = 1_000_000 * WINDOW  # the start of a window


def attempts(key: str, n: int, at: float, limit: int = 30) -> list[bool]:
    return [ratelimit.hit(key, limit, WINDOW, now=at) for _ in range(n)]


def test_the_limit_holds_within_a_window() -> None:
    assert attempts("k", 30, START + 10) == [True] * 30
    assert attempts("k", 2, START + 11) == [False, False]
    assert attempts("other", 1, START + 11) == [True]  # keys are counted apart


def test_a_burst_just_before_a_boundary_is_still_counted_just_after_it() -> None:
    assert attempts("k", 30, START + WINDOW - 0.5) == [True] * 30
    # A fixed window would allow 30 more here; the sliding window allows none.
    assert attempts("k", 1, START + WINDOW + 0.5) == [False]


def test_the_previous_window_counts_less_as_it_slides_away() -> None:
    assert attempts("k", 30, START + 1) == [True] * 30
    # Half-way through the next window about half of those still count.
    allowed = attempts("k", 30, START + WINDOW + WINDOW / 2)
    assert 13 <= allowed.count(True) <= 16 and allowed[0] and not allowed[-1]
    # Refused attempts count too, so just after the next boundary those 30 still weigh.
    assert attempts("k", 1, START + 2 * WINDOW + 1) == [False]
    # Once a whole quiet window has passed, nothing of them counts.
    assert attempts("k", 30, START + 4 * WINDOW + 1) == [True] * 30


def test_refused_attempts_are_counted_too() -> None:
    # Someone who keeps hammering stays refused: refusals count as attempts.
    attempts("k", 40, START + 1)
    assert RateCounter.objects.get(key="k").count == 40


def test_old_windows_are_dropped() -> None:
    attempts("k", 1, START + 1)
    attempts("k", 1, START + WINDOW + 1)
    attempts("k", 1, START + 5 * WINDOW + 1)
    assert sorted(RateCounter.objects.filter(key="k").values_list("window", flat=True)) == [
        START // WINDOW + 5
    ]
