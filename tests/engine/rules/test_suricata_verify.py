"""Oracle: Suricata's own verification cases (../shared/corpus/suricata-verify).

For every case in SELECTED.txt whose rules lanward can run in full, the capture goes through
`lanward analyze --json --rules <the case's rules>` (in this process, through the CLI entry
point) and the alert counts per signature id are compared with the case's test.yaml checks.

A case is excluded when one of its rules is skipped or refused by our loader; EXCLUDED below
says why, and the test fails if the loader's verdict and that list drift apart. A case whose
counts differ from Suricata's is in DISAGREES with the reason (xfail, strict: fixing it makes
the test fail until the entry is removed).
"""

from __future__ import annotations

import contextlib
import functools
import io
import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lanward.engine.rules import RuleSet
from tests.ndpi_corpus import CORPUS

VERIFY = CORPUS / "suricata-verify"
TESTS = VERIFY / "tests"

# Excluded: a rule of the case uses something the loader does not run (the loader must agree,
# see test_exclusions_match_the_loader).
PAYLOAD = "a content on the packet payload (no application-layer buffer)"
EXCLUDED = {
    "flowbit-oring": PAYLOAD,
    "bug-7199": "pass and reject rules (only alert rules are loaded)",
    "bug-2576-04": PAYLOAD,
    "eve-metadata": "pcre capture into pkt:/flow: variables",
    "bug-2576-04-ips": PAYLOAD,
    "bug-2158": PAYLOAD + ", before dns_query",
    "dns/dns-forward-pointer": "dns.queries.rrname (names in requests and responses)",
    "dns/task-7018-ids-dns-keywords": "dns.queries.rrname (names in requests and responses)",
    "output-multi-eve": "a drop rule, and " + PAYLOAD,
    "firewall/ruletype-firewall-103-default-app-policy-drop-alert": "firewall (accept) rules",
    "ssl_version_negated": "ssl_version",
    "uricontent/detect-uricontent-03": PAYLOAD,
    "dhcp-eve-extended": "DHCP rules (dhcp.leasetime ...)",
    "dhcp-eve-extended-option-60": "no rules: an EVE-output case",
    "dhcp-option-52-overload": "no rules: an EVE-output case",
}

# Runs, but our counts differ from Suricata's: why.
DISAGREES: dict[str, str] = {
    "http-body-inspect": "sid 1 expected 1, got 0: the bytes are at offset 261033 of the "
    "response body; the case raises Suricata's response-body-limit to 1 MiB, while the parser "
    "keeps Suricata's default, the first 100 KiB (RESPONSE_BODY_KEEP)",
}

# test.yaml match keys we can compare; others (pcap_cnt, packet_info.*, ...) are left out of
# the comparison and named in the failure message.
ALERT_KEYS = {
    "event_type",
    "alert.signature_id",
    "alert.signature",
    "src_ip",
    "dest_ip",
    "src_port",
    "dest_port",
}


def cases() -> list[str]:
    selected = VERIFY / "SELECTED.txt"
    return selected.read_text().split() if selected.is_file() else []


def case_params() -> list[Any]:
    names = cases()
    if not names:
        return [
            pytest.param(
                "",
                marks=pytest.mark.skip(reason=f"no suricata-verify corpus at {VERIFY.resolve()}"),
            )
        ]
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=DISAGREES[n], strict=True))
        if n in DISAGREES
        else n
        for n in names
    ]


def rule_files(case: Path) -> list[Path]:
    if (case / "test.rules").is_file():
        return [case / "test.rules"]
    return sorted(case.glob("*.rules"))


def capture(case: Path, spec: dict[str, Any]) -> Path:
    if spec.get("pcap"):
        return case / str(spec["pcap"])
    pcaps = sorted(p for p in case.iterdir() if p.suffix in (".pcap", ".pcapng"))
    assert len(pcaps) == 1, f"{case.name}: expected one capture, found {[p.name for p in pcaps]}"
    return pcaps[0]


def unsupported(files: list[Path]) -> list[str]:
    """Why the loader would not run these rules in full ([] when it runs them all)."""
    if not files:
        return ["no rule file"]
    rules = RuleSet()
    for path in files:
        rules.add_text(path.read_text(encoding="utf-8", errors="replace"), path.name)
    reasons = sorted(rules.report.skipped_by_keyword())
    reasons += [p.describe() for p in rules.report.malformed]
    return reasons


@functools.cache
def analyze(pcap: str, rules: tuple[str, ...]) -> tuple[int, dict[str, Any], str]:
    from lanward import cli

    argv = ["analyze", "--json"]
    for path in rules:
        argv += ["--rules", path]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main([*argv, pcap])
    return code, (json.loads(stdout.getvalue()) if stdout.getvalue() else {}), stderr.getvalue()


def count(alerts: list[dict[str, Any]], match: dict[str, Any]) -> int:
    n = 0
    for a in alerts:
        ev = a["evidence"]
        fields = {
            "alert.signature_id": ev["sid"],
            "alert.signature": ev["msg"],
            "src_ip": a["src"],
            "dest_ip": a["dst"],
            "src_port": ev["src_port"],
            "dest_port": ev["dst_port"],
        }
        if all(_same(fields[k], v) for k, v in match.items() if k in fields):
            n += 1
    return n


def _same(ours: object, theirs: object) -> bool:
    """Equal, addresses compared as addresses (EVE writes IPv6 in full)."""
    if isinstance(ours, str) and isinstance(theirs, str):
        try:
            return ipaddress.ip_address(ours) == ipaddress.ip_address(theirs)
        except ValueError:
            pass
    return ours == theirs


def test_exclusions_match_the_loader() -> None:
    names = cases()
    if not names:
        pytest.skip(f"no suricata-verify corpus at {VERIFY.resolve()}")
    refused = {n for n in names if unsupported(rule_files(TESTS / n))}
    assert refused == set(EXCLUDED), (
        f"excluded but runnable now: {sorted(set(EXCLUDED) - refused)}; "
        f"refused but not listed: {sorted(refused - set(EXCLUDED))}"
    )


@pytest.mark.parametrize("name", case_params())
def test_case(name: str) -> None:
    case = TESTS / name
    files = rule_files(case)
    if name in EXCLUDED:
        pytest.skip(f"excluded: {EXCLUDED[name]} ({', '.join(unsupported(files))})")
    spec = yaml.safe_load((case / "test.yaml").read_text())
    pcap = capture(case, spec)
    code, result, stderr = analyze(str(pcap), tuple(str(f) for f in files))
    assert code == 0, f"lanward analyze failed: {stderr.strip()}"
    ours = {f.name for f in files}
    alerts = [
        a
        for a in result["alerts"]
        if a["detector"] == "signature" and a["evidence"]["source"] in ours
    ]
    compared, problems = 0, []
    for check in spec.get("checks", []):
        filt = check.get("filter") if isinstance(check, dict) else None
        if not filt or filt.get("match", {}).get("event_type") != "alert":
            continue
        match = filt["match"]
        ignored = sorted(set(match) - ALERT_KEYS)
        got = count(alerts, match)
        compared += 1
        if got != filt["count"]:
            problems.append(
                f"{ {k: v for k, v in match.items() if k != 'event_type'} }: expected "
                f"{filt['count']}, got {got}" + (f" (not compared: {ignored})" if ignored else "")
            )
    assert compared, "the case has no alert check"
    sids = sorted(a["evidence"]["sid"] for a in alerts)
    assert not problems, f"{'; '.join(problems)}; our alerts: sids {sids}"
