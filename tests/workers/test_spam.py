"""Spam signals and their combination into one score."""

from __future__ import annotations

from workers.spam import SpamFacts, duplicate_signal, link_signal, signals, spam_score


def test_one_link_is_ordinary_more_raise_the_signal() -> None:
    """Is a single link left alone, with each further link more suspicious?"""
    assert link_signal(0) is None and link_signal(1) is None
    two, four = link_signal(2), link_signal(4)
    assert two.code == "spam.links" and two.value == 2 and 0 < two.score < four.score <= 0.95


def test_reposted_text_fires_with_the_count_in_its_message() -> None:
    """Does text posted on the site before fire, stronger the more often it was posted?"""
    assert duplicate_signal(SpamFacts(duplicates=0)) is None
    once, thrice = duplicate_signal(SpamFacts(duplicates=1)), duplicate_signal(SpamFacts(duplicates=3))
    assert once.score < thrice.score
    assert "once" in once.message and "3 times" in thrice.message and "168 hours" in thrice.message


def test_score_combines_signals_as_independent_evidence() -> None:
    """Is the spam score 0 with no signal, and 1 − Π(1 − s) with several?"""
    assert spam_score([]) == 0.0
    fired = signals(links=["http://a", "http://b"], facts=SpamFacts(duplicates=1))
    assert [s.code for s in fired] == ["spam.links", "spam.duplicate"]
    assert spam_score(fired) == round(1 - (1 - 0.25) * (1 - 0.6), 4)
