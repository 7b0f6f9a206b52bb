"""The DGA check: real names pass, generated ones do not (calibration in bench/dga_model.py)."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanward.demo import dga as families
from lanward.demo import sites
from lanward.engine.detect.anomaly import dga, names
from tests import ndpi_corpus


def test_model_is_shipped_and_loaded() -> None:
    model = dga.MODEL()
    assert len(model.counts) > 5000
    assert model.counts["^^t"] > model.counts.get("^^x", 0)


@pytest.mark.parametrize("label", ["google", "wikipedia", "spiegel", "weather", "office365"])
def test_real_names_score_high(label: str) -> None:
    assert dga.score(label) > 0
    assert not dga.burst_candidate(label)


def test_hyphens_and_digits_split_words() -> None:
    assert dga.segments("t-online365") == ["t", "online", "365"]
    assert dga.score("t-online") > dga.BURST_THRESHOLD


@pytest.mark.parametrize(
    "label", ["xkqjvbtrwzplmn", "qwpzkdjfhtyrvb", "a3f9c2d8e17b44c0", "k3j9x2q7w8z1"]
)
def test_random_strings_score_low(label: str) -> None:
    assert dga.score(label) < dga.SINGLE_THRESHOLD
    assert dga.looks_generated(label)
    facts = dga.describe(label)
    assert facts["length"] == len(label) and facts["entropy_bits"] > 2.5


def test_short_names_and_punycode_are_not_judged() -> None:
    assert not dga.judged("qzx")
    assert not dga.judged("xn--80ak6aa92e")
    assert not dga.looks_generated("lgtvsdp")  # a vendor abbreviation: low, but short


def test_popular_names_are_never_flagged_alone() -> None:
    labels = {names.label_of(d) for d in sites.popular_domains()} - {""}
    assert [label for label in labels if dga.looks_generated(label)] == []


def test_generated_families_are_flagged_in_bursts() -> None:
    rng = random.Random(5)
    for family in ("cryptolocker", "necurs", "ramnit", "hexhash", "alnum"):
        labels = [names.label_of(d) for d in families.generate(family, rng, 300)]
        flagged = sum(dga.burst_candidate(label) for label in labels)
        assert flagged / len(labels) > 0.95, family
    words = [names.label_of(d) for d in families.generate("wordpair", rng, 300)]
    assert sum(dga.burst_candidate(label) for label in words) < 10  # known blind spot


def test_ndpi_capture_server_names_are_not_flagged() -> None:
    ndpi_corpus.require_corpus()
    labels = set()
    for path in ndpi_corpus.RESULTS.glob("*.out"):
        for name in re.findall(r"\[(?:Hostname/SNI|SNI|Host): ([^\]]+)\]", path.read_text()):
            labels.add(names.label_of(name))
    labels.discard("")
    assert len(labels) > 10
    assert [label for label in labels if dga.burst_candidate(label)] == []


@given(st.text(max_size=60))
def test_score_never_fails(text: str) -> None:
    assert isinstance(dga.score(text), float)
