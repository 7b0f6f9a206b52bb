"""The nDPI test captures in ../shared/corpus/ndpi and their expected outputs, for tests.

`ndpi/pcap/<name>` is a capture; `ndpi/result/<name>.out` is what ndpiReader printed for it.
A flow line of a .out file looks like

    <TAB>1<TAB>TCP 172.16.42.216:54411 <-> 52.85.209.216:443 [proto: ...]...[40 pkts/9869 bytes
    <-> 38 pkts/36764 bytes]...[User-Agent: ...]...

(one line; IPv6 addresses in brackets, `->` when only one side sent anything). `analyze()`
runs `lanward analyze --json --flows` in this process, through the CLI's own entry point, and
caches the result per capture.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
NDPI = CORPUS / "ndpi"
PCAPS = NDPI / "pcap"
RESULTS = NDPI / "result"

IP_PROTOCOLS = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "IGMP": 2}

_FLOW_LINE = re.compile(
    r"^\t(?P<number>\d+)\t(?P<proto>[A-Z0-9]+) (?P<a>\S+) (?P<arrow><->|->) (?P<b>\S+) (?P<rest>\[.*)$"
)
_COUNTS = re.compile(r"\[(\d+) pkts/(\d+) bytes (?:<->|->) (\d+) pkts/(\d+) bytes\]")
# A User-Agent may itself hold brackets ("...PitanguiBridge/1.16-[MANUFACTURER=LGE][SDK=22]"):
# it ends at the "]" that is followed by the next "[Key: " field, a "[FLAG]" or the line end.
_USER_AGENT = re.compile(r"\[User-Agent: (.*?)\](?=\[[A-Z][A-Za-z0-9 /().-]*(?::|\])|$)")


def _field(line: str, key: str) -> str:
    match = re.search(r"\[" + re.escape(key) + r": ([^\]]*)\]", line)
    return match.group(1) if match else ""


def _endpoint(text: str) -> tuple[str, int]:
    ip, _, port = text.rpartition(":")
    return ip.strip("[]"), int(port)


@dataclass(frozen=True)
class ExpectedFlow:
    """One flow as ndpiReader reported it; `a` is the side it printed first."""

    number: int
    protocol: int
    a: tuple[str, int]
    b: tuple[str, int]
    # a->b packets, a->b bytes, b->a packets, b->a bytes
    counts: tuple[int, int, int, int]
    app: str
    user_agent: str = ""
    dhcp_fingerprint: str = ""
    dhcp_class_ident: str = ""
    hostname: str = ""

    @property
    def label(self) -> str:
        """The flow as the .out file writes it, always with "<->": 'TCP 10.0.0.2:1550 <-> 10.0.0.1:23'."""
        name = next(k for k, v in IP_PROTOCOLS.items() if v == self.protocol)

        def fmt(ep: tuple[str, int]) -> str:
            return f"[{ep[0]}]:{ep[1]}" if ":" in ep[0] else f"{ep[0]}:{ep[1]}"

        return f"{name} {fmt(self.a)} <-> {fmt(self.b)}"

    @property
    def client(self) -> tuple[str, int]:
        """The endpoint that made the flow: the one on the ephemeral (higher) port.

        True of every flow that carries a User-Agent or DHCP fields in this corpus: DHCP
        clients send from 68 to 67, HTTP/TLS/SSDP/Xiaomi clients from an ephemeral port; it
        also holds where ndpiReader printed the server first (xiaomi.pcap starts mid-flow).
        """
        return self.a if self.a[1] >= self.b[1] else self.b


def expected_flows(name: str) -> list[ExpectedFlow]:
    out = []
    for line in (RESULTS / f"{name}.out").read_text().splitlines():
        match = _FLOW_LINE.match(line)
        if not match or match["proto"] not in IP_PROTOCOLS:
            continue
        counts = _COUNTS.search(match["rest"])
        assert counts, f"{name}: no packet/byte counts in {line[:120]}"
        user_agent = _USER_AGENT.search(match["rest"])
        is_dhcp = "/DHCP]" in match["rest"]
        out.append(
            ExpectedFlow(
                number=int(match["number"]),
                protocol=IP_PROTOCOLS[match["proto"]],
                a=_endpoint(match["a"]),
                b=_endpoint(match["b"]),
                counts=(
                    int(counts[1]),
                    int(counts[2]),
                    int(counts[3]),
                    int(counts[4]),
                ),
                app=_field(match["rest"], "proto"),
                user_agent=user_agent.group(1) if user_agent else "",
                dhcp_fingerprint=_field(match["rest"], "DHCP Fingerprint"),
                dhcp_class_ident=_field(match["rest"], "DHCP Class Ident"),
                # For DHCP flows ndpiReader's "Hostname/SNI" is the client's option 12.
                hostname=_field(match["rest"], "Hostname/SNI") if is_dhcp else "",
            )
        )
    return out


MISSING = (
    f"the nDPI test corpus is not at {NDPI.resolve()} "
    "(expected ../shared/corpus/ndpi next to the repository)"
)


def capture_names() -> list[str]:
    """Every capture in the corpus; [] when the corpus is absent."""
    if not PCAPS.is_dir() or not RESULTS.is_dir():
        return []
    return sorted(p.name for p in PCAPS.iterdir() if p.suffix in {".pcap", ".pcapng"})


def capture_params() -> list[Any]:
    """For parametrize: every capture, or one test skipped with the reason."""
    return capture_names() or [pytest.param("", marks=pytest.mark.skip(reason=MISSING))]


def require_corpus() -> None:
    if not PCAPS.is_dir() or not RESULTS.is_dir():
        pytest.skip(MISSING)


@dataclass
class Analysis:
    returncode: int
    result: dict[str, Any]
    stderr: str
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.devices = {d["mac"]: d for d in self.result.get("devices", [])}

    def flows_between(
        self, protocol: int, one: tuple[str, int], other: tuple[str, int]
    ) -> list[dict[str, Any]]:
        """Our flow records for this 5-tuple, in either direction, oldest first."""
        ends = {one, other}
        return sorted(
            (
                f
                for f in self.result["flow_records"]
                if f["protocol"] == protocol
                and {(f["src_ip"], f["src_port"]), (f["dst_ip"], f["dst_port"])} == ends
            ),
            key=lambda f: f["first_seen"],
        )


@functools.cache
def analyze(name: str) -> Analysis:
    """`lanward analyze --json --flows` on a corpus capture, in-process (cached)."""
    from lanward import cli

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        returncode = cli.main(["analyze", "--json", "--flows", str(PCAPS / name)])
    result = json.loads(stdout.getvalue()) if stdout.getvalue() else {}
    return Analysis(returncode, result, stderr.getvalue())


# Captures of ordinary devices: no detector may raise a high alert on them.
BENIGN = [
    "android.pcap",
    "iphone.pcap",
    "sonos.pcapng",
    "alexa-app.pcapng",
    "tuya_lp.pcap",
    "xiaomi.pcap",
]
