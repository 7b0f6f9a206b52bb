"""Smart alerts: each device learns its normal behaviour, and departures from it are explained.

Modules, from the bottom up:

- names.py: registered domains (Public Suffix List snapshot of tldextract, no fetching);
- dga.py: does a name look machine-made (character trigrams of English words vs chance);
- lookalike.py: typos, homoglyphs and brand combinations of trusted names;
- volume.py: robust hourly upload statistics (median, MAD, busiest hour);
- beacon.py: regular connection rhythms;
- sensitivity.py: per device type, which checks run and how tight;
- baseline.py: a device's normal behaviour as plain data (`export`/`load`, `learn`);
- state.py: per-device working memory (current hour, recent windows);
- domains.py, nxdomain.py, traffic.py, novelty.py: the checks; explain.py: the alerts in plain
  words;
- detector.py: the addon (`AnomalyDetector`) that routes engine events to the checks.
"""

from lanward.engine.detect.anomaly.baseline import Baseline, learn
from lanward.engine.detect.anomaly.detector import AnomalyDetector

__all__ = ["AnomalyDetector", "Baseline", "learn", "find"]


def find(addons: list[object]) -> AnomalyDetector | None:
    """The anomaly detector among an engine's addons, if it runs."""
    return next((a for a in addons if isinstance(a, AnomalyDetector)), None)
