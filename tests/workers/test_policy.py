"""The site policy applied to scores: which decision, which category, which reasons."""

from __future__ import annotations

import pytest

from service.sites.policy import effective_policy
from workers.policy import decide, matched_words
from workers.spam import Signal

CLEAN = {
    "toxicity": 0.02,
    "severe_toxicity": 0.0,
    "obscene": 0.01,
    "threat": 0.0,
    "insult": 0.01,
    "identity_attack": 0.0,
}


def run(**kw):  # type: ignore[no-untyped-def]
    args = {
        "text": "hello",
        "toxicity": CLEAN,
        "spam": 0.0,
        "fired": [],
        "n_links": 0,
        "policy": effective_policy({}),
        "author_approved": 0,
    }
    args.update(kw)
    return decide(**args)


def test_clean_comment_is_approved_without_reasons() -> None:
    """Is an unremarkable comment approved with an empty reason list?"""
    d = run()
    assert (d.decision, d.category, d.reasons) == ("approve", None, [])


@pytest.mark.parametrize(
    ("label", "value", "decision"),
    [
        ("insult", 0.59, "approve"),
        ("insult", 0.60, "hold"),
        ("insult", 0.92, "reject"),
        ("threat", 0.40, "hold"),
        ("threat", 0.80, "reject"),
        ("severe_toxicity", 0.3, "hold"),
        ("identity_attack", 0.85, "reject"),
    ],
)
def test_each_label_has_its_own_thresholds(label: str, value: float, decision: str) -> None:
    """Does each label hold and reject at its own threshold (inclusive)?"""
    d = run(toxicity={**CLEAN, label: value})
    assert d.decision == decision
    if decision != "approve":
        assert d.category == "toxic"
        assert d.reasons[0]["code"] == f"toxicity.{label}" and d.reasons[0]["score"] == value


def test_reason_carries_score_threshold_and_plain_message() -> None:
    """Can a moderator read why: the label, its score and the threshold it crossed?"""
    (reason,) = run(toxicity={**CLEAN, "insult": 0.95}).reasons
    assert reason == {
        "code": "toxicity.insult",
        "score": 0.95,
        "threshold": 0.92,
        "message": "Insult score 0.95 is at or above the reject threshold 0.92.",
    }


def test_site_overrides_replace_defaults() -> None:
    """Does a site's stricter threshold apply, and a disabled one (None) never fire?"""
    strict = effective_policy({"toxicity": {"insult": {"hold": 0.3}}})
    assert run(toxicity={**CLEAN, "insult": 0.35}, policy=strict).decision == "hold"
    off = effective_policy({"toxicity": {"insult": {"hold": None, "reject": None}}})
    assert run(toxicity={**CLEAN, "insult": 0.99}, policy=off).decision == "approve"


def test_unmeasured_labels_are_ignored() -> None:
    """Does a label the scorer could not measure (None) neither hold nor crash the policy?"""
    assert run(toxicity={**{k: None for k in CLEAN}, "toxicity": 0.1}).decision == "approve"


def test_reject_wins_over_hold_and_toxic_over_spam() -> None:
    """With a reject and a hold reason, is the decision reject and its reasons listed first?"""
    d = run(toxicity={**CLEAN, "insult": 0.95}, n_links=5)
    assert d.decision == "reject" and d.category == "toxic"
    assert [r["code"] for r in d.reasons] == ["toxicity.insult", "spam.links"]


def test_spam_score_thresholds_and_link_limit() -> None:
    """Do the spam score and the link limit hold or reject as spam?"""
    sig = [Signal("spam.duplicate", 0.6, 1, "posted before")]
    assert run(spam=0.6, fired=sig).decision == "hold"
    d = run(spam=0.95, fired=sig)
    assert d.decision == "reject" and d.category == "spam" and "posted before" in d.reasons[0]["message"]
    d = run(n_links=3)
    assert d.decision == "hold" and d.reasons[0]["code"] == "spam.links" and d.reasons[0]["threshold"] == 2


def test_trusted_author_is_not_held_for_spam_alone() -> None:
    """Is an author with approved comments approved despite spam signals, but still held for toxicity?"""
    d = run(n_links=4, author_approved=2)
    assert d.decision == "approve" and d.reasons[0]["code"] == "author.trusted"
    assert "2 approved comments" in d.reasons[0]["message"]
    assert (
        run(n_links=4, author_approved=2, policy=effective_policy({"trust_approved_authors": False})).decision
        == "hold"
    )
    assert run(n_links=4, toxicity={**CLEAN, "insult": 0.7}, author_approved=5).decision == "hold"
    assert run(spam=0.95, author_approved=5).decision == "reject"  # trust never lifts a reject


def test_blocked_words_reject_and_watch_words_hold() -> None:
    """Are blocked words rejected and watched words held, matched as whole words in any case?"""
    policy = effective_policy({"blocked_words": ["casino", "cheap pills"], "watch_words": ["crypto"]})
    d = run(text="Best CASINO and cheap   pills here", policy=policy)
    assert d.decision == "reject" and d.reasons[0]["code"] == "words.blocked"
    assert "casino, cheap pills" in d.reasons[0]["message"]
    assert run(text="about crypto", policy=policy).decision == "hold"
    assert run(text="casinos and cryptography", policy=policy).decision == "approve"


def test_matched_words_handles_punctuation_and_phrases() -> None:
    """Are words at punctuation edges found, and parts of longer words not?"""
    assert matched_words("Try viagra!", ["viagra"]) == ["viagra"]
    assert matched_words("(free money)", ["free money"]) == ["free money"]
    assert matched_words("scunthorpe", ["cunt"]) == []
    assert matched_words("anything", []) == []
