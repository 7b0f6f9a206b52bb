"""Detectors, one addon per module. An addon is a class with methods named after the events it
handles (`configure`, `flow_end`, `device_seen`, `discovery`); it returns findings (alerts).

`default_addons()` is the one explicit list. The engine calls each hook through `safecall`, so a
detector that raises is logged as a notice and skipped while the engine keeps running.

A new detector: a module here with one class, its hooks returning `alerts.alert(...)` dicts,
added to the list below, and its tests in tests/engine/detect/.
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.anomaly import AnomalyDetector
from lanward.engine.detect.arp_spoof import ArpSpoofing
from lanward.engine.detect.cleartext import CleartextCredentials
from lanward.engine.detect.dangerous_files import DangerousFiles
from lanward.engine.detect.indicators import IndicatorMatch
from lanward.engine.detect.lateral import BruteForce, WormSpread
from lanward.engine.detect.remote_access import RemoteAccess
from lanward.engine.detect.router_access import RouterAccess
from lanward.engine.detect.scan import ScanDetector
from lanward.engine.detect.signatures import Signatures


def default_addons() -> list[Any]:
    return [
        RemoteAccess(),
        ScanDetector(),
        IndicatorMatch(),
        BruteForce(),
        WormSpread(),
        RouterAccess(),
        ArpSpoofing(),
        CleartextCredentials(),
        DangerousFiles(),
        Signatures(),
        AnomalyDetector(),
    ]
