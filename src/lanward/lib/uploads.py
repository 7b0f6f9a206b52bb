"""Keeping a file a person uploaded in the console (block lists, threat feeds) on the station."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone


def save_upload(upload: Any, folder: Path) -> Path:
    """Write an uploaded file under `folder` with a time-stamped name; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{timezone.now():%Y%m%d%H%M%S}-{Path(upload.name).name}"
    with target.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target
