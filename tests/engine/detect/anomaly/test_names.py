from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanward.engine.detect.anomaly import names


@pytest.mark.parametrize(
    ("name", "registered"),
    [
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("static.bbc.co.uk.", "bbc.co.uk"),
        ("API.Example.COM", "example.com"),
        ("d1x2y3.cloudfront.net", "cloudfront.net"),  # ICANN section only: CDN hosts fold
        ("bucket.s3.amazonaws.com", "amazonaws.com"),
        ("printer.local", ""),
        ("fritz.box", ""),  # not a public suffix
        ("1.1.168.192.in-addr.arpa", ""),
        ("192.168.1.1", ""),
        ("localhost", ""),
        ("", ""),
    ],
)
def test_registered_domain(name: str, registered: str) -> None:
    assert names.registered(name) == registered


def test_label_is_the_owners_part() -> None:
    assert names.label_of("example.co.uk") == "example"
    assert names.label_of("xn--pple-43d.com") == "xn--pple-43d"


@given(st.text(max_size=80))
def test_any_text_gives_a_domain_or_nothing(text: str) -> None:
    found = names.registered(text)
    assert found == "" or (found.count(".") >= 1 and found == found.lower())
