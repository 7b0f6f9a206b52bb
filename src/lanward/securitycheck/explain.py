"""What each kind of finding means for a household, in plain words (the console shows it)."""

from __future__ import annotations

MEANING = {
    "default_password": (
        "This device still accepts a login that comes with it from the factory. These logins "
        "are printed in manuals and collected in public lists; botnets such as Mirai try them "
        "on every device they can reach. Anyone on your network, or malware on any of your "
        "devices, can take it over."
    ),
    "weak_password": (
        "This device accepts a password that is on lists of the most common passwords. "
        "Guessing it takes seconds, so it protects about as well as no password."
    ),
    "vulnerability": (
        "The software this device runs has a publicly known security flaw (a CVE). Attackers "
        "use published flaws to break into devices that were never updated. The fix is almost "
        "always a firmware or software update."
    ),
    "configuration": (
        "A setting on this device makes it easier to attack or to eavesdrop on, even without "
        "a software flaw."
    ),
}
KEV_NOTE = (
    "CISA lists this flaw as exploited in the wild: attackers are using it right now, so "
    "fixing it should come first."
)


def meaning(kind: str) -> str:
    return MEANING.get(kind, "")
