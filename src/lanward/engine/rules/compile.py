"""Rule options -> a `Rule`, or the reason it cannot be one.

`compile_rule` raises `Unsupported` (with every keyword we cannot run) or `Malformed` (Suricata
would refuse the rule too). A rule is never half-applied: one unsupported keyword skips it.
"""

from __future__ import annotations

import re

from lanward.engine.rules.addresses import Group, Variables, parse_addresses, parse_ports
from lanward.engine.rules.buffers import (
    ALSO_IN,
    BOTH_SIDES,
    EVENT_OF_BUFFER,
    MODIFIERS,
    RESPONSE_ONLY,
    STICKY,
    TRANSFORMS,
)
from lanward.engine.rules.finish import Malformed, finish_buffer, prefilter
from lanward.engine.rules.inspect import (
    Content,
    IsDataAt,
    Matcher,
    Pcre,
    parse_content,
    parse_size,
)
from lanward.engine.rules.pcre import (
    BUFFER_FLAGS,
    IGNORED_FLAGS,
    UNSUPPORTED_BUFFER_FLAGS,
    CaptureError,
    compile_pcre,
    split_pcre,
)
from lanward.engine.rules.rule import CLASSTYPE_PRIORITY, DEFAULT_PRIORITY, BufferSpec, Rule
from lanward.engine.rules.threshold import Threshold, parse_threshold


class Unsupported(Exception):
    def __init__(self, keywords: list[str]) -> None:
        super().__init__(", ".join(keywords))
        self.keywords = keywords


PROTOCOLS = {
    "http": "http",
    "http1": "http",
    "http2": "http",
    "dns": "dns",
    "tls": "tls",
    "smtp": "mail",
    "smb": "smb",
}
TRANSPORTS = {"tcp": 6, "udp": 17, "ip": 0}
METADATA_KEYWORDS = {"msg", "sid", "rev", "gid", "classtype", "priority", "metadata", "reference"}
IGNORED_KEYWORDS = {"fast_pattern", "prefilter", "rawbytes", "target", "tag"}
CONTENT_MODIFIERS = {
    "nocase",
    "depth",
    "offset",
    "distance",
    "within",
    "startswith",
    "endswith",
    "fast_pattern",
    "rawbytes",
}
FLOW_OPTIONS = {
    "established",
    "not_established",
    "stateless",
    "to_server",
    "from_client",
    "to_client",
    "from_server",
}
FLOWBIT_OPS = {"set", "unset", "toggle", "isset", "isnotset"}
# Sticky buffers in their old underscore spelling (the dotted ones are recognised by the dot).
LEGACY_STICKY = {
    "http_response_line",
    "ssh_proto",
    "ssh_software",
    "krb5_cname",
    "krb5_sname",
}
# Content modifiers of buffers we have no event field for.
UNSUPPORTED_MODIFIERS = {
    "http_raw_header": "http.header.raw",
    "http_raw_cookie": "http.cookie.raw",
    "http_stat_msg": "http.stat_msg",
}


def _int(name: str, value: str | None, low: int = -65535, high: int = 65535) -> int:
    text = (value or "").strip()
    if not re.fullmatch(r"-?\d+", text):
        raise Malformed(f"{name} needs a number, got {value!r}")
    number = int(text)
    if not low <= number <= high:
        raise Malformed(f"{name}:{number} is out of range ({low}..{high})")
    return number


def _unquote(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return re.sub(r'\\([\\";:])', r"\1", text)


class _Builder:
    def __init__(self) -> None:
        self.buffers: dict[str, BufferSpec] = {}
        self.payload: list[Matcher] = []
        self.sticky: str | None = None
        self.elsewhere: list[Matcher] = []  # keywords of an unsupported buffer (rule skipped)
        self.last: Matcher | None = None  # last content or pcre, for modifiers
        self.last_list: list[Matcher] | None = None
        self.unsupported: list[str] = []

    def list_for(self, name: str) -> list[Matcher]:
        spec = self.buffers.setdefault(name, BufferSpec(name))
        return spec.matchers

    def current(self) -> list[Matcher]:
        if self.sticky is None:
            return self.payload
        if self.sticky not in EVENT_OF_BUFFER:
            return self.elsewhere
        return self.list_for(self.sticky)

    def add(self, matcher: Matcher, target: list[Matcher] | None = None) -> None:
        target = self.current() if target is None else target
        target.append(matcher)
        if isinstance(matcher, Content | Pcre):
            self.last, self.last_list = matcher, target

    def last_content(self, keyword: str) -> Content:
        if not isinstance(self.last, Content):
            raise Malformed(f"{keyword} needs a content before it")
        return self.last


def compile_rule(
    header: list[str],
    options: list[tuple[str, str | None]],
    variables: Variables,
    source: str,
    line: int,
    groups: dict[tuple[str, str], Group] | None = None,
) -> Rule:
    """`groups` caches parsed addresses and ports, so rules naming the same ones share them."""
    _action, proto, src, sport, direction, dst, dport = header
    if direction not in ("->", "<>"):
        raise Malformed(f"direction must be '->' or '<>', not {direction!r}")
    cache: dict[tuple[str, str], Group] = {} if groups is None else groups

    def group(kind: str, text: str) -> Group:
        if (kind, text) not in cache:
            parse = parse_addresses if kind == "address" else parse_ports
            cache[(kind, text)] = parse(text, variables)
        return cache[(kind, text)]

    try:
        addresses = (
            group("address", src),
            group("port", sport),
            group("address", dst),
            group("port", dport),
        )
    except ValueError as exc:
        raise Malformed(str(exc)) from None

    b = _Builder()
    meta: dict[str, str] = {}
    metadata: list[str] = []
    references: list[str] = []
    established: bool | None = None
    to_client = to_server = False
    flowbit_checks: list[tuple[str, tuple[str, ...]]] = []
    flowbit_actions: list[tuple[str, str]] = []
    noalert = False
    limits: list[Threshold] = []

    for name, value in options:
        if not name:
            raise Malformed("empty option (';;')")
        if name in METADATA_KEYWORDS:
            if name == "metadata":
                metadata.extend(v.strip() for v in (value or "").split(",") if v.strip())
            elif name == "reference":
                references.append((value or "").strip())
            else:
                if name in meta and name in ("sid", "msg"):
                    raise Malformed(f"{name} given twice")
                meta[name] = value or ""
        elif name in IGNORED_KEYWORDS:
            if name in ("fast_pattern", "rawbytes"):
                content = b.last_content(name)
                if name == "fast_pattern":
                    content.fast_pattern = True
        elif name in ("content", "uricontent"):
            try:
                pattern, negated = parse_content(value or "")
            except ValueError as exc:
                raise Malformed(f"content: {exc}") from None
            if name == "uricontent":
                b.add(Content(pattern, negated), b.list_for("http.uri"))
            else:
                b.add(Content(pattern, negated))
        elif name in CONTENT_MODIFIERS:
            _modifier(b.last_content(name), name, value)
        elif name in MODIFIERS:
            content = b.last_content(name)
            if b.last_list is not b.payload:
                raise Malformed(f"{name} applies to a content outside a sticky buffer")
            b.payload.remove(content)
            b.add(content, b.list_for(MODIFIERS[name]))
        elif name in STICKY:
            if value is not None:
                raise Malformed(f"{name} takes no value")
            b.sticky = STICKY[name]
            b.list_for(b.sticky)
        elif name == "pkt_data":
            b.sticky = None
        elif name in UNSUPPORTED_MODIFIERS:
            content = b.last_content(name)
            if b.last_list is b.payload:
                b.payload.remove(content)
            b.unsupported.append(UNSUPPORTED_MODIFIERS[name])
        elif value is None and ("." in name or name in LEGACY_STICKY):
            b.unsupported.append(name)  # a sticky buffer we do not have
            b.sticky = name
        elif name in TRANSFORMS:
            if b.sticky is None:
                raise Malformed(f"transform {name} needs a sticky buffer before it")
            if b.sticky not in EVENT_OF_BUFFER:
                continue
            spec = b.buffers[b.sticky]
            if spec.matchers:
                raise Malformed(f"transform {name} must come right after the sticky buffer")
            spec.transforms.append(name)
        elif name == "pcre":
            _pcre(b, value)
        elif name == "bsize":
            if b.sticky is None:
                raise Malformed("bsize needs a sticky buffer before it")
            try:
                b.add(parse_size(value or ""))
            except ValueError as exc:
                raise Malformed(f"bsize: {exc}") from None
        elif name == "urilen":
            text, _, which = (value or "").partition(",")
            buffer = "http.uri.raw" if which.strip() == "raw" else "http.uri"
            if which.strip() not in ("", "raw", "norm"):
                raise Malformed(f"urilen: unknown option {which.strip()!r}")
            try:
                b.add(parse_size(text), b.list_for(buffer))
            except ValueError as exc:
                raise Malformed(f"urilen: {exc}") from None
        elif name == "isdataat":
            _isdataat(b, value)
        elif name == "flow":
            for part in (value or "").split(","):
                option = part.strip().lower()
                if option not in FLOW_OPTIONS:
                    b.unsupported.append(f"flow:{option}")
                elif option == "established":
                    established = True
                elif option == "not_established":
                    established = False
                elif option in ("to_client", "from_server"):
                    to_client = True
                elif option in ("to_server", "from_client"):
                    to_server = True
        elif name == "flowbits":
            op, _, names = (value or "").partition(",")
            op = op.strip()
            if op == "noalert" and not names:
                noalert = True
            elif op not in FLOWBIT_OPS or not names.strip():
                raise Malformed(f"flowbits:{value}: expected set/unset/toggle/isset/isnotset,NAME")
            elif op in ("isset", "isnotset"):
                flowbit_checks.append((op, tuple(n.strip() for n in names.split("|"))))
            elif "|" in names or "&" in names:
                raise Malformed(f"flowbits:{value}: {op} takes one name")
            else:
                flowbit_actions.append((op, names.strip()))
        elif name == "noalert":
            noalert = True
        elif name in ("threshold", "detection_filter"):
            if any((t.type == "detection_filter") == (name == "detection_filter") for t in limits):
                raise Malformed(f"{name} given twice")
            try:
                limits.append(parse_threshold(value or "", name == "detection_filter"))
            except ValueError as exc:
                raise Malformed(f"{name}: {exc}") from None
        else:
            b.unsupported.append(name)

    if b.payload:
        b.unsupported.append("content on the packet payload")
    if "sid" not in meta:
        raise Malformed("the rule has no sid")
    sid = _int("sid", meta["sid"], 1, 2**32 - 1)
    event, also = _event_of(proto, b, meta)
    response = _direction(b, to_client, to_server)
    if b.unsupported:
        raise Unsupported(sorted(set(b.unsupported)))
    for spec in b.buffers.values():
        finish_buffer(spec)
    classtype = meta.get("classtype", "").strip()
    priority = (
        _int("priority", meta["priority"], 1, 255)
        if "priority" in meta
        else CLASSTYPE_PRIORITY.get(classtype, DEFAULT_PRIORITY)
    )
    rule = Rule(
        sid=sid,
        rev=_int("rev", meta["rev"], 0, 2**32 - 1) if "rev" in meta else 0,
        gid=_int("gid", meta["gid"], 0, 2**32 - 1) if "gid" in meta else 1,
        msg=_unquote(meta.get("msg")),
        classtype=classtype,
        priority=priority,
        metadata=tuple(metadata),
        references=tuple(references),
        source=source,
        line=line,
        event=event,
        transport=TRANSPORTS.get(proto, 0),
        http_version={"http1": 1, "http2": 2}.get(proto, 0),
        mail_protocol="smtp" if proto == "smtp" else "",
        also=also,
        src=addresses[0],
        src_ports=addresses[1],
        dst=addresses[2],
        dst_ports=addresses[3],
        bidirectional=direction == "<>",
        to_client=response,
        established=established,
        buffers=list(b.buffers.values()),
        flowbit_checks=flowbit_checks,
        flowbit_actions=flowbit_actions,
        noalert=noalert,
        thresholds=limits,
    )
    rule.prefilter = prefilter(rule)
    return rule


def _event_of(proto: str, b: _Builder, meta: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The event kind the rule inspects, and the other kinds it applies to too (a tcp rule
    with only file.data: HTTP bodies, mail attachments and SMB files, see ALSO_IN)."""
    kinds = {EVENT_OF_BUFFER[name] for name in b.buffers}
    if "tls_server" in kinds and kinds <= {"tls", "tls_server"}:
        kinds = {"tls_server"}  # the server's event carries the client's hello too
        if proto == "tls":
            return "tls_server", ()
    if proto in PROTOCOLS:
        event = PROTOCOLS[proto]
        clash = {
            EVENT_OF_BUFFER[name]
            for name in b.buffers
            if event not in (EVENT_OF_BUFFER[name], *ALSO_IN.get(name, ()))
        }
        if clash:
            word = sorted(clash)[0].partition("_")[0]  # tls_server: the server's tls buffers
            raise Malformed(f"a {proto} rule cannot inspect {word} buffers")
        return event, ()
    if proto not in TRANSPORTS:
        b.unsupported.append(f"protocol {proto}")
        return "", ()
    if len(kinds) > 1:
        words = sorted({kind.partition("_")[0] for kind in kinds})
        raise Malformed(f"the rule mixes {' and '.join(words)} buffers")
    if not kinds:
        if not b.unsupported:
            b.unsupported.append(f"{proto} rule without an application-layer buffer")
        return "", ()
    also = set.intersection(*(set(ALSO_IN.get(name, ())) for name in b.buffers))
    return kinds.pop(), tuple(sorted(also))


def _direction(b: _Builder, to_client: bool, to_server: bool) -> bool | None:
    """Which side of a transaction the rule inspects: True the response, False the request,
    None either (no flow direction and only buffers both sides have, like file_data)."""
    names = set(b.buffers)
    if to_client and to_server:
        raise Malformed("flow cannot be both to_server and to_client")
    response_only = names & RESPONSE_ONLY
    request_only = names - RESPONSE_ONLY - BOTH_SIDES
    if to_server and response_only:
        b.unsupported.append(f"flow:to_server with {sorted(response_only)[0]}")
    if to_client and names and not (names & (RESPONSE_ONLY | BOTH_SIDES)):
        # Only request buffers, which a to_client rule never sees.
        b.unsupported.append(f"flow:to_client with {sorted(request_only)[0]}")
    if to_client or to_server:
        return to_client
    if response_only:
        return True
    if names and not request_only:
        return None
    return False


def _modifier(content: Content, name: str, value: str | None) -> None:
    if name == "nocase":
        content.nocase = True
    elif name == "startswith":
        content.startswith = True
    elif name == "endswith":
        content.endswith = True
    elif name == "offset":
        content.offset, content.has_offset = _int("offset", value, 0), True
    elif name == "depth":
        content.depth, content.has_depth = _int("depth", value, 0), True
    elif name == "distance":
        content.distance, content.has_distance = _int("distance", value), True
    elif name == "within":
        content.within, content.has_within = _int("within", value), True


def _pcre(b: _Builder, value: str | None) -> None:
    try:
        spec = split_pcre(value or "")
        regex, rest = compile_pcre(spec)
    except CaptureError:
        b.unsupported.append("pcre capture into variables")
        return
    except ValueError as exc:
        if "Python's re" in str(exc):
            b.unsupported.append(f"pcre ({exc})")
            return
        raise Malformed(f"pcre: {exc}") from None
    buffer = None
    for letter in sorted(rest):
        if letter in BUFFER_FLAGS:
            if buffer is not None or (b.sticky is not None and b.sticky != BUFFER_FLAGS[letter]):
                raise Malformed(f"pcre /{letter} names a buffer next to another one")
            buffer = BUFFER_FLAGS[letter]
        elif letter in UNSUPPORTED_BUFFER_FLAGS:
            b.unsupported.append(UNSUPPORTED_BUFFER_FLAGS[letter])
            buffer = "unsupported"
        elif letter not in IGNORED_FLAGS | {"R", "A"}:
            if letter in "GEJ":
                b.unsupported.append(f"pcre flag {letter}")
            else:
                raise Malformed(f"pcre: unknown flag {letter!r}")
    matcher = Pcre(
        spec.pattern, regex, negated=spec.negated, relative="R" in rest, anchored="A" in rest
    )
    if buffer == "unsupported":
        b.add(matcher, b.elsewhere)
    elif buffer is not None:
        b.add(matcher, b.list_for(buffer))
    elif matcher.relative and b.sticky is None and b.last_list is not None:
        b.add(matcher, b.last_list)
    else:
        b.add(matcher)


def _isdataat(b: _Builder, value: str | None) -> None:
    parts = [p.strip() for p in (value or "").split(",")]
    text = parts[0]
    negated = text.startswith("!")
    position = _int("isdataat", text.lstrip("!"), 0)
    flags = set(parts[1:])
    if flags - {"relative", "rawbytes"}:
        raise Malformed(f"isdataat: unknown option {sorted(flags - {'relative', 'rawbytes'})[0]!r}")
    matcher = IsDataAt(position, negated, "relative" in flags)
    if matcher.relative and b.sticky is None and b.last_list is not None:
        b.add(matcher, b.last_list)
    else:
        b.add(matcher)
