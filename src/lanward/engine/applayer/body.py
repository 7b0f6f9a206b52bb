"""An HTTP message body as it streams past: decoded, hashed, and its first bytes kept.

`Body` takes the bytes of the message body after transfer decoding (chunked is undone by the
HTTP parser), undoes the content coding (gzip, deflate, chained), hashes the decoded content
(md5, sha1, sha256 of all of it, whatever its size) and keeps only the first `keep` bytes. A
decompression bomb is cut off at a ratio and a total (the file is then marked incomplete).
"""

from __future__ import annotations

import hashlib
import zlib
from email.message import Message
from urllib.parse import unquote, urlsplit

from lanward.engine.applayer.magic import MAGIC_BYTES, magic
from lanward.engine.events import FileInfo

# Decoded output allowed per compressed input byte, and in all, before decoding stops.
MAX_DECODE_RATIO = 200
MAX_DECODED_BYTES = 512 * 1024 * 1024
_DECODE_STEP = 256 * 1024  # output per zlib call, so memory stays small whatever the ratio
MAX_CODINGS = 3


class _Decoder:
    """One content coding. `feed` returns decoded bytes; raises zlib.error on bad data."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.started = False
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> list[bytes]:
        if not self.started and self.coding == "deflate":
            self.started = True
            try:
                return self._run(data)
            except zlib.error:  # "deflate" is often sent raw, without the zlib header
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        self.started = True
        return self._run(data)

    @property
    def finished(self) -> bool:
        """The compressed stream reached its end (not cut short)."""
        return bool(self._z.eof)

    def _run(self, data: bytes) -> list[bytes]:
        out = []
        while data:
            if self._z.eof:
                break  # trailing bytes after the stream end: ignored
            chunk = self._z.decompress(data, _DECODE_STEP)
            if chunk:
                out.append(chunk)
            data = self._z.unconsumed_tail
        return out


def _codings(content_encoding: str) -> list[str]:
    names = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    names = [c for c in names if c != "identity"]
    if len(names) > MAX_CODINGS or any(c not in ("gzip", "x-gzip", "deflate") for c in names):
        return []  # unknown (br, zstd, ...): the body is kept and hashed as sent
    return list(reversed(["gzip" if c == "x-gzip" else c for c in names]))


class Body:
    def __init__(self, keep: int, content_encoding: str = "", hash_file: bool = True) -> None:
        self.keep = keep
        self.kept = bytearray()
        self.head = bytearray()
        self.size = 0
        self.raw_size = 0
        self.complete = True
        self.hash_file = hash_file
        self._decoders = [_Decoder(c) for c in _codings(content_encoding)]
        self._raw_head: bytearray | None = bytearray() if self._decoders else None
        self._stopped = False
        if hash_file:
            # File identities as antivirus and threat feeds list them, not for security.
            self._md5 = hashlib.md5(usedforsecurity=False)
            self._sha1 = hashlib.sha1(usedforsecurity=False)
            self._sha256 = hashlib.sha256()

    def feed(self, data: bytes) -> None:
        if not data or self._stopped:
            return
        if not self.hash_file and len(self.kept) >= self.keep:
            return  # nothing more is kept or hashed: skip the work (inflating above all)
        self.raw_size += len(data)
        if not self._decoders:
            self._content(data)
            return
        if self._raw_head is not None and len(self._raw_head) < 65536:
            self._raw_head += data[: 65536 - len(self._raw_head)]
        try:
            chunks = [data]
            for decoder in self._decoders:
                chunks = [out for chunk in chunks for out in decoder.feed(chunk)]
        except zlib.error:
            self._undecodable()
            return
        for chunk in chunks:
            if self.size + len(chunk) > min(
                MAX_DECODED_BYTES, self.raw_size * MAX_DECODE_RATIO + 1024 * 1024
            ):
                self.complete = False  # a decompression bomb: stop here
                self._stopped = True
                return
            self._content(chunk)

    def _undecodable(self) -> None:
        """Not the coding it claims. Before any output, treat it as sent; after, give up."""
        if self.size == 0 and self._raw_head is not None and len(self._raw_head) == self.raw_size:
            raw = bytes(self._raw_head)
            self._decoders, self._raw_head = [], None
            self._content(raw)
        else:
            self.complete = False
            self._stopped = True

    def _content(self, data: bytes) -> None:
        if self._raw_head is not None and self.size == 0 and data:
            self._raw_head = None  # decoding works: the raw start is no longer needed
        self.size += len(data)
        if len(self.kept) < self.keep:
            self.kept += data[: self.keep - len(self.kept)]
        if len(self.head) < MAGIC_BYTES:
            self.head += data[: MAGIC_BYTES - len(self.head)]
        if self.hash_file:
            self._md5.update(data)
            self._sha1.update(data)
            self._sha256.update(data)

    def missed(self, size: int) -> None:
        """`size` bytes of the body were not captured: the hashes no longer describe it."""
        self.complete = False
        if not self._decoders:
            self.size += size
        else:
            self._stopped = True

    def file(self, name: str, content_type: str, direction: str) -> FileInfo | None:
        if not self.hash_file or self.size == 0:
            return None
        return FileInfo(
            name=name,
            size=self.size,
            md5=self._md5.hexdigest(),
            sha1=self._sha1.hexdigest(),
            sha256=self._sha256.hexdigest(),
            magic=magic(bytes(self.head)),
            content_type=content_type,
            complete=self.complete
            and not self._stopped
            and all(d.finished for d in self._decoders),
            direction=direction,
        )


def file_name(content_disposition: str, uri: str) -> str:
    """The file's name: Content-Disposition's filename, else the URI's last path segment."""
    if content_disposition:
        message = Message()
        try:
            message["Content-Disposition"] = content_disposition
            name = message.get_filename()
        except (ValueError, LookupError, TypeError, IndexError):
            name = None
        if name:
            return str(name).replace("\\", "/").rsplit("/", 1)[-1][:255]
    try:
        path = urlsplit(uri).path
    except ValueError:
        path = uri.split("?", 1)[0]
    return unquote(path.rsplit("/", 1)[-1], errors="replace")[:255]
