"""CPE names (2.3 formatted strings and 2.2 URIs) split into the parts matching needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

PARTS = {"a", "o", "h", "*"}


@dataclass(frozen=True)
class Cpe:
    part: str
    vendor: str
    product: str
    version: str = "*"
    update: str = "*"

    @property
    def full_version(self) -> str:
        """Version with its update glued on, as banners print it: `7.2` + `p1` -> `7.2p1`."""
        if self.update in ("*", "-", ""):
            return self.version
        return self.version + self.update


def normalize_name(name: str) -> str:
    """Vendor and product names the way CPE dictionaries write them: `PHP Group` -> `php_group`."""
    return re.sub(r"\s+", "_", (name or "").strip().lower())


def _split_formatted(text: str) -> list[str]:
    fields, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def parse_cpe(text: str) -> Cpe:
    """Parse `cpe:2.3:a:vendor:product:version:update:...` or `cpe:/a:vendor:product:version`."""
    text = (text or "").strip()
    if text.startswith("cpe:2.3:"):
        fields = _split_formatted(text[len("cpe:2.3:") :])
        if len(fields) != 11:
            raise ValueError(f"{text!r} is not a CPE 2.3 name: it needs 13 fields")
    elif text.startswith("cpe:/"):
        fields = [unquote(f) for f in text[len("cpe:/") :].split(":")]
        fields += ["*"] * (5 - len(fields))
        fields = [f or "*" for f in fields]
    else:
        raise ValueError(f"{text!r} is not a CPE name (it must start with cpe:2.3: or cpe:/)")
    part, vendor, product, version, update = (f.lower() for f in fields[:5])
    if part not in PARTS or not vendor or not product:
        raise ValueError(f"{text!r} is not a CPE name: part, vendor and product are needed")
    return Cpe(part=part, vendor=vendor, product=product, version=version, update=update)
