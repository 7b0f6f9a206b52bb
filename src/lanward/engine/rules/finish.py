"""Load-time checks Suricata makes on a buffer's keywords, and what matching needs from them
once every option is read: content windows, links between relative keywords, fast pattern."""

from __future__ import annotations

from lanward.engine.rules.inspect import Content, Size, link
from lanward.engine.rules.rule import BufferSpec, Rule


class Malformed(ValueError):
    """The rule is broken (Suricata would refuse it too)."""


def finish_buffer(spec: BufferSpec) -> None:
    """Check each content the way Suricata does at load time, then fix up its window."""
    for m in spec.matchers:
        if not isinstance(m, Content):
            continue
        size = len(m.pattern)
        if m.relative and (m.has_offset or m.has_depth):
            raise Malformed("a content cannot mix distance/within with offset/depth")
        if m.startswith and (m.has_offset or m.has_depth or m.relative):
            raise Malformed("startswith cannot be combined with offset, depth, distance or within")
        if m.has_depth and m.depth < size:
            raise Malformed(f"depth {m.depth} is shorter than the content ({size} bytes)")
        if m.has_within and m.within < size:
            raise Malformed(f"within {m.within} is shorter than the content ({size} bytes)")
        if m.startswith:
            m.depth, m.has_depth = size, True
        elif m.has_depth:
            m.depth += m.offset
        if m.nocase:
            m.pattern = m.pattern.lower()
        if spec.name == "http.host" and not spec.transforms and not m.nocase:
            if m.pattern != m.pattern.lower():
                raise Malformed(
                    "http.host is lower case: a content with capitals never matches it "
                    "(add nocase or use http.host.raw)"
                )
    sizes = [m for m in spec.matchers if isinstance(m, Size)]
    longest = max(
        (len(m.pattern) for m in spec.matchers if isinstance(m, Content) and not m.negated),
        default=0,
    )
    for size_check in sizes:
        maximum = size_check.maximum
        if maximum is not None and longest > maximum:
            raise Malformed(f"a {longest}-byte content can never fit the size limit of {spec.name}")
    link(spec.matchers)


def prefilter(rule: Rule) -> tuple[int, bytes, bool] | None:
    """The content to look for before inspecting a rule at all (Suricata's fast pattern)."""
    best: tuple[int, int, Content] | None = None
    for index, spec in enumerate(rule.buffers):
        for m in spec.matchers:
            if isinstance(m, Content) and not m.negated:
                score = (1 << 20 if m.fast_pattern else 0) + len(m.pattern)
                if best is None or score > best[0]:
                    best = (score, index, m)
    if best is None:
        return None
    return best[1], best[2].pattern, best[2].nocase
