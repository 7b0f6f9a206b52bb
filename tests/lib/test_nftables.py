"""nftables: what is sent to `nft`, and the real `nft` taking it (in a namespace of the test's own).

The namespace's firewall is the test's own: nothing outside it is touched. `NftBackend` runs in
this process; only its `nft` children start inside the namespace (a thread that entered it forks
them).
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from lanward.enforce import ruleset as rs
from lanward.enforce.policy import Enforcement
from lanward.engine.detect.feeds import parse_feed
from lanward.lib.nftables import (
    DryRunBackend,
    NftBackend,
    NftError,
    ReplaceSet,
    find_nft,
    parse_set_json,
    render,
    render_value,
)
from tests.ndpi_corpus import CORPUS
from tests.net import netns

T = TypeVar("T")
URLHAUS = CORPUS / "blocklists" / "ublock" / "urlhaus-filter-online.txt"


def test_a_batch_replaces_each_set_whole_with_timeouts_in_ms() -> None:
    text = render(
        [
            ReplaceSet("alive", {("lan0",): 10_000, ("wan0",): 10_000}),
            ReplaceSet("blocked_pair4", {("192.168.1.20", "203.0.113.9"): None}),
            ReplaceSet("paused", {}),
        ]
    )
    assert text.splitlines() == [
        "flush set inet lanward alive",
        'add element inet lanward alive { "lan0" timeout 10000ms, "wan0" timeout 10000ms }',
        "flush set inet lanward blocked_pair4",
        "add element inet lanward blocked_pair4 { 192.168.1.20 . 203.0.113.9 }",
        "flush set inet lanward paused",
    ]
    big = render(
        [ReplaceSet("feed_remote4", {(f"203.0.{i // 256}.{i % 256}",): None for i in range(4500)})]
    )
    assert big.count("add element") == 3


@pytest.mark.parametrize(
    "value", ['lan0" ; flush ruleset', "a b", "x" * 16, "1.2.3.4; drop", 70000, -1, ""]
)
def test_values_that_are_not_plainly_safe_are_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        render_value(value)


def test_values_are_normalised() -> None:
    assert render_value("2001:DB8::0:1") == "2001:db8::1"
    assert render_value("198.51.100.0/24") == "198.51.100.0/24"
    assert render_value("aa:bb:cc:dd:ee:ff") == "aa:bb:cc:dd:ee:ff"
    assert render_value("eth0.10") == '"eth0.10"'


def test_set_listings_are_read_from_nft_json() -> None:
    listing = {
        "nftables": [
            {"metainfo": {"version": "1.0.6"}},
            {
                "set": {
                    "name": "dropped_inbound4",
                    "elem": [
                        {"elem": {"val": {"concat": ["203.0.113.9", "192.168.1.20", 3389]}}},
                        {"prefix": {"addr": "198.51.100.0", "len": 24}},
                        "192.0.2.7",
                        {"range": ["192.0.2.10", "192.0.2.20"]},
                    ],
                }
            },
        ]
    }
    assert parse_set_json(json.dumps(listing)) == [
        ("203.0.113.9", "192.168.1.20", "3389"),
        ("198.51.100.0/24",),
        ("192.0.2.7",),
        ("192.0.2.10-192.0.2.20",),
    ]
    with pytest.raises(NftError, match="not JSON"):
        parse_set_json("Error: oops")


def test_the_dry_run_backend_keeps_what_it_would_have_written() -> None:
    dry = DryRunBackend()
    dry.install(rs.definition(rs.Layout("lan0", "wan0")))
    dry.apply([ReplaceSet("paused", {("02:00:00:00:00:01",): None})])
    assert dry.list_set("paused") == [("02:00:00:00:00:01",)]
    assert len(dry.batches) == 1
    dry.remove()
    assert dry.removed and dry.list_set("paused") == []


# --- The real nft ---------------------------------------------------------------------------


@pytest.fixture
def namespace() -> Iterator[str]:
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not find_nft():
        pytest.skip("nft is not installed (apt-get install nftables; scripts/test-services.sh)")
    name = f"lw-nft-{uuid.uuid4().hex[:8]}"
    netns.ip("netns", "add", name)
    try:
        yield name
    finally:
        netns.ip("netns", "del", name, check=False)


def inside(ns: str, call: Callable[[], T]) -> T:
    """Run `call` in a thread that entered the namespace: the nft it starts runs there."""
    box: list[Any] = []

    def make() -> Any:
        box.append(call())
        return None

    netns._in_namespace(ns, make)  # type: ignore[arg-type]
    return box[0]  # type: ignore[no-any-return]


def test_the_table_installs_updates_atomically_and_goes(namespace: str) -> None:
    nft = NftBackend(nft=find_nft())
    definition = rs.definition(rs.Layout("lan0", "wan0"))
    inside(namespace, lambda: nft.install(definition))
    inside(namespace, lambda: nft.install(definition))  # again: replaced, not doubled
    listing = subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "list", "tables"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert listing.split("\n").count("table inet lanward") == 1

    mac = ("02:00:00:00:00:01",)
    inside(namespace, lambda: nft.apply([ReplaceSet(rs.PAUSED, {mac: None})]))
    # A batch with one bad update changes nothing at all.
    with pytest.raises(NftError, match="refused"):
        inside(
            namespace,
            lambda: nft.apply(
                [ReplaceSet(rs.PAUSED, {}), ReplaceSet("no_such_set", {("lan0",): None})]
            ),
        )
    assert inside(namespace, lambda: nft.list_set(rs.PAUSED)) == [mac]

    # Elements expire on their own.
    short = ReplaceSet(rs.BLOCKED_REMOTE[0], {("203.0.113.9",): 300, ("203.0.113.10",): None})
    inside(namespace, lambda: nft.apply([short]))
    time.sleep(0.8)
    assert inside(namespace, lambda: nft.list_set(rs.BLOCKED_REMOTE[0])) == [("203.0.113.10",)]

    inside(namespace, nft.remove)
    inside(namespace, nft.remove)  # nothing left to remove: fine
    assert not inside(namespace, nft.table_exists)


def test_a_real_feed_loads_into_the_interval_set(namespace: str) -> None:
    if not URLHAUS.exists():
        pytest.skip(f"the corpus is not here ({URLHAUS})")
    feed = parse_feed(URLHAUS.read_text(encoding="utf-8"), URLHAUS.name)
    enforcement = Enforcement(enforcing=True)
    enforcement.set_indicators(feed)
    nft = NftBackend(nft=find_nft())
    inside(namespace, lambda: nft.install(rs.definition(rs.Layout("lan0", "wan0"))))
    started = time.monotonic()
    inside(namespace, lambda: nft.apply(enforcement.changes(0)))
    took = time.monotonic() - started
    loaded = inside(namespace, lambda: nft.list_set(rs.FEED[0]))
    # nft merges neighbouring addresses into ranges: compare the addresses covered.
    assert covered(loaded) == covered(enforcement.wanted[rs.FEED[0]])
    assert len(covered(loaded)) > 2000
    assert took < 5, f"loading {len(loaded)} addresses took {took:.1f} s"
    print(f"{len(loaded)} feed addresses loaded in {took * 1000:.0f} ms")


def covered(keys: Any) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    out: set[Any] = set()
    for (entry,) in keys:
        if "-" in entry:
            low, high = (ipaddress.ip_address(x) for x in entry.split("-"))
            out.update(ipaddress.ip_address(n) for n in range(int(low), int(high) + 1))
        else:
            out.update(ipaddress.ip_network(entry))
    return out


def test_without_permission_the_error_says_to_run_as_root(tmp_path: Path) -> None:
    if netns.unavailable_reason() or not find_nft():
        pytest.skip("needs root and nft")
    code = (
        "from lanward.lib.nftables import NftBackend, NftError\n"
        f"try:\n    NftBackend(nft={find_nft()!r}).install('table inet lanward {{}}')\n"
        "except NftError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert "run the station as root" in result.stdout, result.stderr
    missing = NftBackend(nft=str(tmp_path / "nft"))
    with pytest.raises(NftError, match="apt-get install nftables"):
        missing.install("table inet lanward {}")
