"""lanward.engine.recognize.classify: combining evidence into one identity."""

from __future__ import annotations

from lanward.engine.events import Evidence
from lanward.engine.recognize.classify import choose, identify


def test_agreeing_evidence_adds_up() -> None:
    choice = choose(
        [Evidence("dhcp", "os", "Android", 0.75), Evidence("http", "os", "Android", 0.7)], "os"
    )
    assert choice.value == "Android"
    assert choice.confidence == round(1 - 0.25 * 0.3, 2)
    assert len(choice.evidence) == 2


def test_a_competitor_lowers_the_confidence() -> None:
    choice = choose(
        [Evidence("dhcp", "os", "Linux", 0.5), Evidence("http", "os", "Android", 0.7)], "os"
    )
    assert choice.value == "Android"
    assert choice.confidence == round(0.7 - 0.5 * 0.5, 2)


def test_values_are_compared_without_case() -> None:
    choice = choose(
        [Evidence("a", "brand", "LG", 0.35), Evidence("b", "brand", "lg", 0.75)], "brand"
    )
    assert choice.value == "LG"
    assert len(choice.evidence) == 2


def test_nothing_known() -> None:
    ident = identify([])
    assert (ident.type.value, ident.os.value, ident.brand.value) == ("unknown", "", "")


def test_os_implies_a_type_when_nothing_better_is_known() -> None:
    ident = identify([Evidence("dhcp", "os", "Windows", 0.8)])
    assert ident.type.value == "computer"
    assert 0 < ident.type.confidence < 0.8


def test_direct_type_evidence_beats_the_implied_one() -> None:
    ident = identify([Evidence("dhcp", "os", "Android", 0.85), Evidence("ssdp", "type", "TV", 0.8)])
    assert ident.type.value == "TV"


def test_user_agent_brand_beats_the_nic_maker() -> None:
    ident = identify(
        [Evidence("oui", "brand", "Murata", 0.35), Evidence("http", "brand", "Samsung", 0.75)]
    )
    assert ident.brand.value == "Samsung"


def test_os_version_only_with_an_os() -> None:
    assert identify([Evidence("http", "os_version", "9", 0.65)]).os_version.value == ""
    ident = identify(
        [Evidence("http", "os", "Android", 0.7), Evidence("http", "os_version", "9", 0.65)]
    )
    assert (ident.os.value, ident.os_version.value) == ("Android", "9")


def test_every_rule_speaks_the_type_vocabulary() -> None:
    """A type outside TYPES ("router" for "router/access point") would split the vote."""
    from lanward.engine.recognize import classify, dhcp, mdns, names, oui, ssdp, useragent

    emitted = {value for _, field, value, _ in dhcp.VENDOR_CLASS_RULES if field == "type"}
    emitted |= {kind for kind, _ in mdns.SERVICE_TYPES.values() if kind}
    emitted |= {kind for kind, _ in ssdp.DEVICE_TYPES.values() if kind}
    emitted |= {value for _, field, value, _ in names.NAME_RULES if field == "type"}
    emitted |= {kind for _, kind, _ in names.WSD_TYPES}
    emitted |= {kind for _, kind, _ in oui.VENDOR_TYPES}
    emitted |= set(useragent.DEVICE_TYPES.values())
    emitted |= {kind for kind, _ in classify.OS_IMPLIES_TYPE.values()}
    assert emitted <= set(classify.TYPES), emitted - set(classify.TYPES)
