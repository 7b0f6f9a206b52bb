"""`lanward dns serve`: the filtering DNS resolver (asyncio shell around the sans-IO policy).

UDP and TCP on every listen address (IPv4 and IPv6); blocked names get the configured answer
straight from the policy, cached answers straight from the cache: neither waits on an upstream.
Everything else is forwarded to the upstreams in order, failing over on timeouts, retrying over
TCP when an answer comes back truncated, and truncating for clients whose buffers are small.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dns.asyncquery
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

from lanward.engine.dns import answers
from lanward.engine.dns.cache import AnswerCache
from lanward.engine.dns.policy import Decision, Policy, Profile

log = logging.getLogger("lanward.dns")


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int = 53
    tls: bool = False
    tls_name: str = ""

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'tls://' if self.tls else ''}{host}:{self.port}"


def parse_hostport(text: str, default_port: int) -> tuple[str, int]:
    """'1.2.3.4:53', '[::1]:5353', '::1', 'localhost' -> (host, port)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else default_port
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = int(port_text)
    else:
        host, port = text, default_port
    if not 0 < port < 65536:
        raise ValueError(f"port out of range in {text!r}")
    ipaddress.ip_address(host)  # listen and upstream addresses are literal IPs
    return host, port


def parse_upstream(text: str) -> Upstream:
    tls = text.startswith("tls://")
    rest = text[len("tls://") :] if tls else text
    name = ""
    if "#" in rest:  # tls://1.1.1.1:853#cloudflare-dns.com
        rest, name = rest.split("#", 1)
    host, port = parse_hostport(rest, 853 if tls else 53)
    return Upstream(host, port, tls, name)


@dataclass
class QueryRecord:
    time: float
    client: str
    name: str
    qtype: str
    action: str
    list_name: str = ""
    category: str = ""
    rule: str = ""
    rcode: str = ""
    cached: bool = False
    upstream: str = ""
    latency_ms: float = 0.0


@dataclass
class ResolverConfig:
    upstreams: list[Upstream] = field(default_factory=list)
    tls_ca_file: str = ""  # trust this CA for DNS-over-TLS upstreams (default: the system's)
    block_mode: str = "nxdomain"  # nxdomain | null | an IP address (the block page)
    timeout: float = 2.0
    rebinding_protection: bool = True
    rebinding_allowed: frozenset[str] = frozenset()  # domains allowed to answer private addresses
    local_domains: frozenset[str] = frozenset({"lan", "home.arpa", "local", "internal"})


class Resolver:
    def __init__(
        self,
        policy: Policy,
        config: ResolverConfig,
        profile_for: Callable[[str], Profile] | None = None,
        log_sink: Callable[[QueryRecord], None] | None = None,
        cache: AnswerCache | None = None,
    ) -> None:
        self.policy = policy
        self.config = config
        self.profile_for = profile_for or (lambda client: Profile())
        self.log_sink = log_sink
        self.cache = cache or AnswerCache()
        self.preferred = 0  # index of the upstream that answered last
        self.stats = {"queries": 0, "blocked": 0, "errors": 0, "upstream_failures": 0}

    def swap_policy(self, policy: Policy) -> None:
        """Atomic: a query sees either the old or the new lists, never half of each."""
        self.policy = policy

    # --- the one entry point for both transports ---------------------------------------

    async def handle(self, wire: bytes, client: str, tcp: bool) -> bytes | None:
        started = time.monotonic()
        self.stats["queries"] += 1
        try:
            query = dns.message.from_wire(wire)
        except dns.message.ShortHeader:
            return None  # not even a header: nothing to answer to
        except Exception:  # noqa: BLE001 - any malformed packet gets FORMERR, never a crash
            self.stats["errors"] += 1
            return formerr(wire)
        try:
            return await self._answer(query, client, tcp, started)
        except Exception:  # noqa: BLE001 - keep serving whatever one query does
            log.exception("failed to answer a query from %s", client)
            self.stats["errors"] += 1
            return _fit(answers.refused(query, dns.rcode.SERVFAIL), query, tcp)

    async def _answer(
        self, query: dns.message.Message, client: str, tcp: bool, started: float
    ) -> bytes | None:
        if query.flags & dns.flags.QR:
            return None  # a response, not a query: answering it could start a reflection loop
        if query.opcode() != dns.opcode.QUERY:
            return _fit(answers.refused(query, dns.rcode.NOTIMP), query, tcp)
        if len(query.question) != 1:
            return _fit(answers.refused(query, dns.rcode.FORMERR), query, tcp)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        qtype = dns.rdatatype.to_text(question.rdtype)
        record = QueryRecord(time.time(), client, name, qtype, "allowed")
        profile = self.profile_for(client)
        # RPZ rpz-client-ip triggers come first: they drop (or pass) all one client asks.
        by_client = Decision("allow")
        if not profile.paused:
            by_client = self.policy.decide_client(client, profile)
        if by_client.action == "tcp-only" and tcp:
            by_client = Decision("allow")  # it came back over TCP: the name decides
        if by_client.blocked:
            decision = by_client
        elif by_client.action == "passthru":
            decision = Decision("allow", rule=by_client.rule, reason=by_client.reason)
        else:
            decision = self.policy.decide(name, profile) if name else Decision("allow")
        if decision.action == "tcp-only" and tcp:
            decision = Decision("allow")  # RPZ TCP-only: a client that came back over TCP passes
        if decision.category == "safe-search":
            record.action, record.rule = "safe-search", decision.rule
            response = answers.blocked(query, decision, self.config.block_mode)
            if response is not None:
                await self._follow_local_cname(response, client)
            return self._finish(record, response, query, tcp, started)
        if decision.blocked:
            return await self._block(record, decision, query, client, tcp, started)
        # Addresses in the answer are checked unless the name was explicitly allowed.
        check_answer = not decision.rule
        now = time.monotonic()
        cached = self.cache.get(query, now)
        if cached is not None:
            record.cached = True
            if check_answer:
                hit = self._answer_trigger(cached, profile, tcp)
                if hit is not None:
                    return await self._block(record, hit, query, client, tcp, started)
            return self._finish(record, _client_response(query, cached), query, tcp, started)
        upstream_response, upstream = await self._forward(query)
        if upstream_response is None:
            record.action = "failed"
            return self._finish(
                record, answers.refused(query, dns.rcode.SERVFAIL), query, tcp, started
            )
        record.upstream = str(upstream)
        if check_answer:
            hit = self._answer_trigger(upstream_response, profile, tcp)
            if hit is not None:
                self.cache.put(query, upstream_response, now)  # the next client may differ
                return await self._block(record, hit, query, client, tcp, started)
        if self._rebinding(name, upstream_response):
            record.action = "rebinding-refused"
            return self._finish(record, answers.refused(query), query, tcp, started)
        self.cache.put(query, upstream_response, now)
        return self._finish(record, _client_response(query, upstream_response), query, tcp, started)

    def _answer_trigger(
        self, response: dns.message.Message, profile: Profile, tcp: bool
    ) -> Decision | None:
        """The list rule an answer's addresses trigger (RPZ rpz-ip, C2 address lists), if any."""
        decision = self.policy.decide_answer(answers.addresses(response), profile)
        if not decision.blocked or (decision.action == "tcp-only" and tcp):
            return None
        return decision

    async def _block(
        self,
        record: QueryRecord,
        decision: Decision,
        query: dns.message.Message,
        client: str,
        tcp: bool,
        started: float,
    ) -> bytes | None:
        self.stats["blocked"] += 1
        record.action, record.list_name, record.category, record.rule = (
            "blocked" if decision.action in ("block", "nxdomain") else f"rpz-{decision.action}",
            decision.list_name,
            decision.category,
            decision.rule,
        )
        response = answers.blocked(query, decision, self.config.block_mode)
        if response is not None and decision.action == "local":
            await self._follow_local_cname(response, client)
        return self._finish(record, response, query, tcp, started)

    async def _follow_local_cname(self, response: dns.message.Message, client: str) -> None:
        """RPZ local data that is a CNAME (to a block or explanation page): resolve the target,
        as a recursive resolver must, since stub resolvers don't chase CNAMEs themselves."""
        question = response.question[0]
        if question.rdtype in (dns.rdatatype.CNAME, dns.rdatatype.ANY) or [
            rrset.rdtype for rrset in response.answer
        ] != [dns.rdatatype.CNAME]:
            return
        target = response.answer[0][0].target
        name = target.to_text().rstrip(".").lower()
        if not name or self.policy.decide(name, self.profile_for(client)).blocked:
            return  # the target is blocked too: the CNAME alone says where the name went
        chase = dns.message.make_query(target, question.rdtype, question.rdclass)
        now = time.monotonic()
        answer = self.cache.get(chase, now)
        if answer is None:
            answer, _ = await self._forward(chase)
            if answer is None or self._rebinding(name, answer):
                return
            self.cache.put(chase, answer, now)
        if answer.rcode() == dns.rcode.NOERROR:
            response.answer.extend(answer.answer)

    def _finish(
        self,
        record: QueryRecord,
        response: dns.message.Message | None,
        query: dns.message.Message,
        tcp: bool,
        started: float,
    ) -> bytes | None:
        record.latency_ms = (time.monotonic() - started) * 1000
        record.rcode = dns.rcode.to_text(response.rcode()) if response is not None else "DROPPED"
        if self.log_sink is not None:
            try:
                self.log_sink(record)
            except Exception:  # noqa: BLE001 - logging must never cost an answer
                log.exception("query log sink failed")
        return None if response is None else _fit(response, query, tcp)

    def _rebinding(self, name: str, response: dns.message.Message) -> bool:
        if not self.config.rebinding_protection:
            return False
        labels = name.split(".")
        suffixes = {".".join(labels[i:]) for i in range(len(labels))}
        if (
            suffixes & (self.config.rebinding_allowed | self.config.local_domains)
            or len(labels) == 1
        ):
            return False
        return bool(answers.private_answer(response))

    async def _forward(
        self, query: dns.message.Message
    ) -> tuple[dns.message.Message | None, Upstream | None]:
        upstreams = self.config.upstreams
        if not upstreams:
            return None, None
        question = query.question[0]
        outgoing = dns.message.make_query(
            question.name, question.rdtype, question.rdclass, use_edns=0, payload=1232
        )
        outgoing.flags |= query.flags & dns.flags.CD
        order = upstreams[self.preferred :] + upstreams[: self.preferred]
        for upstream in order:
            try:
                response = await self._ask(outgoing, upstream)
            except (
                TimeoutError,
                dns.exception.DNSException,
                OSError,
                ssl.SSLError,
                EOFError,
            ) as exc:
                self.stats["upstream_failures"] += 1
                log.warning("upstream %s failed: %s", upstream, exc or type(exc).__name__)
                continue
            self.preferred = upstreams.index(upstream)
            return response, upstream
        return None, None

    async def _ask(self, outgoing: dns.message.Message, upstream: Upstream) -> dns.message.Message:
        timeout = self.config.timeout
        if upstream.tls:
            context = ssl.create_default_context(cafile=self.config.tls_ca_file or None)
            if not upstream.tls_name:
                # Without a name only the certificate chain is checked: say tls://IP#name to pin it.
                context.check_hostname = False
            return await dns.asyncquery.tls(
                outgoing,
                upstream.host,
                timeout=timeout,
                port=upstream.port,
                ssl_context=context,
                server_hostname=upstream.tls_name or None,
            )
        response = await dns.asyncquery.udp(
            outgoing, upstream.host, timeout=timeout, port=upstream.port
        )
        if response.flags & dns.flags.TC:
            response = await dns.asyncquery.tcp(
                outgoing, upstream.host, timeout=timeout, port=upstream.port
            )
        return response


def _client_response(
    query: dns.message.Message, upstream: dns.message.Message
) -> dns.message.Message:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA | (upstream.flags & dns.flags.AD)
    response.set_rcode(upstream.rcode())
    response.answer = list(upstream.answer)
    response.authority = list(upstream.authority)
    response.additional = [r for r in upstream.additional if r.rdtype != dns.rdatatype.OPT]
    return response


def _fit(response: dns.message.Message, query: dns.message.Message, tcp: bool) -> bytes:
    """Wire bytes that fit the client's buffer; over UDP too big means TC set and sections cut."""
    limit = 65535 if tcp else (max(512, min(query.payload, 4096)) if query.edns >= 0 else 512)
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        response.answer, response.authority, response.additional = [], [], []
        response.flags |= dns.flags.TC
        return response.to_wire(max_size=limit)


def formerr(wire: bytes) -> bytes | None:
    """A FORMERR for a packet dnspython can't parse: same id, QR set, no sections."""
    if len(wire) < 12:
        return None
    query_id, flags = struct.unpack("!HH", wire[:4])
    if flags & 0x8000:  # it was itself a response: never answer those (no reflection loops)
        return None
    opcode = flags & 0x7800
    return struct.pack(
        "!HHHHHH",
        query_id,
        0x8000 | opcode | (flags & 0x0100) | 0x0080 | dns.rcode.FORMERR,
        0,
        0,
        0,
        0,
    )


# --- transports ---------------------------------------------------------------------------


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.transport: Any = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._respond(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _respond(self, data: bytes, addr: Any) -> None:
        reply = await self.resolver.handle(data, addr[0], tcp=False)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP errors from clients: ignore
        log.debug("UDP error: %s", exc)


async def _tcp_client(
    resolver: Resolver, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    peer = writer.get_extra_info("peername")
    client = peer[0] if peer else "?"
    try:
        while True:
            header = await asyncio.wait_for(reader.readexactly(2), timeout=10)
            (length,) = struct.unpack("!H", header)
            data = await asyncio.wait_for(reader.readexactly(length), timeout=10)
            reply = await resolver.handle(data, client, tcp=True)
            if reply is None:
                break
            writer.write(struct.pack("!H", len(reply)) + reply)
            await writer.drain()
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(
    resolver: Resolver, listen: list[tuple[str, int]], ready: Callable[[], None] | None = None
) -> None:
    loop = asyncio.get_running_loop()
    servers: list[Any] = []
    for host, port in listen:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(resolver), local_addr=(host, port)
        )
        servers.append(transport)
        tcp = await asyncio.start_server(lambda r, w: _tcp_client(resolver, r, w), host, port)
        servers.append(tcp)
        log.info("DNS on %s port %s (UDP and TCP)", host, port)
    if ready is not None:
        ready()
    try:
        await asyncio.Event().wait()
    finally:
        for server in servers:
            server.close()
