"""Approve / block a new device: from the console's notification and from the emailed link
(signed, expiring, sign-in required, confirmed by POST), and the DNS filter honouring a block."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import dns.message
import dns.rcode
import pytest
from django.test import Client

from lanward.daemons.dnsd import Resolver, ResolverConfig, parse_upstream
from lanward.dnsfilter.services import ProfileDirectory
from lanward.engine.dns.policy import Policy
from lanward.inventory.models import Device, DeviceEvent
from lanward.notify import actions, delivery
from lanward.notify.models import Notification
from lanward.notify.services import publish
from tests.cast import ROLES, assert_access, make_device
from tests.conftest import Mailbox, first_link, mail_body
from tests.daemons.dnsfixtures import AuthServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def device() -> Device:
    return make_device("da:a1:19:00:00:99", hostname="unknown-tablet", ips=["192.168.1.77"])


def announce(device: Device, user: Any = None) -> list[Notification]:
    return publish(
        "new_device",
        "medium",
        f"New device on your network: {device.display_name}",
        url=f"/devices/{device.pk}/",
        device=device,
        user=user,
    )


def owners(made: list[Notification], cast: dict[str, Any]) -> Notification:
    return next(n for n in made if n.recipient == cast["owner"])


# --- In the console -------------------------------------------------------------------------


def test_approve_from_the_notification(
    client_as: Any, cast: dict[str, Any], device: Device
) -> None:
    n = owners(announce(device), cast)
    page = client_as("owner").get("/notifications/").content.decode()
    assert f"/notifications/{n.pk}/device/approve/" in page
    assert f"/notifications/{n.pk}/device/block/" in page

    response = client_as("owner").post(f"/notifications/{n.pk}/device/approve/", follow=True)

    assert "is approved" in response.content.decode()
    device.refresh_from_db()
    assert not device.is_new and not device.blocked
    n.refresh_from_db()
    assert n.read_at is not None
    event = DeviceEvent.objects.get(device=device, kind="edited")
    assert event.detail == "approved by owner@example.com from a notification"


def test_block_then_unblock(client_as: Any, cast: dict[str, Any], device: Device) -> None:
    n = owners(announce(device), cast)
    client = client_as("owner")
    client.post(f"/notifications/{n.pk}/device/block/")
    device.refresh_from_db()
    assert device.blocked and not device.is_new
    page = client.get("/notifications/").content.decode()
    assert "Blocked" in page and f"/notifications/{n.pk}/device/unblock/" in page

    client.post(f"/notifications/{n.pk}/device/unblock/")
    device.refresh_from_db()
    assert not device.blocked


@pytest.mark.parametrize("role", ROLES)
def test_actions_are_for_the_household(
    client_as: Any, cast: dict[str, Any], device: Device, role: str
) -> None:
    made = {n.recipient: n for n in announce(device)}
    # Strangers and anonymous visitors try the owner's notification.
    target = made.get(cast[role]) or made[cast["owner"]]
    response = client_as(role).post(f"/notifications/{target.pk}/device/block/")
    assert_access(response, role, allowed_status=302)
    device.refresh_from_db()
    assert device.blocked is (role in ("owner", "member"))


def test_a_get_changes_nothing(client_as: Any, cast: dict[str, Any], device: Device) -> None:
    n = owners(announce(device), cast)
    assert client_as("owner").get(f"/notifications/{n.pk}/device/block/").status_code == 405
    device.refresh_from_db()
    assert not device.blocked


def test_unknown_action_is_refused(client_as: Any, cast: dict[str, Any], device: Device) -> None:
    n = owners(announce(device), cast)
    response = client_as("owner").post(f"/notifications/{n.pk}/device/delete/", follow=True)
    assert "Choose Approve, Block or Unblock." in response.content.decode()
    assert Device.objects.filter(pk=device.pk, blocked=False, is_new=True).exists()


def test_view_only_member_sees_no_buttons_and_cannot_act(
    cast: dict[str, Any], device: Device, django_user_model: Any
) -> None:
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer@example.com")
    viewer.user_permissions.add(Permission.objects.get(codename="view_device"))
    (n,) = announce(device, user=viewer)
    client = Client()
    client.force_login(viewer)
    page = client.get("/notifications/").content.decode()
    assert "device/block/" not in page
    assert client.post(f"/notifications/{n.pk}/device/block/").status_code == 403


# --- From the email -------------------------------------------------------------------------


def mailed_links(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox, device: Device
) -> dict[str, str]:
    announce(device, user=cast["owner"])
    delivery.deliver_due()
    msg = mailbox.wait_for(inbox, "New device on your network")
    body = mail_body(msg)
    assert "Approve it (a known device):" in body and "Block it (no DNS answers):" in body
    approve = first_link(msg, "/notifications/act/")
    links = [line.split(": ", 1)[1] for line in body.splitlines() if "/notifications/act/" in line]
    assert links[0] == approve
    return {"approve": urlsplit(links[0]).path, "block": urlsplit(links[1]).path}


def test_email_link_needs_sign_in_then_confirms_by_post(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox, device: Device
) -> None:
    links = mailed_links(cast, inbox, mailbox, device)

    anonymous = Client().get(links["block"])
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=/notifications/act/")

    owner = Client()
    owner.force_login(cast["owner"])
    confirm = owner.get(links["block"])
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Block unknown-tablet?" in page and "da:a1:19:00:00:99" in page
    device.refresh_from_db()
    assert not device.blocked  # the GET changed nothing

    done = owner.post(links["block"])
    assert done.status_code == 302 and done["Location"] == f"/devices/{device.pk}/"
    device.refresh_from_db()
    assert device.blocked
    assert DeviceEvent.objects.get(device=device, kind="edited").detail.endswith(
        "from an email link"
    )


def test_email_approve_link(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox, device: Device
) -> None:
    links = mailed_links(cast, inbox, mailbox, device)
    member = Client()
    member.force_login(cast["member"])  # anyone in the household may act on it
    assert member.post(links["approve"]).status_code == 302
    device.refresh_from_db()
    assert not device.is_new and not device.blocked


def test_email_link_is_refused_to_strangers(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox, device: Device
) -> None:
    links = mailed_links(cast, inbox, mailbox, device)
    stranger = Client()
    stranger.force_login(cast["stranger"])
    assert_access(stranger.get(links["block"]), "stranger")
    assert_access(stranger.post(links["block"]), "stranger")
    device.refresh_from_db()
    assert not device.blocked


def test_expired_link(
    cast: dict[str, Any], owner_client: Client, device: Device, settings: Any
) -> None:
    n = owners(announce(device), cast)
    path = urlsplit(actions.action_link(n, "block")).path
    settings.LANWARD_NOTIFY_LINK_SECONDS = -1
    for response in (owner_client.get(path), owner_client.post(path)):
        assert response.status_code == 400
        assert "This link has expired" in response.content.decode()
    device.refresh_from_db()
    assert not device.blocked


@pytest.mark.parametrize("mangle", [lambda t: t[:-3], lambda t: t + "x", lambda t: "garbage"])
def test_tampered_link(
    cast: dict[str, Any], owner_client: Client, device: Device, mangle: Any
) -> None:
    n = owners(announce(device), cast)
    token = urlsplit(actions.action_link(n, "block")).path.split("/")[-2]
    response = owner_client.post(f"/notifications/act/{mangle(token)}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    device.refresh_from_db()
    assert not device.blocked


def test_link_for_a_removed_device(
    cast: dict[str, Any], owner_client: Client, device: Device
) -> None:
    n = owners(announce(device), cast)
    path = urlsplit(actions.action_link(n, "approve")).path
    device.delete()
    response = owner_client.get(path)
    assert response.status_code == 404
    assert "no longer in the inventory" in response.content.decode()


def test_the_link_names_one_device_and_one_action(cast: dict[str, Any], device: Device) -> None:
    n = owners(announce(device), cast)
    target = actions.read_token(urlsplit(actions.action_link(n, "approve")).path.split("/")[-2])
    assert (target.device_id, target.action) == (device.pk, "approve")
    with pytest.raises(ValueError):
        actions.make_token(n, "delete")


# --- The DNS filter honours a block ---------------------------------------------------------


def ask(resolver: Resolver, client: str, name: str) -> dns.message.Message:
    query = dns.message.make_query(name, "A")
    wire = asyncio.run(resolver.handle(query.to_wire(), client, tcp=False))
    assert wire is not None
    return dns.message.from_wire(wire)


def test_a_blocked_device_gets_no_dns_answers(
    client_as: Any, cast: dict[str, Any], device: Device
) -> None:
    make_device("aa:bb:cc:00:00:01", hostname="laptop", ips=["192.168.1.10"])
    upstream = AuthServer({"example.com": {"A": ["93.184.216.34"]}}).start()
    try:
        directory = ProfileDirectory()
        resolver = Resolver(
            Policy(),
            ResolverConfig(upstreams=[parse_upstream(upstream.address)]),
            profile_for=directory.profile_for,
        )
        directory.refresh()
        assert ask(resolver, "192.168.1.77", "example.com").rcode() == dns.rcode.NOERROR

        n = owners(announce(device), cast)
        client_as("owner").post(f"/notifications/{n.pk}/device/block/")
        directory.refresh()  # the DNS daemon does this every 30 seconds

        blocked = ask(resolver, "192.168.1.77", "www.example.org")
        assert blocked.rcode() == dns.rcode.NXDOMAIN
        assert upstream.count("www.example.org") == 0  # never asked upstream
        assert ask(resolver, "192.168.1.77", "example.com").rcode() == dns.rcode.NXDOMAIN
        assert ask(resolver, "192.168.1.10", "example.com").rcode() == dns.rcode.NOERROR

        client_as("owner").post(f"/notifications/{n.pk}/device/unblock/")
        directory.refresh()
        assert ask(resolver, "192.168.1.77", "example.com").rcode() == dns.rcode.NOERROR
    finally:
        upstream.stop()


def test_paused_profile_wins_over_exceptions() -> None:
    from lanward.engine.dns.policy import Profile

    decision = Policy().decide(
        "allowed.example", Profile(paused=True, allow=frozenset({"allowed.example"}))
    )
    assert decision.blocked and decision.category == "paused"
