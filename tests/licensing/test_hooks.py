"""Merging accounts moves licenses and the codes that activated them."""

from __future__ import annotations

from lanward.accounts import merge
from lanward.licensing.models import ActivationCode, License


def test_merging_moves_the_licenses(cast, django_capture_on_commit_callbacks):
    assert "License: lanward Home, 1 year, until " in "\n".join(merge.preview(cast.other))
    with django_capture_on_commit_callbacks(execute=True):
        merge.merge(cast.owner, cast.other)
    owned = set(License.objects.filter(owner=cast.owner).values_list("pk", flat=True))
    assert owned == {cast.owner_license.pk, cast.other_license.pk}
    assert not License.objects.filter(owner=cast.other).exists()
    assert ActivationCode.objects.get(license=cast.other_license).used_by == cast.owner
    assert not ActivationCode.objects.filter(used_by=cast.other).exists()
