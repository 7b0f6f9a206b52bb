"""Fetching lists (blocklists, threat feeds) from files or URLs, keeping the last good copy.

Downloads are conditional (ETag / Last-Modified), so an unchanged list costs one small request.
A failed download keeps the last good copy and says why.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


class FetchError(Exception):
    """The source could not be read and there is no earlier copy; the message says why."""


@dataclass
class Fetched:
    text: str
    source: str
    changed: bool
    fetched_at: float
    error: str = ""  # set when an older copy is used because the fresh fetch failed


def _cache_paths(cache_dir: Path, source: str) -> tuple[Path, Path]:
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return cache_dir / f"{digest}.txt", cache_dir / f"{digest}.json"


def fetch(
    source: str,
    cache_dir: Path | None = None,
    timeout: float = 30,
    max_bytes: int = 200 * 1024 * 1024,
    max_age: float = 0,
    offline: bool = False,
) -> Fetched:
    """The list's text. With `max_age`, a cached copy younger than that is used without asking;
    `offline` never asks the server (downloads switched off): the cached copy or an error."""
    if not source.startswith(("http://", "https://")):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {source}: {exc.strerror or exc}") from exc
        return Fetched(data.decode("utf-8", "replace"), source, True, time.time())
    body_path = meta_path = None
    meta: dict[str, str] = {}
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        body_path, meta_path = _cache_paths(cache_dir, source)
        if meta_path.exists() and body_path.exists():
            try:
                meta = json.loads(meta_path.read_text())
            except ValueError:
                meta = {}
            if max_age and time.time() - body_path.stat().st_mtime < max_age:
                return Fetched(
                    body_path.read_text(encoding="utf-8", errors="replace"),
                    source,
                    False,
                    body_path.stat().st_mtime,
                )
    if offline:
        return _fallback(source, body_path, "downloads are switched off in Privacy settings")
    request = urllib.request.Request(source, headers={"User-Agent": "lanward list fetcher"})  # noqa: S310
    if meta.get("etag"):
        request.add_header("If-None-Match", meta["etag"])
    if meta.get("last_modified"):
        request.add_header("If-Modified-Since", meta["last_modified"])
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            data = response.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise FetchError(f"{source} is larger than {max_bytes // 1024 // 1024} MB")
            headers = response.headers
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and body_path is not None:
            body_path.touch()
            return Fetched(
                body_path.read_text(encoding="utf-8", errors="replace"), source, False, time.time()
            )
        return _fallback(source, body_path, f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError, FetchError) as exc:
        return _fallback(source, body_path, str(getattr(exc, "reason", exc)))
    text = data.decode("utf-8", "replace")
    if body_path is not None and meta_path is not None:
        tmp = body_path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(body_path)
        meta_path.write_text(
            json.dumps(
                {"etag": headers.get("ETag", ""), "last_modified": headers.get("Last-Modified", "")}
            )
        )
    return Fetched(text, source, True, time.time())


def _fallback(source: str, body_path: Path | None, reason: str) -> Fetched:
    if body_path is not None and body_path.exists():
        return Fetched(
            body_path.read_text(encoding="utf-8", errors="replace"),
            source,
            False,
            time.time(),
            error=reason,
        )
    raise FetchError(f"could not download {source} ({reason}) and there is no earlier copy")
