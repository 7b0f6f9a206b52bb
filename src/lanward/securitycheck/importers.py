"""Reading vulnerability data files: NVD CVE API 2.0 JSON, CVE JSON 5 records, CISA's KEV.

Pure: a file's text in, typed records out, with every record that could not be read listed
with its file, its place in the file and the reason. No database here (see `vulndb`).

Formats, detected from the content:
- NVD CVE API 2.0 responses and the 2.0 feed files: `{"vulnerabilities": [{"cve": {...}}]}`;
  also one bare `cve` object per file (the layout of mirrors that keep a file per CVE);
- CVE JSON 5 records (`cvelistV5`): `{"dataType": "CVE_RECORD", "cveMetadata": ..., "containers": ...}`,
  one per file or a JSON list of them;
- the KEV catalog as JSON (`{"vulnerabilities": [{"cveID": ...}]}`) or CSV (its header names
  `cveID` and `dateAdded`).
Files ending in `.gz` are read through gzip.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .cpe import normalize_name, parse_cpe
from .versions import leading_version

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
NOT_A_NAME = {"", "n/a", "na", "unknown", "unspecified", "*"}
NO_VERSION = {"", "n/a", "unspecified", "unknown", "-"}
NO_LOWER_BOUND = {"0", "*", "", "n/a", "unspecified"}
NVD_METRICS = (
    ("cvssMetricV40", "4"),
    ("cvssMetricV31", "3"),
    ("cvssMetricV30", "3"),
    ("cvssMetricV2", "2"),
)
CVE5_METRICS = (("cvssV4_0", "4"), ("cvssV3_1", "3"), ("cvssV3_0", "3"), ("cvssV2_0", "2"))


class FileError(ValueError):
    """The whole file cannot be read; nothing from it may be stored."""


@dataclass
class Metric:
    score: float
    vector: str = ""
    severity: str = ""


@dataclass
class Affected:
    """One affected product: a CPE match criterion, or a CVE 5 product with its versions."""

    vendor: str
    product: str
    part: str = "*"
    version: str = ""  # an exact version; "" with no bounds: every version
    start_including: str = ""
    start_excluding: str = ""
    end_including: str = ""
    end_excluding: str = ""
    scheme: str = ""  # CVE 5 versionType when it names one
    criteria: str = ""  # where it came from, for "why it matched"
    note: str = ""  # how a free-text version was read


@dataclass
class KevEntry:
    cve_id: str
    date_added: date | None = None
    due_date: date | None = None
    ransomware: str = ""
    required_action: str = ""
    name: str = ""
    vendor: str = ""
    product: str = ""


@dataclass
class CveRecord:
    cve_id: str
    source: str  # "nvd" or "cve5"
    modified: datetime
    published: datetime | None = None
    description: str = ""
    rejected: bool = False
    metrics: dict[str, Metric] = field(default_factory=dict)  # "2", "3", "4"
    cwes: list[str] = field(default_factory=list)
    affected: list[Affected] = field(default_factory=list)
    kev: KevEntry | None = None


@dataclass
class BadRecord:
    file: str
    record: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.reason}"


@dataclass
class ParsedFile:
    path: str
    format: str
    records: list[CveRecord] = field(default_factory=list)
    kev: list[KevEntry] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)


# --- small readers ------------------------------------------------------------------------


def _when(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is missing")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: Any, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def _cve_id(value: Any) -> str:
    if not isinstance(value, str) or not CVE_ID.match(value.strip()):
        raise ValueError(f"{value!r} is not a CVE id (CVE-YYYY-NNNN)")
    return value.strip()


def _metric(data: dict, severity: str = "") -> Metric:
    score = data.get("baseScore")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 10:
        raise ValueError(f"CVSS base score {score!r} is not a number from 0 to 10")
    return Metric(
        score=float(score),
        vector=str(data.get("vectorString", ""))[:200],
        severity=str(data.get("baseSeverity") or severity).lower()[:16],
    )


def _english(items: Any) -> str:
    texts = [d.get("value", "") for d in items or [] if isinstance(d, dict)]
    english = [
        d.get("value", "")
        for d in items or []
        if isinstance(d, dict) and d.get("lang", "").startswith("en")
    ]
    return (english or texts or [""])[0]


# --- NVD CVE API 2.0 ----------------------------------------------------------------------


def parse_nvd_cve(cve: Any) -> CveRecord:
    if not isinstance(cve, dict):
        raise ValueError("the record is not a JSON object")
    cve_id = _cve_id(cve.get("id"))
    record = CveRecord(
        cve_id=cve_id,
        source="nvd",
        modified=_when(cve.get("lastModified"), "lastModified"),
        published=_when(cve.get("published"), "published") if cve.get("published") else None,
        description=_english(cve.get("descriptions")),
        rejected=str(cve.get("vulnStatus", "")).lower() == "rejected",
    )
    metrics = cve.get("metrics") or {}
    for key, version in NVD_METRICS:
        entries = [m for m in metrics.get(key) or [] if isinstance(m, dict)]
        if not entries or version in record.metrics:
            continue
        chosen = next((m for m in entries if m.get("type") == "Primary"), entries[0])
        record.metrics[version] = _metric(
            chosen.get("cvssData") or {}, chosen.get("baseSeverity", "")
        )
    for weakness in cve.get("weaknesses") or []:
        for desc in weakness.get("description") or []:
            value = str(desc.get("value", ""))
            if value.startswith("CWE-") and value not in record.cwes:
                record.cwes.append(value)
    for c, config in enumerate(cve.get("configurations") or []):
        for n, node in enumerate(config.get("nodes") or []):
            if node.get("negate"):
                continue
            for m, match in enumerate(node.get("cpeMatch") or []):
                if not match.get("vulnerable"):
                    continue  # platforms in an AND configuration, e.g. the hardware
                where = f"configurations[{c}].nodes[{n}].cpeMatch[{m}]"
                try:
                    cpe = parse_cpe(match.get("criteria", ""))
                except ValueError as exc:
                    raise ValueError(f"{where}: {exc}") from None
                exact = "" if cpe.version in ("*", "-") else cpe.full_version
                record.affected.append(
                    Affected(
                        vendor=cpe.vendor,
                        product=cpe.product,
                        part=cpe.part,
                        version=exact,
                        start_including=match.get("versionStartIncluding", ""),
                        start_excluding=match.get("versionStartExcluding", ""),
                        end_including=match.get("versionEndIncluding", ""),
                        end_excluding=match.get("versionEndExcluding", ""),
                        criteria=match["criteria"],
                    )
                )
    if cve.get("cisaExploitAdd"):
        record.kev = KevEntry(
            cve_id=cve_id,
            date_added=_day(cve.get("cisaExploitAdd"), "cisaExploitAdd"),
            due_date=_day(cve.get("cisaActionDue"), "cisaActionDue"),
            required_action=str(cve.get("cisaRequiredAction", "")),
            name=str(cve.get("cisaVulnerabilityName", "")),
        )
    return record


# --- CVE JSON 5 ---------------------------------------------------------------------------


def _next_prefix(prefix: str) -> str:
    """`8.1` -> `8.2`: the first version after every `8.1.*`."""
    head, _, last = prefix.rpartition(".")
    bumped = str(int(last) + 1)
    return f"{head}.{bumped}" if head else bumped


def _cve5_versions(entry: dict, vendor: str, product: str, where: str) -> list[Affected]:
    found: list[Affected] = []
    versions = [v for v in entry.get("versions") or [] if isinstance(v, dict)]
    criteria = f"{vendor}:{product} ({where})"
    if not versions and entry.get("defaultStatus") == "affected":
        return [Affected(vendor=vendor, product=product, criteria=criteria)]
    for v in versions:
        if v.get("status") != "affected":
            continue
        raw = str(v.get("version", "")).strip()
        scheme = str(v.get("versionType", "")).lower()
        scheme = scheme if scheme in ("semver", "rpm", "maven", "python", "git") else ""
        less, less_eq = (
            str(v.get("lessThan", "")).strip(),
            str(v.get("lessThanOrEqual", "")).strip(),
        )
        item = Affected(vendor=vendor, product=product, scheme=scheme, criteria=criteria)
        if less or less_eq:
            start = raw[:-2] if raw.endswith(".*") else raw
            if start.lower() not in NO_LOWER_BOUND:
                item.start_including = start
            if less and less != "*":
                item.end_excluding = less
            if less_eq and less_eq != "*":
                item.end_including = less_eq
        elif re.match(r"^\d+(\.\d+)*\.\*$", raw):
            item.start_including, item.end_excluding = raw[:-2], _next_prefix(raw[:-2])
        elif raw.lower() in NO_VERSION:
            continue  # nothing to compare with
        else:
            item.version = leading_version(raw)
            if not item.version:
                continue
            if item.version != raw:
                item.note = f"version text {raw!r} read as {item.version}"
        found.append(item)
    return found


def parse_cve5(doc: Any) -> CveRecord:
    if not isinstance(doc, dict):
        raise ValueError("the record is not a JSON object")
    meta = doc.get("cveMetadata") or {}
    cve_id = _cve_id(meta.get("cveId"))
    containers = doc.get("containers") or {}
    cna = containers.get("cna") or {}
    adps = [a for a in containers.get("adp") or [] if isinstance(a, dict)]
    modified = meta.get("dateUpdated") or meta.get("datePublished")
    record = CveRecord(
        cve_id=cve_id,
        source="cve5",
        modified=_when(modified, "cveMetadata.dateUpdated"),
        published=_when(meta["datePublished"], "datePublished")
        if meta.get("datePublished")
        else None,
        description=_english(cna.get("descriptions") or cna.get("rejectedReasons")),
        rejected=str(meta.get("state", "")).upper() == "REJECTED",
    )
    for container in [cna, *adps]:
        for metric in container.get("metrics") or []:
            for key, version in CVE5_METRICS:
                if key in metric and version not in record.metrics:
                    record.metrics[version] = _metric(metric[key])
            other = metric.get("other") or {}
            if other.get("type") == "kev" and record.kev is None:
                content = other.get("content") or {}
                record.kev = KevEntry(
                    cve_id=cve_id, date_added=_day(content.get("dateAdded"), "kev dateAdded")
                )
        for problem in container.get("problemTypes") or []:
            for desc in problem.get("descriptions") or []:
                cwe = str(desc.get("cweId", ""))
                if cwe.startswith("CWE-") and cwe not in record.cwes:
                    record.cwes.append(cwe)
    for name, container in [("cna", cna)] + [(f"adp[{i}]", a) for i, a in enumerate(adps)]:
        for i, entry in enumerate(container.get("affected") or []):
            if not isinstance(entry, dict):
                continue
            vendor, product = (
                normalize_name(entry.get("vendor", "")),
                normalize_name(entry.get("product", "")),
            )
            if product in NOT_A_NAME:
                continue
            where = f"{name}.affected[{i}]"
            record.affected.extend(
                _cve5_versions(entry, "" if vendor in NOT_A_NAME else vendor, product, where)
            )
    return record


# --- KEV ----------------------------------------------------------------------------------


def parse_kev(row: Any) -> KevEntry:
    if not isinstance(row, dict):
        raise ValueError("the entry is not a JSON object")
    return KevEntry(
        cve_id=_cve_id(row.get("cveID")),
        date_added=_day(row.get("dateAdded"), "dateAdded"),
        due_date=_day(row.get("dueDate"), "dueDate"),
        ransomware=str(row.get("knownRansomwareCampaignUse", "")).strip()[:16],
        required_action=str(row.get("requiredAction", "")).strip(),
        name=str(row.get("vulnerabilityName", "")).strip()[:300],
        vendor=str(row.get("vendorProject", "")).strip()[:100],
        product=str(row.get("product", "")).strip()[:200],
    )


# --- files --------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except OSError as exc:
        raise FileError(f"cannot read it: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError("it is not UTF-8 text") from exc


def parse_file(path: Path) -> ParsedFile:
    """Read one file. Raises `FileError` when the file as a whole is unusable."""
    text = _read_text(path)
    name = str(path)
    stem = path.name[:-3] if path.name.endswith(".gz") else path.name
    if stem.lower().endswith(".csv"):
        return _parse_kev_csv(name, text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(
            f"it is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    result: ParsedFile
    if isinstance(doc, dict) and isinstance(doc.get("vulnerabilities"), list):
        items = doc["vulnerabilities"]
        if any(isinstance(i, dict) and "cveID" in i for i in items) or "catalogVersion" in doc:
            result = ParsedFile(name, "kev")
            for i, item in enumerate(items):
                _collect(result, f"vulnerabilities[{i}]", item, parse_kev, kev=True)
        else:
            result = ParsedFile(name, "nvd")
            for i, item in enumerate(items):
                cve = item.get("cve") if isinstance(item, dict) else None
                _collect(result, f"vulnerabilities[{i}]", cve, parse_nvd_cve)
        return result
    docs = doc if isinstance(doc, list) else [doc]
    if (
        all(
            isinstance(d, dict) and ("cveMetadata" in d or d.get("dataType") == "CVE_RECORD")
            for d in docs
        )
        and docs
    ):
        result = ParsedFile(name, "cve5")
        for i, d in enumerate(docs):
            _collect(result, f"[{i}]" if isinstance(doc, list) else "record", d, parse_cve5)
        return result
    if all(isinstance(d, dict) and "id" in d and "lastModified" in d for d in docs) and docs:
        result = ParsedFile(name, "nvd")
        for i, d in enumerate(docs):
            _collect(result, f"[{i}]" if isinstance(doc, list) else "record", d, parse_nvd_cve)
        return result
    raise FileError(
        "it is neither an NVD CVE API 2.0 file, a CVE JSON 5 record nor the KEV catalog"
    )


def _collect(result: ParsedFile, where: str, item: Any, parse: Any, kev: bool = False) -> None:
    label = where
    if isinstance(item, dict):
        ident = item.get("id") or item.get("cveID") or (item.get("cveMetadata") or {}).get("cveId")
        if isinstance(ident, str):
            label = f"{where} ({ident})"
    try:
        parsed = parse(item)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        result.bad.append(BadRecord(result.path, label, str(exc) or type(exc).__name__))
        return
    (result.kev if kev else result.records).append(parsed)


def _parse_kev_csv(name: str, text: str) -> ParsedFile:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"cveID", "dateAdded"} <= set(reader.fieldnames):
        raise FileError("it is a CSV file without the KEV columns cveID and dateAdded")
    result = ParsedFile(name, "kev")
    for line, row in enumerate(reader, start=2):
        _collect(result, f"line {line}", row, parse_kev, kev=True)
    return result
