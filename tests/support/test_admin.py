"""Staff answer tickets in the admin: the reply is marked as staff's, the ticket as answered,
and the owner gets a mail."""

from __future__ import annotations

import pytest
from django.test import Client

from lanward.support.models import Ticket, TicketMessage


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff@example.com")


@pytest.fixture
def ticket(cast) -> Ticket:
    ticket = Ticket.objects.create(owner=cast.owner, subject="Station offline")
    TicketMessage.objects.create(ticket=ticket, author=cast.owner, body="It stopped.")
    return ticket


def change_form(ticket: Ticket, reply: str) -> dict[str, object]:
    first = ticket.messages.get()
    return {
        "owner": ticket.owner_id,
        "subject": ticket.subject,
        "status": ticket.status,
        "created_0": ticket.created.strftime("%Y-%m-%d"),
        "created_1": ticket.created.strftime("%H:%M:%S"),
        "updated_0": ticket.updated.strftime("%Y-%m-%d"),
        "updated_1": ticket.updated.strftime("%H:%M:%S"),
        "messages-TOTAL_FORMS": "2",
        "messages-INITIAL_FORMS": "1",
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
        "messages-0-id": first.pk,
        "messages-0-ticket": ticket.pk,
        "messages-0-body": first.body,
        "messages-1-id": "",
        "messages-1-ticket": ticket.pk,
        "messages-1-body": reply,
        "_save": "Save",
    }


def test_a_staff_reply_marks_the_ticket_answered_and_mails_the_owner(staff, ticket, mailoutbox):
    client = Client()
    client.force_login(staff)
    r = client.post(
        f"/admin/support/ticket/{ticket.pk}/change/", change_form(ticket, "Restart it, please.")
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ANSWERED
    reply = ticket.messages.get(body="Restart it, please.")
    assert reply.from_staff and reply.author == staff
    assert not ticket.messages.get(body="It stopped.").from_staff
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["owner@example.com"]
    assert f"Ticket #{ticket.pk} has an answer" in mail.subject
    assert "Station offline" in mail.body


def test_saving_without_a_reply_mails_no_one(staff, ticket, mailoutbox):
    client = Client()
    client.force_login(staff)
    data = change_form(ticket, "")
    data["messages-TOTAL_FORMS"] = "1"
    r = client.post(f"/admin/support/ticket/{ticket.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert mailoutbox == []


def test_the_owner_sees_the_answer(staff, ticket, client_as):
    client = Client()
    client.force_login(staff)
    client.post(
        f"/admin/support/ticket/{ticket.pk}/change/", change_form(ticket, "Restart it, please.")
    )
    page = client_as("owner").get(f"/support/{ticket.pk}/").content.decode()
    assert "Restart it, please." in page and "lanward support" in page
    assert "Answered" in page
