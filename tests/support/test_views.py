"""Support pages for the cast: the owner, another user (404 for the owner's ticket and its
attachments, never a change) and anonymous (sent to sign in)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lanward.support.models import Ticket, TicketMessage
from tests.portal_cast import assert_anonymous_sent_to_sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def ticket(client_as, cast) -> Ticket:
    r = client_as("owner").post(
        "/support/new/",
        {
            "subject": "Station offline",
            "body": "It stopped on Tuesday.",
            "attachment": SimpleUploadedFile("screen shot.PNG", PNG),
        },
    )
    assert r.status_code == 302, r.content
    return Ticket.objects.get(owner=cast.owner)


def attachment_url(ticket: Ticket) -> str:
    message = ticket.messages.get()
    return f"/support/{ticket.pk}/attachments/{message.pk}/"


def paths(ticket: Ticket) -> list[tuple[str, str]]:
    return [
        ("get", "/support/"),
        ("get", "/support/new/"),
        ("post", "/support/new/"),
        ("get", f"/support/{ticket.pk}/"),
        ("post", f"/support/{ticket.pk}/"),
        ("get", attachment_url(ticket)),
    ]


def test_opening_a_ticket_with_an_attachment(ticket, client_as):
    assert ticket.status == Ticket.Status.OPEN
    message = ticket.messages.get()
    assert message.body == "It stopped on Tuesday." and not message.from_staff
    assert message.attachment_name == "screen shot.PNG"
    assert message.attachment.name.startswith(f"tickets/{ticket.pk}/")
    assert message.attachment.name.endswith(".png")
    page = client_as("owner").get(f"/support/{ticket.pk}/").content.decode()
    assert "It stopped on Tuesday." in page and "screen shot.PNG" in page


def test_anonymous_is_sent_to_sign_in(client_as, ticket):
    client = client_as("anonymous")
    for method, path in paths(ticket):
        assert_anonymous_sent_to_sign_in(getattr(client, method)(path, {"body": "x"}))
    assert ticket.messages.count() == 1


def test_another_user_gets_404_for_the_owners_ticket_and_attachment(client_as, ticket):
    client = client_as("other")
    assert client.get(f"/support/{ticket.pk}/").status_code == 404
    r = client.post(f"/support/{ticket.pk}/", {"body": "I am not the owner"})
    assert r.status_code == 404
    assert client.get(attachment_url(ticket)).status_code == 404
    assert ticket.messages.count() == 1
    assert "Station offline" not in client.get("/support/").content.decode()


def test_an_attachment_cannot_be_reached_through_another_ticket(client_as, cast, ticket):
    client = client_as("other")
    client.post("/support/new/", {"subject": "Mine", "body": "Hello"})
    theirs = Ticket.objects.get(owner=cast.other)
    message = ticket.messages.get()
    assert client.get(f"/support/{theirs.pk}/attachments/{message.pk}/").status_code == 404


def test_the_owner_downloads_the_attachment(client_as, ticket):
    r = client_as("owner").get(attachment_url(ticket))
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PNG
    assert r["Content-Disposition"].startswith("attachment;")
    assert "screen shot.PNG" in r["Content-Disposition"]


def test_a_message_without_attachment_has_nothing_to_download(client_as, ticket):
    client = client_as("owner")
    client.post(f"/support/{ticket.pk}/", {"body": "No file this time"})
    bare = TicketMessage.objects.get(body="No file this time")
    assert client.get(f"/support/{ticket.pk}/attachments/{bare.pk}/").status_code == 404


def test_the_owner_replies_and_the_ticket_opens_again(client_as, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.ANSWERED)
    r = client_as("owner").post(f"/support/{ticket.pk}/", {"body": "Still broken"})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert [m.body for m in ticket.messages.all()][-1] == "Still broken"


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("setup.exe", b"MZ\x90\x00", "can&#x27;t be attached"),
        ("screen.png", b"just some text", "not really PNG"),
    ],
)
def test_a_refused_attachment_is_a_field_error_and_nothing_is_saved(
    client_as, cast, name, content, error
):
    r = client_as("owner").post(
        "/support/new/",
        {
            "subject": "Bad file",
            "body": "See attached",
            "attachment": SimpleUploadedFile(name, content),
        },
    )
    assert r.status_code == 200
    assert error in r.content.decode()
    assert not Ticket.objects.filter(owner=cast.owner).exists()


def test_a_too_big_attachment_is_a_field_error(client_as, cast, settings):
    settings.LANWARD_TICKET_ATTACHMENT_MAX_BYTES = 1024 * 1024
    r = client_as("owner").post(
        "/support/new/",
        {
            "subject": "Big file",
            "body": "See attached",
            "attachment": SimpleUploadedFile("big.png", PNG.ljust(2 * 1024 * 1024, b"\x00")),
        },
    )
    assert r.status_code == 200
    assert "This file is too big (2048 KB). Attach at most 1 MB." in r.content.decode()
    assert not Ticket.objects.exists()
