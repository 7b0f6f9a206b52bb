"""Domain names as a baseline keeps them: the registered domain (one below the public suffix).

`www.bbc.co.uk` and `static.bbc.co.uk` are both `bbc.co.uk`. The public suffixes come from the
Public Suffix List snapshot that tldextract ships (ICANN section only, never fetched: the
engine does no I/O). The private section is left out on purpose: with it every
`d1x2y3.cloudfront.net` would be a name of its own, and CDN host names look machine-made.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

import tldextract

_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False
)
# Names that never leave the home (mDNS, router names) and reverse lookups: not domains a
# device "uses" on the internet.
LOCAL_SUFFIXES = (".local", ".lan", ".home", ".home.arpa", ".arpa", ".localdomain", ".internal")
# Routers answer these themselves, though .box is a real top-level domain now.
LOCAL_DOMAINS = frozenset({"fritz.box"})


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def split(name: str) -> tuple[str, str, str]:
    """(subdomains, label, public suffix) of a host name; ('', '', '') when it is none."""
    name = name.strip().rstrip(".").lower()
    if not name or is_ip(name) or "." not in name:
        return "", "", ""
    if name.endswith(LOCAL_SUFFIXES) or name in {s.lstrip(".") for s in LOCAL_SUFFIXES}:
        return "", "", ""
    parts = _EXTRACT(name)
    if not parts.domain or not parts.suffix or f"{parts.domain}.{parts.suffix}" in LOCAL_DOMAINS:
        return "", "", ""
    return parts.subdomain, parts.domain, parts.suffix


def registered(name: str) -> str:
    """The registered domain of a host name: 'api.example.co.uk' -> 'example.co.uk', else ''."""
    _, label, suffix = split(name)
    return f"{label}.{suffix}" if label else ""


def label_of(domain: str) -> str:
    """The part the owner chose: 'example' of 'example.co.uk'."""
    return split(domain)[1]
