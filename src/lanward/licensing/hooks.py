"""Licenses move with a merged account."""

from lanward.accounts.merge import MergeHook, register

from .models import ActivationCode, License


def _describe(source):  # type: ignore[no-untyped-def]
    return [
        f"License: {lic.plan.name}, until {lic.ends_at:%Y-%m-%d}"
        for lic in License.objects.filter(owner=source)
    ]


def _move(source, target):  # type: ignore[no-untyped-def]
    License.objects.filter(owner=source).update(owner=target)
    ActivationCode.objects.filter(used_by=source).update(used_by=target)


register(MergeHook("licenses", _describe, _move))
