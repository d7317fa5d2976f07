"""Celery tasks: thin. Load by id, call the scoring logic, store, hand on to delivery."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery_batches import Batches
from flask import current_app

from service.comments import decisions
from service.extensions import db, redis_client
from service.queueing import DECIDED_CHANNEL, DELIVER_TASK, SCORE_TASK
from service.sites.models import Site
from service.sites.policy import effective_policy
from service.sites.store import active_secrets
from service.timeutil import utcnow
from service.webhooks import store as events
from service.webhooks.signing import signed_headers
from workers import delivery, runtime, spam, text
from workers.policy import Decision, decide

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0  # longer than one attempt's 10 s timeout, so a lease outlives the attempt it guards


@dataclass
class _Job:
    """One comment revision to score, read out of the database so no transaction stays open meanwhile."""

    moderation_id: str
    revision: int
    text: str
    links: list[str]
    policy: dict
    facts: spam.SpamFacts
    author_approved: int


def _jobs(items: list[tuple[str, int]]) -> list[_Job]:
    jobs = []
    for moderation_id, revision in items:
        m = decisions.pending_revision(moderation_id, revision)
        if m is None:
            continue  # decided, edited or deleted since it was queued: nothing to do
        policy = effective_policy(db.session.get(Site, m.site_id).policy)
        window = policy["duplicate_window_hours"]
        jobs.append(
            _Job(
                moderation_id,
                revision,
                text.plain_text(m.content, m.content_format),
                text.links(m.content, m.content_format),
                policy,
                spam.SpamFacts(
                    duplicates=decisions.duplicate_count(m, window_hours=window),
                    duplicate_window_hours=window,
                ),
                decisions.author_approved_count(m),
            )
        )
    decisions.mark_in_progress([j.moderation_id for j in jobs])
    return jobs


def _score_toxicity(jobs: list[_Job]) -> list[dict | None]:
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


def _decision(job: _Job, toxicity: dict | None) -> tuple[Decision, float]:
    fired = spam.signals(links=job.links, facts=job.facts)
    spam_score = spam.spam_score(fired)
    if toxicity is None:
        reason = {
            "code": "scoring.failed",
            "score": None,
            "threshold": None,
            "message": "The toxicity model could not score this comment; a person should look at it.",
        }
        return Decision("hold", None, [reason]), spam_score
    return decide(
        text=job.text,
        toxicity=toxicity,
        spam=spam_score,
        fired=fired,
        n_links=len(job.links),
        policy=job.policy,
        author_approved=job.author_approved,
    ), spam_score


def moderate(items: list[tuple[str, int]]) -> int:
    """Score, decide and store each pending (moderation id, revision); returns how many were decided."""
    started = time.perf_counter()
    jobs = _jobs(items)
    if not jobs:
        return 0
    config = current_app.config
    model_name = runtime.scorer(config).spec.name
    loaded = time.perf_counter()
    toxicities = _score_toxicity(jobs)
    scored = time.perf_counter()
    made = []
    for job, toxicity in zip(jobs, toxicities, strict=True):
        d, spam_score = _decision(job, toxicity)
        made.append(decisions.AutoDecision(
            job.moderation_id, job.revision, d.decision, d.category,
            scores={"toxicity": toxicity, "spam": spam_score},
            reasons=d.reasons,
            models={"toxicity": model_name, "spam": spam.MODEL_NAME},
        ))  # fmt: skip
    stored = decisions.store_decisions(made, max_age=config["WEBHOOK_MAX_AGE"])
    redis = redis_client(current_app)
    for d, event_id in stored:
        why = ", ".join(r["code"] for r in d.reasons)
        log.debug("%s revision %d: %s%s", d.moderation_id, d.revision, d.decision, f" ({why})" if why else "")
        deliver_webhook.apply_async([event_id], queue="webhooks")
        try:
            redis.publish(DECIDED_CHANNEL.format(id=d.moderation_id), d.decision)
        except Exception as exc:  # a waiting request re-reads the database every half second anyway
            log.warning("decision notice not published: %s", exc)
    decided = len(stored)
    done = time.perf_counter()
    log.info(
        "decided %d of %d comments in %.0f ms (reading %.0f, model %.0f, deciding and storing %.0f)",
        decided,
        len(items),
        (done - started) * 1000,
        (loaded - started) * 1000,
        (scored - loaded) * 1000,
        (done - scored) * 1000,
    )
    return decided


class FlaskBatches(Batches):
    """celery-batches' task class, run inside the Flask app's context like every other task here."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.app.flask_app.app_context():
            return self.run(*args, **kwargs)


@shared_task(name=SCORE_TASK, base=FlaskBatches, acks_late=True, flush_every=64, flush_interval=0.05)
def score(requests: list) -> None:
    """Moderate the comment revisions waiting in the queue, in one batch.

    celery-batches hands over what has arrived (up to `flush_every`, or whatever is there after
    `flush_interval` seconds); the scorer groups it by length and cuts model batches by a token budget.
    Each request is (moderation id, revision) and idempotent: a repeat finds it decided and does nothing.
    Messages are acknowledged after the batch, so a worker that dies mid-batch loses nothing.
    """
    moderate([(r.args[0], r.args[1]) for r in requests])


def configure_batching(config: dict) -> None:
    """Batch size and flush interval from the settings (read when the worker starts)."""
    score.flush_every = config["SCORE_BATCH_MAX"]
    score.flush_interval = config["SCORE_FLUSH_INTERVAL"]


@shared_task(name=DELIVER_TASK, acks_late=True, reject_on_worker_lost=True)
def deliver_webhook(event_id: str) -> None:
    """One delivery attempt of a webhook event; schedules the next on failure."""
    config = current_app.config
    redis = redis_client(current_app)
    claimed = events.claim_event(event_id, redis=redis, lease_seconds=LEASE_SECONDS)
    if claimed is None:
        return  # delivered, superseded, not yet due, or being delivered by another worker
    event, lease = claimed
    try:
        site = db.session.get(Site, event.site_id)
        body = event.body.encode()
        now = int(utcnow().timestamp())
        outcome = delivery.post(
            site.webhook_url,
            body,
            signed_headers(active_secrets(site), event.id, now, body),
            timeout=config["WEBHOOK_TIMEOUT"],
        )
        event = events.record_attempt(
            event,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            retry_base=config["WEBHOOK_RETRY_BASE"],
            retry_cap=config["WEBHOOK_RETRY_CAP"],
        )
    finally:
        events.release_event(event_id, lease, redis=redis)
    if event.state == "retrying":
        delay = (event.next_attempt_at - utcnow()).total_seconds()
        # Long waits are left to the sweep: Redis redelivers unacked ETA tasks after its visibility timeout.
        if delay < 600:
            deliver_webhook.apply_async([event.id], queue="webhooks", countdown=max(delay, 0))
        log.info(
            "webhook %s attempt %d failed (%s); next try in %.1f s",
            event.id,
            event.attempts,
            outcome.error,
            delay,
        )
    elif event.state == "failed":
        log.warning("webhook %s failed for good after %d attempts: %s", event.id, event.attempts, outcome.error)


@shared_task(name="moderation.sweep")
def sweep() -> dict:
    """Re-queue what a lost message would otherwise leave behind: pending comments and due webhook events."""
    config = current_app.config
    older_than = utcnow() - timedelta(seconds=config["SWEEP_GRACE"])
    requeued = []
    # While the score queue has a backlog, pending comments are simply waiting their turn.
    if redis_client(current_app).llen("score") == 0:
        for moderation_id, revision in decisions.stale_pending(older_than=older_than):
            score.apply_async([moderation_id, revision], queue="score")
            requeued.append(moderation_id)
    due = events.overdue_events(older_than=older_than)
    for event_id in due:
        deliver_webhook.apply_async([event_id], queue="webhooks")
    if requeued or due:
        log.info("sweep re-queued %d comments and %d webhook events", len(requeued), len(due))
    return {"comments": len(requeued), "events": len(due)}
