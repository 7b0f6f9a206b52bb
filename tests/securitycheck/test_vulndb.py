"""Matching products and versions against the imported real records."""

from __future__ import annotations

import pytest

from lanward.securitycheck.vulndb import match, match_report


def cves(matches):
    return [m.cve for m in matches]


def test_vsftpd_234_has_the_backdoor(vulndb):
    (found,) = match("cpe:2.3:a:vsftpd_project:vsftpd:2.3.4:*:*:*:*:*:*:*")
    assert found.cve == "CVE-2011-2523"
    assert "vsftpd 2.3.4 is affected: version 2.3.4" in found.why
    assert cves(match("vsftpd", "2.3.5")) == []


def test_vsftpd_by_nmaps_vendor_name_still_matches_and_says_so(vulndb):
    # nmap and the scanner call vsftpd's maker "beasts"; NVD says "vsftpd_project".
    (found,) = match("cpe:/a:beasts:vsftpd:2.3.4")
    assert found.cve == "CVE-2011-2523" and "matched on the product name" in found.why


def test_lighttpd_1435_has_exactly_the_two_open_records(vulndb):
    # before 1.4.35 (2014-2323/2324) and 1.4.46-1.4.63 (2022-22707) do not apply.
    found = match("lighttpd", "1.4.35")
    assert cves(found) == ["CVE-2015-3200", "CVE-2018-19052"]
    assert "up to and including 1.4.35" in found[0].why and "compared as semver" in found[0].why
    assert cves(match("lighttpd", "1.4.34")) == [
        "CVE-2014-2323",
        "CVE-2014-2324",
        "CVE-2015-3200",
        "CVE-2018-19052",
    ]
    assert cves(match("lighttpd", "1.4.50")) == ["CVE-2022-22707"]
    assert cves(match("lighttpd", "1.4.64")) == []


def test_php_ranges_from_both_sources(vulndb):
    assert cves(match("cpe:2.3:a:php:php:8.1.2:*:*:*:*:*:*:*")) == ["CVE-2024-4577"]
    assert cves(match("PHP", "8.3.8", vendor="PHP Group")) == []
    assert cves(match("php", "8.0.30")) == []


def test_an_unknown_version_matches_nothing_and_a_bad_cpe_is_an_error(vulndb):
    assert match("lighttpd") == []
    with pytest.raises(ValueError, match="not a CPE 2.3 name"):
        match("cpe:2.3:a:lighttpd")


def test_a_version_that_cannot_be_compared_is_reported_not_guessed(vulndb):
    report = match_report("lighttpd", "1.4.x-git")
    assert report.matches == []
    assert {m.cve for m in report.undecided} >= {"CVE-2015-3200", "CVE-2018-19052"}
    assert "lighttpd:lighttpd 1.4.x-git" in report.undecided[0].why


def test_aliases_from_banner_names(vulndb):
    # The scanner reports "Apache httpd"; NVD calls it apache:http_server (not in the fixture).
    assert match("Apache httpd", "2.4.49") == []
