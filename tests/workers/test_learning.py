"""Learning from verdicts through the real store and Redis: new ones online, changed ones unlearned."""

from __future__ import annotations

import random

from flask import Flask, current_app

from service.comments import store
from service.extensions import db, redis_client
from service.sites.store import create_site
from service.spam.models import SpamVerdict
from service.spam.store import GLOBAL, load_model
from tests.workers.test_spam_model import HAM, SPAM
from workers.learning import learn_verdict, verdict_document
from workers.spam_model import SpamClassifier, rebuild


def judge(site, comment_id: str, content: str, decision: str, category: str | None = None) -> SpamVerdict:  # type: ignore[no-untyped-def]
    m = db.session.scalar(db.select(store.Moderation).filter_by(site_id=site.id, comment_id=comment_id))
    if m is None:
        m, _ = store.intake(site, {"comment_id": comment_id, "content": content})
    _, verdict = store.apply_verdict(m, decision=decision, category=category, note=None, max_age=60)
    return verdict


def stored(scope: str) -> SpamClassifier:
    return SpamClassifier.from_bytes(load_model(scope).blob)


def test_verdicts_teach_the_site_and_global_models_and_flips_are_unlearned(app: Flask) -> None:
    """Does a new verdict add one example, a repeat add none, and a flip leave exactly the standing ones?"""
    site, _, _ = create_site(name="blog", webhook_url="http://127.0.0.1:9/x")
    redis = redis_client(current_app)
    rng = random.Random(3)
    made = []
    for i in range(24):
        is_spam = i % 2 == 0
        text = rng.choice(SPAM if is_spam else HAM) + f" #{i}"
        v = judge(site, f"c{i}", text, "reject" if is_spam else "approve", "spam" if is_spam else None)
        assert learn_verdict(v.id, redis=redis) == "learned"
        made.append(v)
    assert (stored(site.id).spam, stored(site.id).ham) == (12, 12)
    assert stored(GLOBAL).verdicts == 24

    # The same verdict again: nothing to learn, nothing counted twice.
    again = judge(site, "c0", "", "reject", "spam")
    assert again.id == made[0].id and learn_verdict(again.id, redis=redis) == "unchanged"
    assert stored(site.id).verdicts == 24

    # A moderator changes their mind: c0 was not spam after all.
    flipped = judge(site, "c0", "", "approve")
    assert learn_verdict(flipped.id, redis=redis) == "relearned"
    model = stored(site.id)
    assert (model.spam, model.ham) == (11, 13)
    standing = db.session.scalars(db.select(SpamVerdict).order_by(SpamVerdict.id)).all()
    expected = rebuild([verdict_document(v) for v in standing], [int(v.label == "spam") for v in standing])
    docs = [verdict_document(v) for v in standing[:6]]
    assert model.probabilities(docs) == expected.probabilities(docs)

    # Rejected for toxicity instead: no longer a spam verdict either way; withdrawn and unlearned.
    withdrawn = judge(site, "c2", "", "reject", "toxic")
    assert withdrawn.label is None and learn_verdict(withdrawn.id, redis=redis) == "unlearned"
    assert stored(site.id).verdicts == 23 and stored(GLOBAL).verdicts == 23


def test_a_toxic_rejection_is_not_a_spam_verdict(app: Flask) -> None:
    site, _, _ = create_site(name="b2", webhook_url="http://127.0.0.1:9/x")
    assert judge(site, "t1", "you are awful", "reject", "toxic") is None
    assert db.session.query(SpamVerdict).count() == 0
