"""Application payloads for the demo capture, built with scapy where scapy has the protocol.

Each function returns the bytes a UDP datagram or TCP stream carries. The values (option
orders, TLS cipher lists, TXT keys, SSDP headers) follow what the real clients send, so the
capture exercises the same parsers a real home network does.
"""

from __future__ import annotations

import random
import struct
import zlib
from functools import lru_cache
from typing import Any

# -- DHCP ------------------------------------------------------------------------------------


def dhcp_client(
    mac: str,
    xid: int,
    options: list[tuple[str, object]],
    ciaddr: str = "0.0.0.0",  # noqa: S104 - a field value
    secs: int = 0,
    broadcast: bool = False,
) -> bytes:
    """A BOOTREQUEST from `mac`; `options` in the order the client puts them on the wire."""
    from scapy.layers.dhcp import BOOTP, DHCP

    chaddr = bytes.fromhex(mac.replace(":", "")) + b"\x00" * 10
    bootp = BOOTP(
        op=1, xid=xid, secs=secs, flags=0x8000 if broadcast else 0, ciaddr=ciaddr, chaddr=chaddr
    )
    return bytes(bootp / DHCP(options=[*options, "end"]))


def dhcp_server(
    mac: str,
    xid: int,
    message_type: str,
    yiaddr: str,
    server: str,
    lease: int,
    domain: str = "fritz.box",
) -> bytes:
    from scapy.layers.dhcp import BOOTP, DHCP

    chaddr = bytes.fromhex(mac.replace(":", "")) + b"\x00" * 10
    options: list[object] = [
        ("message-type", message_type),
        ("server_id", server),
        ("lease_time", lease),
        ("renewal_time", lease // 2),
        ("rebinding_time", lease * 7 // 8),
        ("subnet_mask", "255.255.255.0"),
        ("router", server),
        ("name_server", server),
        ("domain", domain.encode()),
        ("broadcast_address", server.rsplit(".", 1)[0] + ".255"),
        "end",
    ]
    return bytes(
        BOOTP(op=2, xid=xid, yiaddr=yiaddr, siaddr=server, chaddr=chaddr) / DHCP(options=options)
    )


# -- DNS and mDNS ------------------------------------------------------------------------------


def dns_query(ident: int, name: str, qtype: str = "A") -> bytes:
    from scapy.layers.dns import DNS, DNSQR

    return bytes(DNS(id=ident, rd=1, qd=[DNSQR(qname=name, qtype=qtype)]))


def dns_answer(ident: int, name: str, qtype: str, addresses: list[str], ttl: int = 300) -> bytes:
    from scapy.layers.dns import DNS, DNSQR, DNSRR

    answers = [DNSRR(rrname=name, type=qtype, ttl=ttl, rdata=a) for a in addresses]
    return bytes(DNS(id=ident, qr=1, rd=1, ra=1, qd=[DNSQR(qname=name, qtype=qtype)], an=answers))


def mdns_query(names: list[tuple[str, str]]) -> bytes:
    from scapy.layers.dns import DNS, DNSQR

    return bytes(DNS(id=0, rd=0, qd=[DNSQR(qname=n, qtype=t, unicastresponse=0) for n, t in names]))


def mdns_service(
    instance: str, service: str, host: str, ip: str, port: int, txt: list[str]
) -> tuple[list[Any], list[Any]]:
    """The answer and additional records that announce one DNS-SD service instance."""
    from scapy.layers.dns import DNSRR, DNSRRSRV

    full = f"{instance}.{service}.local"
    answers = [
        DNSRR(rrname=f"{service}.local", type="PTR", ttl=4500, rdata=full),
        DNSRRSRV(
            rrname=full,
            rclass=0x8001,
            ttl=120,
            priority=0,
            weight=0,
            port=port,
            target=f"{host}.local",
        ),
        DNSRR(
            rrname=full,
            type="TXT",
            rclass=0x8001,
            ttl=4500,
            rdata=[t.encode() for t in txt] or [b""],
        ),
    ]
    additional = [DNSRR(rrname=f"{host}.local", type="A", rclass=0x8001, ttl=120, rdata=ip)]
    return answers, additional


def mdns_response(answers: list[Any], additional: list[Any] | None = None) -> bytes:
    from scapy.layers.dns import DNS

    return bytes(DNS(id=0, qr=1, aa=1, rd=0, an=answers, ar=additional or []))


# -- SSDP, WS-Discovery, NetBIOS, LLMNR ---------------------------------------------------------


def ssdp(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [first_line, *(f"{k}: {v}" for k, v in headers), "", ""]
    return "\r\n".join(lines).encode()


def ssdp_notify(
    location: str, server: str, nt: str, usn: str, extra: list[tuple[str, str]] | None = None
) -> bytes:
    return ssdp(
        "NOTIFY * HTTP/1.1",
        [
            ("HOST", "239.255.255.250:1900"),
            ("CACHE-CONTROL", "max-age=1800"),
            ("LOCATION", location),
            ("NT", nt),
            ("NTS", "ssdp:alive"),
            ("SERVER", server),
            ("USN", usn if nt.startswith("uuid:") else f"{usn}::{nt}"),
            *(extra or []),
        ],
    )


def ssdp_search(target: str, user_agent: str) -> bytes:
    return ssdp(
        "M-SEARCH * HTTP/1.1",
        [
            ("HOST", "239.255.255.250:1900"),
            ("MAN", '"ssdp:discover"'),
            ("MX", "1"),
            ("ST", target),
            ("USER-AGENT", user_agent),
        ],
    )


def ssdp_search_response(location: str, server: str, target: str, usn: str) -> bytes:
    """The unicast answer a device sends to an M-SEARCH for one of its types."""
    return ssdp(
        "HTTP/1.1 200 OK",
        [
            ("CACHE-CONTROL", "max-age=1800"),
            ("EXT", ""),
            ("LOCATION", location),
            ("SERVER", server),
            ("ST", target),
            ("USN", f"{usn}::{target}"),
        ],
    )


def wsd_hello(
    endpoint_uuid: str, message_uuid: str, types: str, xaddrs: str, seq: int, scopes: str = ""
) -> bytes:
    """A WS-Discovery Hello, as Windows, printers and ONVIF cameras multicast on joining."""
    scopes_xml = f"<wsd:Scopes>{scopes}</wsd:Scopes>" if scopes else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        'xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof" '
        'xmlns:pub="http://schemas.microsoft.com/windows/pub/2005/07" '
        'xmlns:wprt="http://schemas.microsoft.com/windows/2006/08/wdp/print" '
        'xmlns:wscn="http://schemas.microsoft.com/windows/2006/08/wdp/scan" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl">'
        "<soap:Header>"
        "<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
        "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action>"
        f"<wsa:MessageID>urn:uuid:{message_uuid}</wsa:MessageID>"
        f'<wsd:AppSequence InstanceId="{seq}" MessageNumber="1"></wsd:AppSequence>'
        "</soap:Header><soap:Body><wsd:Hello>"
        f"<wsa:EndpointReference><wsa:Address>urn:uuid:{endpoint_uuid}</wsa:Address>"
        "</wsa:EndpointReference>"
        f"<wsd:Types>{types}</wsd:Types>{scopes_xml}<wsd:XAddrs>{xaddrs}</wsd:XAddrs>"
        "<wsd:MetadataVersion>2</wsd:MetadataVersion>"
        "</wsd:Hello></soap:Body></soap:Envelope>"
    ).encode()


def nbns_registration(name: str, ip: str, trn_id: int, file_server: bool = False) -> bytes:
    """A NetBIOS name registration broadcast (opcode 5), as Windows sends when it joins."""
    from scapy.layers.netbios import NBNSHeader, NBNSRegistrationRequest

    header = NBNSHeader(NAME_TRN_ID=trn_id, OPCODE=5, NM_FLAGS=0x11, QDCOUNT=1, ARCOUNT=1)
    suffix = "File Server Service" if file_server else "Workstation Service"
    body = NBNSRegistrationRequest(QUESTION_NAME=name, SUFFIX=suffix, TTL=300000, NB_ADDRESS=ip)
    return bytes(header / body)


def llmnr_query(ident: int, name: str) -> bytes:
    from scapy.layers.dns import DNSQR
    from scapy.layers.llmnr import LLMNRQuery

    return bytes(LLMNRQuery(id=ident, qd=[DNSQR(qname=name, qtype="A")]))


# -- ARP -------------------------------------------------------------------------------------


def arp(op: int, sender_mac: str, sender_ip: str, target_mac: str, target_ip: str) -> bytes:
    from scapy.layers.l2 import ARP

    return bytes(ARP(op=op, hwsrc=sender_mac, psrc=sender_ip, hwdst=target_mac, pdst=target_ip))


# -- HTTP and RTSP ---------------------------------------------------------------------------


def http_request(
    method: str,
    path: str,
    host: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    version: str = "HTTP/1.1",
) -> bytes:
    lines = [f"{method} {path} {version}", f"Host: {host}", *(f"{k}: {v}" for k, v in headers)]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http_response(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [
        f"HTTP/1.1 {status}",
        *(f"{k}: {v}" for k, v in headers),
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def rtsp_request(
    method: str, url: str, cseq: int, user_agent: str, headers: list[tuple[str, str]] | None = None
) -> bytes:
    lines = [
        f"{method} {url} RTSP/1.0",
        f"CSeq: {cseq}",
        f"User-Agent: {user_agent}",
        *(f"{k}: {v}" for k, v in headers or []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def rtsp_response(cseq: int, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = ["RTSP/1.0 200 OK", f"CSeq: {cseq}", *(f"{k}: {v}" for k, v in headers)]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def rtp_interleaved(rng: random.Random, seq: int, timestamp: int, ssrc: int, size: int) -> bytes:
    """One RTP packet carried in an RTSP interleaved frame ($, channel 0)."""
    rtp = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc)
    packet = rtp + rng.randbytes(size)
    return b"$\x00" + struct.pack("!H", len(packet)) + packet


# -- TLS -------------------------------------------------------------------------------------

GREASE = [0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A, 0x5A5A, 0x6A6A, 0x7A7A, 0x8A8A, 0x9A9A]

# Cipher suites in the order each client stack offers them.
CIPHERS = {
    "chromium": [
        0x1301,
        0x1302,
        0x1303,
        0xC02B,
        0xC02F,
        0xC02C,
        0xC030,
        0xCCA9,
        0xCCA8,
        0xC013,
        0xC014,
        0x009C,
        0x009D,
        0x002F,
        0x0035,
    ],
    "apple": [
        0x1301,
        0x1302,
        0x1303,
        0xC02C,
        0xC02B,
        0xCCA9,
        0xC030,
        0xC02F,
        0xCCA8,
        0xC00A,
        0xC009,
        0xC014,
        0xC013,
        0x009D,
        0x009C,
        0x0035,
        0x002F,
        0xC008,
        0xC012,
        0x000A,
    ],
    "openssl": [
        0x1302,
        0x1303,
        0x1301,
        0xC02C,
        0xC030,
        0x009F,
        0xCCA9,
        0xCCA8,
        0xCCAA,
        0xC02B,
        0xC02F,
        0x009E,
        0xC024,
        0xC028,
        0x006B,
        0xC023,
        0xC027,
        0x0067,
        0xC00A,
        0xC014,
        0x0039,
        0xC009,
        0xC013,
        0x0033,
        0x009D,
        0x009C,
        0x003D,
        0x003C,
        0x0035,
        0x002F,
        0x00FF,
    ],
    "schannel": [
        0x1302,
        0x1301,
        0xC02C,
        0xC02B,
        0xC030,
        0xC02F,
        0xC024,
        0xC023,
        0xC028,
        0xC027,
        0xC00A,
        0xC009,
        0xC014,
        0xC013,
        0x009D,
        0x009C,
        0x003D,
        0x003C,
        0x0035,
        0x002F,
    ],
    "mbedtls-psk": [0x00A8, 0x00AE, 0x008C, 0x00A9, 0x00AF, 0x008D],
}

SIG_ALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


# Placeholders for the per-connection random fields of a cached handshake template.
_RANDOM, _SESSION_ID, _KEY_SHARE = b"\xbb" * 32, b"\xcc" * 32, b"\xaa" * 32


def _fresh(template: bytes, rng: random.Random) -> bytes:
    for placeholder in (_RANDOM, _SESSION_ID, _KEY_SHARE):
        if placeholder in template:
            template = template.replace(placeholder, rng.randbytes(32), 1)
    return template


def tls_client_hello(
    sni: str, stack: str, rng: random.Random, alpn: tuple[str, ...] = ("h2", "http/1.1")
) -> bytes:
    """A ClientHello record with the SNI extension, shaped like `stack` sends it.

    scapy builds each distinct hello once (it is slow: a TLS session per message); every
    connection then gets fresh random, session id and key share. Chrome permutes its extensions
    per connection, so a few permutations are kept per name.
    """
    variant = rng.randrange(3) if stack == "chromium" else 0
    return _fresh(_client_hello_template(sni, stack, alpn, variant), rng)


@lru_cache(maxsize=512)
def _client_hello_template(sni: str, stack: str, alpn: tuple[str, ...], variant: int) -> bytes:
    from scapy.layers.tls.extensions import (
        ProtocolName,
        ServerName,
        TLS_Ext_ALPN,
        TLS_Ext_ExtendedMasterSecret,
        TLS_Ext_PSKKeyExchangeModes,
        TLS_Ext_RenegotiationInfo,
        TLS_Ext_ServerName,
        TLS_Ext_SessionTicket,
        TLS_Ext_SignatureAlgorithms,
        TLS_Ext_SupportedGroups,
        TLS_Ext_SupportedPointFormat,
        TLS_Ext_SupportedVersion_CH,
        TLS_Ext_Unknown,
    )
    from scapy.layers.tls.handshake import TLSClientHello
    from scapy.layers.tls.keyexchange_tls13 import KeyShareEntry, TLS_Ext_KeyShare_CH

    rng = random.Random(f"{stack}|{sni}|{variant}")  # str seeds are stable across runs
    grease = rng.sample(GREASE, 4)
    ciphers = list(CIPHERS[stack])
    server_name = TLS_Ext_ServerName(servernames=[ServerName(servername=sni.encode())])
    alpn_ext = (
        TLS_Ext_ALPN(protocols=[ProtocolName(protocol=p.encode()) for p in alpn]) if alpn else None
    )
    if stack == "mbedtls-psk":
        exts = [
            server_name,
            TLS_Ext_Unknown(type=1, val=b"\x04"),  # max_fragment_length 4096
            TLS_Ext_ExtendedMasterSecret(),
        ]
        hello = TLSClientHello(
            version=0x0303,
            gmt_unix_time=0xBBBBBBBB,
            random_bytes=_RANDOM[:28],
            ciphers=ciphers,
            ext=exts,
        )
        return handshake_record(bytes(hello), 0x0303)
    key_share = TLS_Ext_KeyShare_CH(
        client_shares=[KeyShareEntry(group=29, key_exchange=_KEY_SHARE)]
    )
    versions = [0x0304, 0x0303]
    groups = [29, 23, 24]
    if stack in ("chromium", "apple"):
        ciphers = [grease[0], *ciphers]
        versions = [grease[1], *versions]
        groups = [grease[2], *groups] + ([25] if stack == "apple" else [])
    exts = [
        server_name,
        TLS_Ext_ExtendedMasterSecret(),
        TLS_Ext_RenegotiationInfo(renegotiated_connection=b""),
        TLS_Ext_SupportedGroups(groups=groups),
        TLS_Ext_SupportedPointFormat(ecpl=[0]),
        TLS_Ext_SessionTicket(),
        TLS_Ext_Unknown(type=5, val=b"\x01\x00\x00\x00\x00"),  # status_request (OCSP)
        TLS_Ext_SignatureAlgorithms(sig_algs=SIG_ALGS),
        TLS_Ext_Unknown(type=18, val=b""),  # signed_certificate_timestamp
        key_share,
        TLS_Ext_PSKKeyExchangeModes(kxmodes=[1]),
        TLS_Ext_SupportedVersion_CH(versions=versions),
    ]
    if alpn_ext is not None:
        exts.insert(6, alpn_ext)
    if stack == "chromium":
        exts.append(TLS_Ext_Unknown(type=27, val=b"\x02\x00\x02"))  # compress_certificate brotli
        exts.append(TLS_Ext_Unknown(type=17513, val=b"\x00\x03\x02h2"))  # application_settings
        rng.shuffle(exts)  # Chrome permutes its extensions on every connection
        exts = [
            TLS_Ext_Unknown(type=grease[3], val=b""),
            *exts,
            TLS_Ext_Unknown(type=grease[0] ^ 0x1010, val=b"\x00"),
        ]
    elif stack == "apple":
        exts.append(TLS_Ext_Unknown(type=27, val=b"\x02\x00\x01"))  # compress_certificate zlib
        exts = [
            TLS_Ext_Unknown(type=grease[3], val=b""),
            *exts,
            TLS_Ext_Unknown(type=grease[0] ^ 0x1010, val=b"\x00"),
        ]
    elif stack == "schannel":
        exts = [e for e in exts if not isinstance(e, TLS_Ext_Unknown) or e.type != 18]
    hello = TLSClientHello(
        version=0x0303,
        gmt_unix_time=0xBBBBBBBB,
        random_bytes=_RANDOM[:28],
        sid=_SESSION_ID,
        ciphers=ciphers,
        ext=exts,
    )
    return handshake_record(bytes(hello), 0x0301)


def handshake_record(message: bytes, version: int = 0x0303) -> bytes:
    """Wrap a handshake message in a TLS record (scapy's TLS() would start a whole session)."""
    return b"\x16" + struct.pack("!HH", version, len(message)) + message


def tls_server_flight(stack: str, rng: random.Random) -> bytes:
    """What the server answers a ClientHello with (ServerHello, then encrypted or PSK records)."""
    hello = _fresh(_server_hello_template(stack), rng)
    if stack == "mbedtls-psk":
        return hello + b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00"  # ServerHelloDone
    # EncryptedExtensions, Certificate, CertificateVerify, Finished: opaque to a passive observer.
    return hello + CHANGE_CIPHER_SPEC + tls_records(rng.randint(2600, 4800), rng)


@lru_cache(maxsize=16)
def _server_hello_template(stack: str) -> bytes:
    from scapy.layers.tls.extensions import (
        TLS_Ext_ExtendedMasterSecret,
        TLS_Ext_SupportedVersion_SH,
    )
    from scapy.layers.tls.handshake import TLSServerHello
    from scapy.layers.tls.keyexchange_tls13 import KeyShareEntry, TLS_Ext_KeyShare_SH

    exts: list[Any]
    if stack == "mbedtls-psk":
        cipher, exts = 0x00AE, [TLS_Ext_ExtendedMasterSecret()]
    else:
        cipher = 0x1302 if stack in ("openssl", "schannel") else 0x1301
        exts = [
            TLS_Ext_SupportedVersion_SH(version=0x0304),
            TLS_Ext_KeyShare_SH(server_share=KeyShareEntry(group=29, key_exchange=_KEY_SHARE)),
        ]
    hello = TLSServerHello(
        version=0x0303,
        gmt_unix_time=0xBBBBBBBB,
        random_bytes=_RANDOM[:28],
        sid=_SESSION_ID,
        cipher=cipher,
        ext=exts,
    )
    return handshake_record(bytes(hello))


CHANGE_CIPHER_SPEC = b"\x14\x03\x03\x00\x01\x01"


def tls_client_finish(stack: str, rng: random.Random) -> bytes:
    if stack == "mbedtls-psk":
        identity = b"\x00\x10" + rng.randbytes(16)
        key_exchange = b"\x10" + len(identity).to_bytes(3, "big") + identity
        record = b"\x16\x03\x03" + len(key_exchange).to_bytes(2, "big") + key_exchange
        return record + CHANGE_CIPHER_SPEC + b"\x16\x03\x03\x00\x50" + rng.randbytes(80)
    return CHANGE_CIPHER_SPEC + tls_records(37, rng)


def tls_records(size: int, rng: random.Random) -> bytes:
    """`size` bytes of TLS application data, as records of at most 16 KiB (plus AEAD tag)."""
    out = bytearray()
    while size > 0:
        n = min(size, 16384)
        body = rng.randbytes(n + 17)
        out += b"\x17\x03\x03" + len(body).to_bytes(2, "big") + body
        size -= n
    return bytes(out)


# -- Tuya LAN discovery ----------------------------------------------------------------------


def tuya_discovery(rng: random.Random, seq: int) -> bytes:
    """A Tuya 3.3 UDP discovery broadcast: 55AA frame, AES-encrypted JSON, CRC32, AA55."""
    body = rng.randbytes(176)
    header = struct.pack("!IIII", 0x000055AA, seq, 0x13, len(body) + 8)
    crc = struct.pack("!I", zlib.crc32(header + body) & 0xFFFFFFFF)
    return header + body + crc + struct.pack("!I", 0x0000AA55)
