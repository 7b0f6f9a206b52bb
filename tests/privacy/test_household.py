"""Export all household data (a JSON download with every stored row) and delete it all (with
a confirmation, the password, and a recent sign-in)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from lanward.accounts.models import AccountEvent
from lanward.dnsfilter.models import BlockListSource, MemberPolicy, QueryLog
from lanward.engine.events import DhcpSeen
from lanward.engine.pipeline import Engine
from lanward.inventory import store
from lanward.inventory.apps import HOUSEHOLD_GROUP
from lanward.inventory.models import Device, DeviceEvent, Member, StationNotice
from lanward.notify.models import Notification
from lanward.privacy import household, registry
from lanward.privacy.models import PrivacySettings
from lanward.threats.models import Alert
from lanward.usage.models import UsageHour
from tests.portal_cast import mark_reauthenticated

pytestmark = pytest.mark.django_db

PASSWORD = "household passphrase 42"
PICTURE = b"\x89PNG\r\n\x1a\n" + b"picture-bytes" * 10


@pytest.fixture
def home(data_dir, django_user_model):
    owner = django_user_model.objects.create_superuser("owner@example.com", PASSWORD)
    anna = Member.objects.create(name="Anna")
    anna.picture.save("anna.png", ContentFile(PICTURE), save=True)
    MemberPolicy.objects.create(member=anna, privacy="hidden")
    now = timezone.now()
    phone = Device.objects.create(
        mac="3c:22:fb:11:22:33",
        name="Anna's phone",
        owner=anna,
        first_seen=now,
        last_seen=now,
        ips=["192.168.1.20"],
        evidence=[{"source": "dhcp", "value": "iOS"}],
    )
    DeviceEvent.objects.create(device=phone, kind="new")
    UsageHour.objects.create(
        device=phone,
        hour=now.replace(minute=0, second=0, microsecond=0),
        app="YouTube",
        bytes_down=1000,
    )
    QueryLog.objects.create(
        time=now,
        client="192.168.1.20",
        device=phone,
        member=anna,
        name="",
        qtype="A",
        action="allowed",
    )
    Alert.objects.create(kind="scan", severity="high", time=now, device=phone, summary="a scan")
    Notification.objects.create(recipient=owner, kind="alert", title="a scan", device=phone)
    BlockListSource.objects.create(name="Malware", source="https://lists.example/m.txt")
    PrivacySettings.load()
    return {"owner": owner, "anna": anna, "phone": phone}


def owner_client(owner: Any, reauthenticated: bool = True) -> Client:
    client = Client()
    client.force_login(owner)
    if reauthenticated:
        mark_reauthenticated(client, owner)
    return client


def exported(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="lanward-household-')
    return json.loads(b"".join(response.streaming_content))


def test_the_export_holds_every_household_row(home):
    client = owner_client(home["owner"])
    data = exported(client.post("/privacy/export/"))
    assert data["format"] == "lanward-household-export" and data["version"] == 1
    assert data["exported_by"] == "owner@example.com"
    labels = registry.models_in_scope("household") + registry.models_in_scope("settings")
    assert set(data["data"]) == set(labels)
    for label in labels:
        assert len(data["data"][label]) == apps.get_model(label).objects.count(), label
    (device,) = data["data"]["inventory.device"]
    assert device["mac"] == "3c:22:fb:11:22:33" and device["owner_id"] == home["anna"].pk
    assert device["evidence"] == [{"source": "dhcp", "value": "iOS"}]
    (member,) = data["data"]["inventory.member"]
    kind, _, encoded = member["picture_data"].partition(";base64,")
    assert kind == "data:image/png" and base64.b64decode(encoded) == PICTURE
    assert data["data"]["dnsfilter.memberpolicy"][0]["privacy"] == "hidden"
    assert data["data"]["usage.usagehour"][0]["bytes_down"] == 1000
    assert data["data"]["privacy.privacysettings"][0]["usage_metering"] is True
    # Accounts are exported by each person (Profile → Export my data), never here.
    assert "accounts.user" not in data["data"] and "password" not in json.dumps(data)
    assert AccountEvent.objects.filter(kind="exported", detail="household data").exists()


def test_the_export_is_a_post_and_for_the_household_only(home, django_user_model):
    assert owner_client(home["owner"]).get("/privacy/export/").status_code == 405
    stranger = django_user_model.objects.create_user("stranger@example.com")
    client = Client()
    client.force_login(stranger)
    assert client.post("/privacy/export/").status_code == 403
    assert Client().post("/privacy/export/").status_code == 302  # to sign in


def test_deleting_needs_a_recent_sign_in(home):
    client = owner_client(home["owner"], reauthenticated=False)
    assert client.get("/privacy/delete/").status_code == 200  # reading what would go is fine
    r = client.post("/privacy/delete/", {"password": PASSWORD, "confirm": "on"})
    assert r.status_code == 302 and r["Location"].startswith("/accounts/reauthenticate/")
    assert Device.objects.count() == 1


def test_deleting_after_signing_in_again_through_the_real_page(home):
    client = owner_client(home["owner"], reauthenticated=False)
    r = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert r.status_code == 302
    page = client.get("/privacy/delete/")
    assert page.status_code == 200
    assert "inventory.device: 1" in page.content.decode()
    r = client.post("/privacy/delete/", {"password": PASSWORD, "confirm": "on"})
    assert r.status_code == 302 and r["Location"] == "/privacy/"
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    "form,error",
    [
        ({"password": "wrong password", "confirm": "on"}, "This is not your current password."),
        ({"password": PASSWORD}, "This field is required."),
    ],
)
def test_deleting_without_the_password_or_the_confirmation_deletes_nothing(home, form, error):
    r = owner_client(home["owner"]).post("/privacy/delete/", form)
    assert r.status_code == 200 and error in r.content.decode()
    assert Device.objects.count() == 1 and Member.objects.count() == 1


def test_deleting_removes_every_household_row_and_file(home, data_dir):
    picture = data_dir / "uploads" / home["anna"].picture.name
    assert picture.exists()
    engine = Engine()  # a station running alongside, that has seen a device
    engine.discovery(DhcpSeen(mac="3c:22:fb:11:22:33", ts_ms=1, hostname="x", param_list=(1,)))
    store.save_devices(engine)
    learner = next(a for a in engine.addons if hasattr(a, "states"))
    learner.states["3c:22:fb:11:22:33"] = object()  # what it learned about the phone

    with_commit = owner_client(home["owner"])
    r = with_commit.post("/privacy/delete/", {"password": PASSWORD, "confirm": "on"})
    assert r.status_code == 302 and r["Location"] == "/privacy/"

    for label in registry.models_in_scope("household"):
        rows = apps.get_model(label).objects.all()
        if label == "inventory.stationnotice":
            assert [n.kind for n in rows] == ["household_erased"]  # who did it, and when
            assert "owner@example.com" in rows[0].message
        else:
            assert not rows.exists(), label
    assert BlockListSource.objects.count() == 1  # settings stay
    assert PrivacySettings.load().erased_at is not None
    assert home["owner"].__class__.objects.filter(pk=home["owner"].pk).exists()  # accounts stay

    # The station forgets what it held, or its next pass would write the device back.
    store.save_devices(engine)
    assert not Device.objects.exists()
    assert engine.devices.devices == {}
    assert all(not getattr(addon, "states", None) for addon in engine.addons)


def test_deleted_files_go_once_the_transaction_commits(
    home, data_dir, django_capture_on_commit_callbacks
):
    picture = data_dir / "uploads" / home["anna"].picture.name
    with django_capture_on_commit_callbacks(execute=True):
        household.erase(done_by="test")
    assert not picture.exists()


def test_deleting_empties_the_program_logs(home, data_dir, django_capture_on_commit_callbacks):
    """Logs name devices' addresses: emptied, rotated copies removed, and a program that still
    has its log open goes on writing into the emptied file."""
    import logging.handlers

    logs = data_dir / "logs"
    logs.mkdir()
    (logs / "station.log.1").write_text("old: 192.168.1.20 seen\n")
    handler = logging.handlers.RotatingFileHandler(logs / "station.log", maxBytes=10**6)
    logger = logging.getLogger("test.erase.logs")
    logger.addHandler(handler)
    try:
        logger.warning("new device 192.168.1.20 3c:22:fb:11:22:33")
        handler.flush()
        with django_capture_on_commit_callbacks(execute=True):
            household.erase(done_by="test")
        assert (logs / "station.log").read_text() == ""
        assert not (logs / "station.log.1").exists()
        logger.warning("after the erase")
        handler.flush()
        assert (logs / "station.log").read_text().strip() == "after the erase"
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_only_the_owner_may_delete_everything(home, django_user_model):
    member = django_user_model.objects.create_user("member@example.com", PASSWORD)
    member.groups.add(Group.objects.get(name=HOUSEHOLD_GROUP))
    r = owner_client(member).post("/privacy/delete/", {"password": PASSWORD, "confirm": "on"})
    assert r.status_code == 403
    assert "Only the station's owner" in r.content.decode()
    assert Device.objects.count() == 1


def test_counts_say_what_would_go(home):
    counts = household.counts()
    assert counts["inventory.device"] == 1 and counts["threats.alert"] == 1
    assert StationNotice.objects.count() == 0
    assert set(counts) == set(registry.models_in_scope("household"))
