"""Safe search: a profile that enforces it sends the search engines to their safe hosts."""

import pytest

from lanward.engine.dns.policy import Policy, Profile, safe_search_target

SAFE = Profile(blocked_categories=frozenset(), safe_search=True)


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("www.google.com", "forcesafesearch.google.com"),
        ("www.google.co.uk", "forcesafesearch.google.com"),
        ("google.de", "forcesafesearch.google.com"),
        ("www.bing.com", "strict.bing.com"),
        ("duckduckgo.com", "safe.duckduckgo.com"),
        ("www.youtube.com", "restrict.youtube.com"),
        ("m.youtube.com", "restrict.youtube.com"),
    ],
)
def test_search_engines_go_to_their_safe_hosts(name, target):
    decision = Policy.build([]).decide(name, SAFE)
    assert decision.category == "safe-search"
    assert decision.rpz is not None
    assert decision.rpz.records == [("CNAME", target + ".")]


@pytest.mark.parametrize(
    "name", ["mail.google.com", "googleusercontent.com", "example.com", "notgoogle.com"]
)
def test_other_names_are_untouched(name):
    assert safe_search_target(name) == ""
    assert Policy.build([]).decide(name, SAFE).action == "allow"


def test_without_safe_search_nothing_is_rewritten():
    assert Policy.build([]).decide("www.google.com", Profile()).action == "allow"
