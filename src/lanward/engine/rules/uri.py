"""The normalised request URI of Suricata's `http.uri` (libhtp, IDS personality as Suricata
configures it): the path percent-decoded (also %uHHHH, %2f and %5c), backslashes turned into
slashes, repeated slashes squeezed, UTF-8 folded to single bytes by best fit, dot segments
removed (RFC 3986 5.2.4); then '?' and the query percent-decoded ('+' stays '+'), then '#' and
the fragment. Scheme and authority of an absolute URI are left out, as Suricata does by default.

Best fit: libhtp maps code points past U+00FF through Windows-1252's best-fit table; we use
Windows-1252 itself, full-width ASCII and the NFKD base letter, which covers the evasions that
matter (full-width slashes and dots, accented letters) but not every entry of that table.
"""

from __future__ import annotations

import unicodedata

_HEX = frozenset(b"0123456789abcdefABCDEF")
_REPLACEMENT = ord("?")


def split_uri(raw: bytes) -> tuple[bytes, bytes | None, bytes | None]:
    """(path, query or None, fragment or None) of a request target, authority dropped."""
    rest = raw
    if not rest.startswith(b"/"):
        scheme_end = rest.find(b":")
        if scheme_end > 0 and rest[scheme_end : scheme_end + 3] == b"://":
            rest = rest[scheme_end + 3 :]
            cut = len(rest)
            for sep in (b"/", b"?", b"#"):
                at = rest.find(sep)
                if 0 <= at < cut:
                    cut = at
            rest = rest[cut:]
    path_end = len(rest)
    for sep in (b"?", b"#"):
        at = rest.find(sep)
        if 0 <= at < path_end:
            path_end = at
    path, tail = rest[:path_end], rest[path_end:]
    query = fragment = None
    if tail.startswith(b"?"):
        hash_at = tail.find(b"#")
        query = tail[1:] if hash_at < 0 else tail[1:hash_at]
        tail = b"" if hash_at < 0 else tail[hash_at:]
    if tail.startswith(b"#"):
        fragment = tail[1:]
    return path, query, fragment


def bestfit(codepoint: int) -> int:
    if codepoint < 0x100:
        return codepoint
    if codepoint > 0xFFFF:
        return _REPLACEMENT
    if 0xFF01 <= codepoint <= 0xFF5E:  # full-width ASCII
        return codepoint - 0xFEE0
    char = chr(codepoint)
    try:
        return char.encode("cp1252")[0]
    except UnicodeEncodeError:
        pass
    base = [c for c in unicodedata.normalize("NFKD", char) if ord(c) < 0x80]
    return ord(base[0]) if base else _REPLACEMENT


def _u_decode(hex4: bytes) -> int:
    high, low = int(hex4[:2], 16), int(hex4[2:], 16)
    if high == 0:
        return low
    return bestfit((high << 8) | low)


def decode_path(path: bytes) -> bytes:
    """libhtp's htp_decode_path_inplace with the IDS personality's settings."""
    out = bytearray()
    i, n = 0, len(path)
    previous_slash = False
    while i < n:
        c = path[i]
        if c == 0x25 and i + 2 < n:  # '%'
            if path[i + 1] in b"uU":
                if i + 5 < n and all(b in _HEX for b in path[i + 2 : i + 6]):
                    c = _u_decode(path[i + 2 : i + 6])
                    i += 6
                else:
                    i += 1  # invalid %u: the percent stays
            elif path[i + 1] in _HEX and path[i + 2] in _HEX:
                c = int(path[i + 1 : i + 3], 16)
                i += 3
            else:
                i += 1
        else:
            i += 1
        if c == 0x5C:  # backslash
            c = 0x2F
        if c == 0x2F:
            if previous_slash:
                continue
            previous_slash = True
        else:
            previous_slash = False
        out.append(c)
    return bytes(out)


def utf8_bestfit(path: bytes) -> bytes:
    """Fold UTF-8 sequences to one byte each (overlong forms decoded, invalid bytes -> '?')."""
    out = bytearray()
    i, n = 0, len(path)
    while i < n:
        c = path[i]
        if c < 0x80:
            out.append(c)
            i += 1
            continue
        if 0xC0 <= c <= 0xDF:
            need, code = 1, c & 0x1F
        elif 0xE0 <= c <= 0xEF:
            need, code = 2, c & 0x0F
        elif 0xF0 <= c <= 0xF7:
            need, code = 3, c & 0x07
        else:
            out.append(_REPLACEMENT)
            i += 1
            continue
        j = i + 1
        while j < n and j <= i + need and 0x80 <= path[j] <= 0xBF:
            code = (code << 6) | (path[j] & 0x3F)
            j += 1
        if j - i - 1 == need:
            out.append(bestfit(code))
            i = j
        else:
            # An invalid sequence: one replacement byte; the byte that broke it starts anew.
            out.append(_REPLACEMENT)
            i = j if j > i + 1 else i + 1
    return bytes(out)


def remove_dot_segments(path: bytes) -> bytes:
    """RFC 3986 5.2.4, as libhtp's htp_normalize_uri_path_inplace does it."""
    inp = path
    out = bytearray()
    while inp:
        if inp.startswith(b"../"):
            inp = inp[3:]
        elif inp.startswith(b"./"):
            inp = inp[2:]
        elif inp.startswith(b"/./"):
            inp = inp[2:]
        elif inp == b"/.":
            inp = b"/"
        elif inp.startswith(b"/../") or inp == b"/..":
            inp = b"/" + inp[4:]
            cut = out.rfind(b"/")
            del out[max(cut, 0) :]
        elif inp in (b".", b".."):
            inp = b""
        else:
            start = 1 if inp.startswith(b"/") else 0
            end = inp.find(b"/", start)
            end = len(inp) if end < 0 else end
            out += inp[:end]
            inp = inp[end:]
    return bytes(out)


def urldecode(data: bytes) -> bytes:
    """%HH decoding of a query or fragment; invalid escapes keep their percent sign."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x25 and i + 2 < n and data[i + 1] in _HEX and data[i + 2] in _HEX:
            out.append(int(data[i + 1 : i + 3], 16))
            i += 3
            continue
        out.append(c)
        i += 1
    return bytes(out)


def normalize_uri(raw: bytes) -> bytes:
    path, query, fragment = split_uri(raw)
    out = remove_dot_segments(utf8_bestfit(decode_path(path)))
    if query is not None:
        out += b"?" + urldecode(query)
    if fragment is not None:
        out += b"#" + urldecode(fragment)
    return out
