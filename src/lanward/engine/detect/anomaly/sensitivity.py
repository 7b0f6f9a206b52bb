"""How sensitive each check is, by device type.

A laptop or a phone visits new sites, new countries and new networks every day; a camera or a
smart plug talks to the same two clouds for years. So the checks that watch for novelty (new
domains per hour, new LAN peers, new countries, raw-IP contacts, new kinds of traffic) are off
for general-purpose devices and tight for appliances, while the checks that look for attack
shapes (generated names, look-alikes, beaconing, upload spikes, new listening services) run on
every device, with thresholds per profile.

The household can move a device type one level up or down (`EngineConfig.anomaly_sensitivity`,
type -> "off" | "low" | "normal" | "high"): "low" doubles the thresholds, "high" halves them,
"off" silences the type (its baselines are still learned).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

LEVELS = ("off", "low", "normal", "high")

# Device types (engine/recognize/classify.TYPES) by profile.
GENERAL = ("computer", "phone", "tablet", "game console", "NAS", "wearable", "unknown")
MEDIA = ("TV", "streaming stick", "speaker")
APPLIANCE = ("camera", "smart plug/IoT hub", "printer")
INFRASTRUCTURE = ("router/access point",)

# nDPI categories that are worth a word on any device the first time it shows them.
RISKY_CATEGORIES = frozenset({"Mining", "Malware", "Banned_Site", "Crypto_Currency"})
# Categories that say nothing about what a device does (or nDPI could not tell).
NEUTRAL_CATEGORIES = frozenset(
    {"", "Unspecified", "Network", "System", "ConnCheck", "Unknown", "Cloud", "Web"}
)


@dataclass(frozen=True)
class Sensitivity:
    profile: str
    level: str = "normal"
    # Upload spike (volume.py): the hour's total, or what one destination got.
    upload_floor: int = 50_000_000  # bytes in an hour
    upload_factor: float = 4.0  # times the busiest hour in the baseline
    upload_mad_k: float = 10.0  # median + k * MAD (scaled to a standard deviation)
    upload_new_floor: int = 20_000_000  # to one destination
    upload_new_factor: float = 1.0  # to one destination: times the busiest hour
    # Beaconing: this many regular connections to one destination.
    beacon_min_events: int = 12
    # Appliance behaviour (0 = not checked).
    new_domains_per_hour: int = 0
    new_lan_peers_per_hour: int = 0
    new_remote_ips_per_hour: int = 0
    new_country: bool = False
    raw_ip_new_network: bool = False
    any_new_category: bool = False
    listening: bool = True

    @property
    def off(self) -> bool:
        return self.level == "off"

    def as_dict(self) -> dict[str, object]:
        return {"profile": self.profile, "level": self.level}


PROFILES = {
    "general": Sensitivity("general"),
    "media": Sensitivity(
        "media",
        upload_floor=20_000_000,
        upload_factor=3.0,
        upload_new_floor=10_000_000,
        new_domains_per_hour=15,
        new_lan_peers_per_hour=10,
        new_remote_ips_per_hour=60,
        new_country=False,
        raw_ip_new_network=True,
    ),
    "appliance": Sensitivity(
        "appliance",
        upload_floor=10_000_000,
        upload_factor=3.0,
        upload_mad_k=8.0,
        upload_new_floor=5_000_000,
        beacon_min_events=10,
        new_domains_per_hour=4,
        new_lan_peers_per_hour=4,
        new_remote_ips_per_hour=20,
        new_country=True,
        raw_ip_new_network=True,
        any_new_category=True,
    ),
    "infrastructure": Sensitivity("infrastructure", listening=False),
}


def profile_of(device_type: str) -> str:
    if device_type in MEDIA:
        return "media"
    if device_type in APPLIANCE:
        return "appliance"
    if device_type in INFRASTRUCTURE:
        return "infrastructure"
    return "general"


def _scaled(value: int, factor: float) -> int:
    return max(1, round(value * factor)) if value else 0


def for_type(device_type: str, overrides: dict[str, str] | None = None) -> Sensitivity:
    """The settings for a device type, with the household's level for that type applied."""
    base = PROFILES[profile_of(device_type)]
    level = (overrides or {}).get(device_type, "normal")
    if level not in LEVELS:
        raise ValueError(f"unknown sensitivity {level!r} for {device_type}; use one of {LEVELS}")
    if level == "normal":
        return base
    factor = {"off": 1.0, "low": 2.0, "high": 0.5}[level]
    return replace(
        base,
        level=level,
        upload_floor=int(base.upload_floor * factor),
        upload_factor=max(1.5, base.upload_factor * factor),
        upload_mad_k=base.upload_mad_k * factor,
        upload_new_floor=int(base.upload_new_floor * factor),
        upload_new_factor=max(1.0, base.upload_new_factor * factor),
        beacon_min_events=max(5, round(base.beacon_min_events * factor)),
        new_domains_per_hour=_scaled(base.new_domains_per_hour, factor),
        new_lan_peers_per_hour=_scaled(base.new_lan_peers_per_hour, factor),
        new_remote_ips_per_hour=_scaled(base.new_remote_ips_per_hour, factor),
    )
