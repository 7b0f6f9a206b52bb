"""Detectors, one addon per module. An addon is a class with methods named after the events it
handles (`configure`, `flow_end`, `device_seen`, `discovery`); it returns findings (alerts).

`default_addons()` is the one explicit list. The engine calls each hook through `safecall`, so a
detector that raises is logged as a notice and skipped while the engine keeps running.
"""

from __future__ import annotations

from typing import Any


def default_addons() -> list[Any]:
    # Detectors land here as their modules are written (threats, smart alerts, ...).
    return []
