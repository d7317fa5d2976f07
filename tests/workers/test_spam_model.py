"""The learned spam classifier: online learning, exact rebuilds, readiness, blending and storage."""

from __future__ import annotations

import random

import pytest

from workers.spam_model import (
    MIN_EACH,
    SpamClassifier,
    classifier_signal,
    document,
    features,
    learned_probabilities,
    rebuild,
)

SPAM = [
    "Call the printer support number now for the best deals",
    "Cheap flights, dial our toll free helpline",
    "Visit my website for casino bonuses",
    "Best offers on antivirus support, call us today",
    "Book airline tickets cheap, reservations number inside",
    "Earn money from home, click here",
]
HAM = [
    "Thanks, the section on list comprehensions was clear",
    "I think step 3 has a typo in the loop",
    "Great tutorial, the plots helped me understand the data",
    "How would this work with pandas 2?",
    "Nice explanation of cross validation",
    "The second example fails on Python 3.12 for me",
]


def examples(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    docs, labels = [], []
    for _ in range(n):
        label = rng.random() < 0.4
        docs.append(rng.choice(SPAM if label else HAM) + f" {rng.randint(0, 99)}")
        labels.append(int(label))
    return docs, labels


def test_not_ready_until_enough_of_each_kind() -> None:
    """Does a model stay silent (None) until it has seen MIN_EACH verdicts of each kind?"""
    c = SpamClassifier()
    c.learn(SPAM[:MIN_EACH], [1] * MIN_EACH)
    c.learn(HAM[: MIN_EACH - 1], [0] * (MIN_EACH - 1))
    assert not c.ready and c.probabilities(["anything"]) == [None]
    c.learn(HAM[MIN_EACH - 1 : MIN_EACH], [0])
    assert c.ready and c.verdicts == 2 * MIN_EACH


def test_online_learning_separates_spam_from_ham() -> None:
    docs, labels = examples(120)
    c = SpamClassifier()
    for d, y in zip(docs, labels, strict=True):  # one verdict at a time, as moderators give them
        c.learn([d], [y])
    spam_p, ham_p = c.probabilities(
        ["Call our support helpline for the best deals", "The loop example has a typo"]
    )
    assert spam_p > 0.7 and ham_p < 0.3
    # The direct sigmoid of the linear score is scikit-learn's own predict_proba.
    expected = c.model.predict_proba(features(docs[:20]))[:, 1]
    assert c.probabilities(docs[:20]) == pytest.approx(list(expected), abs=1e-12)


def test_rebuild_is_deterministic_and_counts_each_verdict_once() -> None:
    docs, labels = examples(80)
    a, b = rebuild(docs, labels), rebuild(docs, labels)
    assert a.probabilities(docs[:5]) == b.probabilities(docs[:5])
    assert (a.spam, a.ham) == (sum(labels), len(labels) - sum(labels))


def test_storage_round_trip_keeps_predictions() -> None:
    docs, labels = examples(60)
    c = rebuild(docs, labels)
    back = SpamClassifier.from_bytes(c.to_bytes())
    assert back.probabilities(docs[:10]) == c.probabilities(docs[:10]) and back.verdicts == 60
    assert len(c.to_bytes()) < 2_000_000


def test_site_model_outweighs_the_global_one_as_it_learns() -> None:
    docs, labels = examples(100)
    everyone = rebuild(docs, labels)
    # This site calls airline promotions ham (a travel forum, say).
    site_docs = [f"Book airline tickets cheap, reservations number inside {i}" for i in range(200)] + HAM * 20
    site = rebuild(site_docs, [0] * 200 + [0] * len(HAM * 20))
    site.spam = MIN_EACH  # ready in name, so the blend is exercised
    (blend,) = learned_probabilities(site, everyone, ["Book airline tickets cheap, reservations number inside"])
    (global_only,) = learned_probabilities(
        None, everyone, ["Book airline tickets cheap, reservations number inside"]
    )
    assert blend[0] < global_only[0]
    assert learned_probabilities(None, SpamClassifier(), ["x"]) == [None]


def test_document_names_link_and_author_domains() -> None:
    d = document("hello", link_domains=["bit.ly"], author_domain="seo.example")
    assert "linkdomain_bit.ly" in d and "authordomain_seo.example" in d


def test_document_names_the_comments_shape() -> None:
    """Can a site's model learn that it treats one-word comments or another script as spam?"""
    assert "shape_words_1" in document("Hello", link_domains=[]).split()
    long = document("word " * 50, link_domains=[]).split()
    assert "shape_words_more" in long and "shape_non_latin" not in long
    assert "shape_non_latin" in document("Привет, отличная статья", link_domains=[]).split()
    assert "shape_non_latin" not in document("Très bien écrit, merci", link_domains=[]).split()


def test_classifier_reason_says_how_much_it_learned() -> None:
    s = classifier_signal(0.834, 120)
    assert (
        s.code == "spam.classifier"
        and s.value == 120
        and "120 moderator verdicts" in s.message
        and "83%" in s.message
    )
