"""Combine a device's evidence into one identity: type, OS and version, brand, model.

Each value's support is 1 - prod(1 - confidence) over the evidence that names it; the value with
the most support wins, and a strong competitor lowers the confidence shown. Everything is
explainable: the identity lists the evidence each choice rests on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from lanward.engine.events import Evidence

TYPES = (
    "phone",
    "tablet",
    "computer",
    "TV",
    "streaming stick",
    "speaker",
    "camera",
    "printer",
    "game console",
    "smart plug/IoT hub",
    "router/access point",
    "NAS",
    "wearable",
    "unknown",
)

# What an OS says about the type when nothing better is known.
OS_IMPLIES_TYPE = {
    "android": ("phone", 0.35),
    "ios": ("phone", 0.5),
    "ipados": ("tablet", 0.6),
    "windows": ("computer", 0.5),
    "mac": ("computer", 0.5),
    "macos": ("computer", 0.5),
    "chrome os": ("computer", 0.5),
    "tizen": ("TV", 0.4),
    "webos": ("TV", 0.4),
    "watchos": ("wearable", 0.7),
    "tvos": ("streaming stick", 0.6),
    "fire os": ("streaming stick", 0.4),
    "linux (embedded)": ("smart plug/IoT hub", 0.2),
}


@dataclass
class Choice:
    value: str = ""
    confidence: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Identity:
    type: Choice
    os: Choice
    os_version: Choice
    brand: Choice
    model: Choice
    hostname: Choice


def _support(confidences: Iterable[float]) -> float:
    remaining = 1.0
    for c in confidences:
        remaining *= 1.0 - max(0.0, min(c, 0.99))
    return 1.0 - remaining


def choose(evidence: list[Evidence], field_name: str) -> Choice:
    by_value: dict[str, list[Evidence]] = defaultdict(list)
    labels: dict[str, str] = {}
    for ev in evidence:
        if ev.field == field_name and ev.value:
            key = ev.value.strip().lower()
            by_value[key].append(ev)
            labels.setdefault(key, ev.value.strip())
    if not by_value:
        return Choice()
    scored = sorted(
        ((_support(e.confidence for e in evs), key) for key, evs in by_value.items()),
        reverse=True,
    )
    best_score, best_key = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    confidence = max(0.05, best_score - 0.5 * runner_up)
    return Choice(labels[best_key], round(confidence, 2), by_value[best_key])


def identify(evidence: list[Evidence]) -> Identity:
    os_choice = choose(evidence, "os")
    extra: list[Evidence] = []
    if os_choice.value:
        implied = OS_IMPLIES_TYPE.get(os_choice.value.lower())
        if implied:
            extra.append(
                Evidence("inferred", "type", implied[0], implied[1] * os_choice.confidence)
            )
    type_choice = choose(evidence + extra, "type")
    if not type_choice.value:
        type_choice = Choice("unknown", 0.0, [])
    version = Choice()
    if os_choice.value:
        version = choose(evidence, "os_version")
    # The brand from a UA or mDNS beats the NIC maker from the OUI: choose() weighs them.
    return Identity(
        type=type_choice,
        os=os_choice,
        os_version=version,
        brand=choose(evidence, "brand"),
        model=choose(evidence, "model"),
        hostname=choose(evidence, "hostname"),
    )
