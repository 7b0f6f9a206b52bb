"""The local vulnerability database: importing files into it and matching products against it.

Import is incremental (a record replaces the stored one only when its source says it changed
later) and works from files only. Each file is written in one transaction: a file that cannot
be read changes nothing, and with `strict` neither does a file with one bad record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.db import transaction

from .cpe import normalize_name, parse_cpe
from .importers import BadRecord, CveRecord, FileError, KevEntry, ParsedFile, parse_file
from .models import AffectedProduct, KnownExploited, Vulnerability
from .versions import Bounds, Uncomparable, in_range

DATA_SUFFIXES = (".json", ".json.gz", ".csv", ".csv.gz")


class StrictImportError(ValueError):
    """`strict` import: a file had bad records, so none of it was stored."""


@dataclass
class ImportReport:
    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    kev_created: int = 0
    kev_updated: int = 0
    kev_unchanged: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    failed_files: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad and not self.failed_files

    def lines(self) -> list[str]:
        out = [
            f"{self.files} file(s): {self.created} CVE records new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected by their source; "
            f"KEV {self.kev_created} new, {self.kev_updated} updated, {self.kev_unchanged} unchanged"
        ]
        for path, reason in self.failed_files:
            out.append(f"not imported: {path}: {reason}")
        for bad in self.bad:
            out.append(f"bad record: {bad}")
        return out


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the data files under directories (sorted, so runs are repeatable)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(DATA_SUFFIXES))
            )
        else:
            found.append(path)
    return found


def import_files(paths: Iterable[Path], strict: bool = False) -> ImportReport:
    report = ImportReport()
    for path in expand(paths):
        report.files += 1
        try:
            parsed = parse_file(path)
            if strict and parsed.bad:
                report.bad.extend(parsed.bad)
                raise StrictImportError(f"{len(parsed.bad)} bad record(s); nothing stored (strict)")
            _store_file(parsed, report)
        except (FileError, StrictImportError) as exc:
            report.failed_files.append((str(path), str(exc)))
        else:
            report.bad.extend(parsed.bad)
    return report


@transaction.atomic
def _store_file(parsed: ParsedFile, report: ImportReport) -> None:
    existing = {
        v.cve_id: v
        for v in Vulnerability.objects.filter(cve_id__in=[r.cve_id for r in parsed.records])
    }
    for record in parsed.records:
        outcome = _store_record(record, existing.get(record.cve_id))
        setattr(report, outcome, getattr(report, outcome) + 1)
        if record.kev is not None:
            _store_kev(record.kev, report)
    for entry in parsed.kev:
        _store_kev(entry, report)


def _store_record(record: CveRecord, row: Vulnerability | None) -> str:
    stamp_field = "nvd_modified" if record.source == "nvd" else "cve5_modified"
    created = row is None
    if row is None:
        row = Vulnerability(cve_id=record.cve_id)
    else:
        stamp = getattr(row, stamp_field)
        if stamp is not None and record.modified <= stamp:
            return "unchanged"
    setattr(row, stamp_field, record.modified)
    row.modified = max(d for d in (row.modified, record.modified) if d is not None)
    nvd_known = row.nvd_modified is not None and record.source != "nvd"
    if record.description and not (nvd_known and row.description):
        row.description = record.description
    if record.published and (row.published is None or record.source == "nvd"):
        row.published = record.published
    for version in ("4", "3", "2"):
        metric = record.metrics.get(version)
        current = getattr(row, f"cvss{version}_score")
        # NVD's scores are authoritative; a CVE 5 record only fills in what NVD has not given.
        if record.source == "nvd" or (current is None and not nvd_known):
            setattr(row, f"cvss{version}_score", metric.score if metric else None)
            setattr(row, f"cvss{version}_vector", metric.vector if metric else "")
            setattr(row, f"cvss{version}_severity", metric.severity if metric else "")
    row.cwes = sorted(set(row.cwes or []) | set(record.cwes))
    if record.source == "nvd" or record.rejected:
        row.rejected = record.rejected
    row.save()
    row.affected.filter(source=record.source).delete()
    if record.rejected:
        row.affected.all().delete()
        return "rejected"
    seen = set()
    rows = []
    for a in record.affected:
        bounds = (a.version, a.start_including, a.start_excluding, a.end_including, a.end_excluding)
        ident = (a.vendor, a.product, bounds)
        if ident in seen:
            continue
        seen.add(ident)
        rows.append(
            AffectedProduct(
                vulnerability=row,
                source=record.source,
                part=a.part,
                vendor=a.vendor[:100],
                product=a.product[:200],
                version=a.version[:100],
                version_start_including=a.start_including[:100],
                version_start_excluding=a.start_excluding[:100],
                version_end_including=a.end_including[:100],
                version_end_excluding=a.end_excluding[:100],
                version_scheme=a.scheme,
                criteria=a.criteria[:300],
                note=a.note[:300],
            )
        )
    AffectedProduct.objects.bulk_create(rows)
    return "created" if created else "updated"


KEV_FIELDS = (
    "date_added",
    "due_date",
    "ransomware",
    "required_action",
    "name",
    "vendor",
    "product",
)


def _store_kev(entry: KevEntry, report: ImportReport) -> None:
    row = KnownExploited.objects.filter(cve_id=entry.cve_id).first()
    if row is None:
        KnownExploited.objects.create(**{"cve_id": entry.cve_id, **_kev_values(entry)})
        report.kev_created += 1
        return
    changed = False
    # Partial entries (NVD's cisa* fields, CVE 5 ADP) never blank what the catalog gave.
    for name, value in _kev_values(entry).items():
        if value not in ("", None) and getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.save()
        report.kev_updated += 1
    else:
        report.kev_unchanged += 1


def _kev_values(entry: KevEntry) -> dict:
    return {name: getattr(entry, name) for name in KEV_FIELDS}


# --- Matching ------------------------------------------------------------------------------


class Match(NamedTuple):
    cve: str
    why: str


@dataclass
class MatchReport:
    matches: list[Match] = field(default_factory=list)
    undecided: list[Match] = field(default_factory=list)  # why: the version could not be compared


# How banners name common home-device software, and how CPE dictionaries name it.
PRODUCT_ALIASES: dict[str, tuple[str, str]] = {
    "apache": ("apache", "http_server"),
    "apache_httpd": ("apache", "http_server"),
    "httpd": ("apache", "http_server"),
    "openssh": ("openbsd", "openssh"),
    "dropbear": ("dropbear_ssh_project", "dropbear_ssh"),
    "dropbear_sshd": ("dropbear_ssh_project", "dropbear_ssh"),
    "microsoft-iis": ("microsoft", "internet_information_services"),
    "dnsmasq": ("thekelleys", "dnsmasq"),
    "goahead": ("embedthis", "goahead"),
    "goahead-webs": ("embedthis", "goahead"),
    "miniupnpd": ("miniupnp_project", "miniupnpd"),
    "rompager": ("allegrosoft", "rompager"),
}


def _resolve(product_or_cpe: str, version: str, vendor: str) -> tuple[str, str, str, str]:
    part = "*"
    if product_or_cpe.strip().lower().startswith("cpe:"):
        cpe = parse_cpe(product_or_cpe)
        part, vendor = cpe.part, vendor or cpe.vendor
        product = cpe.product
        if not version and cpe.version not in ("*", "-"):
            version = cpe.full_version
    else:
        product = product_or_cpe
    product, vendor = normalize_name(product), normalize_name(vendor)
    if product in PRODUCT_ALIASES:
        alias_vendor, product = PRODUCT_ALIASES[product]
        vendor = vendor or alias_vendor
    return part, vendor, product, (version or "").strip()


def match_report(product_or_cpe: str, version: str = "", vendor: str = "") -> MatchReport:
    """CVEs whose affected products include this product at this version, and why."""
    part, vendor, product, version = _resolve(product_or_cpe, version, vendor)
    report = MatchReport()
    if not product:
        return report
    rows = list(
        AffectedProduct.objects.filter(product=product, vulnerability__rejected=False)
        .select_related("vulnerability")
        .order_by("vulnerability__cve_id", "-source", "id")  # NVD's CPE rows first
    )
    if part != "*":
        rows = [r for r in rows if r.part in ("*", part)]
    same_vendor = [r for r in rows if vendor and r.vendor == vendor]
    if same_vendor:
        rows = same_vendor + [r for r in rows if not r.vendor]
    matched: dict[str, Match] = {}
    undecided: dict[str, Match] = {}
    for row in rows:
        cve = row.vulnerability.cve_id
        if cve in matched:
            continue
        bounds = Bounds(
            exact=row.version,
            start_including=row.version_start_including,
            start_excluding=row.version_start_excluding,
            end_including=row.version_end_including,
            end_excluding=row.version_end_excluding,
        )
        who = f"{row.vendor}:{row.product}" if row.vendor else row.product
        vendor_note = (
            f"; matched on the product name, the record names the maker {row.vendor!r}"
            if vendor and row.vendor and row.vendor != vendor
            else ""
        )
        source = f"{'NVD' if row.source == 'nvd' else 'CVE record'} {row.criteria}".strip()
        if not version:
            if not bounds.is_range and not bounds.exact:
                matched[cve] = Match(cve, f"every version of {who} is affected ({source})")
            continue
        try:
            inside, scheme = in_range(version, bounds, row.version_scheme)
        except Uncomparable as exc:
            undecided.setdefault(cve, Match(cve, f"{who} {version} vs {bounds.describe()}: {exc}"))
            continue
        if inside:
            note = f"; {row.note}" if row.note else ""
            matched[cve] = Match(
                cve,
                f"{who} {version} is affected: {bounds.describe()} "
                f"({source}; compared as {scheme}{note}{vendor_note})",
            )
    report.matches = sorted(matched.values())
    report.undecided = sorted(m for c, m in undecided.items() if c not in matched)
    return report


def match(product_or_cpe: str, version: str = "", vendor: str = "") -> list[Match]:
    """`match("cpe:2.3:a:lighttpd:lighttpd:1.4.35:...")` or `match("lighttpd", "1.4.35")`."""
    return match_report(product_or_cpe, version, vendor).matches


def kev_ids(cve_ids: Iterable[str]) -> dict[str, KnownExploited]:
    return {k.cve_id: k for k in KnownExploited.objects.filter(cve_id__in=list(cve_ids))}
