"""threshold and detection_filter: how often a matching rule may alert, as Suricata counts it.

    threshold: type limit|threshold|both, track by_src|by_dst|by_both|by_rule|by_flow,
               count N, seconds T
    detection_filter: track ..., count N, seconds T

limit alerts on the first N matches of each T-second window; threshold on every Nth match;
both once per window, at the Nth match; detection_filter on every match after the first N.
A window starts at the first match and a match past its end starts a new one (Suricata's
detect-engine-threshold.c). Times are the events' own, so a capture replays as it happened.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

TYPES = ("limit", "threshold", "both", "detection_filter")
TRACKS = ("by_src", "by_dst", "by_both", "by_rule", "by_flow")


@dataclass(frozen=True)
class Threshold:
    type: str
    track: str
    count: int
    seconds: int


def parse_threshold(value: str, detection_filter: bool = False) -> Threshold:
    """ValueError with a plain reason when the option cannot be read."""
    fields: dict[str, str] = {}
    for part in value.split(","):
        key, _, arg = part.strip().partition(" ")
        if not key or not arg.strip():
            raise ValueError(f"expected 'name value' pairs, got {part.strip()!r}")
        if key in fields:
            raise ValueError(f"{key} given twice")
        fields[key] = arg.strip()
    kind = "detection_filter" if detection_filter else fields.pop("type", "")
    if detection_filter and "type" in fields:
        raise ValueError("detection_filter takes no type")
    if kind not in TYPES:
        raise ValueError(f"type must be limit, threshold or both, not {kind!r}")
    track = fields.pop("track", "")
    if track not in TRACKS:
        raise ValueError(f"track must be one of {', '.join(TRACKS)}, not {track!r}")
    try:
        count, seconds = int(fields.pop("count")), int(fields.pop("seconds"))
    except (KeyError, ValueError):
        raise ValueError("count and seconds must be whole numbers") from None
    if fields:
        raise ValueError(f"unknown field {sorted(fields)[0]!r}")
    if count < (0 if detection_filter else 1) or seconds < 1 or count > 2**31:
        raise ValueError("count or seconds out of range")
    return Threshold(kind, track, count, seconds)


class Thresholds:
    """Match counts per rule and tracked address, the oldest dropped past `limit` entries."""

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self._windows: OrderedDict[tuple[object, ...], list[int]] = OrderedDict()

    def allow(
        self, rule_id: object, t: Threshold, src: str, dst: str, flow: object, ts_ms: int
    ) -> bool:
        tracker: object = {
            "by_src": src,
            "by_dst": dst,
            "by_both": (src, dst),
            "by_rule": None,
            "by_flow": flow,
        }[t.track]
        key = (rule_id, tracker)
        window = self._windows.get(key)
        if window is None:
            self._windows[key] = [ts_ms, 1]
            if len(self._windows) > self.limit:
                self._windows.popitem(last=False)
            if t.type == "detection_filter":
                return t.count == 0
            return t.type == "limit" or t.count == 1
        self._windows.move_to_end(key)
        start, _ = window
        if (ts_ms - start) // 1000 > t.seconds:  # whole seconds, as Suricata compares them
            window[0], window[1] = ts_ms, 1
            if t.type == "detection_filter":
                return t.count == 0
            return t.type == "limit" or t.count == 1
        window[1] += 1
        if t.type == "limit":
            return window[1] <= t.count
        if t.type == "both":
            return window[1] == t.count
        if t.type == "detection_filter":
            return window[1] > t.count
        if window[1] >= t.count:  # threshold: every Nth
            window[1] = 0
            return True
        return False
