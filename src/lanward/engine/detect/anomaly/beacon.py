"""Beaconing: connections to one destination at a regular rhythm.

Malware that waits for orders calls home on a timer (every 30 s, 5 min, an hour), usually with
some jitter and with a new connection each time. Per device and destination (the registered
domain of the server name, else the address) the tracker keeps the start times of the last
connections and calls the rhythm regular when

- there are at least `min_events` connections,
- the median gap is between `MIN_PERIOD_S` and `MAX_PERIOD_S` (the period is the median gap
  or, when it fits the gaps better, the span of the calls over the beats they make: the
  median of a dozen jittered gaps can sit well off the timer's period),
- at least 90 % of the gaps lie on the grid: within 25 % of the median gap or of a whole
  multiple of it (a missed beat), and
- the typical deviation from the median gap is at most 15 % of it (the jitter), and
- the calls cover their time span (at most twice the median gap per call on average): a few
  quick bursts a day apart are no timer.

A browser, a game or a person never clicks that regularly; update checks and cloud heartbeats
do, which is why a destination that was regular during the learning period is normal.
Connections closer than `MIN_GAP_MS` to the last are one burst (parallel connections), and a
flow with the same client port as the last one is the same connection split by the flow meter's
timeouts, not a new call.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from lanward.engine.detect.anomaly.volume import median

MIN_PERIOD_S = 10
MAX_PERIOD_S = 6 * 3600
MIN_GAP_MS = 2000
KEEP = 24
ON_GRID = 0.9
MAX_JITTER = 0.15


@dataclass
class Rhythm:
    period_ms: int
    connections: int
    on_grid: float
    jitter: float
    span_ms: int

    def as_dict(self) -> dict[str, object]:
        return {
            "period_s": round(self.period_ms / 1000, 1),
            "connections": self.connections,
            "on_grid": round(self.on_grid, 2),
            "jitter": round(self.jitter, 3),
            "span_s": self.span_ms // 1000,
        }


@dataclass
class Arrivals:
    times: deque[int] = field(default_factory=lambda: deque(maxlen=KEEP))
    last_client_port: int = -1
    bytes_up: deque[int] = field(default_factory=lambda: deque(maxlen=KEEP))
    known: bool = False  # the device had used the destination before the first of these

    def add(self, ts_ms: int, client_port: int, up: int) -> bool:
        """Record a connection; False when it is no new one (burst or split flow)."""
        if client_port == self.last_client_port and client_port > 0:
            return False
        self.last_client_port = client_port
        if self.times and abs(ts_ms - self.times[-1]) < MIN_GAP_MS:
            return False
        if self.times and ts_ms < self.times[-1]:
            return False  # out of order: flows are reported when they end
        self.times.append(ts_ms)
        self.bytes_up.append(up)
        return True


def _fit(gaps: list[int], period: float) -> tuple[float, float, int]:
    """(share of gaps on the grid of `period`, median deviation, beats the gaps make)."""
    on_grid = 0
    deviations = []
    total = 0
    for gap in gaps:
        beats = max(1, round(gap / period))
        total += beats
        deviation = abs(gap - beats * period) / period
        deviations.append(deviation)
        if deviation <= 0.25 and beats <= 3:
            on_grid += 1
    return on_grid / len(gaps), median(deviations), total


def rhythm(times: list[int], min_events: int) -> Rhythm | None:
    """The regular rhythm of these connection times, or None."""
    if len(times) < min_events:
        return None
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    period = median(gaps)
    if not MIN_PERIOD_S * 1000 <= period <= MAX_PERIOD_S * 1000:
        return None
    share, jitter, beats = _fit(gaps, period)
    # With a dozen jittered gaps the median can sit well off the timer's period; the span of
    # the calls over the beats they make is the other reading. The one that fits better wins.
    refined = sum(gaps) / beats
    if abs(refined - period) <= 0.25 * period:
        again, refined_jitter, _ = _fit(gaps, refined)
        if (again, -refined_jitter) > (share, -jitter):
            period, share, jitter = refined, again, refined_jitter
    if share < ON_GRID or jitter > MAX_JITTER:
        return None
    if times[-1] - times[0] > 2 * period * len(gaps):
        return None  # bursts with long pauses between them, not a timer
    return Rhythm(int(period), len(times), share, jitter, times[-1] - times[0])
