"""Typed events that flow through the pipeline. Times are milliseconds since the epoch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Flow:
    """A finished (or expired) bidirectional flow, as the flow meter reports it."""

    src_ip: str
    dst_ip: str
    src_port: int
    dst_port: int
    protocol: int
    src_mac: str
    dst_mac: str
    first_seen_ms: int
    last_seen_ms: int
    src2dst_packets: int
    src2dst_bytes: int
    dst2src_packets: int
    dst2src_bytes: int
    app: str = ""
    category: str = ""
    sni: str = ""
    user_agent: str = ""
    ja4: str = ""
    content_type: str = ""
    ip_version: int = 4
    vlan_id: int = 0


@dataclass(frozen=True, slots=True)
class DhcpSeen:
    """A DHCP (or DHCPv6) client message."""

    mac: str
    ts_ms: int
    message_type: str = ""
    hostname: str = ""
    param_list: tuple[int, ...] = ()
    vendor_class: str = ""
    client_id: str = ""
    requested_ip: str = ""
    ip: str = ""
    v6: bool = False


@dataclass(frozen=True, slots=True)
class MdnsSeen:
    """Names and services a device announces over multicast DNS / DNS-SD."""

    mac: str
    ip: str
    ts_ms: int
    names: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    txt: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SsdpSeen:
    """An SSDP NOTIFY, M-SEARCH or response."""

    mac: str
    ip: str
    ts_ms: int
    method: str = ""
    server: str = ""
    user_agent: str = ""
    usn: str = ""
    nt: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class NameSeen:
    """A name claimed over NetBIOS, LLMNR or WS-Discovery."""

    mac: str
    ip: str
    ts_ms: int
    name: str
    source: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    source: str
    field: str
    value: str
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "field": self.field,
            "value": self.value,
            "confidence": round(self.confidence, 2),
        }


DiscoveryEvent = DhcpSeen | MdnsSeen | SsdpSeen | NameSeen


@dataclass
class Notice:
    """Something the engine wants the operator to know (e.g. it dropped data)."""

    kind: str
    message: str
    ts_ms: int
    data: dict[str, object] = field(default_factory=dict)


# --- Application-layer events (engine/applayer/ turns payload packets into these) ---------------


@dataclass(frozen=True, slots=True)
class FlowKey:
    """The flow an application-layer event belongs to; src is the client (who opened it)."""

    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    protocol: int
    src_mac: str = ""
    dst_mac: str = ""
    flow_id: int = 0  # unique per flow within one capture (flowbits are kept per flow)


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A file carried in a response body (or upload), hashed while it streamed past."""

    name: str  # from Content-Disposition, else the last path segment of the URI
    size: int
    md5: str
    sha1: str
    sha256: str
    magic: str = ""  # content type from the first bytes, when recognised
    content_type: str = ""  # as the server declared it
    complete: bool = True  # False: the capture ended or the body was cut
    direction: str = "to_client"


@dataclass(frozen=True, slots=True)
class HttpTransaction:
    """One HTTP request (HTTP/1.x, or one HTTP/2 stream) and, when seen, its response."""

    flow: FlowKey
    ts_ms: int
    method: str
    uri: str  # raw, as sent (before any normalisation)
    version: str = ""
    host: str = ""  # Host header without the port
    user_agent: str = ""
    request_headers: tuple[tuple[str, str], ...] = ()
    request_body: bytes = b""  # the first bytes only (engine/applayer caps it)
    status: int = 0
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""  # the first bytes only, decoded (chunked, gzip/deflate)
    file: FileInfo | None = None
    uploads: tuple[FileInfo, ...] = ()  # files the client sent (multipart parts, a PUT body)


@dataclass(frozen=True, slots=True)
class DnsQuery:
    flow: FlowKey
    ts_ms: int
    name: str  # lower case, no trailing dot
    qtype: str  # "A", "AAAA", ...
    transport: str = "udp"


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """A DNS response (QR set), one per question. `flow` is the lookup's flow as for DnsQuery:
    src is the client that asked (the device), dst the server that answered, whichever way the
    capture first saw the flow."""

    flow: FlowKey
    ts_ms: int
    name: str  # the question: lower case, no trailing dot
    qtype: str  # "A", "AAAA", ...
    rcode: str  # "NOERROR", "NXDOMAIN", "SERVFAIL", ... (dnspython's names)
    addresses: tuple[str, ...] = ()  # A and AAAA records of the answer section
    soa: str = ""  # owner of the authority section's SOA (the zone that said no), if any
    transport: str = "udp"


@dataclass(frozen=True, slots=True)
class TlsClientHello:
    flow: FlowKey
    ts_ms: int
    sni: str = ""
    version: str = ""  # highest offered, e.g. "TLS 1.3"
    ja3: str = ""  # the JA3 string
    ja3_hash: str = ""  # its MD5
    alpn: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TlsCertificate:
    """One certificate of the chain a TLS 1.0-1.2 server sent in clear (TLS 1.3 encrypts it).

    Names are written as Suricata's tls.cert_subject shows them ("C=US, O=Example, CN=host"),
    the serial as colon-separated upper-case hex of its bytes, the fingerprint as the SHA-1 of
    the DER in colon-separated lower case (the form abuse.ch's SSL blacklist and Suricata use).
    """

    der: bytes
    subject: str = ""
    issuer: str = ""
    serial: str = ""
    fingerprint: str = ""
    not_before_ms: int = 0
    not_after_ms: int = 0
    names: tuple[str, ...] = ()  # DNS names of the subjectAltName extension

    @property
    def sha1(self) -> str:
        """The fingerprint without colons (as hash feeds list it)."""
        return self.fingerprint.replace(":", "")


@dataclass(frozen=True, slots=True)
class TlsServerHello:
    """The server's side of a TLS handshake: the version and cipher it chose, JA3S, and the
    certificates it sent (none under TLS 1.3). Carries the client's hello when it was seen, so
    a rule can look at both (tls.sni with tls.cert_subject)."""

    flow: FlowKey
    ts_ms: int
    version: str = ""  # chosen, e.g. "TLS 1.2"
    cipher: int = 0
    ja3s: str = ""  # "version,cipher,extensions"
    ja3s_hash: str = ""  # its MD5
    alpn: str = ""  # the protocol the server picked
    certificates: tuple[TlsCertificate, ...] = ()  # as sent: the server's own first
    client: TlsClientHello | None = None


@dataclass(frozen=True, slots=True)
class CredentialSeen:
    """A sign-in sent in clear text. The secret itself is never kept: only that one was sent."""

    flow: FlowKey
    ts_ms: int
    protocol: str  # "http-basic", "http-form", "telnet", "ftp", "pop3", "imap", "smtp", ...
    username: str  # may be "" when the protocol has none (e.g. a telnet password-only prompt)
    detail: str = ""  # where it was seen, e.g. "Authorization header", "USER/PASS"
    success: bool | None = None  # True/False when the server's answer said so


@dataclass(frozen=True, slots=True)
class MailTransaction:
    """One mail message in clear text: sent over SMTP (DATA or BDAT), or fetched over POP3
    (RETR, TOP) or IMAP (FETCH BODY[] / RFC822). Its attachments were hashed whole as they
    streamed past; the text of the message is not kept."""

    flow: FlowKey
    ts_ms: int
    protocol: str  # "smtp", "pop3", "imap"
    helo: str = ""  # SMTP's HELO/EHLO name
    mail_from: str = ""  # SMTP: MAIL FROM; POP3/IMAP: the From header's address
    rcpt_to: tuple[str, ...] = ()  # SMTP: RCPT TO; POP3/IMAP: the To and Cc headers' addresses
    subject: str = ""
    message_id: str = ""
    files: tuple[FileInfo, ...] = ()  # attachments (named parts, and parts that are not text)
    body: tuple[bytes, ...] = ()  # the first bytes of each file, decoded, in `files`' order
    size: int = 0  # bytes of the message (after SMTP's dot-unstuffing)
    complete: bool = True  # False: the capture lost bytes, or it ended before the message did


@dataclass(frozen=True, slots=True)
class SmbTransaction:
    """A file copied over SMB: written to a share (`to_server`) or read from it (`to_client`),
    hashed whole as it streamed past (engine/applayer/smb.py). One per file and direction."""

    flow: FlowKey
    ts_ms: int  # when the file was opened
    protocol: str  # "smb1", "smb2", "smb3"
    share: str = ""  # the share's path as the client named it (\\server\share); "" if not seen
    files: tuple[FileInfo, ...] = ()  # the file; its name is its path in the share
    body: tuple[bytes, ...] = ()  # the first bytes of each file, in `files`' order
    complete: bool = True  # False: bytes were lost, or the flow ended before the CLOSE


@dataclass(frozen=True, slots=True)
class ArpSeen:
    """An ARP request or reply."""

    ts_ms: int
    op: int  # 1 request, 2 reply
    eth_src: str
    sender_mac: str
    sender_ip: str
    target_mac: str
    target_ip: str


AppEvent = (
    HttpTransaction
    | DnsQuery
    | DnsAnswer
    | TlsClientHello
    | TlsServerHello
    | CredentialSeen
    | MailTransaction
    | SmbTransaction
)
