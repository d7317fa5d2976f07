"""Teaching the spam filter a human verdict: learn a new one online, unlearn a changed one exactly."""

from __future__ import annotations

import logging

from redis import Redis

from service.extensions import db
from service.spam import store
from service.spam.models import SpamVerdict
from workers import spam, spam_model, text

log = logging.getLogger(__name__)

LOCK = "moderation:spam-learning"


def verdict_document(v: SpamVerdict) -> str:
    """What the classifier reads of a judged comment (as it was when judged)."""
    words = text.plain_text(v.content, v.content_format)
    found = text.links(v.content, v.content_format)
    return spam_model.document(words, link_domains=[spam.domain(u) for u in found],
                               author_domain=spam.domain(v.author_url) if v.author_url else None)  # fmt: skip


def _stored(scope: str) -> spam_model.SpamClassifier:
    row = store.load_model(scope)
    return spam_model.SpamClassifier.from_bytes(row.blob) if row else spam_model.SpamClassifier()


def _save(scope: str, classifier: spam_model.SpamClassifier) -> None:
    store.save_model(scope, classifier.to_bytes(), spam=classifier.spam, ham=classifier.ham)


def learn_verdict(verdict_id: int, *, redis: Redis) -> str:
    """Bring the site's and the all-sites classifiers up to date with one verdict; says what was done.

    A new verdict is one online step (`partial_fit`). A changed or withdrawn one is unlearned exactly:
    both classifiers are rebuilt from the verdicts that stand, so nothing is counted twice. One learner
    at a time, across all workers (a Redis lock), since each step reads and rewrites the stored models.
    """
    with redis.lock(LOCK, timeout=600, blocking_timeout=300):
        v = db.session.get(SpamVerdict, verdict_id, populate_existing=True)
        if v is None or v.label == v.learned_label:
            db.session.rollback()
            return "unchanged"
        scopes = (v.site_id, store.GLOBAL)
        if v.learned_label is None:
            document, label = verdict_document(v), int(v.label == "spam")
            for scope in scopes:
                classifier = _stored(scope)
                classifier.learn([document], [label])
                _save(scope, classifier)
            outcome = "learned"
        else:
            for scope in scopes:
                standing = store.labelled_verdicts(scope)
                _save(scope, spam_model.rebuild([verdict_document(s) for s in standing],
                                                [int(s.label == "spam") for s in standing]))  # fmt: skip
            outcome = "relearned" if v.label else "unlearned"
        v.learned_label = v.label
        db.session.commit()
    log.info("spam filter %s verdict %d (%s) for site %s", outcome, v.id, v.label, v.site_id)
    return outcome
