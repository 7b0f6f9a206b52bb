"""Merging two accounts: everything the other account owns moves to this one.

Apps that own per-user data register a `MergeHook` (licenses, stations, ...). `preview` tells the
user what will move; `merge` moves all of it in one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django.http import HttpRequest

from . import activity, lockout
from .models import AccountEvent, CodeFactor, User


class MergeRefused(Exception):
    """The merge cannot happen; the message is for the person asking."""


@dataclass(frozen=True)
class MergeHook:
    name: str
    describe: Callable[[User], list[str]]
    move: Callable[[User, User], None]


MERGE_HOOKS: list[MergeHook] = []


def register(hook: MergeHook) -> MergeHook:
    if any(h.name == hook.name for h in MERGE_HOOKS):
        raise ValueError(f"a merge hook named {hook.name!r} is already registered")
    MERGE_HOOKS.append(hook)
    return hook


def _describe_activity(source: User) -> list[str]:
    n = AccountEvent.objects.filter(user=source).count()
    return [f"{n} activity log entries"] if n else []


def _move_activity(source: User, target: User) -> None:
    AccountEvent.objects.filter(user=source).update(user=target)


def _describe_emails(source: User) -> list[str]:
    return [
        f"Email address {e.email} (becomes a secondary address)"
        for e in EmailAddress.objects.filter(user=source, verified=True)
    ]


def _move_emails(source: User, target: User) -> None:
    owned = {
        e.lower() for e in EmailAddress.objects.filter(user=target).values_list("email", flat=True)
    }
    for address in EmailAddress.objects.filter(user=source):
        if not address.verified or address.email.lower() in owned:
            address.delete()
            continue
        address.user = target
        address.primary = False
        address.save(update_fields=["user", "primary"])


register(MergeHook("activity", _describe_activity, _move_activity))
register(MergeHook("emails", _describe_emails, _move_emails))


def check(target: User, source: User) -> None:
    if source.pk == target.pk:
        raise MergeRefused("That is the account you are signed in to. Enter the other account.")
    if not source.is_active:
        raise MergeRefused("That account is closed and cannot be merged.")
    if lockout.is_locked(source):
        raise MergeRefused(
            "That account is locked after failed sign-ins. Reset its password, then try again."
        )


def preview(source: User) -> list[str]:
    lines: list[str] = []
    for hook in MERGE_HOOKS:
        lines.extend(hook.describe(source))
    return lines


def merge(target: User, source: User, request: HttpRequest | None = None) -> list[str]:
    """Move everything from `source` into `target` and close `source`. All or nothing."""
    with transaction.atomic():
        # Lock both rows in a fixed order so two merges of the same pair cannot interleave.
        locked = {
            u.pk: u
            for u in User.objects.select_for_update()
            .filter(pk__in=[target.pk, source.pk])
            .order_by("pk")
        }
        target, source = locked[target.pk], locked[source.pk]
        check(target, source)
        moved = preview(source)
        source_email = source.email
        for hook in MERGE_HOOKS:
            hook.move(source, target)
        CodeFactor.objects.filter(user=source).delete()
        source.is_active = False
        source.merged_into = target
        source.email = f"merged-{source.pk}-{secrets.token_hex(4)}@merged.invalid"
        source.set_unusable_password()  # ends every session: their auth hash no longer matches
        source.save()
        _end_sessions(source)
        activity.record(
            target, AccountEvent.Kind.MERGED, request, f"merged {source_email} into this account"
        )
        activity.record(
            source, AccountEvent.Kind.MERGED_AWAY, request, f"merged into {target.email}"
        )
        transaction.on_commit(lambda: _notify(target, source_email, request))
    return moved


def _end_sessions(user: User) -> None:
    from allauth.usersessions.models import UserSession

    for session in UserSession.objects.filter(user=user):
        session.end()


def _notify(target: User, source_email: str, request: HttpRequest | None) -> None:
    from .notify import send_merge_mail

    send_merge_mail(target, source_email, request)
