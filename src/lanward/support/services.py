"""Opening tickets and adding messages: shared by the ticket pages and the troubleshooting
bundle (lanward.privacy), which attaches a reviewed bundle to a new ticket."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Ticket, TicketMessage


def add_message(ticket: Ticket, author: Any, body: str, attachment: Any = None) -> TicketMessage:
    """`attachment`: an uploaded file or a django.core.files File with a name."""
    msg = TicketMessage(ticket=ticket, author=author, body=body)
    if attachment:
        msg.attachment_name = PurePath(attachment.name).name[:120]
        msg.attachment.save(
            f"{timezone.now():%Y%m%d%H%M%S}{PurePath(attachment.name).suffix.lower()}",
            attachment,
            save=False,
        )
    msg.save()
    return msg


def open_ticket(owner: Any, subject: str, body: str, attachment: Any = None) -> Ticket:
    with transaction.atomic():
        ticket = Ticket.objects.create(owner=owner, subject=subject)
        add_message(ticket, owner, body, attachment)
    return ticket
