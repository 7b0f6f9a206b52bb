"""Importing real NVD 2.0, CVE JSON 5 and KEV records (tests/securitycheck/fixtures)."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from lanward.securitycheck.importers import FileError, parse_file
from lanward.securitycheck.models import AffectedProduct, KnownExploited, Vulnerability
from lanward.securitycheck.vulndb import import_files

from .conftest import CVE5_DIR, FIXTURES, KEV_CSV, KEV_JSON, NVD_FILE

NVD_IDS = {
    "CVE-2011-2523",
    "CVE-2014-2323",
    "CVE-2014-2324",
    "CVE-2015-3200",
    "CVE-2018-19052",
    "CVE-2022-22707",
    "CVE-2024-4577",
}


def test_nvd_file_is_read_with_metrics_ranges_and_kev():
    parsed = parse_file(NVD_FILE)
    assert parsed.format == "nvd" and not parsed.bad
    records = {r.cve_id: r for r in parsed.records}
    assert set(records) == NVD_IDS
    vsftpd = records["CVE-2011-2523"]
    assert vsftpd.metrics["3"].score == 9.8 and vsftpd.metrics["2"].score == 10.0
    assert vsftpd.metrics["2"].severity == "high"  # v2 keeps its severity outside cvssData
    assert vsftpd.cwes == ["CWE-78"]
    assert ("vsftpd_project", "vsftpd", "2.3.4") in {
        (a.vendor, a.product, a.version) for a in vsftpd.affected
    }
    php = records["CVE-2024-4577"]
    assert php.metrics["3"].vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert php.kev is not None and php.kev.date_added == date(2024, 6, 12)
    assert [(a.start_including, a.end_excluding) for a in php.affected if a.product == "php"] == [
        ("8.1.0", "8.1.29"),
        ("8.2.0", "8.2.20"),
        ("8.3.0", "8.3.8"),
    ]
    # The hardware half of an AND configuration is a platform, not something vulnerable.
    assert "sv-cpt-mc310" not in {a.product for a in records["CVE-2014-2324"].affected}


def test_cve5_records_give_ranges_and_read_free_text_versions():
    php = parse_file(CVE5_DIR / "CVE-2024-4577.json").records[0]
    ranges = {(a.vendor, a.start_including, a.end_excluding, a.scheme) for a in php.affected}
    assert ("php_group", "8.1", "8.1.29", "semver") in ranges
    assert php.kev is not None and php.kev.date_added == date(2024, 6, 12)  # CISA's ADP
    vsftpd = parse_file(CVE5_DIR / "CVE-2011-2523.json").records[0]
    (entry,) = vsftpd.affected
    assert entry.version == "2.3.4" and "downloaded between" in entry.note
    assert parse_file(CVE5_DIR / "CVE-2015-3200.json").records[0].affected == []  # n/a product


def test_import_counts_and_stores_everything(vulndb):
    assert vulndb.created == len(NVD_IDS) and vulndb.files == 7
    assert vulndb.updated == 4  # the four CVE 5 records add to NVD's rows
    assert Vulnerability.objects.count() == len(NVD_IDS)
    vsftpd = Vulnerability.objects.get(cve_id="CVE-2011-2523")
    assert vsftpd.cvss == 9.8 and vsftpd.severity == "critical" and vsftpd.cvss2_score == 10.0
    assert vsftpd.nvd_modified.year == 2026 and vsftpd.cve5_modified.year == 2024
    assert set(vsftpd.affected.values_list("source", flat=True)) == {"nvd", "cve5"}
    lighttpd = AffectedProduct.objects.get(
        vulnerability__cve_id="CVE-2022-22707", product="lighttpd"
    )
    assert (lighttpd.version_start_including, lighttpd.version_end_including) == (
        "1.4.46",
        "1.4.63",
    )
    kev = KnownExploited.objects.get(cve_id="CVE-2024-4577")
    assert kev.known_ransomware_use and kev.due_date == date(2024, 7, 3)
    assert kev.vendor == "PHP Group"  # from the catalog; the NVD/ADP partial entries add nothing
    assert KnownExploited.objects.filter(cve_id="CVE-2019-11001").exists()  # from the CSV
    assert KnownExploited.objects.count() == 6
    assert not KnownExploited.objects.filter(cve_id="CVE-2011-2523").exists()


def test_reimport_is_incremental(vulndb):
    again = import_files([NVD_FILE, CVE5_DIR, KEV_JSON])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 11)
    assert again.kev_created == 0 and again.kev_updated == 0


def test_a_newer_record_replaces_an_older_one_and_an_older_one_does_not(vulndb, tmp_path):
    doc = json.loads(NVD_FILE.read_text())
    cve = doc["vulnerabilities"][3]["cve"]
    assert cve["id"] == "CVE-2015-3200"
    cve["configurations"][0]["nodes"][0]["cpeMatch"][0]["versionEndIncluding"] = "1.4.36"
    older = tmp_path / "older.json"
    cve["lastModified"] = "2020-01-01T00:00:00.000"
    older.write_text(json.dumps({"vulnerabilities": [{"cve": cve}]}))
    report = import_files([older])
    assert (report.updated, report.unchanged) == (0, 1)
    row = AffectedProduct.objects.get(vulnerability__cve_id="CVE-2015-3200", product="lighttpd")
    assert row.version_end_including == "1.4.35"

    newer = tmp_path / "newer.json.gz"
    cve["lastModified"] = "2027-01-01T00:00:00.000"
    newer.write_bytes(gzip.compress(json.dumps({"vulnerabilities": [{"cve": cve}]}).encode()))
    report = import_files([newer])
    assert (report.updated, report.unchanged) == (1, 0)
    row = AffectedProduct.objects.get(vulnerability__cve_id="CVE-2015-3200", product="lighttpd")
    assert row.version_end_including == "1.4.36"


def test_bad_records_are_reported_with_file_and_record_and_the_rest_is_stored(db, tmp_path):
    doc = json.loads(NVD_FILE.read_text())
    doc["vulnerabilities"][1]["cve"]["id"] = "CVE-XXXX"
    doc["vulnerabilities"][2]["cve"]["metrics"]["cvssMetricV2"][0]["cvssData"]["baseScore"] = 42
    doc["vulnerabilities"][4]["cve"]["configurations"][0]["nodes"][0]["cpeMatch"][0]["criteria"] = (
        "cpe:2.3:a:lighttpd"
    )
    path = tmp_path / "some-bad.json"
    path.write_text(json.dumps(doc))
    report = import_files([path])
    assert report.created == 4 and len(report.bad) == 3
    reasons = [str(b) for b in report.bad]
    assert reasons[0].startswith(f"{path}: vulnerabilities[1]") and "not a CVE id" in reasons[0]
    assert "vulnerabilities[2] (CVE-2014-2324)" in reasons[1] and "0 to 10" in reasons[1]
    assert "cpeMatch[0]" in reasons[2] and "13 fields" in reasons[2]
    assert not Vulnerability.objects.filter(cve_id="CVE-2018-19052").exists()


def test_strict_import_stores_nothing_from_a_file_with_a_bad_record(db, tmp_path):
    doc = json.loads(NVD_FILE.read_text())
    doc["vulnerabilities"][6]["cve"]["lastModified"] = "yesterday"
    path = tmp_path / "one-bad.json"
    path.write_text(json.dumps(doc))
    report = import_files([path], strict=True)
    assert report.failed_files and "strict" in report.failed_files[0][1]
    assert "lastModified 'yesterday' is not a date" in str(report.bad[0])
    assert Vulnerability.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"vulnerabilities": [{"cve": {"id": "CVE-2011-2523"', "not valid JSON (line 1"),
        (b'{"hello": "world"}', "neither an NVD"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_a_malformed_file_leaves_the_database_unchanged(vulndb, tmp_path, content, reason):
    before = (Vulnerability.objects.count(), AffectedProduct.objects.count())
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    report = import_files([path])
    assert report.failed_files == [(str(path), report.failed_files[0][1])]
    assert reason in report.failed_files[0][1]
    assert (Vulnerability.objects.count(), AffectedProduct.objects.count()) == before


def test_a_kev_csv_without_its_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(FileError, match="cveID and dateAdded"):
        parse_file(path)


def test_a_rejected_record_stops_matching(vulndb, tmp_path):
    doc = json.loads((CVE5_DIR / "CVE-2011-2523.json").read_text())
    doc["cveMetadata"]["state"] = "REJECTED"
    doc["cveMetadata"]["dateUpdated"] = "2030-01-01T00:00:00"
    path = tmp_path / "rejected.json"
    path.write_text(json.dumps(doc))
    assert import_files([path]).rejected == 1
    row = Vulnerability.objects.get(cve_id="CVE-2011-2523")
    assert row.rejected and not row.affected.exists()


def test_management_command_reports_counts_and_failures(db, tmp_path, capsys):
    call_command("import_vulns", str(NVD_FILE), str(KEV_CSV))
    out = capsys.readouterr().out
    assert "7 CVE records new" in out and "KEV 4 new" in out  # 3 in the CSV, 1 from NVD
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_vulns", str(broken))
    assert f"not imported: {broken}: it is not valid JSON" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_vulns", str(tmp_path / "missing.json"))


def test_a_cvelist_directory_tree_is_walked(db, tmp_path):
    tree = tmp_path / "cves" / "2024" / "4xxx"
    tree.mkdir(parents=True)
    shutil.copy(CVE5_DIR / "CVE-2024-4577.json", tree)
    (tmp_path / "README.md").write_text("not data")
    report = import_files([tmp_path])
    assert report.files == 1 and report.created == 1


def test_fixture_readme_names_the_sources():
    text = (FIXTURES / "README.md").read_text()
    for name in ("fkie-cad/nvd-json-data-feeds", "CVEProject/cvelistV5", "cisagov/kev-data"):
        assert name in text
