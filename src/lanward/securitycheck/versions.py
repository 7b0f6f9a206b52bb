"""Comparing product versions against vulnerable ranges, with univers doing the comparing.

Versions seen on home devices come in every shape: `1.4.35`, `2.0.9p1`, `V1.0.2.3_10.0.1`,
`8.1.0-rc1`. Nothing here compares strings. A scheme is picked per comparison, for all the
values involved together (the device's version and every bound of the range):

- the record's own scheme when it names one (CVE JSON 5 `versionType`: semver, rpm, maven,
  python); `git` (commit hashes) cannot be ordered at all;
- semver (univers `SemverVersion`, which also reads `1.4` as `1.4.0`) when every value has at
  most three numeric parts and an optional `-prerelease`;
- otherwise the segment-wise rpm algorithm (univers `RpmVersion`): numeric runs compare as
  numbers, letter runs as text, so `1.0.2.10 > 1.0.2.3` and `7.2p2 < 7.3`. Pre-release words
  (`rc`, `beta`, ...) are rewritten to rpm's `~` so that `1.0-rc1 < 1.0`.

When the values cannot be ordered meaningfully (no digits, a commit hash, a date against a
dotted version, different text prefixes such as `R7000-V1.0` against `1.0.9`) `Uncomparable`
says why; callers report that instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from univers.versions import (
    InvalidVersion,
    MavenVersion,
    PypiVersion,
    RpmVersion,
    SemverVersion,
    Version,
)


class Uncomparable(ValueError):
    """The versions cannot be put in order; the message says why."""


_SEMVERISH = re.compile(r"^v?\d+(\.\d+){0,2}(-[0-9A-Za-z][0-9A-Za-z.-]*)?(\+[0-9A-Za-z.-]+)?$")
_PRERELEASE = re.compile(r"[-_.]?(alpha|beta|pre|rc|dev)(?=\d|$|[-_.])", re.IGNORECASE)
_GIT_HASH = re.compile(r"^[0-9a-f]{7,40}$")
_DATE = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_LEADING_VERSION = re.compile(r"^\s*[vV]?(\d[0-9A-Za-z.\-+_~]*)")

SCHEMES = {"semver": SemverVersion, "rpm": RpmVersion, "maven": MavenVersion, "python": PypiVersion}


def leading_version(text: str) -> str:
    """The version at the start of a free-text version field ("2.3.4 downloaded between ...")."""
    found = _LEADING_VERSION.match(text or "")
    return found.group(1) if found else ""


def _prefix(value: str) -> str:
    """Letters before the first digit, without a leading v: `R7000-V1.0` -> `r`."""
    text = value.strip().lower()
    if text.startswith("v"):
        text = text[1:]
    head = re.match(r"^[^0-9]*", text)
    return head.group(0) if head else ""


def _check_orderable(values: list[str]) -> None:
    for value in values:
        if not value or not value.strip():
            raise Uncomparable("an empty version cannot be compared")
        if any(c.isspace() for c in value.strip()):
            raise Uncomparable(f"{value!r} is free text, not a version")
        if not any(c.isdigit() for c in value):
            raise Uncomparable(f"{value!r} has no numbers to compare")
        if _GIT_HASH.match(value.lower()) and any(c.isalpha() for c in value):
            raise Uncomparable(f"{value!r} looks like a commit hash, which has no order")
        if any(part in ("x", "*") for part in re.split(r"[._\-+~]", value.lower())):
            raise Uncomparable(f"{value!r} is a version pattern, not one version")
    prefixes = {_prefix(v) for v in values}
    if len(prefixes) > 1:
        raise Uncomparable(
            "the versions start differently (" + ", ".join(sorted(repr(v) for v in values)) + ")"
        )
    dates = {bool(_DATE.match(v.strip())) for v in values}
    if len(dates) > 1:
        raise Uncomparable(
            "a date-style version cannot be compared with a dotted one ("
            + ", ".join(sorted(repr(v) for v in values))
            + ")"
        )


def _rpm_text(value: str) -> str:
    text = value.strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    return _PRERELEASE.sub(lambda m: "~" + m.group(1).lower(), text)


@dataclass(frozen=True)
class Scheme:
    """How a set of versions is compared: `name` for messages, `parse` to univers objects."""

    name: str

    def parse(self, value: str) -> Version:
        try:
            if self.name == "rpm-segments":
                return RpmVersion(_rpm_text(value))
            return SCHEMES[self.name](value.strip())
        except (InvalidVersion, ValueError, TypeError) as exc:
            raise Uncomparable(f"{value!r} is not a valid {self.name} version") from exc


def pick_scheme(values: Iterable[str], hint: str = "") -> Scheme:
    """The scheme for comparing all `values` together (see the module docstring)."""
    values = [v for v in values]
    hint = (hint or "").strip().lower()
    if hint == "git":
        raise Uncomparable("the record gives commit hashes (versionType git), which have no order")
    _check_orderable(values)
    if hint in SCHEMES:
        return Scheme(hint)
    if all(_SEMVERISH.match(v.strip()) for v in values):
        return Scheme("semver")
    return Scheme("rpm-segments")


def compare(a: str, b: str, hint: str = "") -> int:
    """-1, 0 or 1 as `a` is older than, the same as or newer than `b`."""
    scheme = pick_scheme([a, b], hint)
    va, vb = scheme.parse(a), scheme.parse(b)
    return (va > vb) - (va < vb)


@dataclass(frozen=True)
class Bounds:
    """A vulnerable range as NVD writes it; `exact` instead for one version."""

    exact: str = ""
    start_including: str = ""
    start_excluding: str = ""
    end_including: str = ""
    end_excluding: str = ""

    @property
    def is_range(self) -> bool:
        return bool(
            self.start_including or self.start_excluding or self.end_including or self.end_excluding
        )

    def describe(self) -> str:
        if not self.is_range:
            return f"version {self.exact}" if self.exact else "every version"
        parts = []
        if self.start_including:
            parts.append(f"from {self.start_including}")
        if self.start_excluding:
            parts.append(f"after {self.start_excluding}")
        if self.end_including:
            parts.append(f"up to and including {self.end_including}")
        if self.end_excluding:
            parts.append(f"before {self.end_excluding}")
        return " ".join(parts)


def in_range(version: str, bounds: Bounds, hint: str = "") -> tuple[bool, str]:
    """Whether `version` lies in `bounds`, and the scheme used. Raises `Uncomparable`."""
    values = [version] + [
        v
        for v in (
            bounds.start_including,
            bounds.start_excluding,
            bounds.end_including,
            bounds.end_excluding,
        )
        if v
    ]
    if not bounds.is_range:
        if not bounds.exact:
            return True, "any"
        values.append(bounds.exact)
    scheme = pick_scheme(values, hint)
    v = scheme.parse(version)
    if not bounds.is_range:
        return v == scheme.parse(bounds.exact), scheme.name
    inside = True
    if bounds.start_including:
        inside = inside and v >= scheme.parse(bounds.start_including)
    if bounds.start_excluding:
        inside = inside and v > scheme.parse(bounds.start_excluding)
    if bounds.end_including:
        inside = inside and v <= scheme.parse(bounds.end_including)
    if bounds.end_excluding:
        inside = inside and v < scheme.parse(bounds.end_excluding)
    return inside, scheme.name
