"""The privacy registry: what lanward stores, how long, what leaves the station and how to turn
it off, per feature. The declarations live in lanward.privacy.features; this module lists them.

The privacy page, `lanward privacy disclosure`, the household export and delete and the
retention job all read this registry. tests/privacy/test_registry.py holds it to the code:
every model of every installed app is declared (or listed in NOT_PERSONAL with a reason), every
declared model and field exists, and every switch is read by the code its `read_by` names.
tests/net/test_egress.py holds the Egress entries to the packets a running station sends.
"""

from __future__ import annotations

from typing import Any

from .declare import Data, Destination, Egress, Feature
from .features.account import ACCOUNTS, SESSIONS
from .features.addons import NOTIFY, SECURITY_CHECK
from .features.network import DNS_FILTER, INVENTORY, THREATS, USAGE
from .features.portal import LICENSING, PRIVACY, STATIONS, SUPPORT

FEATURES: list[Feature] = [
    ACCOUNTS,
    SESSIONS,
    INVENTORY,
    USAGE,
    DNS_FILTER,
    THREATS,
    NOTIFY,
    SECURITY_CHECK,
    LICENSING,
    STATIONS,
    SUPPORT,
    PRIVACY,
]

# Models that hold no one's data, and why.
NOT_PERSONAL: dict[str, str] = {
    "auth.permission": "the list of permissions the code defines",
    "auth.group": "group names such as Household; who is in them is part of the account",
    "contenttypes.contenttype": "the list of data types the code defines",
    "licensing.plan": "the plans on offer: names, prices, seats",
    "notify.sourcecursor": "how far the notification job has read each source (a row number)",
    "securitycheck.vulnerability": "public CVE records imported from NVD and CVE JSON files",
    "securitycheck.affectedproduct": "the products and versions each public CVE affects",
    "securitycheck.knownexploited": "CISA's public catalog of exploited vulnerabilities",
}

# Not a model: the database cache table (lanward_cache).
CACHE_NOTE = (
    "A cache table holds short-lived counters (sign-in rate limits, used one-time codes, when "
    "each housekeeping job last ran); its entries expire within hours."
)
FORWARDING = (
    "In gateway mode (`lanward station run --mode gateway`) the devices' own traffic passes "
    "through the station on its way to the internet. That is their traffic, not the "
    "station's: the station keeps of it only what the features above store."
)
TELEMETRY = (
    "None. lanward sends no usage statistics, crash reports or analytics to anyone, and its "
    "pages load nothing from other sites (their Content-Security-Policy allows only the "
    "station itself). There is nothing to switch on."
)


def feature(key: str) -> Feature:
    for f in FEATURES:
        if f.key == key:
            return f
    raise KeyError(key)


def declared_models() -> dict[str, list[Data]]:
    """Model label -> the declarations of it."""
    out: dict[str, list[Data]] = {}
    for f in FEATURES:
        for d in f.data:
            out.setdefault(d.model, []).append(d)
    return out


def models_in_scope(scope: str) -> list[str]:
    """Declared models whose data is in `scope`, in declaration order, each once."""
    seen: list[str] = []
    for f in FEATURES:
        for d in f.data:
            if d.scope == scope and d.model not in seen:
                seen.append(d.model)
    return seen


def egress() -> list[tuple[Feature, Egress]]:
    return [(f, e) for f in FEATURES for e in f.egress]


def allowed_destinations(prefs: Any, required_only: bool = False) -> list[tuple[str, Destination]]:
    """(why, destination) for everything that may leave the station under `prefs`."""
    out = []
    for f, e in egress():
        if e.required if required_only else e.allowed(prefs):
            out += [(f"{f.name}: {e.why}", d) for d in e.destinations()]
    return out
