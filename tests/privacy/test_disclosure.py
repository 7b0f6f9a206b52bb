"""`lanward privacy disclosure` (a real process on a real database) renders the registry: every
declared model, retention, destination and switch, in text, Markdown and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lanward.privacy import disclosure, registry
from tests.conftest import REPO


def lanward(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LANWARD_")}
    environ.pop("DATABASE_URL", None)
    environ.update({"LANWARD_DATA_DIR": str(data_dir), "LANWARD_SECRET_KEY": "t", **env})
    return subprocess.run(
        [sys.executable, "-m", "lanward.cli", *args],
        env=environ,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("disclosure")
    result = lanward(data_dir, "manage", "migrate", "-v0")
    assert result.returncode == 0, result.stderr
    return data_dir


def test_json_lists_every_declared_model_and_the_current_settings(migrated: Path) -> None:
    result = lanward(
        migrated,
        "privacy",
        "disclosure",
        "--json",
        LANWARD_DNS_UPSTREAMS="192.0.2.53:53",
        LANWARD_DNS_LOG_DAYS="3",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [f["key"] for f in data["features"]] == [f.key for f in registry.FEATURES]
    models = {d["model"] for f in data["features"] for d in f["stores"]}
    assert models == set(registry.declared_models())
    dns = next(f for f in data["features"] if f["key"] == "dnsfilter")
    log = next(d for d in dns["stores"] if d["model"] == "dnsfilter.querylog")
    assert log["kept"]["setting"] == "dns_log_days" and log["kept"]["now"] == "3 days"
    upstream = dns["leaves_the_station"][0]
    assert upstream["required"] is True and upstream["destinations_now"] == ["any 192.0.2.53:53"]
    lists = dns["leaves_the_station"][1]
    assert (lists["required"], lists["switch"], lists["allowed_now"]) == (
        False,
        "blocklist_downloads",
        True,
    )
    assert "no usage statistics" in data["telemetry"]
    assert data["not_personal"] == registry.NOT_PERSONAL


def test_text_and_markdown(migrated: Path) -> None:
    text = lanward(migrated, "privacy", "disclosure")
    markdown = lanward(migrated, "privacy", "disclosure", "--markdown")
    assert text.returncode == markdown.returncode == 0
    for feature in registry.FEATURES:
        assert f"## {feature.name}" in markdown.stdout
        assert f"{feature.name}\n{'-' * len(feature.name)}" in text.stdout
    assert "`dnsfilter.querylog`" in markdown.stdout and "`" not in text.stdout
    assert "Switching it off" in text.stdout and "Costs:" in text.stdout


def test_before_migrating_it_still_describes_the_defaults(tmp_path: Path) -> None:
    result = lanward(tmp_path, "privacy", "disclosure", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert all("now" not in d["kept"] for f in data["features"] for d in f["stores"])


def test_one_format_at_a_time(migrated: Path) -> None:
    result = lanward(migrated, "privacy", "disclosure", "--json", "--markdown")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db
def test_the_page_and_the_command_render_the_same_data(owner_client, data_dir) -> None:
    data = disclosure.build()
    page = owner_client.get("/privacy/").content.decode()
    for f in data["features"]:
        for e in f["leaves_the_station"]:
            assert e["why"].replace("'", "&#x27;") in page
        for s in f["switches"]:
            assert s["costs"].replace("'", "&#x27;") in page
