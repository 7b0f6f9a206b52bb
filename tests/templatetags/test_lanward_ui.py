"""Console template helpers: sizes, durations and the server-rendered SVG charts."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from django.template import Context, Template

from lanward.inventory.models import Device
from lanward.templatetags.lanward_ui import day_chart, duration, hbar_chart, human_bytes, percent


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (None, "0 B"),
        (999, "999 B"),
        (1_000, "1.0 KB"),
        (1_500, "1.5 KB"),
        (999_949, "999.9 KB"),
        (2_500_000, "2.5 MB"),
        (3_000_000_000, "3.0 GB"),
        (4.2e12, "4.2 TB"),
        (5e16, "50000.0 TB"),
        ("2048", "2.0 KB"),
        ("lots", "—"),
        ([], "0 B"),
        ({}, "0 B"),
    ],
)
def test_human_bytes(value, text):
    assert human_bytes(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 min"),
        (None, "0 min"),
        (59, "0 min"),
        (60, "1 min"),
        (3_599, "59 min"),
        (3_600, "1 h 0 min"),
        (5_400, "1 h 30 min"),
        (90_000, "25 h 0 min"),
        ("120", "2 min"),
        ("soon", "—"),
    ],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_percent():
    assert (percent(0.32), percent(1), percent("x"), percent(None)) == ("32%", "100%", "—", "—")


def svg_of(html):
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ElementTree.fromstring(html[start:end])  # well-formed XML, or this raises


def texts(svg, tag):
    return [el.text for el in svg.iter(tag) if el.text]


def test_hbar_chart_draws_one_bar_pair_per_row_scaled_to_the_peak():
    rows = [
        {"label": "TV", "up": 100, "down": 900},
        {"label": "Phone", "up": 250, "down": 250},
        {"label": "Plug", "up": 0, "down": 0},
    ]
    html = hbar_chart(rows, title="top devices")
    svg = svg_of(html)
    assert svg.get("aria-label") == "top devices" and svg.get("role") == "img"
    rects = list(svg.iter("rect"))
    assert len(rects) == 6
    widths = [float(r.get("width")) for r in rects]
    full = 640 - 200 - 90
    assert widths[:2] == [pytest.approx(full * 0.9, abs=0.1), pytest.approx(full * 0.1, abs=0.1)]
    assert widths[2:4] == [pytest.approx(full * 0.25, abs=0.1)] * 2
    assert widths[4:] == [0, 0]
    assert "TV" in texts(svg, "text") and "1.0 KB" in texts(svg, "text")
    assert "TV down: 900 B" in texts(svg, "title")


def test_hbar_chart_labels_devices_by_display_name_and_shows_at_most_twelve():
    device = Device(mac="02:00:00:00:00:01", hostname="annas-ipad")
    rows = [{"device": device, "up": 1, "down": 1}] + [
        {"device": None, "up": 1, "down": 1} for _ in range(20)
    ]
    svg = svg_of(hbar_chart(rows, "device"))
    labels = [t.text for t in svg.iter("text") if t.get("class") == "chart-label"]
    assert labels == ["annas-ipad"] + ["—"] * 11


def test_hbar_chart_without_rows_says_so():
    assert hbar_chart([]) == '<p class="muted">No usage in this period.</p>'


EVIL = '<script>alert("x")</script> & co'


def test_hbar_chart_escapes_labels_and_titles():
    device = Device(mac="02:00:00:00:00:01", name=EVIL)
    html = hbar_chart([{"device": device, "up": 5, "down": 5}], "device", title='"><img src=x>')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    svg = svg_of(html)  # still well-formed: nothing broke out of an attribute or element
    assert svg.get("aria-label") == '"><img src=x>'
    assert EVIL[:28] in texts(svg, "text")
    assert f"{EVIL} down: 5 B" in texts(svg, "title")


def test_day_chart_draws_each_day_with_labels():
    start = date(2024, 5, 1)
    days = [{"day": start + timedelta(days=i), "up": i * 100, "down": i * 1_000} for i in range(10)]
    svg = svg_of(day_chart(days, title="per <day>"))
    assert svg.get("aria-label") == "per <day>"
    rects = list(svg.iter("rect"))
    assert len(rects) == 20
    heights = [float(r.get("height")) for r in rects]
    assert heights[0] == heights[1] == 0
    assert heights[-2] + heights[-1] == pytest.approx(180 - 40, abs=0.2)  # the peak fills it
    assert "2024-05-10: 9.0 KB down" in texts(svg, "title")
    labels = [t.text for t in svg.iter("text")]
    assert labels == [
        "May 01",
        "May 02",
        "May 03",
        "May 04",
        "May 05",
        "May 06",
        "May 07",
        "May 08",
        "May 09",
        "May 10",
    ]
    month = [{"day": start + timedelta(days=i), "up": 1, "down": 1} for i in range(31)]
    assert len([t for t in svg_of(day_chart(month)).iter("text")]) <= 11


@pytest.mark.parametrize("days", [[], [{"day": date(2024, 5, 1), "up": 0, "down": 0}]])
def test_day_chart_without_usage_says_so(days):
    assert day_chart(days) == '<p class="muted">No usage in this period.</p>'


def test_tags_in_a_template_escape_what_they_are_given():
    template = Template(
        "{% load lanward_ui %}{% hbar_chart rows 'label' title %}{{ n|human_bytes }}"
    )
    html = template.render(
        Context({"rows": [{"label": EVIL, "up": 1, "down": 2}], "title": EVIL, "n": 1_500})
    )
    assert "<script" not in html and "&lt;script&gt;" in html
    assert html.endswith("1.5 KB")
