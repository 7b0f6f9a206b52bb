"""Which credentials are tried, in which order, and what a finding may say about them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lanward.daemons.scanner.passwords.attempts import credential_data
from lanward.engine.seccheck import credentials as cr
from lanward.engine.seccheck.budget import Budget

CREDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "creds"


def corpus(path: str) -> Path:
    p = CREDS / path
    if not p.exists():
        pytest.skip(f"{p} is absent (the shared corpus sits beside the repository)")
    return p


def test_mirai_list_is_the_62_pairs_of_the_mirai_source() -> None:
    with corpus("mirai/mirai_scanner_creds.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 62
    theirs = [(r["username"], r["password"], int(r["weight"])) for r in rows]
    # The source lists one pair twice (guest/12345); ours keeps it once.
    assert len(cr.MIRAI) == 61
    assert sorted(set(theirs)) == sorted(cr.MIRAI)


def test_packaged_defaultcreds_agrees_with_the_published_csv() -> None:
    published = cr.parse_defaultcreds_csv(corpus("defaultcreds/defaultcreds_db.csv").read_text())
    packaged = credential_data().defaults
    assert len(packaged) > 3000
    key = {(e.vendor, e.label, e.username, e.password) for e in published}
    ours = {(e.vendor, e.label, e.username, e.password) for e in packaged}
    assert len(key & ours) / len(key) > 0.95


def test_labels_and_blanks_are_parsed() -> None:
    entries = cr.parse_defaultcreds_csv(
        "product,username,password\n3com (ssh),admin,admin\nAxis,root,<blank>\n"
    )
    assert [(e.vendor, e.label, e.username, e.password) for e in entries] == [
        ("3com", "ssh", "admin", "admin"),
        ("axis", "", "root", ""),
    ]


def test_vendor_defaults_come_first_and_match_the_protocol() -> None:
    data = cr.CredentialData(
        cr.parse_defaultcreds_csv(
            "product,username,password\n"
            "hikvision,admin,12345\n"
            "hikvision (ssh),root,hiklinux\n"
            "dahua,admin,admin\n"
        )
    )
    web = cr.candidates(data, "http", ["Hangzhou Hikvision Digital Technology Co.,Ltd."])
    assert (web[0].list, web[0].vendor, web[0].username) == ("defaultcreds", "hikvision", "admin")
    assert all(c.vendor != "hikvision" or c.username != "root" for c in web)  # ssh-only entry
    ssh = cr.candidates(data, "ssh", ["Hikvision"])
    assert [(c.username, c.vendor) for c in ssh[:2]] == [
        ("admin", "hikvision"),
        ("root", "hikvision"),
    ]
    assert ssh[2].list == "mirai"
    unknown = cr.candidates(data, "telnet", ["Unknown Maker Ltd"])
    assert [c.list for c in unknown[:3]] == ["mirai", "mirai", "weak"]


def test_each_pair_once_and_custom_replaces_the_lists() -> None:
    creds = cr.candidates(credential_data(), "telnet", [])
    pairs = [(c.username, c.password) for c in creds]
    assert len(pairs) == len(set(pairs))
    custom = cr.candidates(credential_data(), "ssh", ["Hikvision"], custom=[("a", "b")])
    assert [(c.list, c.username) for c in custom] == [("custom", "a")]


def test_a_credential_never_shows_its_password() -> None:
    c = cr.Credential("mirai", "", "root", "xc3511")
    assert "xc3511" not in repr(c)
    assert c.public() == {"list": "mirai", "vendor": "", "username": "root"}
    assert c.kind == "default_password"
    assert cr.Credential("weak", "", "admin", "qwerty").kind == "weak_password"


def test_snmp_communities() -> None:
    data = cr.CredentialData(
        cr.parse_defaultcreds_csv(
            "product,username,password\napc smartslot (snmp),<blank>,TENmanUFactOryPOWER\n"
        )
    )
    assert [c.password for c in cr.snmp_communities(data, [])] == ["public", "private"]
    assert len(cr.snmp_communities(data, ["APC by Schneider Electric"])) == 3


def test_budget_is_hard() -> None:
    budget = Budget(2)
    assert budget.take() and budget.take()
    assert not budget.take()
    assert budget.used == 2 and budget.exhausted
    with pytest.raises(ValueError, match="negative"):
        Budget(-1)
