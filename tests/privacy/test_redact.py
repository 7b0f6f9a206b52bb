"""The redactor on its own: no address, MAC, email or credential survives, whatever text it is
in; placeholders stay stable so a reader can follow one value."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from lanward.privacy.redact import NOT_IDENTIFYING, Redactor

AROUND = st.sampled_from(
    ["{} ", " {}", "({})", "{},", "x={}", "[{}]:53", "'{}'", "{}.", "{}:", "a{}b", "{}%eth0"]
)


def identifying(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return str(address) not in NOT_IDENTIFYING


@given(st.ip_addresses(v=4).filter(identifying), AROUND, st.text(max_size=20))
def test_no_ipv4_address_survives(address, around, noise):
    out = Redactor().text(noise + around.format(address) + noise)
    assert str(address) not in out


@given(st.ip_addresses(v=6).filter(identifying), AROUND, st.text(max_size=20))
def test_no_ipv6_address_survives(address, around, noise):
    out = Redactor().text(noise + around.format(address) + noise)
    assert str(address) not in out
    assert address.exploded not in out


@given(st.binary(min_size=6, max_size=6), st.sampled_from([":", "-"]), st.booleans())
def test_no_mac_survives(raw, sep, upper):
    mac = sep.join(f"{b:02x}" for b in raw)
    mac = mac.upper() if upper else mac
    out = Redactor().text(f"device {mac} joined")
    assert mac not in out and "[mac-1]" in out


def test_known_macs_are_masked_without_separators_too():
    r = Redactor(macs=["3c:d9:2b:1a:2b:3c"])
    assert r.text("host HP3CD92B1A2B3C") == "host HP[mac-1]"


def test_the_same_value_gets_the_same_placeholder():
    r = Redactor()
    out = r.text("192.0.2.7 then 192.0.2.8 then 192.0.2.7, AA:BB:CC:00:11:22 aa-bb-cc-00-11-22")
    assert out == "[ip-1] then [ip-2] then [ip-1], [mac-1] [mac-1]"
    assert r.counts == {"ip": 3, "mac": 2}


def test_credentials_in_their_usual_shapes():
    r = Redactor(secrets=["literal-secret-value"])
    text = "\n".join(
        [
            "password=hunter2 passwd: hunter3 'api_key': 'k-123' token=t0k3n",
            '{"EMAIL_HOST_PASSWORD": "mailpw", "secret": "s3", "key": "LW-AB12-CD34"}',
            "Authorization: Bearer abcdefghijklmnop",
            "curl https://admin:rootpw@router.example/cgi?auth_token=zzz9",
            "SECRET=literal-secret-value and literal-secret-value",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----",
        ]
    )
    out = r.text(text)
    for secret in (
        "hunter2",
        "hunter3",
        "k-123",
        "t0k3n",
        "mailpw",
        's3"',
        "LW-AB12",
        "abcdefghijklmnop",
        "rootpw",
        "admin:",
        "zzz9",
        "literal-secret-value",
        "b3BlbnNzaC1rZXk",
    ):
        assert secret not in out, (secret, out)
    assert "LANWARD_LICENSE_TOKEN_SECONDS=86400" in r.text("LANWARD_LICENSE_TOKEN_SECONDS=86400")


def test_emails_phones_and_names():
    r = Redactor(names=[("member", "Anna"), ("device", "Annas-iPhone"), ("device", "TV")])
    out = r.text("anna.b+x@mail.example.org texted +1 415 555 0100; Anna's Annas-iPhone, the TV.")
    assert out == "[email-1] texted [phone-1]; [member-1]'s [device-1], the [device-2]."


def test_plain_text_is_left_alone():
    text = "2024-05-01T10:20:30.123 INFO lanward 0.1.0 (Python 3.11.7): 12:30 took 3.5 s"
    assert Redactor(names=[("device", "ip")]).text(text) == text
