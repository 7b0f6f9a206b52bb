"""Version-range matching agrees with univers' own range containment, and refuses to guess."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from univers.version_range import VersionRange
from univers.versions import RpmVersion, SemverVersion

from lanward.securitycheck.versions import Bounds, Uncomparable, compare, in_range, pick_scheme

short = st.lists(st.integers(0, 30), min_size=1, max_size=3).map(lambda p: ".".join(map(str, p)))
long = st.lists(st.integers(0, 30), min_size=4, max_size=5).map(lambda p: ".".join(map(str, p)))
suffixed = st.tuples(short, st.sampled_from(["p1", "p2", "a", "b3"])).map("".join)


def univers_contains(version: str, bounds: Bounds, scheme: str) -> bool:
    """The reference: univers' vers range for the same constraints, in the same scheme."""
    vers_scheme, cls = ("npm", SemverVersion) if scheme == "semver" else ("rpm", RpmVersion)
    if not bounds.is_range:
        return cls(version) == cls(bounds.exact)
    constraints = []
    for op, value in (
        (">=", bounds.start_including),
        (">", bounds.start_excluding),
        ("<=", bounds.end_including),
        ("<", bounds.end_excluding),
    ):
        if value:
            constraints.append(f"{op}{value}")
    vers = VersionRange.from_string(f"vers:{vers_scheme}/" + "|".join(constraints))
    return cls(version) in vers


@st.composite
def cases(draw, values):
    version = draw(values)
    start, end = draw(st.one_of(st.none(), values)), draw(st.one_of(st.none(), values))
    assume(start is not None or end is not None)
    if start is not None and end is not None:
        scheme = pick_scheme([version, start, end]).name
        cls = SemverVersion if scheme == "semver" else RpmVersion
        assume(cls(start) < cls(end))  # vers reads an inverted pair as two open intervals
    start_op, end_op = draw(st.booleans()), draw(st.booleans())
    bounds = Bounds(
        start_including=start if start and start_op else "",
        start_excluding=start if start and not start_op else "",
        end_including=end if end and end_op else "",
        end_excluding=end if end and not end_op else "",
    )
    return version, bounds


@settings(max_examples=300, deadline=None)
@given(cases(short))
def test_semver_ranges_agree_with_univers(case):
    version, bounds = case
    inside, scheme = in_range(version, bounds)
    assert scheme == "semver"
    assert inside == univers_contains(version, bounds, scheme)


@settings(max_examples=300, deadline=None)
@given(cases(st.one_of(long, suffixed)))
def test_segment_ranges_agree_with_univers(case):
    version, bounds = case
    inside, scheme = in_range(version, bounds)
    assert inside == univers_contains(version, bounds, scheme)


@settings(max_examples=200, deadline=None)
@given(short, short)
def test_exact_versions_agree_with_univers(a, b):
    assert in_range(a, Bounds(exact=b))[0] == (SemverVersion(a) == SemverVersion(b))


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.4.4", "1.4.35"),  # a string comparison gets this one wrong
        ("2.3.4", "2.3.10"),
        ("1.0.2.3", "1.0.2.10"),  # four parts: segments, not semver build metadata
        ("7.2p2", "7.3"),
        ("2.0.9", "2.0.9p1"),
        ("1.0-rc1", "1.0"),  # a pre-release comes before its release
        ("1.0.0-beta", "1.0.0-rc1"),
        ("V1.0.2.3_10.0.1", "V1.0.2.4"),
    ],
)
def test_order_of_real_world_versions(older, newer):
    assert compare(older, newer) == -1 and compare(newer, older) == 1


def test_trailing_zero_is_the_same_version_in_semver():
    assert compare("1.4", "1.4.0") == 0


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("latest", "1.0", "no numbers"),
        ("3f2a9c1d", "1.0", "commit hash"),
        ("20240403", "1.2.3", "date-style"),
        ("R7000-V1.0.9", "1.0.9", "start differently"),
        ("2.3.4 downloaded later", "2.3.4", "free text"),
        ("1.4.x", "1.4.35", "pattern"),
        ("", "1.0", "empty"),
    ],
)
def test_versions_that_cannot_be_ordered_say_why(a, b, reason):
    with pytest.raises(Uncomparable, match=reason):
        compare(a, b)


def test_record_schemes_are_honoured():
    with pytest.raises(Uncomparable, match="commit hashes"):
        in_range("1.0", Bounds(end_excluding="2.0"), hint="git")
    assert in_range("1.0.0", Bounds(end_excluding="1.0.1"), hint="maven") == (True, "maven")
    assert in_range("8.1.2", Bounds(start_including="8.1", end_excluding="8.1.29"), "semver")[0]
