"""Merging accounts moves support tickets."""

from __future__ import annotations

from lanward.accounts import merge
from lanward.support.models import Ticket


def test_merging_moves_the_tickets(cast, django_capture_on_commit_callbacks):
    ticket = Ticket.objects.create(owner=cast.other, subject="Old question")
    assert "1 support ticket(s)" in merge.preview(cast.other)
    with django_capture_on_commit_callbacks(execute=True):
        merge.merge(cast.owner, cast.other)
    ticket.refresh_from_db()
    assert ticket.owner == cast.owner
    assert not Ticket.objects.filter(owner=cast.other).exists()
