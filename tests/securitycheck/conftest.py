from pathlib import Path

import pytest

from tests.cast import cast, client_as, owner_client  # noqa: F401 - fixtures

FIXTURES = Path(__file__).parent / "fixtures"
NVD_FILE = FIXTURES / "nvd-cve-2.0-test-devices.json"
CVE5_DIR = FIXTURES / "cve5"
KEV_JSON = FIXTURES / "kev.json"
KEV_CSV = FIXTURES / "kev.csv"


@pytest.fixture
def vulndb(db):
    """The fixture records imported: NVD 2.0, the CVE 5 records and both KEV files."""
    from lanward.securitycheck.vulndb import import_files

    report = import_files([NVD_FILE, CVE5_DIR, KEV_JSON, KEV_CSV])
    assert report.ok, report.lines()
    return report


@pytest.fixture(autouse=True)
def automatic_scans(settings):
    """These tests play a station that watches a real network (LANWARD_INTERFACE set)."""
    settings.LANWARD_SCAN_AUTOMATIC = True
