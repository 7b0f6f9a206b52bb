"""Support tickets move with a merged account."""

from lanward.accounts.merge import MergeHook, register

from .models import Ticket


def _describe(source):  # type: ignore[no-untyped-def]
    n = Ticket.objects.filter(owner=source).count()
    return [f"{n} support ticket(s)"] if n else []


def _move(source, target):  # type: ignore[no-untyped-def]
    Ticket.objects.filter(owner=source).update(owner=target)


register(MergeHook("tickets", _describe, _move))
