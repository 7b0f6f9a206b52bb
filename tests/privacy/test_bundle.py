"""Troubleshooting logs: the bundle is reviewed before anything is written or sent, and the
bundle that leaves (downloaded or attached to a ticket) holds none of the MACs, addresses,
emails, names or credentials planted in the logs, the configuration and the database."""

from __future__ import annotations

import html
import io
import json
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from lanward.dnsfilter.models import BlockListSource
from lanward.inventory.models import Device, DeviceLink, Member, StationNotice
from lanward.lib import license_token, portal_client
from lanward.support.models import Ticket

pytestmark = pytest.mark.django_db

MACS = ["3c:22:fb:11:22:33", "f0:18:98:77:88:99", "da:a1:19:00:00:01"]
IPS = ["192.168.77.10", "203.0.113.45", "2001:db8:4:5::1c", "fe80::1c2d:3eff:fe4f:5a6b"]
EMAILS = ["anna.lindqvist@example.net", "relay-user@mail.example.org", "owner@example.com"]
NAMES = ["Anna Lindqvist", "Lindqvist", "Annas-iPhone", "Living room TV", "Grandpa Joe"]
SECRETS = [
    "hunter2-Tr0ub4dor",  # a password in a log line
    "mailpass-77xq",  # EMAIL_HOST_PASSWORD, in the mail URL too
    "sms-gateway-token-9f8e7d",  # SMS_HTTP_AUTH_HEADER
    "listtoken-5c4b3a",  # a token in a block list's URL
    "django-secret-key-for-the-bundle-test",  # SECRET_KEY
    "ghp_0123456789abcdefABCDEF",  # a bearer token in a log line
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",  # a private key's body
]
PHONE = "+14155550123"


def mac_forms(mac: str) -> list[str]:
    bare = mac.replace(":", "")
    return [mac, mac.upper(), mac.replace(":", "-"), bare, bare.upper()]


def leaks(text: str, pairing_secrets: list[str]) -> list[str]:
    """Every planted value found in `text` (case-insensitive)."""
    low = text.lower()
    found = [m for mac in MACS for m in mac_forms(mac) if m.lower() in low]
    found += [
        v for v in IPS + EMAILS + NAMES + SECRETS + pairing_secrets + [PHONE] if v.lower() in low
    ]
    return found


@pytest.fixture
def planted(
    data_dir: Path, settings: Any, django_user_model: Any, monkeypatch: Any
) -> dict[str, Any]:
    settings.SECRET_KEY = SECRETS[4]
    settings.EMAIL_URL = f"smtp://relay-user%40mail.example.org:{SECRETS[1]}@203.0.113.45:587"
    settings.EMAIL_HOST, settings.EMAIL_HOST_USER = "203.0.113.45", EMAILS[1]
    settings.EMAIL_HOST_PASSWORD = SECRETS[1]
    settings.SMS_HTTP_AUTH_HEADER = f"Bearer {SECRETS[2]}"
    settings.SMS_HTTP_URL = f"https://203.0.113.45/send?api_key={SECRETS[2]}"
    settings.LANWARD_HOME_NETS = ("192.168.77.0/24", "2001:db8:4:5::/64")
    monkeypatch.setenv("LANWARD_EMAIL_URL", settings.EMAIL_URL)

    owner = django_user_model.objects.create_superuser(
        EMAILS[2], "owner password 1", first_name="Anna", last_name="Lindqvist", phone=PHONE
    )
    grandpa = Member.objects.create(name="Grandpa Joe")
    Member.objects.create(name="Anna Lindqvist")
    phone = Device.objects.create(
        mac=MACS[0],
        name="",
        hostname="Annas-iPhone",
        ips=[IPS[0]],
        first_seen="2024-05-01T00:00Z",
        last_seen="2024-05-01T00:00Z",
    )
    Device.objects.create(
        mac=MACS[1],
        name="Living room TV",
        owner=grandpa,
        ips=[IPS[2]],
        first_seen="2024-05-01T00:00Z",
        last_seen="2024-05-01T00:00Z",
    )
    DeviceLink.objects.create(device=phone, mac=MACS[2], reason="same DHCP client id")
    StationNotice.objects.create(
        kind="flows_dropped",
        message=f"dropped 12 flows from {IPS[0]} ({MACS[0]}), told {EMAILS[0]}",
    )
    BlockListSource.objects.create(
        name="Paid list",
        source=f"https://lists.example.com/feed?token={SECRETS[3]}",
        last_error=f"could not download from {IPS[1]}: HTTP 403",
    )

    key = Ed25519PrivateKey.generate()
    now = int(time.time())
    token = license_token.sign(
        key,
        {
            "lid": 1,
            "plan": "home-1y",
            "seats": 3,
            "sid": "st-1",
            "iat": now,
            "exp": now + 86400,
            "lic_exp": now + 86400 * 300,
        },
    )
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    secret = "pairing-secret-" + "x7" * 12
    portal_client.save(
        portal_client.Pairing("https://portal.example", "st-1", secret, token, pem),
        data_dir / "station-pairing.json",
    )

    lines = [
        "2024-05-01 10:00:00,001 INFO lanward.station: watching br0",
        f"2024-05-01 10:00:01,002 INFO lanward.station: new device {MACS[0].upper()} at {IPS[0]}",
        f"2024-05-01 10:00:02,003 INFO lanward.station: HP{MACS[1].replace(':', '').upper()} "
        f"mDNS from [{IPS[3]}%br0]:5353 and {MACS[2].replace(':', '-')}",
        f"2024-05-01 10:00:03,004 WARNING lanward.dns: upstream {IPS[1]}:53 timed out for Annas-iPhone",
        f"2024-05-01 10:00:04,005 ERROR lanward.notify: mail to {EMAILS[0]} failed: "
        f"login relay-user with password={SECRETS[0]}",
        f"2024-05-01 10:00:05,006 DEBUG urllib: GET /api Authorization: Bearer {SECRETS[5]}",
        f"2024-05-01 10:00:06,007 INFO lanward: Grandpa Joe's Living room TV is online ({IPS[2]})",
        f"2024-05-01 10:00:07,008 INFO lanward: license token {token} secret {secret}",
        f"-----BEGIN PRIVATE KEY-----\n{SECRETS[6]}\n-----END PRIVATE KEY-----",
        f"2024-05-01 10:00:08,009 INFO lanward: SMS to {PHONE} sent",
    ]
    (data_dir / "server.log").write_text("\n".join(lines) + "\n")
    (data_dir / "logs").mkdir()
    (data_dir / "logs" / "station.log").write_text(
        f"station config: LANWARD_SECRET_KEY={SECRETS[4]} EMAIL_URL={settings.EMAIL_URL}\n"
    )
    (data_dir / "sms.log").write_text(json.dumps({"to": PHONE, "text": "code 123456"}) + "\n")
    return {"owner": owner, "pairing": [secret, token]}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def test_the_downloaded_bundle_holds_nothing_planted(
    planted: dict[str, Any], data_dir: Path
) -> None:
    client = signed_in(planted["owner"])
    before = sorted(str(p) for p in data_dir.rglob("*"))
    preview = client.get("/privacy/troubleshooting/")
    assert preview.status_code == 200
    page = preview.content.decode()
    assert sorted(str(p) for p in data_dir.rglob("*")) == before  # nothing written
    assert not Ticket.objects.exists()  # nothing sent
    shown = "\n".join(html.unescape(x) for x in re.findall(r"<pre>(.*?)</pre>", page, re.S))
    assert "Annas-iPhone" not in page  # the page shows the masked text only
    assert leaks(shown, planted["pairing"]) == []
    assert "[mac-1]" in shown and "[redacted]" in shown

    r = client.post("/privacy/troubleshooting/send/", {"action": "download"})
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    files = unzip(r.content)
    names = {n.split("/", 1)[1] for n in files}
    assert {
        "README.txt",
        "versions.json",
        "configuration.json",
        "recent-errors.json",
        "logs/server.log",
        "logs/logs/station.log",
    } <= names
    assert "logs/sms.log" not in names  # an outbox of messages, not a log
    for name, text in files.items():
        assert leaks(text, planted["pairing"]) == [], name

    # Still useful: the log lines, the errors and the versions are there, masked.
    everything = "\n".join(files.values())
    assert "upstream [ip-" in everything and ":53 timed out for [device-" in everything
    assert "HTTP 403" in everything and "dropped 12 flows" in everything
    versions = json.loads(files["lanward-troubleshooting/versions.json"])
    assert versions["lanward"] and versions["packages"]["django"]
    config = json.loads(files["lanward-troubleshooting/configuration.json"])
    assert config["settings"]["LANWARD_DNS_LOG_DAYS"] == 7
    assert config["station_pairing"]["license"]["plan"] == "home-1y"
    assert re.search(r"Masked: .*\d+ mac", files["lanward-troubleshooting/README.txt"])


def test_attaching_to_a_ticket_sends_the_reviewed_bundle(
    planted: dict[str, Any], settings: Any
) -> None:
    client = signed_in(planted["owner"])
    client.get("/privacy/troubleshooting/")
    (Path(settings.DATA_DIR) / "server.log").open("a").write(
        "2024-05-01 10:01:00 INFO a line written after the review: not in the bundle\n"
    )
    r = client.post(
        "/privacy/troubleshooting/send/",
        {"action": "ticket", "subject": "DNS is slow", "body": "Lookups time out."},
    )
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/support/{ticket.pk}/"
    message = ticket.messages.get()
    assert ticket.owner == planted["owner"] and message.body == "Lookups time out."
    assert message.attachment_name.startswith("lanward-troubleshooting-")
    with message.attachment.open("rb") as fh:
        files = unzip(fh.read())
    for name, text in files.items():
        assert leaks(text, planted["pairing"]) == [], name
    assert "after the review" not in "".join(files.values())
    # The owner downloads it from the ticket like any attachment.
    got = client.get(f"/support/{ticket.pk}/attachments/{message.pk}/")
    assert got.status_code == 200


def test_a_bundle_that_changed_since_the_review_is_not_sent(
    planted: dict[str, Any], settings: Any
) -> None:
    client = signed_in(planted["owner"])
    client.get("/privacy/troubleshooting/")
    (Path(settings.DATA_DIR) / "server.log").write_text("rotated\n")  # shorter: not the same
    r = client.post("/privacy/troubleshooting/send/", {"action": "download"})
    assert r.status_code == 302 and r["Location"] == "/privacy/troubleshooting/"
    assert "changed since you reviewed" in client.get("/privacy/").content.decode()


@pytest.mark.parametrize(
    "form,message",
    [
        ({"action": "download"}, "Review the troubleshooting logs first."),
        ({"action": "mail it"}, "Choose Download or Attach to a support ticket."),
    ],
)
def test_sending_without_a_review_or_a_choice_says_what_to_do(
    planted: dict[str, Any], form: dict[str, str], message: str
) -> None:
    client = signed_in(planted["owner"])
    r = client.post("/privacy/troubleshooting/send/", form)
    assert r.status_code == 302
    assert message in client.get("/privacy/").content.decode()


def test_a_ticket_needs_a_description(planted: dict[str, Any]) -> None:
    client = signed_in(planted["owner"])
    client.get("/privacy/troubleshooting/")
    r = client.post("/privacy/troubleshooting/send/", {"action": "ticket", "subject": "x"})
    assert r.status_code == 302 and not Ticket.objects.exists()
    assert "Say in a few words what went wrong" in client.get("/privacy/").content.decode()
