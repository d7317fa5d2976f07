"""Spam signals, each on its own: what fires it, what does not, and how they combine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.spam import SpamComment, SpamFacts, domain, signal_score, signals


def codes(comment: SpamComment, facts: SpamFacts | None = None) -> dict[str, object]:
    return {s.code: s for s in signals(comment, facts or SpamFacts())}


def test_an_ordinary_comment_fires_nothing() -> None:
    c = SpamComment("Thanks for the clear explanation of list comprehensions, it helped me a lot.")
    assert codes(c) == {} and signal_score([]) == 0.0


def test_links_count_and_ratio() -> None:
    """One link is ordinary; several fire spam.links; links with hardly any text fire spam.link_ratio."""
    assert "spam.links" not in codes(SpamComment("see https://a.example/x for the docs", ["https://a.example/x"]))
    many = codes(SpamComment("a b c", ["http://a.example", "http://b.example", "http://c.example"]))
    assert many["spam.links"].value == 3 and many["spam.link_ratio"].value == 1.0
    wordy = SpamComment(
        "I wrote a longer reply about this on my own blog, with the code and a benchmark, here",
        ["https://me.example/post"],
    )
    assert "spam.link_ratio" not in codes(wordy)


def test_shorteners_and_blocked_domains_including_subdomains() -> None:
    c = SpamComment(
        "look", ["https://bit.ly/abc", "http://shop.casino.example/win"], author_url="https://x.bad.example"
    )
    fired = codes(c, SpamFacts(blocked_domains=("casino.example", "bad.example")))
    assert "bit.ly" in fired["spam.shortener"].message
    assert (
        fired["spam.blocked_domain"].score > 0.9
        and "bad.example, casino.example" in fired["spam.blocked_domain"].message
    )
    assert (
        domain("WWW.Example.org/path") == "example.org"
        and domain("https://sub.a.example:8080/x") == "sub.a.example"
    )


def test_repeats_exact_then_near_weighted_by_length() -> None:
    """Is a repeated paragraph a strong signal, and a repeated stock phrase ("Great post!") a weak or no one?"""
    paragraph = SpamComment(
        "Buy cheap designer watches from our online store with free shipping on every order today"
    )
    assert codes(paragraph, SpamFacts(duplicates=1))["spam.duplicate"].score < 0.5  # a double submit
    assert codes(paragraph, SpamFacts(duplicates=2))["spam.duplicate"].score > 0.5
    assert codes(paragraph, SpamFacts(duplicates=5))["spam.duplicate"].score > 0.9
    near = codes(paragraph, SpamFacts(near_duplicates=2))
    assert "spam.near_duplicate" in near and "spam.duplicate" not in near
    stock = SpamComment("Great post!")
    assert codes(stock, SpamFacts(duplicates=5)) == {} and codes(stock, SpamFacts(near_duplicates=5)) == {}
    middling = codes(SpamComment("Thanks a lot, this helped me with my homework"), SpamFacts(duplicates=1))
    assert middling["spam.duplicate"].score < 0.5  # noted, but not enough to hold on its own


def test_author_url_on_a_first_comment() -> None:
    c = SpamComment("Nice", author_url="https://seo.example")
    assert "spam.first_time_author_url" in codes(c, SpamFacts(author_earlier=0))
    assert "spam.first_time_author_url" not in codes(c, SpamFacts(author_earlier=4))


def test_bursts_over_the_limit_per_source() -> None:
    fired = codes(SpamComment("hi"), SpamFacts(bursts={"ip": 9, "email": 2, "author": 6}, burst_limit=5))
    assert set(k for k in fired if k.startswith("spam.burst")) == {"spam.burst_ip", "spam.burst_author"}
    assert "9 comments from this IP address in 10 minutes" in fired["spam.burst_ip"].message
    assert fired["spam.burst_ip"].score > fired["spam.burst_author"].score


def test_honeypot_and_form_filled_faster_than_typing() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert codes(SpamComment("hi", honeypot="http://x"))["spam.honeypot"].score == 0.99
    assert "spam.honeypot" not in codes(SpamComment("hi", honeypot="  "))
    text = "A considered reply of some length that takes a person a while to type out properly."
    fast = SpamComment(text, form_rendered_at=now, submitted_at=now + timedelta(seconds=1))
    slow = SpamComment(text, form_rendered_at=now, submitted_at=now + timedelta(seconds=40))
    assert "spam.too_fast" in codes(fast) and "spam.too_fast" not in codes(slow)


def test_disposable_email_domains() -> None:
    assert "spam.disposable_email" in codes(SpamComment("hi", author_email="x@mailinator.com"))
    assert "spam.disposable_email" not in codes(SpamComment("hi", author_email="x@example.org"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Call our helpline on +1 (888) 555-0123 today", "spam.phone_number"),
        ("Dial the QuickBooks customer support number for the best deals", "spam.promotional"),
        ("THIS IS THE BEST TUTORIAL EVER WRITTEN ABOUT PYTHON", "spam.shouting"),
        ("wowwwwwwww so good", "spam.repeated_characters"),
        ("★☆★☆★☆★☆★☆ ♥♥♥♥ $$$ ☎☎☎", "spam.junk"),
    ],
)
def test_text_signals(text: str, code: str) -> None:
    assert code in codes(SpamComment(text))


def test_sales_words_weak_alone_strong_phrases_hold() -> None:
    """Does "is there a student discount?" stay below the hold threshold while a support-number pitch holds?"""
    weak = codes(SpamComment("Is there a student discount for the course?"))["spam.promotional"]
    assert weak.score < 0.5 and "'discount'" in weak.message
    strong = codes(SpamComment("Call the toll free number for tech support"))["spam.promotional"]
    assert strong.score > 0.75 and strong.value == 2
    mixed = codes(SpamComment("Cheap flights: visit our site"))["spam.promotional"]
    assert 0.6 < mixed.score < strong.score and mixed.message == "Sales language: 'visit our', 'cheap'."


def test_text_signals_leave_ordinary_prose_alone() -> None:
    prose = SpamComment(
        "In 2019 I ran 3 tests on 1,024 rows; the plot at step 4 looked odd. Version 3.11 fixed it."
    )
    assert codes(prose) == {}


def test_score_combines_signals_as_independent_evidence() -> None:
    fired = signals(SpamComment("x", ["http://a.example", "http://b.example"]), SpamFacts(duplicates=1))
    by = {s.code: s.score for s in fired}
    expected = 1
    for score in by.values():
        expected *= 1 - score
    assert signal_score(fired) == round(1 - expected, 4) and signal_score(fired) > max(by.values())
