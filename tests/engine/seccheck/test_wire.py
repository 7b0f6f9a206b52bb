"""The protocol messages the checks send, against the standards' own examples."""

from __future__ import annotations

from lanward.engine.seccheck import wire


def test_digest_matches_rfc2617_example() -> None:
    # RFC 2617 section 3.5: Mufasa / "Circle Of Life", GET /dir/index.html.
    challenge = {
        "realm": "testrealm@host.com",
        "qop": "auth,auth-int",
        "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
    }
    header = wire.digest_authorization(
        "Mufasa", "Circle Of Life", "GET", "/dir/index.html", challenge, "0a4f113b", nc=1
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "qop=auth" in header and "nc=00000001" in header and 'opaque="5ccc069c' in header


def test_challenge_parsing_prefers_digest() -> None:
    scheme, params = wire.parse_challenge(
        'Basic realm="cam", Digest realm="cam", nonce="abc", qop="auth"'
    )
    assert scheme == "digest" and params == {"realm": "cam", "nonce": "abc", "qop": "auth"}
    assert wire.parse_challenge('Basic realm="IP Camera"') == ("basic", {"realm": "IP Camera"})


def test_basic_authorization() -> None:
    assert (
        wire.basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    )


def test_snmp_get_request_bytes() -> None:
    # v2c GetRequest for sysDescr.0, community "public", request id 1, worked out by hand
    # from RFC 3416 and X.690: SEQUENCE { 1, "public", GetRequest { 1, 0, 0, { { oid, NULL } } } }
    expected = bytes.fromhex(
        "302602010104067075626c6963a019020101020100020100300e300c06082b060102010101000500"
    )
    assert wire.snmp_get_request("public", 1) == expected
    assert wire.snmp_get_request("public", 300)[15:19] == b"\x02\x02\x01\x2c"


def test_snmp_response_parsing() -> None:
    varbind = b"\x30\x13\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x04\x07Linux x"
    pdu_body = b"\x02\x01\x07\x02\x01\x00\x02\x01\x00" + b"\x30" + bytes([len(varbind)]) + varbind
    pdu = b"\xa2" + bytes([len(pdu_body)]) + pdu_body
    body = b"\x02\x01\x01\x04\x06public" + pdu
    message = b"\x30" + bytes([len(body)]) + body
    assert wire.snmp_response(message) == (7, 0, "Linux x")


def test_mqtt_connect_and_connack() -> None:
    packet = wire.mqtt_connect("c", "u", "p")
    assert packet == b"\x10\x13\x00\x04MQTT\x04\xc2\x00\x0a\x00\x01c\x00\x01u\x00\x01p"
    assert wire.mqtt_connect("c") == b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x0a\x00\x01c"
    assert wire.mqtt_connack(b"\x20\x02\x00\x05") == wire.MQTT_NOT_AUTHORIZED


def test_smb1_negotiate() -> None:
    packet = wire.smb1_negotiate()
    assert packet[4:9] == b"\xffSMB\x72" and packet.endswith(b"\x02NT LM 0.12\x00")
    assert int.from_bytes(packet[1:4], "big") == len(packet) - 4
    answer = (
        b"\x00\x00\x00\x30" + b"\xffSMB\x72" + b"\x00" * 4 + b"\x00" * 23 + b"\x11" + b"\x00\x00"
    )
    assert wire.smb1_accepted(answer)
    assert not wire.smb1_accepted(b"\x00\x00\x00\x40\xfeSMB" + b"\x00" * 60)


def test_telnet_filter_refuses_options_across_reads() -> None:
    flt = wire.TelnetFilter()
    text, reply = flt.feed(b"\xff\xfb\x01\xff\xfd")
    assert (text, reply) == (b"", b"\xff\xfe\x01")
    text, reply = flt.feed(b"\x1f\xff\xfa\x18\x01\xff\xf0login: \xff\xff")
    assert (text, reply) == (b"login: \xff", b"\xff\xfc\x1f")


def test_response_parsing() -> None:
    status, headers, body = wire.parse_response(
        b'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="x"\r\n\r\n'
    )
    assert status == 401 and headers["cseq"] == "2" and body == b""
