"""The block page: browsers sent to the station for a blocked name get a page saying why.

settings.py adds BlockPageMiddleware only when LANWARD_DNS_BLOCK_ANSWER is an address, at import;
so the class is tested directly and inside an overridden MIDDLEWARE.
"""

from __future__ import annotations

import html
import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from lanward.daemons.dnsd import QueryRecord
from lanward.dnsfilter.middleware import BlockPageMiddleware
from lanward.dnsfilter.models import AllowEntry, BlockListSource
from lanward.dnsfilter.services import ProfileDirectory, QueryLogWriter

pytestmark = pytest.mark.django_db

MIDDLEWARE_PATH = "lanward.dnsfilter.middleware.BlockPageMiddleware"


def console(request):
    return HttpResponse("the console")


@pytest.fixture
def blocklist(data_dir, list_file):
    return BlockListSource.objects.create(
        name="Phishing Army", source=list_file("phish.example\n"), category="phishing"
    )


@pytest.fixture
def station(settings):
    settings.LANWARD_PUBLIC_HOST = "station.example:8000"
    settings.LANWARD_STATION_NAMES = ["lanward.home.arpa", "Guard.Lan"]
    return settings


def get(middleware: BlockPageMiddleware, host: str, path: str = "/") -> HttpResponse:
    return middleware(RequestFactory().get(path, HTTP_HOST=host))


@pytest.mark.parametrize(
    "host", ["phish.example", "login.phish.example", "LOGIN.Phish.Example:443", "phish.example."]
)
def test_a_blocked_name_gets_the_block_page(station, blocklist, host):
    response = get(BlockPageMiddleware(console), host, "/account/login?next=/")

    assert response.status_code == 403
    text = html.unescape(response.content.decode())
    assert "This site is blocked" in text
    assert host.split(":")[0].lower().rstrip(".") in text
    assert "phish.example is on Phishing Army (phishing)" in text
    assert "The list marks it as <strong>phishing</strong>" in text
    assert "ask the person who looks after your network to allow it" in text
    assert "Web protection → Always allowed" in text


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8000",
        "testserver",
        "lanward.local",
        socket.gethostname(),
        f"{socket.gethostname()}.local",
        "station.example:8000",
        "lanward.home.arpa",
        "guard.lan:8000",
        "192.168.1.2",
        "192.168.1.2:8000",
        "[fd00::2]:8000",
        "[::1]",
        "",
    ],
)
def test_the_stations_own_names_and_addresses_pass(station, blocklist, host):
    response = get(BlockPageMiddleware(console), host)

    assert (response.status_code, response.content) == (200, b"the console")


def test_allowed_hosts_are_the_stations_own(settings, blocklist):
    settings.ALLOWED_HOSTS = ["guard.example", ".home.example"]

    middleware = BlockPageMiddleware(console)

    assert get(middleware, "guard.example").content == b"the console"
    assert get(middleware, "home.example").content == b"the console"


def test_the_block_page_can_load_its_style(station, blocklist):
    middleware = BlockPageMiddleware(console)

    assert get(middleware, "phish.example", "/static/lanward/app.css").status_code == 200


def test_a_name_no_longer_blocked_says_to_try_again(station, blocklist):
    AllowEntry.objects.create(domain="phish.example")

    response = get(BlockPageMiddleware(console), "phish.example")

    assert response.status_code == 403
    assert "It is not blocked any more; try again in a minute" in response.content.decode()


def test_the_block_page_names_lists_of_any_category(station, data_dir, list_file):
    """The resolver blocked it for someone (a member may block adult sites): say which list."""
    BlockListSource.objects.create(
        name="Adult", source=list_file("adult.example\n"), category="adult"
    )

    response = get(BlockPageMiddleware(console), "adult.example")

    assert "adult.example is on Adult (adult)" in html.unescape(response.content.decode())


def test_the_lists_are_not_downloaded_for_every_request(station, data_dir, list_server):
    list_server.files["/phish.txt"] = "phish.example\n"
    BlockListSource.objects.create(name="Remote", source=list_server.url("/phish.txt"))
    middleware = BlockPageMiddleware(console)

    for path in ("/", "/favicon.ico", "/a/b"):
        assert get(middleware, "phish.example", path).status_code == 403

    assert list_server.hits == ["/phish.txt"]


def test_in_the_middleware_stack(client, station, blocklist):
    with override_settings(MIDDLEWARE=[MIDDLEWARE_PATH, *settings.MIDDLEWARE]):
        blocked = client.get("/", HTTP_HOST="phish.example")
        console_page = client.get("/protection/")  # Host: testserver
        by_address = client.get("/accounts/login/", HTTP_HOST="192.168.1.2:8000")

    assert blocked.status_code == 403
    assert "Phishing Army" in blocked.content.decode()
    assert blocked.templates[0].name == "dnsfilter/blocked.html"
    assert console_page.status_code == 302
    assert console_page["Location"].startswith("/accounts/login/")
    assert by_address.status_code == 200


@pytest.mark.parametrize(("answer", "first"), [("192.168.1.2", True), ("nxdomain", False)])
def test_settings_add_it_when_blocked_names_answer_the_station(tmp_path, answer, first):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANWARD_")}
    env.update(LANWARD_DATA_DIR=str(tmp_path), LANWARD_DNS_BLOCK_ANSWER=answer)
    out = subprocess.run(
        [sys.executable, "-c", "import lanward.settings as s; print(s.MIDDLEWARE[0])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()

    assert (out == MIDDLEWARE_PATH) is first


def test_a_block_by_the_answers_address_is_explained(station, blocklist, owner_client):
    """c2.example is on no list by name; the resolver blocked it for the C2 address it pointed
    to. The block page and the query log say so, from what the resolver logged."""
    writer = QueryLogWriter(ProfileDirectory())
    writer.directory.refresh()
    middleware = BlockPageMiddleware(console)
    before = html.unescape(get(middleware, "c2.example").content.decode())
    assert "It is not blocked any more" in before  # nothing logged: nothing to explain

    writer(
        QueryRecord(
            time.time(),
            "192.168.1.20",
            "c2.example",
            "A",
            "blocked",
            list_name="Feodo C2 addresses",
            category="malware",
            rule="185.220.101.7 in 185.220.101.0/24",
        )
    )
    writer(QueryRecord(time.time(), "192.168.1.20", "ok.example", "A", "allowed"))
    assert writer.flush() == 2

    text = html.unescape(get(middleware, "c2.example").content.decode())
    assert "Why: the address it points to (185.220.101.7 in 185.220.101.0/24) is on Feodo" in text
    assert "The list marks it as <strong>malware</strong>" in text
    log = html.unescape(owner_client.get("/protection/log/?action=blocked").content.decode())
    assert "the answer pointed to 185.220.101.7 in 185.220.101.0/24" in log
