"""Console pages for devices and members, checked for each of the cast (tests/cast.py)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from lanward.inventory.models import Device, DeviceEvent, DeviceLink, Member, UnlinkedMac
from tests.cast import ALLOWED, ROLES, assert_access, make_device
from tests.inventory.test_forms import png_with_size

pytestmark = pytest.mark.django_db


def png_bytes(size=(40, 30), color="red"):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def home(media_root):
    anna = Member.objects.create(name="Anna")
    ben = Member.objects.create(name="Ben")
    ben.picture.save("ben.jpg", ContentFile(png_bytes()), save=True)
    now = timezone.now()
    phone = make_device(
        "3c:22:fb:11:22:33",
        now,
        hostname="Annas-iPhone",
        vendor="Apple, Inc.",
        brand="Apple",
        type="phone",
        ips=["192.168.1.20"],
        owner=anna,
        is_new=False,
    )
    tv = make_device(
        "a4:77:33:00:00:02",
        now - timedelta(hours=2),
        vendor="Google, Inc.",
        brand="Google",
        type="streaming stick",
        user_type="TV",
        name="Living room TV",
        ips=["192.168.1.40"],
        owner=ben,
        is_new=False,
    )
    plug = make_device(
        "d8:f1:5b:00:00:03",
        now - timedelta(minutes=1),
        vendor="Espressif Inc.",
        type="smart plug/IoT hub",
        ips=["192.168.1.77"],
    )
    link = DeviceLink.objects.create(device=phone, mac="da:a1:19:00:00:01", reason="same client id")
    return {"anna": anna, "ben": ben, "phone": phone, "tv": tv, "plug": plug, "link": link}


def listed_macs(response):
    return re.findall(r'class="device-row" data-mac="([0-9a-f:]+)"', response.content.decode())


# --- who may see what ------------------------------------------------------------------------


PAGES = [
    "/devices/",
    "/devices/{phone}/",
    "/members/",
    "/members/new/",
    "/members/{anna}/",
    "/members/{anna}/delete/",
    "/members/{ben}/picture/",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_pages_belong_to_the_household(client_as, home, role, page):
    url = page.format(phone=home["phone"].pk, anna=home["anna"].pk, ben=home["ben"].pk)
    assert_access(client_as(role).get(url), role)


def test_missing_rows_are_404(owner_client, home):
    for url in ("/devices/999999/", "/members/999999/", "/members/999999/picture/"):
        assert owner_client.get(url).status_code == 404
    # A member without a picture, and a picture whose file is gone, are 404 too.
    assert owner_client.get(f"/members/{home['anna'].pk}/picture/").status_code == 404
    home["ben"].picture.storage.delete(home["ben"].picture.name)
    assert owner_client.get(f"/members/{home['ben'].pk}/picture/").status_code == 404


def test_the_picture_is_served_privately_as_jpeg(client_as, home):
    response = client_as("member").get(f"/members/{home['ben'].pk}/picture/")
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == png_bytes()


def test_the_household_group_grants_view_and_change(cast):
    member = cast["member"]
    assert member.has_perm("inventory.view_device") and member.has_perm("inventory.change_device")
    assert member.has_perm("inventory.add_member") and member.has_perm("inventory.delete_member")
    assert not member.has_perm("inventory.delete_device")
    assert not cast["stranger"].has_perm("inventory.view_device")


def edit_data(**overrides):
    data = {"name": "Kitchen speaker", "user_type": "speaker", "user_brand": "", "user_model": ""}
    data["owner"] = ""
    return data | overrides


@pytest.mark.parametrize("role", ROLES)
def test_only_the_household_edits_a_device(client_as, home, role):
    plug = home["plug"]
    response = client_as(role).post(f"/devices/{plug.pk}/", edit_data())
    assert_access(response, role, allowed_status=302)
    plug.refresh_from_db()
    if role in ALLOWED:
        assert response["Location"] == f"/devices/{plug.pk}/"
        assert (plug.name, plug.user_type, plug.is_new) == ("Kitchen speaker", "speaker", False)
    else:
        assert (plug.name, plug.user_type, plug.is_new) == ("", "", True)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_household_marks_a_device_known(client_as, home, role):
    plug = home["plug"]
    response = client_as(role).post(f"/devices/{plug.pk}/access/approve/")
    assert_access(response, role, allowed_status=302)
    plug.refresh_from_db()
    assert plug.is_new is (role not in ALLOWED)


def test_blocking_and_unblocking_a_device_from_its_page(owner_client, home):
    plug = home["plug"]
    page = owner_client.get(f"/devices/{plug.pk}/").content.decode()
    assert "I know this device" in page and "Block this device" in page
    r = owner_client.post(f"/devices/{plug.pk}/access/block/", follow=True)
    plug.refresh_from_db()
    assert plug.blocked and not plug.is_new
    page = r.content.decode()
    assert "is blocked: the station&#x27;s DNS answers it nothing" in page
    assert ">blocked</span>" in page and "Unblock" in page and "Block this device" not in page
    assert "blocked</span>" in owner_client.get("/devices/").content.decode()
    owner_client.post(f"/devices/{plug.pk}/access/unblock/")
    plug.refresh_from_db()
    assert not plug.blocked
    history = list(
        plug.events.filter(kind=DeviceEvent.Kind.EDITED).values_list("detail", flat=True)
    )
    assert len(history) == 2 and all("on its page" in d for d in history)


def test_a_device_access_change_needs_a_post_and_a_known_action(owner_client, home):
    plug = home["plug"]
    assert owner_client.get(f"/devices/{plug.pk}/access/block/").status_code == 405
    r = owner_client.post(f"/devices/{plug.pk}/access/destroy/", follow=True)
    assert "Unknown action: approve, block or unblock a device." in r.content.decode()
    plug.refresh_from_db()
    assert not plug.blocked and plug.is_new
    assert owner_client.post("/devices/99999/access/block/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_only_the_household_unlinks_a_mac(client_as, home, role):
    phone, link = home["phone"], home["link"]
    response = client_as(role).post(f"/devices/{phone.pk}/links/{link.pk}/unlink/")
    assert_access(response, role, allowed_status=302)
    if role in ALLOWED:
        assert not DeviceLink.objects.exists()
        assert UnlinkedMac.objects.filter(mac=link.mac).exists()
        event = phone.events.get(kind=DeviceEvent.Kind.UNLINKED)
        assert event.detail == link.mac
    else:
        assert DeviceLink.objects.filter(pk=link.pk).exists()
        assert not UnlinkedMac.objects.exists()


def test_unlink_checks_the_link_belongs_to_the_device(owner_client, home):
    response = owner_client.post(f"/devices/{home['tv'].pk}/links/{home['link'].pk}/unlink/")
    assert response.status_code == 404
    assert DeviceLink.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_household_adds_a_member(client_as, home, role):
    response = client_as(role).post("/members/new/", {"name": "  Carla   Diaz "})
    assert_access(response, role, allowed_status=302)
    assert Member.objects.filter(name="Carla Diaz").exists() is (role in ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_household_edits_a_member(client_as, home, role):
    anna = home["anna"]
    response = client_as(role).post(f"/members/{anna.pk}/", {"name": "Anna B."})
    assert_access(response, role, allowed_status=302)
    anna.refresh_from_db()
    assert (anna.name == "Anna B.") is (role in ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_household_removes_a_member(client_as, home, role):
    ben = home["ben"]
    picture = ben.picture.path
    response = client_as(role).post(f"/members/{ben.pk}/delete/")
    assert_access(response, role, allowed_status=302)
    removed = role in ALLOWED
    assert Member.objects.filter(pk=ben.pk).exists() is not removed
    if removed:
        assert response["Location"] == "/members/"
        tv = Device.objects.get(pk=home["tv"].pk)
        assert tv.owner is None and tv.name == "Living room TV"  # the device is kept
        assert not ben.picture.storage.exists(picture)


def test_a_viewer_without_change_permission_cannot_edit(django_user_model, home):
    viewer = django_user_model.objects.create_user("viewer@example.com")
    viewer.user_permissions.add(Permission.objects.get(codename="view_device"))
    client = Client()
    client.force_login(viewer)
    plug = home["plug"]
    page = client.get(f"/devices/{plug.pk}/")
    assert page.status_code == 200
    assert "I know this device" not in page.content.decode()
    assert 'name="user_type"' not in page.content.decode()
    response = client.post(f"/devices/{plug.pk}/", edit_data())
    assert response.status_code == 403
    assert client.post(f"/devices/{plug.pk}/access/block/").status_code == 403
    assert client.get("/members/new/").status_code == 403
    plug.refresh_from_db()
    assert plug.name == "" and plug.is_new


# --- the device list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["phone", "plug", "tv"]),  # most recently seen first
        ({"q": "living ROOM"}, ["tv"]),  # the name the user gave
        ({"q": "annas-iphone"}, ["phone"]),  # hostname
        ({"q": "192.168.1.77"}, ["plug"]),  # IP address
        ({"q": "A4:77:33"}, ["tv"]),  # MAC, any case
        ({"q": "espressif"}, ["plug"]),  # maker
        ({"q": "apple"}, ["phone"]),  # brand
        ({"q": "nothing like it"}, []),
        ({"status": "online"}, ["phone", "plug"]),
        ({"status": "offline"}, ["tv"]),
        ({"status": "new"}, ["plug"]),
        ({"type": "TV"}, ["tv"]),  # what the user set wins over what was recognized
        ({"type": "streaming stick"}, []),
        ({"type": "phone"}, ["phone"]),
        ({"member": "none"}, ["plug"]),
        ({"member": "{anna}"}, ["phone"]),
        ({"member": "{ben}", "status": "online"}, []),
        ({"member": "bogus", "status": "bogus"}, ["phone", "plug", "tv"]),
    ],
)
def test_device_list_search_and_filters(client_as, home, query, expected):
    params = {k: v.format(anna=home["anna"].pk, ben=home["ben"].pk) for k, v in query.items()}
    response = client_as("member").get("/devices/", params)
    assert response.status_code == 200
    assert listed_macs(response) == [home[name].mac for name in expected]


def test_device_list_counts_and_owner_names(owner_client, home):
    body = owner_client.get("/devices/").content.decode()
    assert "3 known · 2 online now · 1 new" in body
    assert "Living room TV" in body and "Anna" in body


# --- editing a device ------------------------------------------------------------------------


def test_editing_a_device_marks_it_known_and_records_what_changed(owner_client, home):
    plug = home["plug"]
    response = owner_client.post(
        f"/devices/{plug.pk}/",
        edit_data(user_brand="Shelly", owner=str(home["anna"].pk)),
        follow=True,
    )
    assert "Saved." in response.content.decode()
    plug.refresh_from_db()
    assert (plug.name, plug.user_type, plug.user_brand, plug.owner) == (
        "Kitchen speaker",
        "speaker",
        "Shelly",
        home["anna"],
    )
    assert not plug.is_new
    assert plug.type == "smart plug/IoT hub"  # what lanward recognized is kept alongside
    event = plug.events.get(kind=DeviceEvent.Kind.EDITED)
    assert event.detail == "changed name, user_type, user_brand, owner"


def test_saving_without_changes_records_no_event(owner_client, home):
    tv = home["tv"]
    data = {"name": tv.name, "user_type": "TV", "user_brand": "", "user_model": ""}
    data["owner"] = str(home["ben"].pk)
    assert owner_client.post(f"/devices/{tv.pk}/", data).status_code == 302
    assert not tv.events.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (edit_data(user_type="toaster"), "user_type"),
        (edit_data(name="x" * 101), "name"),
        (edit_data(user_brand="b" * 101), "user_brand"),
        (edit_data(owner="999999"), "owner"),
        (edit_data(owner="not a number"), "owner"),
    ],
)
def test_bad_device_input_gives_field_errors(owner_client, home, data, field):
    plug = home["plug"]
    response = owner_client.post(f"/devices/{plug.pk}/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    plug.refresh_from_db()
    assert (plug.name, plug.is_new) == ("", True)
    assert not plug.events.exists()


def test_device_page_shows_identity_links_and_timeline(owner_client, home):
    phone = home["phone"]
    DeviceEvent.objects.create(device=phone, kind=DeviceEvent.Kind.IP, detail="192.168.1.20")
    body = owner_client.get(f"/devices/{phone.pk}/", {"period": "30d"}).content.decode()
    assert "Annas-iPhone" in body
    assert "da:a1:19:00:00:01" in body and "Not the same device" in body
    assert "New IP address: 192.168.1.20" in body
    assert 'aria-current="page">30d<' in body


def test_unsupported_methods_are_refused(owner_client, home):
    assert owner_client.get(f"/devices/{home['plug'].pk}/access/approve/").status_code == 405
    assert owner_client.put(f"/devices/{home['plug'].pk}/").status_code == 405


# --- members ---------------------------------------------------------------------------------


def test_member_list_shows_devices_and_usage(client_as, home):
    from lanward.usage.models import UsageHour

    UsageHour.objects.create(
        device=home["phone"],
        hour=timezone.now() - timedelta(hours=1),
        app="YouTube",
        bytes_up=500_000,
        bytes_down=1_500_000,
    )
    body = client_as("member").get("/members/").content.decode()
    assert "1 device(s) have no owner" in body
    assert "2.0 MB in the last 7 days" in body
    assert f'src="/members/{home["ben"].pk}/picture/"' in body


def test_a_member_name_must_be_unique_and_not_blank(owner_client, home):
    for name, message in (("Anna", "already exists"), ("   ", "required")):
        response = owner_client.post("/members/new/", {"name": name})
        assert response.status_code == 200
        assert message in str(response.context["form"].errors["name"])
    assert Member.objects.count() == 2


def test_a_member_picture_uploaded_through_the_page_is_served_back(owner_client, home):
    response = owner_client.post(
        "/members/new/",
        {"name": "Carla", "picture": SimpleUploadedFile("c.png", png_bytes((500, 400)))},
    )
    assert response.status_code == 302
    carla = Member.objects.get(name="Carla")
    served = owner_client.get(f"/members/{carla.pk}/picture/")
    img = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert (img.format, img.size) == ("JPEG", (256, 256))

    bomb = SimpleUploadedFile("d.png", png_with_size(100_000, 100_000))
    response = owner_client.post("/members/new/", {"name": "Dan", "picture": bomb})
    assert response.status_code == 200
    assert "picture" in response.context["form"].errors
    assert not Member.objects.filter(name="Dan").exists()


def test_the_overview_sums_up_protection(owner_client):
    """Alerts waiting for a look, open findings and blocked lookups, each with a link."""
    from lanward.dnsfilter.models import QueryLog
    from lanward.securitycheck.models import Finding, ScanRun
    from lanward.threats.models import Alert

    def lines() -> dict[str, str]:
        page = owner_client.get("/").content.decode()
        block = page.split('class="kv protection-lines">', 1)[1].split("</dl>", 1)[0]
        found = re.findall(r'<dt><a href="([^"]+)">([^<]+)</a></dt><dd>(.*?)</dd>', block, re.S)
        return {
            what: re.sub(r"<[^>]+>", "", text).strip() + f" @{url}" for url, what, text in found
        }

    now = timezone.now()
    camera = make_device("02:00:00:00:00:01", now, ips=["192.168.1.20"])
    assert lines() == {
        "Alerts": "ok nothing unusual in the last 7 days @/alerts/",
        "Security check": "look no open problems · no check yet @/security-check/",
    }
    common = {"kind": "remote_access", "src": "203.0.113.5", "dst": "192.168.1.20"}
    old = now - timedelta(days=8)
    Alert.objects.create(severity="high", summary="RDP from the internet", time=now, **common)
    Alert.objects.create(severity="low", summary="again", time=old, last_time=now, **common)
    Alert.objects.create(
        severity="high", summary="looked at", time=now, acknowledged=True, **common
    )
    Alert.objects.create(severity="critical", summary="old", time=old, last_time=old, **common)
    ScanRun.objects.create(status=ScanRun.Status.DONE, finished=now, origin="test")
    Finding.objects.create(
        key="t",
        kind="configuration",
        severity="medium",
        device=camera,
        address="192.168.1.20",
        port=23,
        service="telnet",
        summary="Telnet is open",
        first_seen=now,
        last_seen=now,
    )
    QueryLog.objects.create(
        time=now, client="192.168.1.20", name="a.test", qtype="A", action="allowed"
    )
    QueryLog.objects.create(
        time=now, client="192.168.1.20", name="b.test", qtype="A", action="blocked"
    )
    shown = lines()
    assert shown["Alerts"] == (
        "act 2 in the last 7 days waiting for a look, 1 of them high or critical @/alerts/?open=1"
    )
    assert shown["Security check"] == (
        f"look 1 problem to fix (worst: medium) · last check {now:%b %-d} @/security-check/"
    )
    assert shown["Web protection"] == "ok 1 of 2 lookups blocked in the last 24 hours @/protection/"
