"""`lanward manage import_vulns FILE...` (also `lanward vulns import FILE...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lanward.securitycheck.vulndb import import_files


class Command(BaseCommand):
    help = (
        "Import vulnerability data from files: NVD CVE API 2.0 JSON (responses or feed files), "
        "CVE JSON 5 records (files or cvelistV5 directories), CISA KEV (JSON or CSV); .gz too. "
        "Incremental: a record is only replaced by a newer one from the same source."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="FILE", help="files or directories")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="store nothing from a file that has any bad record",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        paths = [Path(p) for p in opts["paths"]]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"no such file or directory: {', '.join(missing)}")
        report = import_files(paths, strict=opts["strict"])
        for line in report.lines():
            self.stdout.write(line)
        if report.failed_files:
            raise CommandError(
                f"{len(report.failed_files)} file(s) were not imported (see above); "
                "the database is unchanged for them"
            )
