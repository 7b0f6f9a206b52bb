"""Merging accounts moves stations; the merged account's pairing codes stop working."""

from __future__ import annotations

import pytest

from lanward.accounts import merge
from lanward.stations import services
from lanward.stations.models import PairingCode, Station


def test_merging_moves_the_stations(cast, django_capture_on_commit_callbacks):
    theirs = services.pair_with_code(PairingCode.issue(cast.other).code, "Their den").station
    leftover = PairingCode.issue(cast.other)
    assert "Station: Their den" in merge.preview(cast.other)
    with django_capture_on_commit_callbacks(execute=True):
        merge.merge(cast.owner, cast.other)
    theirs.refresh_from_db()
    assert theirs.owner == cast.owner
    assert not Station.objects.filter(owner=cast.other).exists()
    # The station keeps its seat on the license it was paired with (now the owner's too).
    assert theirs.license_id == cast.other_license.pk
    assert services.heartbeat(theirs, "1.0")
    with pytest.raises(services.PairingError):
        services.pair_with_code(leftover.code, "Late")
