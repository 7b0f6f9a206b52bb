"""Merging accounts: what moves, what is refused, and that it is all or nothing."""

import pytest
from allauth.account.models import EmailAddress

from lanward.accounts import merge
from lanward.accounts.models import AccountEvent, CodeFactor, LockState, User


@pytest.fixture
def owner(db):
    user = User.objects.create_user("owner@example.com", "owner passphrase 1")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def other(db):
    user = User.objects.create_user("other@example.com", "other passphrase 2")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    EmailAddress.objects.create(user=user, email="other-alt@example.com", verified=True)
    EmailAddress.objects.create(user=user, email="unverified@example.com", verified=False)
    AccountEvent.objects.create(user=user, kind="login", detail="old sign-in")
    CodeFactor.objects.create(user=user, method="email")
    return user


def test_preview_lists_what_moves(owner, other):
    lines = merge.preview(other)
    assert "1 activity log entries" in lines
    assert any("other@example.com" in line for line in lines)
    assert any("other-alt@example.com" in line for line in lines)
    assert not any("unverified" in line for line in lines)


def test_merge_moves_everything_and_closes_the_other_account(
    owner, other, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        merge.merge(owner, other)
    other.refresh_from_db()
    assert not other.is_active and other.merged_into == owner
    assert not other.has_usable_password()
    assert other.email.endswith("@merged.invalid")
    emails = set(EmailAddress.objects.filter(user=owner).values_list("email", "primary"))
    assert emails == {
        ("owner@example.com", True),
        ("other@example.com", False),
        ("other-alt@example.com", False),
    }
    assert not EmailAddress.objects.filter(email="unverified@example.com").exists()
    assert AccountEvent.objects.filter(user=owner, detail="old sign-in").exists()
    assert AccountEvent.objects.filter(user=owner, kind="merged").exists()
    assert AccountEvent.objects.filter(user=other, kind="merged_away").exists()
    assert not CodeFactor.objects.filter(user=other).exists()
    assert sorted(m.to[0] for m in mailoutbox) == ["other@example.com", "owner@example.com"]


def test_merge_into_itself_is_refused(owner):
    with pytest.raises(merge.MergeRefused, match="signed in to"):
        merge.merge(owner, owner)


def test_merging_a_locked_account_is_refused(owner, other):
    LockState.objects.create(user=other, permanent=True)
    with pytest.raises(merge.MergeRefused, match="locked"):
        merge.merge(owner, other)
    other.refresh_from_db()
    assert other.is_active


def test_merging_a_closed_account_is_refused(owner, other):
    other.is_active = False
    other.save()
    with pytest.raises(merge.MergeRefused, match="closed"):
        merge.merge(owner, other)


def test_a_failing_hook_leaves_both_accounts_untouched(owner, other):
    def explode(source, target):
        raise RuntimeError("hook failed")

    hook = merge.register(merge.MergeHook("explodes", lambda s: [], explode))
    try:
        with pytest.raises(RuntimeError):
            merge.merge(owner, other)
    finally:
        merge.MERGE_HOOKS.remove(hook)
    other.refresh_from_db()
    assert other.is_active and other.email == "other@example.com"
    assert EmailAddress.objects.filter(user=other).count() == 3
    assert AccountEvent.objects.filter(user=other, detail="old sign-in").exists()


def test_hook_names_are_unique():
    with pytest.raises(ValueError, match="already registered"):
        merge.register(merge.MergeHook("emails", lambda s: [], lambda s, t: None))
