"""Packets per second of `lanward analyze` on a large capture, next to Debian's ndpiReader.

    .venv/bin/python bench/analyze_throughput.py [--packets 1000000] [--corpus DIR] [--runs 1]

What it does, in one run:

1. builds (once, then reuses from a cache) a pcap of at least `--packets` packets from the real
   captures in `--corpus` (pcap or pcapng, Ethernet): every corpus file is read once, the files
   are laid side by side from a common start (long idle gaps shortened to 10 minutes), and that
   round is written again and again, each copy ("lane") starting one second after the previous,
   with its IPv4/IPv6 addresses shifted (third IPv4 octet, 14th IPv6 byte; multicast, broadcast
   and unspecified addresses stay), unicast MACs (and the DHCP client hardware address) varied
   in their last byte, and checksums fixed up, so that every copy adds distinct flows and its
   DHCP/mDNS/DNS/TLS/HTTP traffic still looks like what it is;
2. installs Debian's ndpiReader when it is missing (libndpi-bin; as root) and times
   `ndpiReader -i FILE` (C, nDPI only, single thread, no output file);
3. times `python -m lanward.cli analyze FILE --json` (nfstream flow metering with nDPI, the
   BPF-narrowed discovery pass, the engine, the JSON), whole process from start to exit;
4. prints packets, packets/s (wall clock) and per CPU second, peak memory of each, the flows
   each found (a sanity check), and `ratio analyze_pps/ndpiReader_pps = 0.xx`. With `--runs N`
   the tools run N times each, alternating, and the fastest run of each counts.

Each run of a tool has `--timeout` seconds (1800); temporary files go, only the cached capture
stays.
Exit status: 0 when both tools read the whole capture, 1 when one failed or timed out, 2 on a
setup error (no corpus, no ndpiReader).
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

DEFAULT_CORPUS = "/work/shared/corpus/ndpi/pcap"
DEFAULT_PACKETS = 1_000_000
BUILD_VERSION = 1  # bump when the capture layout changes: the cache key includes it
START_US = 1_704_067_200 * 1_000_000  # 2024-01-01 00:00:00 UTC: a fixed start, a stable file
GAP_CAP_US = 600 * 1_000_000  # idle gaps inside a corpus file shortened to 10 min (> timeouts)
LANE_STEP_US = 1_000_000  # one copy of the round starts every second
LANES = 256  # distinct address shifts; past that, a later epoch with the same shifts
EPOCH_GAP_US = 900 * 1_000_000  # between epochs: all flows of the previous one have expired
MAC_VARIANTS = 8  # unicast MACs vary in their last byte by lane % 8: a few hundred devices
SNAPLEN = 262_144
LINKTYPE_ETHERNET = 1
SAMPLE_S = 0.05  # memory sampling period of the process tree

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)
RECORD = struct.Struct("<IIII")


class SetupError(Exception):
    pass


class RunError(Exception):
    pass


# --- The capture -------------------------------------------------------------------------------


@dataclass
class BasePacket:
    """One corpus packet and where its addresses sit (offsets in the frame)."""

    rel_us: int
    data: bytes
    wirelen: int
    kind: str
    macs: tuple[int, ...] = ()  # last byte of a unicast MAC (Ethernet header; no checksum)
    ip_bytes: tuple[int, ...] = ()  # address byte to shift
    ip_weights: tuple[tuple[int, int], ...] = ()  # (weight in the IPv4 header sum, in the L4 sum)
    chaddr: int = -1  # last byte of the DHCP client hardware address (in the UDP sum)
    chaddr_weight: int = 0
    ip_csum: int = -1  # IPv4 header checksum offset
    l4_csum: int = -1  # TCP/UDP/ICMPv6 checksum offset (covers the addresses)


def classify(proto: int, sport: int, dport: int) -> str:
    ports = {sport, dport}
    if proto == 17:
        for port, name in ((5353, "mDNS"), (53, "DNS"), (67, "DHCP"), (68, "DHCP")):
            if port in ports:
                return name
        if ports & {546, 547, 1900, 137, 138, 5355, 3702}:
            return "other discovery (SSDP, NetBIOS, DHCPv6, LLMNR, WSD)"
        if ports & {443, 80}:
            return "QUIC/UDP 443"
        return "other UDP"
    if proto == 6:
        if ports & {443, 8443, 993, 995, 853}:
            return "TLS (TCP 443 and others)"
        if ports & {80, 8080}:
            return "HTTP"
        if 53 in ports:
            return "DNS"
        return "other TCP"
    return "other IP (ICMP, IGMP, ...)"


def unicast_mac(data: bytes, offset: int) -> bool:
    first = data[offset]
    return not first & 1 and any(data[offset : offset + 6])


def shiftable_v4(data: bytes, offset: int) -> bool:
    first = data[offset]
    return first not in (0, 127) and first < 224  # not unspecified, loopback, multicast, broadcast


def shiftable_v6(data: bytes, offset: int) -> bool:
    addr = data[offset : offset + 16]
    return addr[0] != 0xFF and any(addr[:15])  # not multicast, unspecified or loopback


def describe(rel_us: int, data: bytes, wirelen: int) -> BasePacket:
    """Find the bytes a lane shifts, and the checksums covering them."""
    pkt = BasePacket(rel_us, data, wirelen, "non-IP (ARP, EAPOL, ...)")
    if len(data) < 14:
        return pkt
    pkt.macs = tuple(off + 5 for off in (0, 6) if unicast_mac(data, off))
    off = 14
    ethertype = struct.unpack_from("!H", data, 12)[0]
    while ethertype in (0x8100, 0x88A8) and len(data) >= off + 4:
        ethertype = struct.unpack_from("!H", data, off + 2)[0]
        off += 4
    if ethertype == 0x8864 and len(data) >= off + 8:  # PPPoE session
        ethertype = {0x0021: 0x0800, 0x0057: 0x86DD}.get(
            struct.unpack_from("!H", data, off + 6)[0], 0
        )
        off += 8
    if ethertype == 0x0800 and len(data) >= off + 20:
        ihl = (data[off] & 0x0F) * 4
        proto = data[off + 9]
        first_fragment = struct.unpack_from("!H", data, off + 6)[0] & 0x1FFF == 0
        l4 = off + ihl
        # Third octet of each address: offsets 14 and 18 in the header, high byte of a word.
        pkt.ip_bytes = tuple(a + 2 for a in (off + 12, off + 16) if shiftable_v4(data, a))
        pkt.ip_weights = tuple((256, 256) for _ in pkt.ip_bytes)
        pkt.ip_csum = off + 10
    elif ethertype == 0x86DD and len(data) >= off + 40:
        proto = data[off + 6]
        first_fragment = True
        l4 = off + 40
        # 14th byte of each address: offsets 21 and 37 in the header, low byte of a word.
        pkt.ip_bytes = tuple(a + 13 for a in (off + 8, off + 24) if shiftable_v6(data, a))
        pkt.ip_weights = tuple((0, 1) for _ in pkt.ip_bytes)
    else:
        return pkt
    sport = dport = 0
    if proto in (6, 17) and first_fragment and len(data) >= l4 + 4:
        sport, dport = struct.unpack_from("!HH", data, l4)
    pkt.kind = classify(proto, sport, dport)
    if not first_fragment:
        return pkt
    if proto == 6 and len(data) >= l4 + 18:
        pkt.l4_csum = l4 + 16
    elif proto == 17 and len(data) >= l4 + 8:
        if ethertype == 0x86DD or struct.unpack_from("!H", data, l4 + 6)[0] != 0:
            pkt.l4_csum = l4 + 6
        bootp = l4 + 8
        if (
            {sport, dport} & {67, 68}
            and len(data) >= bootp + 34
            and data[bootp + 1 : bootp + 3] == b"\x01\x06"
        ):
            if unicast_mac(data, bootp + 28):
                pkt.chaddr = bootp + 33  # odd offset from the UDP header: low byte of a word
                pkt.chaddr_weight = 1
    elif proto == 58 and len(data) >= l4 + 4:
        pkt.l4_csum = l4 + 2
    return pkt


def read_capture(path: Path) -> tuple[list[tuple[int, bytes, int]], str]:
    """(timestamp in us, frame, original length) of every Ethernet packet; and a skip reason."""
    from scapy.utils import RawPcapNgReader, RawPcapReader

    out: list[tuple[int, bytes, int]] = []
    skipped = 0
    with RawPcapReader(str(path)) as reader:  # a pcapng file gives a RawPcapNgReader
        for data, meta in reader:
            if isinstance(reader, RawPcapNgReader):
                if getattr(meta, "linktype", LINKTYPE_ETHERNET) != LINKTYPE_ETHERNET:
                    skipped += 1
                    continue
                ng: Any = meta  # PacketMetadataNg
                units = (ng.tshigh << 32) | ng.tslow
                ts_us = units * 1_000_000 // int(ng.tsresol)
            else:
                if reader.linktype != LINKTYPE_ETHERNET:
                    skipped += 1
                    continue
                sub = meta.usec // 1000 if getattr(reader, "nano", False) else meta.usec
                ts_us = meta.sec * 1_000_000 + sub
            out.append((ts_us, bytes(data[:SNAPLEN]), max(meta.wirelen, len(data))))
    return out, f"{skipped} non-Ethernet packets skipped" if skipped else ""


def load_round(corpus: Path) -> tuple[list[BasePacket], list[str]]:
    """All corpus files from a common start, merged by time: one round of the capture."""
    files = sorted(p for p in corpus.iterdir() if p.suffix in (".pcap", ".pcapng") and p.is_file())
    if not files:
        raise SetupError(f"no .pcap or .pcapng files in {corpus}")
    packets: list[BasePacket] = []
    notes = []
    for path in files:
        try:
            records, note = read_capture(path)
        except Exception as exc:  # a damaged corpus file: say which, go on without it
            notes.append(f"{path.name}: unreadable ({type(exc).__name__}: {exc}), left out")
            continue
        if note:
            notes.append(f"{path.name}: {note}")
        if not records:
            continue
        records.sort(key=lambda r: r[0])
        rel = 0
        prev = records[0][0]
        for ts_us, data, wirelen in records:
            rel += min(ts_us - prev, GAP_CAP_US)
            prev = ts_us
            packets.append(describe(rel, data, wirelen))
    if not packets:
        raise SetupError(f"no Ethernet packets in the captures in {corpus}")
    packets.sort(key=lambda p: p.rel_us)
    return packets, notes


def adjust(csum: int, delta: int) -> int:
    """RFC 1624 incremental update: a checksum after its covered words grew by `delta`."""
    return ~(((~csum & 0xFFFF) + delta) % 0xFFFF) & 0xFFFF


def lane_frame(pkt: BasePacket, lane: int) -> bytes:
    """The packet as it appears in a lane: addresses shifted, checksums kept right."""
    if lane == 0:
        return pkt.data
    buf = bytearray(pkt.data)
    mac_shift = lane % MAC_VARIANTS
    for pos in pkt.macs:
        buf[pos] = (buf[pos] + mac_shift) & 0xFF
    d_ip = d_l4 = 0
    for pos, (w_ip, w_l4) in zip(pkt.ip_bytes, pkt.ip_weights, strict=True):
        old = buf[pos]
        new = buf[pos] = (old + lane) & 0xFF
        d_ip += (new - old) * w_ip
        d_l4 += (new - old) * w_l4
    if pkt.chaddr >= 0:
        old = buf[pkt.chaddr]
        new = buf[pkt.chaddr] = (old + mac_shift) & 0xFF
        d_l4 += (new - old) * pkt.chaddr_weight
    if d_ip and pkt.ip_csum >= 0:
        csum = struct.unpack_from("!H", buf, pkt.ip_csum)[0]
        struct.pack_into("!H", buf, pkt.ip_csum, adjust(csum, d_ip))
    if d_l4 and pkt.l4_csum >= 0:
        csum = struct.unpack_from("!H", buf, pkt.l4_csum)[0]
        struct.pack_into("!H", buf, pkt.l4_csum, adjust(csum, d_l4))
    return bytes(buf)


def lane_offset_us(copy: int, round_us: int) -> int:
    epoch, lane = divmod(copy, LANES)
    return epoch * (round_us + LANES * LANE_STEP_US + EPOCH_GAP_US) + lane * LANE_STEP_US


def write_capture(path: Path, packets: list[BasePacket], copies: int) -> None:
    round_us = packets[-1].rel_us

    def lane(copy: int) -> Iterator[tuple[int, int, int]]:
        base = START_US + lane_offset_us(copy, round_us)
        return ((base + p.rel_us, copy, i) for i, p in enumerate(packets))

    with path.open("wb", buffering=1 << 22) as out:
        out.write(PCAP_HEADER)
        for ts_us, copy, i in heapq.merge(*(lane(c) for c in range(copies))):
            pkt = packets[i]
            frame = lane_frame(pkt, copy % LANES)
            sec, usec = divmod(ts_us, 1_000_000)
            out.write(RECORD.pack(sec, usec, len(frame), pkt.wirelen))
            out.write(frame)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Capture:
    path: Path
    packets: int
    size: int
    duration_s: float
    copies: int
    round_packets: int
    mix: Counter[str]
    reused: bool
    notes: list[str] = field(default_factory=list)


def cache_key(corpus: Path, target: int) -> str:
    digest = hashlib.sha256(f"v{BUILD_VERSION} packets={target}".encode())
    for path in sorted(corpus.iterdir()):
        if path.suffix in (".pcap", ".pcapng") and path.is_file():
            digest.update(path.name.encode() + b"\0" + file_sha256(path).encode())
    return digest.hexdigest()[:16]


def build_capture(corpus: Path, target: int, cache_dir: Path) -> Capture:
    if not corpus.is_dir():
        raise SetupError(f"corpus {corpus} is not a directory (give --corpus DIR)")
    packets, notes = load_round(corpus)
    copies = -(-target // len(packets))
    mix: Counter[str] = Counter()
    for p in packets:
        mix[p.kind] += copies
    round_us = packets[-1].rel_us
    duration_s = (lane_offset_us(copies - 1, round_us) + round_us) / 1e6
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"analyze-{target}-{cache_key(corpus, target)}.pcap"
    sums = path.with_name(path.name + ".sha256")
    capture = Capture(
        path, copies * len(packets), 0, duration_s, copies, len(packets), mix, False, notes
    )
    if path.exists() and sums.exists():
        want = sums.read_text().split()[0]
        if file_sha256(path) == want:  # also brings the file into the page cache
            capture.size, capture.reused = path.stat().st_size, True
            return capture
        print(f"  cached {path.name} does not match its checksum: building it again")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_capture(tmp, packets, copies)
        digest = file_sha256(tmp)
        tmp.replace(path)
        sums.write_text(f"{digest}  {path.name}\n")
    finally:
        tmp.unlink(missing_ok=True)
    capture.size = path.stat().st_size
    return capture


# --- Running and measuring a tool --------------------------------------------------------------


@dataclass
class Measured:
    wall_s: float
    cpu_s: float  # user + system, the process and its waited-for children
    maxrss_kib: int  # wait4 ru_maxrss: the largest single process of the tree
    tree_rss_kib: int  # peak of the sampled sum over the tree
    tree_pss_kib: int  # the same, proportional set size (shared pages counted once)
    root_rss_kib: int  # sampled peak of the process we started
    child_rss_kib: int  # sampled peak of its largest descendant (0: none)
    processes: int  # most processes seen at once
    returncode: int
    timed_out: bool


def sample_tree(pid: int, stop: threading.Event, peak: dict[str, int]) -> None:
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        rss = pss = count = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        for proc in procs:
            try:
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            count += 1
            role = "root" if proc.pid == pid else "child"
            peak[role] = max(peak[role], info.rss // 1024)
        peak["rss"] = max(peak["rss"], rss // 1024)
        peak["pss"] = max(peak["pss"], pss // 1024)
        peak["procs"] = max(peak["procs"], count)
        stop.wait(SAMPLE_S)


def run_measured(cmd: list[str], stdout: Path, stderr: Path, timeout: float) -> Measured:
    """Run cmd in its own session; wall time to its exit, its rusage, its tree's peak memory."""
    peak = {"rss": 0, "pss": 0, "procs": 0, "root": 0, "child": 0}
    stop = threading.Event()
    timed_out = threading.Event()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    sampler = threading.Thread(target=sample_tree, args=(proc.pid, stop, peak), daemon=True)
    sampler.start()
    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    except BaseException:  # Ctrl-C, SIGTERM: take the tool down with us
        kill()
        raise
    finally:
        timer.cancel()
        stop.set()
        sampler.join(timeout=5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:  # whatever it left behind in its session (nfstream meters are daemonic; to be sure)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return Measured(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_kib=usage.ru_maxrss,
        tree_rss_kib=peak["rss"],
        tree_pss_kib=peak["pss"],
        root_rss_kib=peak["root"],
        child_rss_kib=peak["child"],
        processes=peak["procs"],
        returncode=proc.returncode,
        timed_out=timed_out.is_set(),
    )


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no output)"
    return "\n".join(text[-lines:]) or "(no output)"


def check_run(name: str, m: Measured, timeout: float, stderr: Path) -> None:
    if m.timed_out:
        raise RunError(f"{name} did not finish in {timeout:g} s (killed)")
    if m.returncode != 0:
        raise RunError(f"{name} exited with {m.returncode}:\n{tail(stderr)}")


# --- ndpiReader --------------------------------------------------------------------------------


def ensure_ndpireader() -> str:
    found = shutil.which("ndpiReader")
    if found:
        return found
    if os.geteuid() != 0:
        raise SetupError("ndpiReader is missing: install it with `apt-get install -y libndpi-bin`")
    print("installing Debian's ndpiReader (apt-get install -y libndpi-bin) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")

    def apt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["apt-get", *args], env=env, capture_output=True, text=True, timeout=900
        )

    if apt("install", "-y", "libndpi-bin").returncode != 0:  # stale lists: update, once more
        apt("update")
        result = apt("install", "-y", "libndpi-bin")
        if result.returncode != 0:
            raise SetupError(f"apt-get install -y libndpi-bin failed:\n{result.stderr[-2000:]}")
    found = shutil.which("ndpiReader")
    if not found:
        raise SetupError("libndpi-bin is installed but there is no ndpiReader on PATH")
    return found


def ndpi_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    match = re.search(r"nDPI (\d[\w.\-]*)", out.stdout + out.stderr)
    return match.group(1) if match else "?"


def parse_ndpi(stdout: Path) -> dict[str, int]:
    """Counters from ndpiReader's summary (printed when not run with -q)."""
    text = stdout.read_text(errors="replace")
    found: dict[str, int] = {}
    patterns = {
        "ip_packets": r"IP packets:\s+(\d+)",
        "packets": r"IP packets:\s+\d+\s+of\s+(\d+)\s+packets total",
        "flows": r"Unique flows:\s+(\d+)",
        "processing_ms": r"Packet Processing Time:\s+(\d+)\s+msec",
    }
    for key, pattern in patterns.items():
        match = re.search(pattern, text)
        if match:
            found[key] = int(match.group(1))
    for key in ("packets", "flows"):
        if key not in found:
            raise RunError(f"ndpiReader printed no '{key}' counter:\n{tail(stdout)}")
    return found


# --- Main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--packets",
        type=int,
        default=DEFAULT_PACKETS,
        help=f"at least this many ({DEFAULT_PACKETS})",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("LANWARD_BENCH_CORPUS", DEFAULT_CORPUS)),
        help=f"directory of real captures (LANWARD_BENCH_CORPUS, {DEFAULT_CORPUS})",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "lanward-bench-cache",
        help="where the built capture is kept between runs (TMPDIR/lanward-bench-cache)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds each tool may take, per run (1800)"
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="runs of each tool, alternating; the fastest counts (1)"
    )
    opts = parser.parse_args(argv)
    for name in ("packets", "timeout", "runs"):
        if getattr(opts, name) <= 0:
            parser.error(f"--{name} must be positive")
    return opts


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def loadavg() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


@dataclass
class Outcome:
    runs: list[Measured]
    counts: dict[str, int]  # ndpiReader: packets, flows, ...; lanward: flows, devices

    @property
    def best(self) -> Measured:
        return min(self.runs, key=lambda m: m.wall_s)


def run_ndpireader(binary: str, cap: Capture, work: Path, timeout: float) -> Outcome:
    # No -q: its summary carries the packet and flow counters. No -w/-C/-j: no output file.
    out, err = work / "ndpi.out", work / "ndpi.err"
    m = run_measured([binary, "-i", str(cap.path)], out, err, timeout)
    check_run("ndpiReader", m, timeout, err)
    counts = parse_ndpi(out)
    if counts["packets"] != cap.packets:
        raise RunError(f"ndpiReader read {counts['packets']:,} of {cap.packets:,} packets")
    return Outcome([m], counts)


def run_analyze(cap: Capture, work: Path, timeout: float) -> Outcome:
    out, err = work / "analyze.json", work / "analyze.err"
    cmd = [sys.executable, "-m", "lanward.cli", "analyze", str(cap.path), "--json"]
    m = run_measured(cmd, out, err, timeout)
    check_run("lanward analyze", m, timeout, err)
    try:
        result = json.loads(out.read_text())
    except ValueError as exc:
        raise RunError(f"lanward analyze printed no JSON ({exc}):\n{tail(err)}") from exc
    if result.get("capture", {}).get("truncated"):
        raise RunError(f"lanward analyze stopped before the end of the capture:\n{tail(err)}")
    return Outcome([m], {"flows": int(result["flows"]), "devices": len(result["devices"])})


def report_rate(packets: int, o: Outcome) -> None:
    m = o.best
    runs = (
        ""
        if len(o.runs) == 1
        else f", fastest of {len(o.runs)} runs: " + ", ".join(f"{r.wall_s:.1f}" for r in o.runs)
    )
    print(f"  {packets:,} packets in {m.wall_s:.2f} s = {packets / m.wall_s:,.0f} packets/s{runs}")
    print(
        f"  CPU (user + system, all its processes): {m.cpu_s:.2f} s = "
        f"{packets / m.cpu_s:,.0f} packets per CPU second"
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    print("lanward analyze throughput benchmark")
    work = Path(tempfile.mkdtemp(prefix="lanward-bench-analyze-"))
    try:
        ndpi = ensure_ndpireader()
        started = time.perf_counter()
        cap = build_capture(opts.corpus, opts.packets, opts.cache_dir)
        how = "reused, checksum verified," if cap.reused else "built"
        print(
            f"capture: {cap.path} ({how} in {time.perf_counter() - started:.1f} s)\n"
            f"  {cap.packets:,} packets, {cap.size / 2**20:.0f} MiB, "
            f"{cap.duration_s / 60:.0f} min of traffic: {cap.copies} address-shifted copies of "
            f"{cap.round_packets:,} packets from {opts.corpus}"
        )
        for note in cap.notes:
            print(f"  {note}")
        mix = ", ".join(f"{k} {n / cap.packets:.1%}" for k, n in cap.mix.most_common())
        print(f"  mix: {mix}")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"cores: {cores} (load average before the runs: {loadavg():.2f})")
        sys.stdout.flush()
        nd = lw = None
        for _ in range(opts.runs):
            one = run_ndpireader(ndpi, cap, work, opts.timeout)
            nd = one if nd is None else Outcome(nd.runs + one.runs, nd.counts)
            one = run_analyze(cap, work, opts.timeout)
            lw = one if lw is None else Outcome(lw.runs + one.runs, lw.counts)
        assert nd is not None and lw is not None
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    except RunError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"load average after the runs: {loadavg():.2f}")
    n = nd.best
    print(f"ndpiReader {ndpi_version(ndpi)} ({ndpi} -i FILE; one processing thread):")
    report_rate(cap.packets, nd)
    own = nd.counts.get("processing_ms")
    if own is not None:
        print(f"  its own 'Packet Processing Time': {own / 1000:.2f} s")
    print(f"  flows: {nd.counts['flows']:,} ('Unique flows')")
    print(f"  peak memory: {mib(n.maxrss_kib)} RSS (ru_maxrss; one process)")
    w = lw.best
    print("lanward analyze (python -m lanward.cli analyze FILE --json, start to exit):")
    report_rate(cap.packets, lw)
    print(f"  flows: {lw.counts['flows']:,}; devices: {lw.counts['devices']:,}")
    print(
        f"  peak memory: {mib(w.maxrss_kib)} RSS (ru_maxrss: its largest single process); "
        f"sampled every {SAMPLE_S:g} s: main process {mib(w.root_rss_kib)}, largest nfstream "
        f"meter {mib(w.child_rss_kib)}, whole tree {mib(w.tree_pss_kib)} PSS "
        f"({mib(w.tree_rss_kib)} RSS summed), at most {w.processes} processes at once"
    )
    nd_pps, lw_pps = cap.packets / n.wall_s, cap.packets / w.wall_s
    print(f"ratio by CPU time, analyze/ndpiReader packets per CPU second = {n.cpu_s / w.cpu_s:.2f}")
    print(f"ratio analyze_pps/ndpiReader_pps = {lw_pps / nd_pps:.2f}")
    return 0


class Interrupted(SystemExit):
    pass


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(128 + signum)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Interrupted, KeyboardInterrupt) as exc:
        print("interrupted; the tool was stopped and temporary files removed", file=sys.stderr)
        sys.exit(exc.code if isinstance(exc, Interrupted) else 130)
