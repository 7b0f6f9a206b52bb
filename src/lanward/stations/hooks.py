"""Stations move with a merged account."""

from lanward.accounts.merge import MergeHook, register

from .models import PairingCode, Station


def _describe(source):  # type: ignore[no-untyped-def]
    return [
        f"Station: {s.name}" for s in Station.objects.filter(owner=source, removed_at__isnull=True)
    ]


def _move(source, target):  # type: ignore[no-untyped-def]
    Station.objects.filter(owner=source).update(owner=target)
    PairingCode.objects.filter(owner=source).delete()


register(MergeHook("stations", _describe, _move))
