"""The few bytes the checks put on the wire, built and read without sockets.

Each is small and fixed by its standard, so it is written out here rather than pulling in a
full protocol stack for one message: an SNMP v2c GetRequest for sysDescr (RFC 3416, BER), an
MQTT 3.1.1 CONNECT and its CONNACK, an SMB1 NEGOTIATE offering only the NT LM 0.12 dialect
(MS-SMB), Telnet option negotiation that refuses every option (RFC 854/855), and RTSP/1.0
messages with Basic or Digest authentication (RFC 2326, RFC 2617: Digest for RTSP signs the
absolute request URI, which HTTP client libraries do not do).
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct

# --- BER and SNMP v2c -----------------------------------------------------------------------

SYS_DESCR = "1.3.6.1.2.1.1.1.0"


def _ber_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _ber_len(len(value)) + value


def _ber_int(n: int) -> bytes:
    return _tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def _ber_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def snmp_get_request(community: str, request_id: int, oid: str = SYS_DESCR) -> bytes:
    varbind = _tlv(0x30, _ber_oid(oid) + b"\x05\x00")
    pdu = _tlv(0xA0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _ber_int(1) + _tlv(0x04, community.encode()) + pdu)


def _read_tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    if pos + 2 > len(data):
        raise ValueError("truncated BER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad BER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    else:
        length = first
    if pos + length > len(data):
        raise ValueError("truncated BER")
    return tag, data[pos : pos + length], pos + length


def snmp_response(data: bytes) -> tuple[int, int, str]:
    """(request id, error status, first value as text) of a GetResponse; ValueError otherwise."""
    tag, message, _ = _read_tlv(data, 0)
    if tag != 0x30:
        raise ValueError("not an SNMP message")
    _, _version, pos = _read_tlv(message, 0)
    _, _community, pos = _read_tlv(message, pos)
    tag, pdu, _ = _read_tlv(message, pos)
    if tag != 0xA2:
        raise ValueError("not a GetResponse")
    _, rid, pos = _read_tlv(pdu, 0)
    _, status, pos = _read_tlv(pdu, pos)
    _, _index, pos = _read_tlv(pdu, pos)
    _, varbinds, _ = _read_tlv(pdu, pos)
    value = ""
    if varbinds:
        _, varbind, _ = _read_tlv(varbinds, 0)
        _, _oid, vpos = _read_tlv(varbind, 0)
        vtag, raw, _ = _read_tlv(varbind, vpos)
        if vtag == 0x04:
            value = raw.decode("utf-8", "replace")
    return int.from_bytes(rid, "big", signed=True), int.from_bytes(status, "big"), value


# --- MQTT 3.1.1 -----------------------------------------------------------------------------

MQTT_ACCEPTED, MQTT_BAD_CREDENTIALS, MQTT_NOT_AUTHORIZED = 0, 4, 5


def _mqtt_str(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mqtt_connect(client_id: str, username: str | None = None, password: str | None = None) -> bytes:
    flags = 0x02  # clean session
    payload = _mqtt_str(client_id)
    if username is not None:
        flags |= 0x80
        payload += _mqtt_str(username)
        if password is not None:
            flags |= 0x40
            payload += _mqtt_str(password)
    body = _mqtt_str("MQTT") + bytes([4, flags]) + struct.pack("!H", 10) + payload
    return b"\x10" + _varint(len(body)) + body


def mqtt_connack(data: bytes) -> int:
    """The CONNACK return code (0 accepted, 4 bad user name or password, 5 not authorized)."""
    if len(data) < 4 or data[0] != 0x20 or data[1] != 2:
        raise ValueError("not an MQTT CONNACK")
    return data[3]


# --- SMB1 -----------------------------------------------------------------------------------


def smb1_negotiate() -> bytes:
    """NetBIOS session message with an SMB1 NEGOTIATE offering only 'NT LM 0.12'."""
    header = b"\xffSMB" + bytes([0x72]) + b"\x00" * 4 + bytes([0x18]) + struct.pack("<H", 0xC853)
    header += b"\x00" * 12 + b"\x00\x00" + struct.pack("<H", 0xFEFF) + b"\x00\x00" + b"\x00\x00"
    dialects = b"\x02NT LM 0.12\x00"
    smb = header + b"\x00" + struct.pack("<H", len(dialects)) + dialects
    return b"\x00" + len(smb).to_bytes(3, "big") + smb


def smb1_accepted(data: bytes) -> bool:
    """True when the answer is an SMB1 NEGOTIATE response that picked our dialect."""
    if len(data) < 4 + 32 + 3 or data[4:8] != b"\xffSMB" or data[8] != 0x72:
        return False
    status = struct.unpack("<I", data[9:13])[0]
    word_count = data[36]
    if status != 0 or word_count < 1:
        return False
    return struct.unpack("<H", data[37:39])[0] == 0


# --- Telnet ---------------------------------------------------------------------------------

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


class TelnetFilter:
    """Separates text from option negotiation; answers every DO with WONT, WILL with DONT."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        data = self._pending + data
        self._pending = b""
        text, reply = bytearray(), bytearray()
        i = 0
        while i < len(data):
            b = data[i]
            if b != IAC:
                text.append(b)
                i += 1
                continue
            if i + 1 >= len(data):
                self._pending = data[i:]
                break
            cmd = data[i + 1]
            if cmd == IAC:
                text.append(IAC)
                i += 2
            elif cmd in (DO, DONT, WILL, WONT):
                if i + 2 >= len(data):
                    self._pending = data[i:]
                    break
                option = data[i + 2]
                if cmd == DO:
                    reply += bytes([IAC, WONT, option])
                elif cmd == WILL:
                    reply += bytes([IAC, DONT, option])
                i += 3
            elif cmd == SB:
                end = data.find(bytes([IAC, SE]), i + 2)
                if end < 0:
                    self._pending = data[i:]
                    break
                i = end + 2
            else:
                i += 2
        return bytes(text), bytes(reply)


# --- RTSP and HTTP authentication -----------------------------------------------------------


def parse_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names; repeated ones joined by ', ') and body of RTSP/HTTP."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"(?:RTSP|HTTP)/\d\.\d\s+(\d{3})", lines[0])
    if m is None:
        raise ValueError("not an RTSP or HTTP response")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(m.group(1)), headers, body


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """('digest' | 'basic' | ..., params) of a WWW-Authenticate value; Digest preferred."""
    challenges = re.split(r",\s*(?=(?:Basic|Digest|Bearer|NTLM|Negotiate)\b)", header, flags=re.I)
    parsed = []
    for ch in challenges:
        scheme, _, rest = ch.strip().partition(" ")
        params = {
            k.lower(): v if v else bare
            for k, v, bare in re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))', rest)
        }
        parsed.append((scheme.lower(), params))
    for scheme, params in parsed:
        if scheme == "digest":
            return scheme, params
    return parsed[0] if parsed else ("", {})


def basic_authorization(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _h(text: str, algorithm: str) -> str:
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode()).hexdigest()


def digest_authorization(
    username: str,
    password: str,
    method: str,
    uri: str,
    challenge: dict[str, str],
    cnonce: str,
    nc: int = 1,
) -> str:
    """RFC 2617/7616 Digest response for one request (MD5 or SHA-256, qop auth or none)."""
    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    algorithm = challenge.get("algorithm", "MD5")
    ha1 = _h(f"{username}:{realm}:{password}", algorithm)
    if algorithm.lower().endswith("-sess"):
        ha1 = _h(f"{ha1}:{nonce}:{cnonce}", algorithm)
    ha2 = _h(f"{method}:{uri}", algorithm)
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    fields = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
    ]
    if "auth" in qops:
        ncv = f"{nc:08x}"
        response = _h(f"{ha1}:{nonce}:{ncv}:{cnonce}:auth:{ha2}", algorithm)
        fields += ["qop=auth", f"nc={ncv}", f'cnonce="{cnonce}"']
    else:
        response = _h(f"{ha1}:{nonce}:{ha2}", algorithm)
    fields.append(f'response="{response}"')
    if "algorithm" in challenge:
        fields.append(f"algorithm={algorithm}")
    if "opaque" in challenge:
        fields.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(fields)


def rtsp_request(method: str, url: str, cseq: int, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", "User-Agent: lanward-seccheck"]
    if method == "DESCRIBE":
        lines.append("Accept: application/sdp")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
