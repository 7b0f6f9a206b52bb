"""Robust statistics of a device's hourly upload, and when an hour's upload is a spike.

The history is the remote upload (bytes sent to the internet) of each hour the device was active
(idle hours are left out: a phone asleep at night says nothing about its evening). Median and
MAD (median absolute deviation, times 1.4826 to read as a standard deviation) ignore the odd busy
hour; the busiest hour on record keeps a nightly photo backup from alarming every night. Besides
the total, the baseline keeps the most the device ever sent to each destination in an hour
(`upload_peaks`), because where the data goes matters as much as how much it is.

An hour is a spike when either

- its total is above the profile's floor, median + k * MAD, `upload_factor` (4 for
  general-purpose devices, whose uploads are heavy-tailed; 3 for appliances) times the
  busiest hour on record, and 1.5 times any volume the household said was normal; or
- what it sent to one destination is above the profile's floor for new destinations,
  `upload_new_factor` (1) times the busiest hour on record, `upload_factor` times that
  destination's own peak, and 1.5 times the learned volume: more than the device ever sent
  anywhere in an hour, to a place it never sent that much to.
"""

from __future__ import annotations

from dataclasses import dataclass

from lanward.engine.detect.anomaly.sensitivity import Sensitivity

MAD_TO_SD = 1.4826


def median(values: list[int] | list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def mad(values: list[int] | list[float], center: float) -> float:
    return median([abs(v - center) for v in values])


@dataclass(frozen=True)
class Threshold:
    bytes: int  # for the hour's total
    median: int
    mad: int
    busiest: int
    hours: int
    allowed: int
    reason: str  # which bound set it
    new_floor: int  # for one destination: max(floor, busiest * new factor, 1.5 * allowed)
    factor: float  # the profile's upload factor, applied to a destination's own peak

    def for_destination(self, peak: int) -> int:
        """What one destination may receive in an hour, given its own peak so far."""
        return max(self.new_floor, int(self.factor * peak))

    def as_dict(self) -> dict[str, object]:
        return {
            "threshold_bytes": self.bytes,
            "median_hour_bytes": self.median,
            "mad_bytes": self.mad,
            "busiest_hour_bytes": self.busiest,
            "active_hours": self.hours,
            "allowed_hour_bytes": self.allowed,
            "set_by": self.reason,
            "one_destination_threshold_bytes": self.new_floor,
        }


def upload_threshold(history: list[int], sens: Sensitivity, allowed: int = 0) -> Threshold:
    mid = median(history)
    spread = mad(history, mid) * MAD_TO_SD
    busiest = max(history, default=0)
    bounds = {
        "floor": sens.upload_floor,
        "median + k*MAD": int(mid + sens.upload_mad_k * spread),
        "busiest hour": int(sens.upload_factor * busiest),
        "learned volume": int(1.5 * allowed),
    }
    reason = max(bounds, key=lambda k: bounds[k])
    new_floor = max(
        sens.upload_new_floor, int(sens.upload_new_factor * busiest), int(1.5 * allowed)
    )
    return Threshold(
        bounds[reason],
        int(mid),
        int(spread),
        busiest,
        len(history),
        allowed,
        reason,
        new_floor,
        sens.upload_factor,
    )
