"""Smart alerts in the console: "this is normal, learn it", and the station keeping baselines."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from lanward.engine.detect.alerts import alert
from lanward.engine.detect.anomaly import AnomalyDetector, find
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.threats.baselines import (
    BaselineLesson,
    keep_baselines,
    learn_from_alert,
    load_baselines,
    save_baselines,
)
from lanward.threats.models import Alert, DeviceBaseline
from lanward.threats.store import save_alerts
from tests.cast import ROLES, assert_access, make_device
from tests.engine.detect.anomaly.script import DAY, IP, MAC, T0, camera_week, feed, out

AFTER = T0 + 7 * DAY + 3_600_000


@pytest.fixture(scope="module")
def beacon_alert() -> tuple[dict[str, Any], dict[str, Any]]:
    """A real beacon alert from a camera that learned a week, and that week's baseline."""
    detector = AnomalyDetector()
    detector.type_overrides[MAC] = "camera"
    camera_week(detector)
    learned = detector.export()
    found = feed(detector, [out(AFTER + n * 300_000, "185.10.4.4") for n in range(12)])
    [beacon] = [a for a in found if a["evidence"]["check"] == "beacon"]
    return beacon, learned


@pytest.fixture
def stored(db: Any, beacon_alert: tuple[dict[str, Any], dict[str, Any]]) -> Alert:
    make_device(MAC, ips=[IP], type="camera")
    save_alerts([dict(beacon_alert[0])])
    return Alert.objects.get(detector="anomaly")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_teach(role: str, client_as: Any, stored: Alert) -> None:
    response = client_as(role).post(f"/alerts/{stored.pk}/learn/")
    stored.refresh_from_db()
    if role in ("owner", "member"):
        assert response.status_code == 302
        assert stored.acknowledged
        assert BaselineLesson.objects.filter(mac=MAC, alert=stored, applied=False).count() == 1
        assert "185.10.4.4" in DeviceBaseline.objects.get(mac=MAC).data["periodic"]
    else:
        assert_access(response, role)
        assert not stored.acknowledged and not BaselineLesson.objects.exists()


def test_learning_says_what_and_goes_back(owner_client: Any, stored: Alert) -> None:
    response = owner_client.post(
        f"/alerts/{stored.pk}/learn/", {"next": "/alerts/?open=1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/alerts/?open=1"
    page = response.content.decode()
    assert "Learned as normal" in page and "regular calls to 185.10.4.4" in page
    # An outside address as `next` is not followed.
    other = owner_client.post(f"/alerts/{stored.pk}/learn/", {"next": "https://evil.example/"})
    assert other["Location"] == f"/alerts/{stored.pk}/"


def test_get_is_refused(owner_client: Any, stored: Alert) -> None:
    assert owner_client.get(f"/alerts/{stored.pk}/learn/").status_code == 405
    assert owner_client.post("/alerts/999999/learn/").status_code == 404


def test_an_alert_of_another_kind_cannot_be_learned(owner_client: Any, db: Any) -> None:
    make_device(MAC, ips=[IP])
    save_alerts([alert("scan", "medium", T0, IP, "192.168.1.2", MAC, "A port scan.", evidence={})])
    other = Alert.objects.get()
    response = owner_client.post(f"/alerts/{other.pk}/learn/", follow=True)
    assert "Only unusual-behaviour alerts can be learned" in response.content.decode()
    other.refresh_from_db()
    assert not other.acknowledged and not DeviceBaseline.objects.exists()


def test_an_alert_without_a_device_says_so(db: Any, beacon_alert: Any) -> None:
    save_alerts([dict(beacon_alert[0])])  # no Device row for the MAC
    from lanward.threats.baselines import LearnError

    with pytest.raises(LearnError, match="no longer knows"):
        learn_from_alert(Alert.objects.get(), None)


def test_the_station_loads_applies_lessons_once_and_saves(
    owner_client: Any, stored: Alert, beacon_alert: Any
) -> None:
    beacon, learned = beacon_alert
    DeviceBaseline.objects.create(mac=MAC, data=learned[MAC])
    engine = Engine(EngineConfig())
    detector = find(engine.addons)
    assert detector is not None
    keep_baselines(engine)  # the station's first flush: loads the stored baseline
    assert detector.states[MAC].baseline.learned_ms == 0  # loaded, still at the week's end
    assert detector.type_overrides == {}
    # The household says it is normal while the station runs.
    owner_client.post(f"/alerts/{stored.pk}/learn/")
    keep_baselines(engine)
    lesson = BaselineLesson.objects.get()
    assert lesson.applied
    assert "185.10.4.4" in detector.states[MAC].baseline.periodic
    # The same calls again: the station no longer alerts.
    for n in range(14):
        engine.flow(out(AFTER + 86_400_000 + n * 300_000, "185.10.4.4"))
    assert [a["summary"] for a in engine.alerts if a["kind"] == "anomaly"] == []
    # The final flush writes the live baseline (with the lesson) back.
    keep_baselines(engine, final=True)
    assert "185.10.4.4" in DeviceBaseline.objects.get(mac=MAC).data["periodic"]
    assert save_baselines(detector) == 0  # nothing changed since


def test_a_damaged_stored_baseline_is_reported_and_relearned(stored: Alert) -> None:
    DeviceBaseline.objects.create(mac=MAC, data={"format": 99})
    detector = AnomalyDetector()
    problems = load_baselines(detector)
    assert problems == [f"baseline of {MAC}: unknown baseline format 99 (expected 1)"]
    assert learn_from_alert(stored, None)[0] == "regular calls to 185.10.4.4"
    assert DeviceBaseline.objects.get(mac=MAC).data["format"] == 1


def test_household_types_reach_the_detector(db: Any) -> None:
    make_device(MAC, ips=[IP], user_type="camera")
    detector = AnomalyDetector()
    load_baselines(detector)
    assert detector.type_overrides == {MAC: "camera"}


def test_learn_button_snippet(stored: Alert, cast: Any) -> None:
    request = RequestFactory().get("/alerts/")
    for role, shown in (("owner", True), ("stranger", False)):
        request.user = cast[role]
        html = render_to_string(
            "threats/_learn_button.html", {"a": stored, "perms": _perms(cast[role])}, request
        )
        assert ("This is normal, learn it" in html) is shown
        if shown:
            assert f"/alerts/{stored.pk}/learn/" in html
    stored.acknowledged = True
    request.user = cast["owner"]
    html = render_to_string(
        "threats/_learn_button.html", {"a": stored, "perms": _perms(cast["owner"])}, request
    )
    assert html.strip() == ""


def _perms(user: Any) -> Any:
    from django.contrib.auth.context_processors import PermWrapper

    return PermWrapper(user)


def test_switching_smart_alerts_off_forgets_and_stops_learning(
    stored: Alert, beacon_alert: Any
) -> None:
    from lanward.privacy.models import PrivacySettings

    _, learned = beacon_alert
    DeviceBaseline.objects.create(mac=MAC, data=learned[MAC])
    engine = Engine(EngineConfig())
    detector = find(engine.addons)
    assert detector is not None
    keep_baselines(engine)
    assert MAC in detector.states
    prefs = PrivacySettings.load()
    prefs.smart_alerts = False
    prefs.save()
    keep_baselines(engine)
    assert not DeviceBaseline.objects.exists() and detector.states == {}
    engine.flow(out(AFTER + 86_400_000, "185.10.4.4"))
    assert detector.states == {}  # nothing learned while off
    keep_baselines(engine, final=True)
    assert not DeviceBaseline.objects.exists()
    prefs.smart_alerts = True
    prefs.save()
    keep_baselines(engine)
    engine.flow(out(AFTER + 2 * 86_400_000, "185.10.4.4"))
    assert MAC in detector.states  # learning again, from nothing
