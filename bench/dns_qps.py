"""Queries per second of `lanward dns serve` with a 1,000,000-name blocklist, next to dnsmasq.

    .venv/bin/python bench/dns_qps.py [--domains 1000000] [--seconds 20] [--clients 10]
                                      [--max-qps N] [--dnsmasq-list address|hosts]

What it does, in one run:

1. generates (seeded, in a temporary directory) a blocklist of `--domains` random but realistic
   names under 70 TLDs as a hosts file (`0.0.0.0 name`, lanward's `--list`), the same names as
   dnsmasq `address=/name/` lines (default: name and subdomains, NXDOMAIN, as lanward blocks;
   `--dnsmasq-list hosts` gives dnsmasq a hosts file with `0.0.0.0` and `::` per name through
   `--addn-hosts` instead: exact names only), 5,000 allowed names, and a shuffled dnsperf query
   file mixing `--blocked-share` blocked queries (listed names, and subdomains of listed names
   when dnsmasq blocks subdomains too) with allowed ones, A and AAAA;
2. starts a local upstream, a second dnsmasq authoritative for the allowed names (`--addn-hosts`,
   `--no-resolv`, TTL 3600, public addresses so lanward's rebinding protection stays on);
3. installs dnsperf and dnsmasq when missing (apt-get, as root), starts dnsmasq (cache 10,000,
   forwarding to the upstream) and then `lanward dns serve` (forwarding to the same upstream,
   `--block-answer nxdomain`) on 127.0.0.1, and times each until it answers a query for the last
   listed name with a block answer (list load time); checks a sample of queries against the
   expected answers; RSS/PSS after load;
4. for each: one cold pass over every allowed query (each one forwarded to the upstream, which
   also warms the caches), then `dnsperf -l --seconds -c --clients [-Q --max-qps]` over the query
   file (throughput), then a latency run at the same fixed rate for both (half the lower
   throughput unless `--latency-qps`) with `dnsperf -v`, for p50/p90/p99/p99.9 per query; RSS/PSS
   and CPU time after the runs;
5. prints a table and `ratio lanward_qps/dnsmasq_qps = 0.xx`, the p99, memory and load-time
   ratios.

Only 127.0.0.1 is used. Every process started is stopped and the temporary directory removed
whatever happens. Exit status: 0 when both servers answered everything as expected, 1 when one
failed (wrong answers, lost queries, died, timed out), 2 on a setup error, 128 + signal when
interrupted.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import psutil

HOST = "127.0.0.1"
ALLOWED_NAMES = 5_000  # fits both caches (dnsmasq 10,000 entries, lanward 20,000), A + AAAA
UPSTREAM_TTL = 3600  # longer than any run: allowed answers stay cached once the cold pass is done
DNSMASQ_CACHE = 10_000
SAMPLE_CHECKS = 400  # queries checked against the expected answer before the load
LOST_LIMIT = 0.001  # more lost queries than this share fails the run

# (TLD, weight): roughly the mix of public blocklists (StevenBlack, OISD, URLhaus, phishing
# feeds): mostly .com, then the cheap gTLDs and country codes that abuse favours.
TLDS: list[tuple[str, float]] = [
    ("com", 40), ("net", 7), ("org", 4), ("info", 3), ("xyz", 3), ("top", 3), ("ru", 3),
    ("online", 1.5), ("site", 1.5), ("club", 1), ("io", 1.5), ("de", 1.5), ("cn", 1.5),
    ("co.uk", 1), ("uk", 0.5), ("biz", 1), ("us", 1), ("in", 1), ("br", 0.5), ("com.br", 1),
    ("fr", 1), ("jp", 0.5), ("co.jp", 0.5), ("pl", 1), ("nl", 1), ("it", 1), ("es", 0.8),
    ("tk", 1), ("ml", 0.5), ("ga", 0.5), ("cf", 0.5), ("gq", 0.3), ("pw", 0.5), ("cc", 0.8),
    ("ws", 0.3), ("su", 0.3), ("ua", 0.5), ("com.ua", 0.3), ("kz", 0.2), ("ir", 0.3),
    ("tr", 0.2), ("com.tr", 0.4), ("vn", 0.4), ("com.vn", 0.3), ("id", 0.4), ("co.id", 0.3),
    ("com.au", 0.5), ("ca", 0.5), ("me", 0.8), ("app", 0.5), ("live", 0.6), ("shop", 0.8),
    ("store", 0.5), ("icu", 0.8), ("buzz", 0.4), ("click", 0.6), ("link", 0.6), ("work", 0.4),
    ("win", 0.4), ("bid", 0.3), ("loan", 0.2), ("fun", 0.4), ("space", 0.4), ("website", 0.3),
    ("tech", 0.3), ("pro", 0.3), ("mobi", 0.3), ("cloud", 0.3), ("ly", 0.2), ("to", 0.3),
]  # fmt: skip
WORDS = (
    "ad ads adv advert track tracker tracking stat stats metric metrics pixel tag tags click "
    "clicks count counter analytics analytic beacon media cdn static img image banner promo "
    "deal deals offer offers bonus casino bet bets poker slots win lucky free prize gift crypto "
    "coin wallet mining miner login secure verify account update support service bank pay "
    "payment billing invoice cloud data sync api mail web net online shop store market buy "
    "sale cheap best top hot fast quick smart super mega ultra global world city news daily "
    "live video stream tube movie music game games play apps app soft tools host server node "
    "link links redirect go jump traffic visit survey reward rewards push notify alert sms "
    "cash money loan credit trade forex invest profit auth sso portal secure safe check"
).split()
SUBS = (
    "www m ads ad track tracking metrics stats pixel cdn img static api log logs events t s "
    "click go mail login secure app assets beacon collect sync telemetry"
).split()
CONS = "bcdfghjklmnprstvwz"
VOWELS = "aeiou"


class SetupError(Exception):
    pass


class RunError(Exception):
    pass


# --- The lists ----------------------------------------------------------------------------------


def syllables(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(CONS) + rng.choice(VOWELS) for _ in range(rng.randint(low, high)))


def label(rng: random.Random) -> str:
    """One second-level label, in the shapes blocklists are full of."""
    shape = rng.random()
    if shape < 0.25:
        return rng.choice(WORDS) + rng.choice(WORDS)
    if shape < 0.40:
        return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    if shape < 0.55:
        return syllables(rng, 2, 4)
    if shape < 0.67:
        return rng.choice(WORDS) + syllables(rng, 1, 3)
    if shape < 0.77:
        return f"{rng.choice(WORDS)}{rng.randint(1, 9999)}"
    if shape < 0.90:  # algorithmically generated (malware DGAs, throwaway phishing hosts)
        return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(8, 16)))
    return f"{syllables(rng, 1, 3)}-{rng.choice(WORDS)}-{rng.randint(1, 99)}"


def blocked_name(rng: random.Random, tlds: list[str], weights: list[float]) -> str:
    base = f"{label(rng)}.{rng.choices(tlds, weights)[0]}"
    depth = rng.random()
    if depth < 0.55:
        return base
    if depth < 0.90:  # one host under a registered domain: ads.example.com
        return f"{rng.choice(SUBS)}.{base}"
    return f"{rng.choice(SUBS)}{rng.randint(1, 20)}.{syllables(rng, 1, 2)}.{base}"


def suffixes(name: str) -> list[str]:
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


@dataclass
class Dataset:
    work: Path
    hosts: Path  # the blocklist, `0.0.0.0 name`: lanward's --list
    dnsmasq_list: Path  # the same names for dnsmasq: address=/name/ lines, or a hosts file
    upstream_hosts: Path  # what the upstream answers: each allowed name with A and AAAA
    queries: Path  # the dnsperf query file (shuffled mix)
    cold: Path  # every distinct allowed query once: the cold pass
    domains: int
    lines: int
    blocked_queries: int
    subdomain_queries: int
    allowed_answers: dict[str, tuple[str, str]]
    probe: str  # the last listed name: answered as blocked only once the whole list is loaded
    samples: list[tuple[str, str, str]] = field(default_factory=list)  # name, type, expectation
    tld_count: int = 0


def make_dataset(
    work: Path, domains: int, lines: int, blocked_share: float, subdomains: bool, seed: int
) -> Dataset:
    rng = random.Random(seed)
    tlds = [t for t, _ in TLDS]
    weights = [w for _, w in TLDS]
    listed: dict[str, None] = {}  # ordered and unique
    while len(listed) < domains:
        listed[blocked_name(rng, tlds, weights)] = None
    names = list(listed)
    hosts = work / "blocklist.hosts"
    with hosts.open("w") as out:
        out.write(f"# lanward bench: {domains:,} generated names, seed {seed}\n")
        out.write("".join(f"0.0.0.0 {n}\n" for n in names))
    if subdomains:  # the same names as dnsmasq address=/name/ lines: NXDOMAIN, subdomains too
        dnsmasq_list = work / "blocklist.conf"
        with dnsmasq_list.open("w") as out:
            out.write("".join(f"address=/{n}/\n" for n in names))
    else:
        # dnsmasq answers only the address families a hosts file lists and forwards the rest:
        # with 0.0.0.0 alone every AAAA query for a blocked name would go upstream. Both
        # families, as hosts-file blocklists meant for dnsmasq (Pi-hole's gravity) have.
        dnsmasq_list = work / "blocklist-dnsmasq.hosts"
        with dnsmasq_list.open("w") as out:
            out.write("".join(f"0.0.0.0 {n}\n:: {n}\n" for n in names))

    # Allowed names: a different shape (popular sites), none of them on the list, exactly or
    # under a listed name (both servers would block those when matching subdomains).
    allowed: dict[str, tuple[str, str]] = {}
    while len(allowed) < ALLOWED_NAMES:
        base = f"{syllables(rng, 2, 4)}{rng.choice(['', 'ly', 'io', 'hub', 'ify'])}"
        tld = rng.choices(["com", "net", "org", "io", "de", "co.uk", "fr", "app"], k=1)[0]
        name = f"{rng.choice(['www.', '', 'api.', 'cdn.', 'static.', 'mail.', ''])}{base}.{tld}"
        if name in allowed or any(s in listed for s in suffixes(name)):
            continue
        # Public addresses (not private, loopback, documentation...), or lanward's rebinding
        # protection would refuse them.
        ip4 = f"{rng.choice([23, 34, 52, 104, 142, 151, 172, 185])}.{rng.randint(0, 255)}."
        ip4 += f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if ip4.startswith("172.") and 16 <= int(ip4.split(".")[1]) <= 31:
            ip4 = "104" + ip4[3:]
        ip6 = f"2606:4700:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
        allowed[name] = (ip4, ip6)
    upstream_hosts = work / "upstream.hosts"
    with upstream_hosts.open("w") as out:
        for name, (ip4, ip6) in allowed.items():
            out.write(f"{ip4} {name}\n{ip6} {name}\n")
    cold = work / "cold.txt"
    with cold.open("w") as out:
        out.write("".join(f"{n} A\n{n} AAAA\n" for n in allowed))

    # The mix. Allowed names by popularity (Zipf-like, as a home network's traffic), blocked
    # names uniformly from the whole list (so lookups touch all of it), A a bit more than AAAA.
    allowed_names = list(allowed)
    popularity = [1 / (i + 1) ** 0.8 for i in range(len(allowed_names))]
    blocked_n = round(lines * blocked_share)
    sub_n = blocked_n // 2 if subdomains else 0
    entries: list[tuple[str, str, str]] = []
    for i in range(blocked_n):
        name = rng.choice(names)
        if i < sub_n:
            name = f"{rng.choice(SUBS)}.{name}"
        entries.append((name, "A" if rng.random() < 0.55 else "AAAA", "blocked"))
    for name in rng.choices(allowed_names, popularity, k=lines - blocked_n):
        entries.append((name, "A" if rng.random() < 0.55 else "AAAA", "allowed"))
    rng.shuffle(entries)
    queries = work / "queries.txt"
    with queries.open("w") as out:
        out.write("".join(f"{n} {t}\n" for n, t, _ in entries))
    for path in (hosts, dnsmasq_list, upstream_hosts, cold, queries):
        path.chmod(0o644)  # dnsmasq reads its files after dropping root
    return Dataset(
        work=work,
        hosts=hosts,
        dnsmasq_list=dnsmasq_list,
        upstream_hosts=upstream_hosts,
        queries=queries,
        cold=cold,
        domains=domains,
        lines=lines,
        blocked_queries=blocked_n,
        subdomain_queries=sub_n,
        allowed_answers=allowed,
        probe=names[-1],
        samples=rng.sample(entries, min(SAMPLE_CHECKS, len(entries))),
        tld_count=len(tlds),
    )


# --- Processes ---------------------------------------------------------------------------------


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = int(udp.getsockname()[1])
            with socket.socket() as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise SetupError("no free port on 127.0.0.1")


@dataclass
class Server:
    name: str
    cmd: list[str]
    port: int
    log: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(
                self.cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise RunError(f"{self.name} exited (status {code}):\n{tail(self.log)}")

    def processes(self) -> list[psutil.Process]:
        assert self.proc is not None
        root = psutil.Process(self.proc.pid)
        return [root, *root.children(recursive=True)]

    def memory_kib(self) -> tuple[int, int]:
        """RSS and PSS summed over the process and any children."""
        rss = pss = 0
        for proc in self.processes():
            info = proc.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        return rss // 1024, pss // 1024

    def cpu_s(self) -> float:
        total = 0.0
        for proc in self.processes():
            times = proc.cpu_times()
            total += times.user + times.system
        return total

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no output)"
    return "\n".join(text[-lines:]) or "(no output)"


def ensure_tools() -> dict[str, str]:
    wanted = {"dnsperf": "dnsperf", "dnsmasq": "dnsmasq"}
    found = {tool: shutil.which(tool) or shutil.which(tool, path="/usr/sbin") for tool in wanted}
    missing = [wanted[tool] for tool, path in found.items() if not path]
    if missing:
        if os.geteuid() != 0:
            raise SetupError(
                f"missing {', '.join(missing)}: apt-get install -y {' '.join(missing)}"
            )
        print(f"installing {' '.join(missing)} (apt-get install -y) ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")

        def apt(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["apt-get", *args], env=env, capture_output=True, text=True, timeout=900
            )

        if apt("install", "-y", *missing).returncode != 0:  # stale lists: update, once more
            apt("update")
            result = apt("install", "-y", *missing)
            if result.returncode != 0:
                raise SetupError(f"apt-get install failed:\n{result.stderr[-2000:]}")
        found = {
            tool: shutil.which(tool) or shutil.which(tool, path="/usr/sbin") for tool in wanted
        }
        if not all(found.values()):
            raise SetupError(f"installed, but not on PATH: {found}")
    return {tool: str(path) for tool, path in found.items()}


def tool_version(cmd: list[str], pattern: str) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    match = re.search(pattern, out.stdout + out.stderr)
    return match.group(1) if match else "?"


# --- DNS checks --------------------------------------------------------------------------------


def ask(port: int, name: str, qtype: str, timeout: float = 1.0) -> dns.message.Message | None:
    query = dns.message.make_query(name, qtype)
    try:
        return dns.query.udp(query, HOST, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None


def addresses(response: dns.message.Message) -> set[str]:
    return {rd.to_text() for rrset in response.answer for rd in rrset}


def is_blocked(response: dns.message.Message | None, qtype: str, nxdomain: bool) -> bool:
    if response is None:
        return False
    if nxdomain:
        return response.rcode() == dns.rcode.NXDOMAIN
    # dnsmasq's --addn-hosts with 0.0.0.0: the null address for A, no data for AAAA.
    if response.rcode() != dns.rcode.NOERROR:
        return False
    found = addresses(response)
    return found == ({"0.0.0.0"} if qtype == "A" else {"::"})


def wait_until_loaded(server: Server, probe: str, nxdomain: bool, timeout: float) -> float:
    """Seconds from start until the server answers the last listed name with a block."""
    deadline = server.started + timeout
    while time.perf_counter() < deadline:
        server.check_alive()
        if is_blocked(ask(server.port, probe, "A", timeout=0.2), "A", nxdomain):
            return time.perf_counter() - server.started
        time.sleep(0.02)
    raise RunError(f"{server.name} did not answer for {probe} within {timeout:g} s")


def check_answers(server: Server, data: Dataset, nxdomain: bool) -> None:
    """A sample of the query mix, one by one: blocked names blocked, allowed ones resolved."""
    wrong = []
    for name, qtype, expect in data.samples:
        response = ask(server.port, name, qtype, timeout=3)
        if expect == "blocked":
            ok = is_blocked(response, qtype, nxdomain)
        else:
            wanted = data.allowed_answers[name][0 if qtype == "A" else 1]
            ok = response is not None and addresses(response) == {wanted}
        if not ok:
            got = "no answer" if response is None else dns.rcode.to_text(response.rcode())
            got += f" {sorted(addresses(response))}" if response is not None else ""
            wrong.append(f"{name} {qtype} ({expect}): {got}")
    if wrong:
        shown = "\n  ".join(wrong[:10])
        raise RunError(
            f"{server.name} answered {len(wrong)} of {len(data.samples)} wrongly:\n  {shown}"
        )


# --- dnsperf -----------------------------------------------------------------------------------


@dataclass
class Perf:
    sent: int
    completed: int
    lost: int
    rcodes: Counter[str]
    run_s: float
    qps: float
    avg_latency_s: float
    max_latency_s: float
    latencies: list[float] = field(default_factory=list)  # -v only
    timeouts: int = 0  # -v only
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0  # dnsperf's own user + system time

    @property
    def per_cpu_s(self) -> float:
        """Answered queries per second of the server's CPU time: less sensitive to other load."""
        return self.completed / self.server_cpu_s if self.server_cpu_s else float("nan")


def parse_dnsperf(text: str) -> Perf:
    def number(pattern: str) -> float:
        match = re.search(pattern, text)
        if not match:
            raise RunError(f"dnsperf printed no '{pattern}':\n{text[-2000:]}")
        return float(match.group(1))

    rcodes: Counter[str] = Counter()
    match = re.search(r"Response codes:\s+(.*)", text)
    if match:
        for code, count in re.findall(r"([A-Z]+) (\d+) \(", match.group(1)):
            rcodes[code] = int(count)
    latency = re.search(r"Average Latency \(s\):\s+([\d.]+) \(min [\d.]+, max ([\d.]+)\)", text)
    return Perf(
        sent=int(number(r"Queries sent:\s+(\d+)")),
        completed=int(number(r"Queries completed:\s+(\d+)")),
        lost=int(number(r"Queries lost:\s+(\d+)")),
        rcodes=rcodes,
        run_s=number(r"Run time \(s\):\s+([\d.]+)"),
        qps=number(r"Queries per second:\s+([\d.]+)"),
        avg_latency_s=float(latency.group(1)) if latency else float("nan"),
        max_latency_s=float(latency.group(2)) if latency else float("nan"),
    )


def dnsperf(
    binary: str,
    server: Server,
    work: Path,
    datafile: Path,
    *,
    seconds: float | None = None,
    runs: int | None = None,
    clients: int,
    outstanding: int,
    max_qps: int | None,
    verbose: bool = False,
    timeout: float,
) -> Perf:
    cmd = [binary, "-s", HOST, "-p", str(server.port), "-d", str(datafile), "-c", str(clients)]
    cmd += ["-q", str(outstanding)]
    if seconds is not None:
        cmd += ["-l", f"{seconds:g}"]
    if runs is not None:
        cmd += ["-n", str(runs)]
    if max_qps:
        cmd += ["-Q", str(max_qps)]
    if verbose:
        cmd.append("-v")
    out = work / "dnsperf.out"
    cpu_before = server.cpu_s()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with out.open("wb") as stdout:
        try:
            result = subprocess.run(
                cmd, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout, start_new_session=True
            )
        except subprocess.TimeoutExpired as exc:
            raise RunError(
                f"dnsperf against {server.name} did not finish in {timeout:g} s"
            ) from exc
    server.check_alive()
    cpu = server.cpu_s() - cpu_before
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    text = out.read_text(errors="replace")
    if result.returncode != 0:
        raise RunError(
            f"dnsperf against {server.name} exited with {result.returncode}:\n"
            f"{result.stderr.decode(errors='replace')[-2000:]}{text[-1000:]}"
        )
    perf = parse_dnsperf(text)
    perf.server_cpu_s = cpu
    perf.client_cpu_s = client_cpu
    if verbose:
        for line in text.splitlines():
            if not line.startswith("> "):
                continue
            parts = line.split()
            if parts[1] in ("T", "I"):
                perf.timeouts += 1
            else:
                perf.latencies.append(float(parts[-1]))
    out.unlink()
    return perf


def check_perf(server: Server, what: str, perf: Perf, blocked_share: float | None) -> None:
    if perf.completed == 0:
        raise RunError(f"{server.name}, {what}: no query answered")
    if perf.lost > perf.sent * LOST_LIMIT:
        raise RunError(f"{server.name}, {what}: {perf.lost:,} of {perf.sent:,} queries lost")
    odd = {k: v for k, v in perf.rcodes.items() if k not in ("NOERROR", "NXDOMAIN")}
    if odd:
        raise RunError(f"{server.name}, {what}: unexpected response codes {odd}")
    if blocked_share is not None:  # NXDOMAIN means blocked: its share must match the mix
        share = perf.rcodes["NXDOMAIN"] / perf.completed
        if abs(share - blocked_share) > 0.03:
            raise RunError(
                f"{server.name}, {what}: {share:.1%} NXDOMAIN, the mix has {blocked_share:.1%} "
                "blocked queries"
            )


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


# --- Main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=1_000_000, help="listed names (1000000)")
    parser.add_argument(
        "--queries", type=int, default=200_000, help="lines in the dnsperf query file (200000)"
    )
    parser.add_argument(
        "--blocked-share", type=float, default=0.3, help="share of blocked queries (0.3)"
    )
    parser.add_argument("--seconds", type=float, default=20, help="throughput run, each (20)")
    parser.add_argument("--clients", type=int, default=10, help="dnsperf -c (10)")
    parser.add_argument(
        "--outstanding", type=int, default=100, help="dnsperf -q, queries in flight (100)"
    )
    parser.add_argument(
        "--max-qps", type=int, default=0, help="dnsperf -Q for the throughput run (0: no cap)"
    )
    parser.add_argument(
        "--latency-seconds", type=float, default=10, help="fixed-rate latency run, each (10)"
    )
    parser.add_argument(
        "--latency-qps",
        type=int,
        default=0,
        help="rate of the latency run (0: half the lower of the two throughputs)",
    )
    parser.add_argument(
        "--dnsmasq-list",
        choices=("address", "hosts"),
        default="address",
        help="how dnsmasq gets the list: address=/name/ lines (default) or --addn-hosts",
    )
    parser.add_argument(
        "--load-timeout", type=float, default=600, help="seconds each server may take to load (600)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the lists (1)")
    opts = parser.parse_args(argv)
    for name in ("domains", "queries", "seconds", "clients", "outstanding", "latency_seconds"):
        if getattr(opts, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if not 0 <= opts.blocked_share <= 1:
        parser.error("--blocked-share must be between 0 and 1")
    if opts.max_qps < 0 or opts.latency_qps < 0:
        parser.error("--max-qps and --latency-qps must not be negative")
    return opts


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def loadavg() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


@dataclass
class Result:
    server: Server
    nxdomain: bool  # blocks answered with NXDOMAIN (else dnsmasq's 0.0.0.0 hosts answers)
    load_s: float = 0.0
    mem_loaded: tuple[int, int] = (0, 0)
    mem_after: tuple[int, int] = (0, 0)
    cold: Perf = field(init=False)
    load: Perf = field(init=False)
    latency: Perf = field(init=False)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    print("lanward DNS throughput benchmark")
    work = Path(tempfile.mkdtemp(prefix="lanward-bench-dns-"))
    work.chmod(0o755)  # dnsmasq drops root to nobody and then reads its hosts files
    servers: list[Server] = []
    try:
        tools = ensure_tools()
        dnsmasq_version = tool_version([tools["dnsmasq"], "--version"], r"version (\S+)")
        dnsperf_version = tool_version([tools["dnsperf"], "-h"], r"Version (\S+)")
        subdomains = opts.dnsmasq_list == "address"  # addn-hosts matches exact names only
        started = time.perf_counter()
        data = make_dataset(
            work, opts.domains, opts.queries, opts.blocked_share, subdomains, opts.seed
        )
        size = data.hosts.stat().st_size
        print(
            f"lists: {data.domains:,} generated names under {data.tld_count} TLDs "
            f"(seed {opts.seed}), hosts file {size / 2**20:.0f} MiB, "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        how = (
            "address=/name/ lines (--conf-file): name and subdomains, NXDOMAIN, as lanward"
            if subdomains
            else "a hosts file with 0.0.0.0 and :: per name (--addn-hosts): exact names only"
        )
        print(f"  dnsmasq gets {how}")
        print(
            f"queries: {data.lines:,} lines, {data.blocked_queries / data.lines:.0%} blocked "
            f"({data.subdomain_queries:,} of them subdomains of listed names), the rest "
            f"{ALLOWED_NAMES:,} allowed names (Zipf-like popularity), A 55 % / AAAA 45 %"
        )

        uport, dport, lport = free_port(), free_port(), free_port()
        common = [
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--pid-file=",
            "--log-facility=-",
        ]
        upstream = Server(
            "upstream dnsmasq",
            [
                tools["dnsmasq"],
                *common,
                f"--port={uport}",
                f"--addn-hosts={data.upstream_hosts}",
                f"--local-ttl={UPSTREAM_TTL}",
                "--conf-file=/dev/null",
            ],
            uport,
            work / "upstream.log",
        )
        dnsmasq_list = (
            [f"--conf-file={data.dnsmasq_list}"]
            if subdomains
            else ["--conf-file=/dev/null", f"--addn-hosts={data.dnsmasq_list}"]
        )
        dnsmasq = Server(
            f"dnsmasq {dnsmasq_version}",
            [
                tools["dnsmasq"],
                *common,
                f"--port={dport}",
                f"--cache-size={DNSMASQ_CACHE}",
                f"--server=127.0.0.1#{uport}",
                *dnsmasq_list,
            ],
            dport,
            work / "dnsmasq.log",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANWARD_")}
        env["PYTHONUNBUFFERED"] = "1"
        lanward = Server(
            "lanward dns",
            [
                sys.executable,
                "-m",
                "lanward.cli",
                "dns",
                "serve",
                "--listen",
                f"{HOST}:{lport}",
                "--upstream",
                f"{HOST}:{uport}",
                "--list",
                str(data.hosts),
                "--block-answer",
                "nxdomain",
                "--refresh-minutes",
                "0",
            ],
            lport,
            work / "lanward.log",
            env=env,
        )
        servers += [upstream, dnsmasq, lanward]

        upstream.start()
        name, (ip4, _) = next(iter(data.allowed_answers.items()))
        deadline = time.perf_counter() + 30
        while True:
            upstream.check_alive()
            response = ask(uport, name, "A", timeout=0.2)
            if response is not None and addresses(response) == {ip4}:
                break
            if time.perf_counter() > deadline:
                raise SetupError(f"the upstream does not answer:\n{tail(upstream.log)}")
            time.sleep(0.05)
        print(
            f"upstream: dnsmasq on 127.0.0.1:{uport}, authoritative for the allowed names "
            f"(--addn-hosts, TTL {UPSTREAM_TTL} s)"
        )
        print(f"dnsperf {dnsperf_version}; cores: {os.cpu_count()}; load average {loadavg():.2f}")
        sys.stdout.flush()

        results = [Result(dnsmasq, nxdomain=subdomains), Result(lanward, nxdomain=True)]
        for r in results:  # one at a time: a loading server has the machine to itself
            r.server.start()
            r.load_s = wait_until_loaded(r.server, data.probe, r.nxdomain, opts.load_timeout)
            r.mem_loaded = r.server.memory_kib()
            print(
                f"{r.server.name}: loaded in {r.load_s:.2f} s, "
                f"RSS {mib(r.mem_loaded[0])}, PSS {mib(r.mem_loaded[1])}",
                flush=True,
            )
            check_answers(r.server, data, r.nxdomain)

        perf_args = {"clients": opts.clients, "outstanding": opts.outstanding}
        for r in results:
            r.cold = dnsperf(
                tools["dnsperf"],
                r.server,
                work,
                data.cold,
                runs=1,
                max_qps=None,
                timeout=300,
                **perf_args,
            )
            check_perf(r.server, "cold pass", r.cold, 0.0)
            r.load = dnsperf(
                tools["dnsperf"],
                r.server,
                work,
                data.queries,
                seconds=opts.seconds,
                max_qps=opts.max_qps or None,
                timeout=opts.seconds + 120,
                **perf_args,
            )
            share = data.blocked_queries / data.lines if r.nxdomain else None
            check_perf(r.server, "throughput run", r.load, share)
            print(f"{r.server.name}: {r.load.qps:,.0f} queries/s", flush=True)

        lat_qps = opts.latency_qps or max(
            100, int(min(r.load.qps for r in results) / 2 // 100 * 100)
        )
        for r in results:
            r.latency = dnsperf(
                tools["dnsperf"],
                r.server,
                work,
                data.queries,
                seconds=opts.latency_seconds,
                max_qps=lat_qps,
                verbose=True,
                timeout=opts.latency_seconds + 120,
                **perf_args,
            )
            check_perf(r.server, "latency run", r.latency, None)
            r.mem_after = r.server.memory_kib()
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    except RunError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"load average after the runs: {loadavg():.2f}")
    report(results, opts, lat_qps)
    return 0


def report(results: list[Result], opts: argparse.Namespace, lat_qps: int) -> None:
    ms = 1000
    cap = f"-Q {opts.max_qps}" if opts.max_qps else "no -Q cap"

    def each(fmt: Callable[[Result], str]) -> list[str]:
        return [fmt(r) for r in results]

    def cores(p: Perf, cpu: float) -> str:
        return f"{cpu:.1f} s ({cpu / p.run_s:.2f})"

    rows: list[tuple[str, list[str]]] = [
        ("list load (start to first block answer)", each(lambda r: f"{r.load_s:.2f} s")),
        (
            "RSS / PSS after load",
            each(lambda r: f"{mib(r.mem_loaded[0])} / {mib(r.mem_loaded[1])}"),
        ),
        (
            "RSS / PSS after the runs",
            each(lambda r: f"{mib(r.mem_after[0])} / {mib(r.mem_after[1])}"),
        ),
        (
            f"cold pass: {ALLOWED_NAMES * 2:,} queries, all forwarded",
            each(lambda r: f"{r.cold.qps:,.0f} q/s"),
        ),
        ("  queries per server CPU second", each(lambda r: f"{r.cold.per_cpu_s:,.0f}")),
        (
            f"throughput, {opts.seconds:g} s, -c {opts.clients} -q {opts.outstanding}, {cap}",
            each(lambda r: f"{r.load.qps:,.0f} q/s"),
        ),
        ("  answered (lost)", each(lambda r: f"{r.load.completed:,} ({r.load.lost})")),
        (
            "  NOERROR / NXDOMAIN",
            each(lambda r: f"{r.load.rcodes['NOERROR']:,} / {r.load.rcodes['NXDOMAIN']:,}"),
        ),
        ("  average latency (dnsperf)", each(lambda r: f"{r.load.avg_latency_s * ms:.3f} ms")),
        ("  server CPU (cores busy)", each(lambda r: cores(r.load, r.load.server_cpu_s))),
        ("  dnsperf CPU (cores busy)", each(lambda r: cores(r.load, r.load.client_cpu_s))),
        ("  queries per server CPU second", each(lambda r: f"{r.load.per_cpu_s:,.0f}")),
        (
            f"latency run: -Q {lat_qps:,} for {opts.latency_seconds:g} s, achieved",
            each(lambda r: f"{r.latency.qps:,.0f} q/s"),
        ),
    ]
    for name, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)):
        millis = [percentile(r.latency.latencies, pct) * ms for r in results]
        rows.append((f"  {name}", [f"{v:.3f} ms" for v in millis]))
    rows.append(
        (
            "  answered (lost)",
            each(lambda r: f"{len(r.latency.latencies):,} ({r.latency.lost + r.latency.timeouts})"),
        )
    )
    heads = [r.server.name for r in results]
    width = max(len(k) for k, _ in rows) + 2
    cols = [max(len(h), *(len(v[i]) for _, v in rows)) + 2 for i, h in enumerate(heads)]
    print("".ljust(width) + "".join(h.rjust(c) for h, c in zip(heads, cols, strict=True)))
    for key, values in rows:
        print(key.ljust(width) + "".join(v.rjust(c) for v, c in zip(values, cols, strict=True)))

    d, w = results
    p99 = percentile(w.latency.latencies, 99) / percentile(d.latency.latencies, 99)
    print(f"ratio lanward_qps/dnsmasq_qps = {w.load.qps / d.load.qps:.2f}")
    print(
        f"ratio by CPU time, lanward/dnsmasq queries per CPU second = "
        f"{w.load.per_cpu_s / d.load.per_cpu_s:.2f}"
    )
    print(f"ratio lanward_p99/dnsmasq_p99 = {p99:.2f}")
    print(f"ratio lanward_rss/dnsmasq_rss = {w.mem_after[0] / d.mem_after[0]:.2f}")
    print(f"ratio lanward_load_s/dnsmasq_load_s = {w.load_s / d.load_s:.2f}")


class Interrupted(SystemExit):
    pass


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(128 + signum)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Interrupted, KeyboardInterrupt) as exc:
        print("interrupted; servers stopped and temporary files removed", file=sys.stderr)
        sys.exit(exc.code if isinstance(exc, Interrupted) else 130)
