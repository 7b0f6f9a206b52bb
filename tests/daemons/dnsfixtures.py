"""Real peers for the DNS resolver's live tests (tests/daemons/test_dnsd_live.py).

- `AuthServer`: a small authoritative DNS server on 127.0.0.1 (UDP and TCP on one port) that
  answers from a dict of records, counts what it is asked, truncates over UDP what doesn't fit
  the asker's buffer, answers unknown names NXDOMAIN with an SOA, and can be told to stay silent.
- `ListServer`: an HTTP server for one list file, with ETag / Last-Modified, 304 on a matching
  conditional request, and a switch that makes it answer 500.
- `start_lanward` / `start_unbound`: `lanward dns serve` and Debian's unbound as subprocesses.
- `udp`, `tcp`, `dig`: clients (dnspython and Debian's dig).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus"
LOCALHOST = "127.0.0.1"


# --- ports --------------------------------------------------------------------------------


def free_dns_port() -> int:
    """A port free for UDP and TCP on both 127.0.0.1 and ::1 (a DNS server wants all four)."""
    for _ in range(100):
        sockets: list[socket.socket] = []
        try:
            first = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(first)
            first.bind((LOCALHOST, 0))
            port = int(first.getsockname()[1])
            for family, host, kind in (
                (socket.AF_INET, LOCALHOST, socket.SOCK_STREAM),
                (socket.AF_INET6, "::1", socket.SOCK_DGRAM),
                (socket.AF_INET6, "::1", socket.SOCK_STREAM),
            ):
                sock = socket.socket(family, kind)
                sockets.append(sock)
                sock.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free port for UDP and TCP on 127.0.0.1 and ::1")


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


# --- the upstream ---------------------------------------------------------------------------

Records = Mapping[str, Mapping[str, Sequence[str]]]  # name -> rdtype -> rdata texts


class AuthServer:
    """Authoritative for whatever `records` holds; everything else is NXDOMAIN with an SOA."""

    def __init__(
        self,
        records: Records,
        ttl: int = 300,
        negative_ttl: int = 2,
        ttls: Mapping[str, int] | None = None,
    ) -> None:
        self.records = {k.lower().rstrip("."): v for k, v in records.items()}
        self.ttl = ttl
        self.ttls = dict(ttls or {})
        self.negative_ttl = negative_ttl
        self.queries: Counter[tuple[str, str, str]] = Counter()  # (name, rdtype, "udp"|"tcp")
        self.lock = threading.Lock()
        self.silent = False
        self.port = 0
        self._servers: list[socketserver.BaseServer] = []

    def count(self, name: str, rdtype: str = "A", transport: str = "") -> int:
        name = name.lower().rstrip(".")
        with self.lock:
            return sum(
                n
                for (qname, qtype, proto), n in self.queries.items()
                if qname == name and qtype == rdtype and transport in ("", proto)
            )

    def soa(self, qname: dns.name.Name) -> dns.rrset.RRset:
        """The SOA of the zone the name is in: its last two labels ('example.com.')."""
        zone = dns.name.Name(qname.labels[-3:])
        return dns.rrset.from_text(
            zone,
            3600,
            "IN",
            "SOA",
            f"ns.example. hostmaster.example. 1 3600 600 86400 {self.negative_ttl}",
        )

    def respond(self, wire: bytes, transport: str) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if len(query.question) != 1:
            return None
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self.lock:
            self.queries[(name, rdtype, transport)] += 1
        if self.silent:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        node = self.records.get(name)
        ttl = self.ttls.get(name, self.ttl)
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self.soa(question.name))
        elif "CNAME" in node and rdtype != "CNAME":
            response.answer.append(
                dns.rrset.from_text_list(question.name, ttl, "IN", "CNAME", list(node["CNAME"]))
            )
            target = str(node["CNAME"][0]).rstrip(".").lower()
            if rdtype in self.records.get(target, {}):
                response.answer.append(
                    dns.rrset.from_text_list(
                        target + ".", ttl, "IN", rdtype, list(self.records[target][rdtype])
                    )
                )
        elif rdtype in node:
            response.answer.append(
                dns.rrset.from_text_list(question.name, ttl, "IN", rdtype, list(node[rdtype]))
            )
        else:
            response.authority.append(self.soa(question.name))
        if transport == "tcp":
            limit = 65535
        else:
            limit = max(512, query.payload) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer, response.authority, response.additional = [], [], []
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=limit)

    def start(self) -> AuthServer:
        auth = self

        class UdpHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = auth.respond(data, "udp")
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class TcpHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                sock.settimeout(10)
                try:
                    while True:
                        header = _recv_exactly(sock, 2)
                        data = _recv_exactly(sock, struct.unpack("!H", header)[0])
                        reply = auth.respond(data, "tcp")
                        if reply is None:
                            return
                        sock.sendall(struct.pack("!H", len(reply)) + reply)
                except (OSError, EOFError):
                    return

        for _ in range(50):
            udp = _UdpServer((LOCALHOST, 0), UdpHandler)
            port = int(udp.server_address[1])
            try:
                tcp = _TcpServer((LOCALHOST, port), TcpHandler)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError("no free port for the test upstream")
        self.port = port
        self._servers = [udp, tcp]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    @property
    def address(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


@contextmanager
def dead_upstreams() -> Iterator[tuple[str, str]]:
    """Two upstream addresses that never answer: one where nothing listens (the kernel refuses
    at once) and one that listens but never replies (the asker must time out)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOCALHOST, 0))
        closed_port = probe.getsockname()[1]
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blackhole.bind((LOCALHOST, 0))
    try:
        yield f"{LOCALHOST}:{closed_port}", f"{LOCALHOST}:{blackhole.getsockname()[1]}"
    finally:
        blackhole.close()


# --- the list server ------------------------------------------------------------------------


@dataclass
class ListRequest:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class ListServer:
    """Serves `body` at any path with an ETag and a Last-Modified; 304 when they still match."""

    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    failing: bool = False
    requests: list[ListRequest] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def set_body(self, text: str) -> None:
        self.body = text.encode()
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'
        self.last_modified = formatdate(time.time(), usegmt=True)

    def url(self, path: str = "/list.txt") -> str:
        return f"http://{LOCALHOST}:{self.port}{path}"

    def start(self) -> ListServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                headers = {k.lower(): v for k, v in self.headers.items()}
                if owner.failing:
                    status, body = 500, b"internal error\n"
                elif headers.get("if-none-match") == owner.etag:
                    status, body = 304, b""
                else:
                    status, body = 200, owner.body
                owner.requests.append(ListRequest(self.path, headers, status))
                self.send_response(status)
                if status != 500:
                    self.send_header("ETag", owner.etag)
                    self.send_header("Last-Modified", owner.last_modified)
                if status != 304:
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# --- servers under test ---------------------------------------------------------------------


@dataclass
class DnsProcess:
    """A DNS server running in a subprocess; its output goes to a file (never a full pipe)."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    output: Path

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def start_lanward(workdir: Path, *args: str, ipv6: bool = True) -> DnsProcess:
    """`lanward dns serve` on a fresh port (127.0.0.1, and [::1] when `ipv6`), ready to answer."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_dns_port()
    listen = ["--listen", f"{LOCALHOST}:{port}"]
    if ipv6:
        listen += ["--listen", f"[::1]:{port}"]
    stdout, output = workdir / "stdout.txt", workdir / "stderr.txt"
    with stdout.open("wb") as out, output.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lanward.cli", "dns", "serve", *listen, *args],
            stdout=out,
            stderr=err,
            cwd=workdir,
        )
    deadline = time.monotonic() + 20
    while "lanward dns: ready" not in stdout.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RuntimeError(
                f"lanward dns did not start (exit {proc.returncode}):\n"
                + output.read_text(errors="replace")
            )
        time.sleep(0.05)
    return DnsProcess("lanward", proc, port, output)


UNBOUND_CONF = """\
server:
    interface: 127.0.0.1@{port}
    interface: ::1@{port}
    port: {port}
    do-ip6: yes
    access-control: 127.0.0.0/8 allow
    access-control: ::1/128 allow
    chroot: ""
    username: ""
    directory: "{dir}"
    pidfile: "{dir}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    do-not-query-localhost: no
    module-config: "respip iterator"
    qname-minimisation: no
    minimal-responses: yes
    so-reuseport: no

remote-control:
    control-enable: no

forward-zone:
    name: "."
    forward-addr: 127.0.0.1@{upstream_port}

rpz:
    name: "{rpz_name}"
    zonefile: "{zonefile}"
    rpz-log: yes
    rpz-log-name: "basic"
"""


class Unavailable(Exception):
    """A peer can't be run here; the message says why (the test skips with it)."""


def start_unbound(workdir: Path, zonefile: Path, rpz_name: str, upstream_port: int) -> DnsProcess:
    """Debian's unbound forwarding to the test upstream, with `zonefile` as an RPZ zone."""
    binary = shutil.which("unbound") or (
        "/usr/sbin/unbound" if Path("/usr/sbin/unbound").exists() else None
    )
    if binary is None:
        raise Unavailable("unbound is not installed (apt-get install -y unbound)")
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / zonefile.name
    shutil.copyfile(zonefile, copy)
    port = free_dns_port()
    conf = workdir / "unbound.conf"
    conf.write_text(
        UNBOUND_CONF.format(
            port=port,
            dir=workdir,
            upstream_port=upstream_port,
            rpz_name=rpz_name,
            zonefile=copy,
        )
    )
    checker = Path(binary).with_name("unbound-checkconf")
    if checker.exists():
        check = subprocess.run([str(checker), str(conf)], capture_output=True, text=True)
        if check.returncode != 0:
            raise Unavailable(f"unbound-checkconf rejects the test config: {check.stderr.strip()}")
    output = workdir / "unbound.log"
    with output.open("wb") as err:
        proc = subprocess.Popen([binary, "-d", "-c", str(conf)], stdout=err, stderr=err)
    server = DnsProcess("unbound", proc, port, output)
    deadline = time.monotonic() + 15
    while True:
        if proc.poll() is not None:
            raise Unavailable(f"unbound exited with {proc.returncode}: {server.log()[-2000:]}")
        try:
            udp(port, "version.server", "TXT", host="::1", rdclass="CH", timeout=0.5)
            return server
        except (dns.exception.Timeout, OSError):
            if time.monotonic() > deadline:
                server.stop()
                raise Unavailable(f"unbound did not answer within 15 s: {server.log()[-2000:]}")


# --- clients ------------------------------------------------------------------------------


def make_query(
    name: str, rdtype: str = "A", edns: int | None = None, rdclass: str = "IN"
) -> dns.message.Message:
    if edns is None:
        return dns.message.make_query(name, rdtype, rdclass)
    return dns.message.make_query(name, rdtype, rdclass, use_edns=0, payload=edns)


def udp(
    port: int,
    name: str,
    rdtype: str = "A",
    host: str = LOCALHOST,
    edns: int | None = None,
    timeout: float = 3,
    rdclass: str = "IN",
) -> dns.message.Message:
    query = make_query(name, rdtype, edns, rdclass)
    return dns.query.udp(query, host, port=port, timeout=timeout)


def tcp(
    port: int,
    name: str,
    rdtype: str = "A",
    host: str = LOCALHOST,
    edns: int | None = None,
    timeout: float = 3,
) -> dns.message.Message:
    return dns.query.tcp(make_query(name, rdtype, edns), host, port=port, timeout=timeout)


def addresses(response: dns.message.Message) -> set[str]:
    return {
        rdata.to_text()
        for rrset in response.answer
        if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
        for rdata in rrset
    }


def rcode(response: dns.message.Message) -> str:
    return dns.rcode.to_text(response.rcode())


@dataclass
class DigResult:
    status: str  # "" when dig got no answer
    flags: set[str]
    answers: list[tuple[str, int, str, str]]  # (owner, ttl, type, rdata)
    edns: bool
    text: str


def dig(
    port: int, name: str, rdtype: str = "A", *options: str, server: str = LOCALHOST
) -> DigResult:
    """Debian's dig, as a person would type it."""
    result = subprocess.run(
        ["dig", f"@{server}", "-p", str(port), name, rdtype, "+tries=1", "+time=2", *options],
        capture_output=True,
        text=True,
        timeout=20,
    )
    text = result.stdout
    status = re.search(r"status: ([A-Z]+)", text)
    flags = re.search(r";; flags: ([a-z ]*);", text)
    answers = []
    in_answer = False
    for line in text.splitlines():
        if line.startswith(";; ANSWER SECTION"):
            in_answer = True
        elif in_answer and not line.strip():
            in_answer = False
        elif in_answer and not line.startswith(";"):
            owner, ttl, _cls, rtype, rdata = line.split(None, 4)
            answers.append((owner, int(ttl), rtype, rdata.strip()))
    return DigResult(
        status.group(1) if status else "",
        set(flags.group(1).split()) if flags else set(),
        answers,
        "; EDNS: version: 0" in text,
        text + result.stderr,
    )
