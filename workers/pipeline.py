"""Moderating a batch of comments: gather what the scorers need, score, decide, store, hand on.

The scoring itself is in the pure modules (toxicity, spam, spam_model, policy); this module reads and
writes through the service's store functions and Redis, and is what the `score` task runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis import Redis
from sqlalchemy import select

from service.comments import bursts, decisions
from service.comments.models import Moderation
from service.extensions import db, redis_client
from service.queueing import DECIDED_CHANNEL
from service.sites.models import Site
from service.sites.policy import effective_policy
from service.spam.store import GLOBAL
from workers import runtime, spam, spam_model, text
from workers.policy import Decision, decide

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One comment revision to score, read out of the database so no transaction stays open meanwhile."""

    moderation_id: str
    revision: int
    site_id: str
    text: str
    links: list[str]
    policy: dict
    comment: spam.SpamComment
    facts: spam.SpamFacts
    author_approved: int
    document: str  # what the spam classifier reads
    fingerprint: int  # SimHash


def _when(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _fingerprint(m: Moderation) -> tuple[str, int]:
    words = text.plain_text(m.content, m.content_format)
    return words, text.simhash(words)


def job_for(
    m: Moderation,
    policy: dict,
    redis: Redis,
    *,
    prepared: tuple[str, int] | None = None,
    candidates: list[decisions.Fingerprint] | None = None,
) -> Job:
    """What scoring one comment needs: its text and links, and the spam signals' facts about its site.

    `prepared` (its text and SimHash) and `candidates` (recent fingerprints on its site) come from `gather`
    for a batch; alone, the comment reads its own."""
    words, fingerprint = prepared or _fingerprint(m)
    window = policy["duplicate_window_hours"]
    if candidates is None:
        candidates = decisions.recent_fingerprints(
            m.site_id, since=m.created_at - timedelta(hours=window), until=m.created_at
        )
    found = text.links(m.content, m.content_format)
    earlier, approved = decisions.author_history(m)
    context = m.context or {}
    return Job(
        m.id, m.revision, m.site_id, words, found, policy,
        spam.SpamComment(words, found, m.author_email, m.author_url, context.get("honeypot"),
                         _when(context.get("form_rendered_at")), m.comment_created_at or m.created_at),
        spam.SpamFacts(
            duplicates=decisions.duplicate_count(m, window_hours=window),
            near_duplicates=decisions.near_duplicate_count(m, fingerprint, candidates, window_hours=window,
                                                           within_bits=text.NEAR_DUPLICATE_BITS),
            duplicate_window_hours=window,
            author_earlier=earlier,
            bursts=bursts.note(redis, m, policy["burst_window_minutes"]),
            burst_window_minutes=policy["burst_window_minutes"],
            burst_limit=policy["burst_limit"],
            blocked_domains=tuple(d.lower().removeprefix("www.") for d in policy["blocked_domains"]),
        ),
        approved,
        spam_model.document(words, link_domains=[spam.domain(u) for u in found],
                            author_domain=spam.domain(m.author_url) if m.author_url else None),
        fingerprint,
    )  # fmt: skip


def gather(items: list[tuple[str, int]]) -> list[Job]:
    """Jobs for the (moderation id, revision) pairs still pending; the rest were decided or edited since."""
    wanted = dict(items)
    rows = [m for m in db.session.scalars(select(Moderation).where(Moderation.id.in_(list(wanted))))
            if m.revision == wanted[m.id] and m.status == "pending"]  # fmt: skip
    policies = {s.id: effective_policy(s.policy) for s in
                db.session.scalars(select(Site).where(Site.id.in_({m.site_id for m in rows})))}  # fmt: skip
    redis = redis_client(current_app)
    prepared = {m.id: _fingerprint(m) for m in rows}
    candidates: dict[str, list[decisions.Fingerprint]] = {}
    for site_id in {m.site_id for m in rows}:
        mine = [m for m in rows if m.site_id == site_id]
        window = timedelta(hours=policies[site_id]["duplicate_window_hours"])
        stored = decisions.recent_fingerprints(site_id, since=min(m.created_at for m in mine) - window,
                                               until=max(m.created_at for m in mine))  # fmt: skip
        # The batch's own comments count for the later ones among them, as a spam run arrives together.
        batch = [decisions.Fingerprint(m.id, prepared[m.id][1], m.content_hash, m.created_at) for m in mine]
        candidates[site_id] = stored + batch
    jobs = [job_for(m, policies[m.site_id], redis, prepared=prepared[m.id], candidates=candidates[m.site_id])
            for m in rows]  # fmt: skip
    decisions.mark_in_progress([j.moderation_id for j in jobs])
    return jobs


def assess_spam(jobs: list[Job]) -> list[tuple[float, list[spam.Signal]]]:
    """Each job's spam score and the signals (the classifier's among them) that make it."""
    scopes = sorted({j.site_id for j in jobs} | {GLOBAL})
    classifiers = runtime.classifiers(scopes)
    learned: dict[int, tuple[float, int] | None] = {}
    for site_id in {j.site_id for j in jobs}:
        mine = [i for i, j in enumerate(jobs) if j.site_id == site_id]
        probabilities = spam_model.learned_probabilities(
            classifiers.get(site_id), classifiers.get(GLOBAL), [jobs[i].document for i in mine]
        )
        learned.update(zip(mine, probabilities, strict=True))
    out = []
    for i, job in enumerate(jobs):
        fired = spam.signals(job.comment, job.facts)
        if learned[i] is not None:
            fired.append(spam_model.classifier_signal(*learned[i]))
        out.append((spam.signal_score(fired), fired))
    return out


def _score_toxicity(jobs: list[Job]) -> list[dict | None]:
    """Toxicity for each job; a text the model fails on gets None (and is held) without failing the rest."""
    scorer = runtime.scorer(current_app.config)
    try:
        started = time.perf_counter()
        scores = scorer.score([j.text for j in jobs])
        runtime.record_batch(len(jobs), time.perf_counter() - started)
        return scores
    except Exception:
        if len(jobs) == 1:
            log.exception("toxicity scoring failed for %s", jobs[0].moderation_id)
            return [None]
        return [_score_toxicity([j])[0] for j in jobs]


def _decision(job: Job, toxicity: dict | None, spam_score: float, fired: list[spam.Signal]) -> Decision:
    if toxicity is None:
        message = "The toxicity model could not score this comment; a person should look at it."
        reason = {"code": "scoring.failed", "score": None, "threshold": None, "message": message}
        return Decision("hold", None, [reason])
    return decide(text=job.text, toxicity=toxicity, spam=spam_score, fired=fired, n_links=len(job.links),
                  policy=job.policy, author_approved=job.author_approved)  # fmt: skip


def moderate(items: list[tuple[str, int]], *, deliver: object) -> int:
    """Score, decide and store each pending (moderation id, revision); returns how many were decided.

    `deliver(event_id)` hands each stored decision's webhook event on for delivery.
    """
    started = time.perf_counter()
    jobs = gather(items)
    if not jobs:
        return 0
    config = current_app.config
    model_name = runtime.scorer(config).spec.name
    loaded = time.perf_counter()
    toxicities = _score_toxicity(jobs)
    scored = time.perf_counter()
    with_classifier = f"{spam.SIGNALS_VERSION}+{spam_model.MODEL_NAME}"
    made = []
    for job, toxicity, (spam_score, fired) in zip(jobs, toxicities, assess_spam(jobs), strict=True):
        d = _decision(job, toxicity, spam_score, fired)
        learned = any(s.code == "spam.classifier" for s in fired)
        made.append(decisions.AutoDecision(
            job.moderation_id, job.revision, d.decision, d.category,
            scores={"toxicity": toxicity, "spam": spam_score},
            reasons=d.reasons,
            models={"toxicity": model_name, "spam": with_classifier if learned else spam.SIGNALS_VERSION},
            simhash=job.fingerprint,
        ))  # fmt: skip
    decided = time.perf_counter()
    stored = decisions.store_decisions(made, max_age=config["WEBHOOK_MAX_AGE"])
    written = time.perf_counter()
    notices = redis_client(current_app).pipeline(transaction=False)  # one round trip for all the notices
    for d, event_id in stored:
        why = ", ".join(r["code"] for r in d.reasons)
        log.debug("%s revision %d: %s%s", d.moderation_id, d.revision, d.decision, f" ({why})" if why else "")
        deliver(event_id)
        notices.publish(DECIDED_CHANNEL.format(id=d.moderation_id), d.decision)
    try:
        notices.execute()
    except Exception as exc:  # a waiting request re-reads the database every half second anyway
        log.warning("decision notices not published: %s", exc)
    done = time.perf_counter()
    log.info("decided %d of %d comments in %.0f ms (reading %.0f, model %.0f, spam and deciding %.0f, "
             "storing %.0f, handing on %.0f)", len(stored), len(items), (done - started) * 1000,
             (loaded - started) * 1000, (scored - loaded) * 1000, (decided - scored) * 1000,
             (written - decided) * 1000, (done - written) * 1000)  # fmt: skip
    return len(stored)
