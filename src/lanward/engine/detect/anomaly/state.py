"""What the detector keeps per device besides its baseline: the current hour and recent windows.

This is working memory, rebuilt from traffic after a restart; only the baseline is stored.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from lanward.engine.detect.anomaly.baseline import Baseline
from lanward.engine.detect.anomaly.beacon import Arrivals
from lanward.engine.detect.anomaly.volume import Threshold

HOUR_MS = 3_600_000
MAX_DESTINATIONS = 512
MAX_FAILED = 1024  # recent failed (and generated) names kept


@dataclass
class DeviceState:
    baseline: Baseline
    ip: str = ""
    hour: int = -1  # hour index (ms // HOUR_MS) the totals below belong to
    up: int = 0
    down: int = 0
    up_by_dest: dict[str, int] = field(default_factory=dict)
    threshold: Threshold | None = None
    upload_alerted: bool = False
    arrivals: OrderedDict[str, Arrivals] = field(default_factory=OrderedDict)
    new_domains: deque[tuple[int, str]] = field(default_factory=deque)
    generated: deque[tuple[int, str]] = field(default_factory=deque)
    new_peers: deque[tuple[int, str]] = field(default_factory=deque)
    new_remote: deque[tuple[int, str]] = field(default_factory=deque)
    # nxdomain.py: new domains answered NXDOMAIN, the last failure of the burst it alerted on,
    # and the names the character model (domains.py) alerted on.
    failed: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=MAX_FAILED))
    failed_burst_ms: int = -1
    dga_named: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=MAX_FAILED))
    cooldown: dict[str, int] = field(default_factory=dict)  # check -> last alert ms
    device_type: str = "unknown"
    type_checked_ms: int = -1

    def arrivals_for(self, dest: str) -> Arrivals:
        found = self.arrivals.get(dest)
        if found is None:
            found = self.arrivals[dest] = Arrivals()
            while len(self.arrivals) > MAX_DESTINATIONS:
                self.arrivals.popitem(last=False)
        self.arrivals.move_to_end(dest)
        return found

    def cooling(self, check: str, ts_ms: int, period_ms: int) -> bool:
        """True when `check` alerted less than `period_ms` ago; otherwise starts a new period."""
        last = self.cooldown.get(check)
        if last is not None and 0 <= ts_ms - last < period_ms:
            return True
        self.cooldown[check] = ts_ms
        return False


def window(items: deque[tuple[int, str]], ts_ms: int, span_ms: int) -> list[str]:
    """Distinct keys of the window ending at ts_ms (older entries dropped)."""
    while items and items[0][0] < ts_ms - span_ms:
        items.popleft()
    return list(dict.fromkeys(key for _, key in items))
