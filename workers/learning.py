"""Teaching the spam filter human verdicts: retrain while verdicts are few, online after; unlearn exactly."""

from __future__ import annotations

import logging

from redis import Redis

from service.extensions import db
from service.spam import store
from service.spam.models import SpamVerdict
from workers import spam, spam_model, text

log = logging.getLogger(__name__)

LOCK = "moderation:spam-learning"
# Up to this many verdicts in a scope (a site, or all sites), every change retrains it from all of them.
REBUILD_UP_TO = 2000  # measured: retraining on 500 verdicts takes 0.09 s, on 2,000 0.27 s, on 5,000 0.68 s


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


def _learn(scope: str, verdicts: list[SpamVerdict]) -> None:
    """Bring one scope's model up to date with these waiting verdicts (all of the scope's that wait)."""
    changed = any(v.learned_label is not None for v in verdicts)
    if changed or store.standing_count(scope) <= REBUILD_UP_TO:
        standing = store.labelled_verdicts(scope)
        _save(scope, spam_model.rebuild([verdict_document(s) for s in standing],
                                        [int(s.label == "spam") for s in standing]))  # fmt: skip
        return
    classifier = _stored(scope)
    classifier.learn([verdict_document(v) for v in verdicts], [int(v.label == "spam") for v in verdicts])
    _save(scope, classifier)


def learn_verdict(verdict_id: int, *, redis: Redis) -> str:
    """Bring the site's and the all-sites classifiers up to date with a verdict; says what was done.

    While a scope has few verdicts (up to REBUILD_UP_TO), each change rebuilds its model from every standing
    verdict: several passes learn far more from a few hundred verdicts than one online pass (measured on
    500 verdicts, best F1 0.80 against 0.75 on blog comments, 0.94 against 0.91 on SMS). Past that, a new
    verdict is one online step (`partial_fit`). A changed or withdrawn verdict is always unlearned exactly,
    by a rebuild from the verdicts that stand, so nothing is counted twice. Every other verdict waiting
    is taken along (a bulk action queues many; one rebuild serves them all), and one learner runs at a time
    across all workers (a Redis lock), since each step reads and rewrites the stored models.
    """
    with redis.lock(LOCK, timeout=600, blocking_timeout=300):
        v = db.session.get(SpamVerdict, verdict_id, populate_existing=True)
        if v is None or v.label == v.learned_label:
            db.session.rollback()
            return "unchanged"
        outcome = "learned" if v.learned_label is None else "relearned" if v.label else "unlearned"
        waiting = store.waiting_verdicts()
        if v not in waiting:
            waiting.append(v)
        for site_id in sorted({w.site_id for w in waiting}):
            _learn(site_id, [w for w in waiting if w.site_id == site_id])
        _learn(store.GLOBAL, waiting)
        for w in waiting:
            w.learned_label = w.label
        db.session.commit()
    log.info("spam filter %s verdict %d (%s) for site %s, with %d other waiting verdicts", outcome, v.id,
             v.label, v.site_id, len(waiting) - 1)  # fmt: skip
    return outcome
