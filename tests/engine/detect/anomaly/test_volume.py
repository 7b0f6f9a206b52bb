from __future__ import annotations

from lanward.engine.detect.anomaly.sensitivity import PROFILES, for_type
from lanward.engine.detect.anomaly.volume import mad, median, upload_threshold


def test_median_and_mad_ignore_one_outlier() -> None:
    values = [10, 11, 9, 10, 12, 10, 1000]
    assert median(values) == 10
    assert mad(values, 10) == 1


def test_threshold_takes_the_highest_bound() -> None:
    general = PROFILES["general"]
    quiet = upload_threshold([1000] * 50, general)
    assert quiet.bytes == general.upload_floor and quiet.reason == "floor"
    busy = upload_threshold([5_000_000] * 40 + [60_000_000], general)
    assert busy.bytes == 4 * 60_000_000 and busy.reason == "busiest hour"
    learned = upload_threshold([1000] * 50, general, allowed=400_000_000)
    assert learned.reason == "learned volume" and learned.bytes == 600_000_000


def test_one_destination_threshold() -> None:
    limit = upload_threshold([2_000_000] * 20 + [30_000_000], PROFILES["general"])
    assert limit.for_destination(0) == 30_000_000  # the busiest hour, above the 20 MB floor
    assert limit.for_destination(25_000_000) == 100_000_000  # 4x its own peak


def test_levels_scale_the_profile() -> None:
    normal, low, high = (for_type("camera", {"camera": lv}) for lv in ("normal", "low", "high"))
    assert low.upload_floor == 2 * normal.upload_floor
    assert high.new_domains_per_hour < normal.new_domains_per_hour < low.new_domains_per_hour
    assert for_type("computer").profile == "general" and for_type("TV").profile == "media"
