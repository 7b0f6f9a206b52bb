"""Against a running `lanward serve`: ten pairings at once for three free seats pair three; the
station's own client (`lanward station pair/license/heartbeat`) round trip."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.portal_live import create_users, run, session_token

pytestmark = pytest.mark.live


def test_ten_pairings_at_once_for_three_free_seats_pair_three(live_server_proc):
    server = live_server_proc
    (email,) = create_users(server, "seats", plan="home-1y")  # 3 seats
    token = session_token(server, email)
    codes = []
    for _ in range(10):
        r = requests.post(
            f"{server.url}/api/v1/stations/pairing-codes",
            headers={"X-Session-Token": token},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        codes.append(r.json()["code"])
    assert len(set(codes)) == 10
    barrier = threading.Barrier(10)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def pair(i: int) -> None:
        barrier.wait()
        r = requests.post(
            f"{server.url}/api/v1/stations/pair",
            json={"pairing_code": codes[i], "name": f"Station {i}"},
            timeout=60,
        )
        with lock:
            answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=pair, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(status for status, _ in answers) == {201: 3, 409: 7}, answers
    assert {body["code"] for status, body in answers if status == 409} == {"no_seats"}
    paired = sorted(body["station_id"] for status, body in answers if status == 201)
    stored = run(
        server,
        f"""
stations = Station.objects.filter(owner__email={email!r}, removed_at__isnull=True)
result = {{
    "stations": sorted(str(s.id) for s in stations),
    "used_codes": PairingCode.objects.filter(owner__email={email!r}, used_at__isnull=False).count(),
}}
""",
    )
    assert stored == {"stations": paired, "used_codes": 3}
    listed = requests.get(
        f"{server.url}/api/v1/stations", headers={"X-Session-Token": token}, timeout=30
    ).json()
    assert sorted(s["id"] for s in listed) == paired


def station_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The station's side: its own data dir, no portal database."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("LANWARD_") and k != "DATABASE_URL"
    }
    env["LANWARD_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "lanward.cli", "station", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_station_client_pairs_and_shows_its_license(live_server_proc, tmp_path):
    server = live_server_proc
    (email,) = create_users(server, "cli", plan="family-1y")
    code = run(
        server,
        f"""
owner = User.objects.get(email={email!r})
result = {{"code": PairingCode.issue(owner).pretty, "license": License.objects.get(owner=owner).pk,
          "ends": License.objects.get(owner=owner).ends_at.strftime("%Y-%m-%d")}}
""",
    )
    station_dir = tmp_path / "station"

    paired = station_cli(
        station_dir, "pair", "--portal", server.url + "/", "--code", code["code"], "--name", "Attic"
    )
    assert paired.returncode == 0, paired.stderr
    license_line = (
        f"license {code['license']}: plan family-1y, 10 seats, valid until {code['ends']}"
    )
    assert "lanward: paired as station " in paired.stdout
    assert license_line in paired.stdout
    pairing_file = station_dir / "station-pairing.json"
    assert stat.S_IMODE(pairing_file.stat().st_mode) == 0o600

    shown = station_cli(station_dir, "license")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == license_line

    beat = station_cli(station_dir, "heartbeat")
    assert beat.returncode == 0, beat.stderr
    assert license_line in beat.stdout
    seen = run(
        server,
        f"""
station = Station.objects.get(owner__email={email!r})
result = [station.name, station.last_heartbeat is not None, station.version]
""",
    )
    assert seen[0] == "Attic" and seen[1] is True and seen[2]

    again = station_cli(tmp_path / "second", "pair", "--portal", server.url, "--code", code["code"])
    assert again.returncode == 2
    assert "pairing code is wrong, used or expired" in again.stderr


def test_station_client_without_a_pairing_says_what_to_do(tmp_path):
    shown = station_cli(tmp_path, "license")
    assert shown.returncode == 2
    assert "not paired yet: run lanward station pair --portal URL --code CODE" in shown.stderr
