"""The blocklists in ../shared/corpus/blocklists (real lists written by others), for tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
BLOCKLISTS = CORPUS / "blocklists"


def blocklist(relative: str) -> str:
    """The text of one corpus list; skips the test when the corpus isn't there."""
    path = BLOCKLISTS / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent (expected ../shared/corpus next to the repository)")
    return path.read_text(encoding="utf-8")
