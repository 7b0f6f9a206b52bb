"""Template helpers for the console: byte sizes, durations and server-rendered SVG charts."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def human_bytes(value: Any) -> str:
    try:
        n = float(value or 0)
    except (TypeError, ValueError):
        return "—"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


@register.filter
def duration(seconds: Any) -> str:
    try:
        s = int(seconds or 0)
    except (TypeError, ValueError):
        return "—"
    hours, minutes = divmod(s // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@register.filter
def percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "—"


@register.simple_tag
def hbar_chart(
    rows: list[dict[str, Any]],
    label_key: str = "label",
    title: str = "",
    units: str = "bytes",
    down_label: str = "download",
    up_label: str = "upload",
) -> SafeString:
    """Horizontal stacked bars (down, up) per row; an accessible SVG with a text alternative."""
    fmt = human_bytes if units == "bytes" else (lambda v: f"{int(v or 0)}")
    rows = list(rows)[: 12 if units == "bytes" else 24]
    if not rows:
        return mark_safe('<p class="muted">No usage in this period.</p>')  # noqa: S308 - constant
    width, bar_h, gap, label_w = 640, 18, 8, 200
    peak = max((r.get("up", 0) + r.get("down", 0)) for r in rows) or 1
    height = len(rows) * (bar_h + gap) + 10
    parts = []
    for i, r in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        label = _label(r, label_key)
        down_w = (width - label_w - 90) * r.get("down", 0) / peak
        up_w = (width - label_w - 90) * r.get("up", 0) / peak
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-label" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar-down"><title>{} down: {}</title></rect>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar-up"><title>{} up: {}</title></rect>'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                label_w - 8,
                y + 13,
                label[:28],
                label_w,
                y,
                _num(down_w),
                bar_h,
                label,
                fmt(r.get("down")),
                _num(label_w + down_w),
                y,
                _num(up_w),
                bar_h,
                label,
                fmt(r.get("up")),
                _num(label_w + down_w + up_w + 6),
                y + 13,
                fmt(r.get("up", 0) + r.get("down", 0)),
            )
        )
    parts_html = mark_safe("".join(parts))  # noqa: S308 - each piece built with format_html
    return format_html(
        '<figure class="chart"><svg viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>'
        '<figcaption class="legend"><span class="key key-down"></span> {} '
        '<span class="key key-up"></span> {}</figcaption></figure>',
        width,
        height,
        title or "usage chart",
        parts_html,  # noqa: S308 - built with format_html
        down_label,
        up_label,
    )


@register.simple_tag
def day_chart(days: list[dict[str, Any]], title: str = "") -> SafeString:
    """Vertical stacked bars per day."""
    days = list(days)
    if not days or not any(d["up"] or d["down"] for d in days):
        return mark_safe('<p class="muted">No usage in this period.</p>')  # noqa: S308 - constant
    width, height, pad = 640, 180, 24
    peak = max(d["up"] + d["down"] for d in days) or 1
    slot = (width - pad) / len(days)
    bar_w = max(2.0, slot * 0.7)
    bars = []
    for i, d in enumerate(days):
        x = pad + i * slot
        down_h = (height - 40) * d["down"] / peak
        up_h = (height - 40) * d["up"] / peak
        bars.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar-down"><title>{}: {} down</title></rect>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar-up"><title>{}: {} up</title></rect>',
                _num(x),
                _num(height - 20 - down_h),
                _num(bar_w),
                _num(down_h),
                d["day"],
                human_bytes(d["down"]),
                _num(x),
                _num(height - 20 - down_h - up_h),
                _num(bar_w),
                _num(up_h),
                d["day"],
                human_bytes(d["up"]),
            )
        )
    bars_html = mark_safe("".join(bars))  # noqa: S308 - each piece built with format_html
    step = max(1, len(days) // 8)
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" class="chart-label">{}</text>',
        (
            (_num(pad + i * slot), height - 4, d["day"].strftime("%b %d"))
            for i, d in enumerate(days)
            if i % step == 0
        ),
    )
    return format_html(
        '<figure class="chart"><svg viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}</svg>'
        '<figcaption class="legend"><span class="key key-down"></span> download '
        '<span class="key key-up"></span> upload · peak {} per day</figcaption></figure>',
        width,
        height,
        title or "usage per day",
        bars_html,
        labels,
        human_bytes(peak),  # noqa: S308
    )


def _num(value: float) -> str:
    # format_html escapes its arguments into strings before formatting, so "{:.1f}" in its
    # template fails on every float ("Unknown format code 'f'"): format numbers here instead.
    return f"{value:.1f}"


def _label(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return str(getattr(value, "display_name", value) or "—")
