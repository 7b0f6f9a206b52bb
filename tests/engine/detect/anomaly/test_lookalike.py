from __future__ import annotations

import idna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanward.engine.detect.anomaly import lookalike

OWN = frozenset({"googleapis", "hik-connect", "wikipedia", "tuyaeu"})


@pytest.mark.parametrize(
    ("label", "technique", "imitates"),
    [
        ("xn--pple-43d", "homoglyph", "apple"),  # Cyrillic а
        ("xn--80ak6aa92e", "homoglyph", "apple"),  # all Cyrillic, reads 'appie'
        ("paypa1", "character_swap", "paypal"),
        ("rnicrosoft", "character_swap", "microsoft"),
        ("gooogle", "typo", "google"),
        ("amazno", "typo", "amazon"),
        ("paypal-login", "brand_combo", "paypal"),
        ("hik-c0nnect", "character_swap", "hik-connect"),
        ("googleapi", "typo", "googleapis"),
    ],
)
def test_lookalikes(label: str, technique: str, imitates: str) -> None:
    found = lookalike.check(label, OWN)
    assert found is not None
    assert (found.technique, found.reference) == (technique, imitates)


@pytest.mark.parametrize(
    "label", ["google", "youtube-nocookie", "gstatic", "twitch", "gitlab", "heise", "xn--bcher-kva"]
)
def test_not_lookalikes(label: str) -> None:
    assert lookalike.check(label, OWN) is None


@pytest.mark.parametrize(
    ("label", "flagged"),
    [
        ("wikimedia", False),  # a sister site: m is no slip for p
        ("wikipedla", True),  # l looks like i
        ("wikipedoa", True),  # o sits next to i on the keyboard
        ("wikipadia", True),  # a vowel for a vowel
        ("wikipedi", True),  # a letter dropped
        ("wikiepdia", True),  # two neighbours swapped
    ],
)
def test_a_replaced_letter_in_a_devices_own_domain_must_be_a_slip(
    label: str, flagged: bool
) -> None:
    found = lookalike.check(label, OWN)
    assert (found is not None and found.reference == "wikipedia") is flagged, found


def test_mixed_scripts_are_named() -> None:
    label = idna.encode("s\u0430lesportal").decode()  # a Cyrillic а among Latin letters
    assert label.startswith("xn--")
    found = lookalike.check(label, frozenset())
    assert found is not None and found.technique == "mixed_scripts"
    assert "CYRILLIC" in found.detail and "LATIN" in found.detail


@given(st.sampled_from(lookalike.BRANDS))
def test_a_brand_is_never_its_own_lookalike(brand: str) -> None:
    assert lookalike.check(brand, OWN) is None
