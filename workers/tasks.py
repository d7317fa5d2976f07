"""Celery tasks: thin. Load by id, call the logic, store, hand on."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery_batches import Batches
from flask import current_app

from service.comments import decisions
from service.extensions import db, redis_client
from service.queueing import DELIVER_TASK, LEARN_TASK, SCORE_TASK
from service.sites.models import Site
from service.sites.store import active_secrets
from service.spam.store import unlearned_verdicts
from service.timeutil import utcnow
from service.webhooks import store as events
from service.webhooks.signing import signed_headers
from workers import delivery, learning, pipeline

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0  # longer than one attempt's 10 s timeout, so a lease outlives the attempt it guards


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
    pipeline.moderate(
        [(r.args[0], r.args[1]) for r in requests],
        deliver=lambda event_id: deliver_webhook.apply_async([event_id], queue="webhooks"),
    )


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
        outcome = delivery.post(site.webhook_url, body, signed_headers(active_secrets(site), event.id, now, body),
                                timeout=config["WEBHOOK_TIMEOUT"])  # fmt: skip
        event = events.record_attempt(event, status_code=outcome.status_code, error=outcome.error,
                                      duration_ms=outcome.duration_ms, retry_base=config["WEBHOOK_RETRY_BASE"],
                                      retry_cap=config["WEBHOOK_RETRY_CAP"])  # fmt: skip
    finally:
        events.release_event(event_id, lease, redis=redis)
    if event.state == "retrying":
        delay = (event.next_attempt_at - utcnow()).total_seconds()
        # Long waits are left to the sweep: Redis redelivers unacked ETA tasks after its visibility timeout.
        if delay < 600:
            deliver_webhook.apply_async([event.id], queue="webhooks", countdown=max(delay, 0))
        log.info("webhook %s attempt %d failed (%s); next try in %.1f s", event.id, event.attempts, outcome.error,
                 delay)  # fmt: skip
    elif event.state == "failed":
        log.warning("webhook %s failed for good after %d attempts: %s", event.id, event.attempts, outcome.error)


@shared_task(name=LEARN_TASK, acks_late=True, reject_on_worker_lost=True)
def learn(verdict_id: int) -> str:
    """Teach the spam filter one human verdict (idempotent: a verdict already learned changes nothing)."""
    return learning.learn_verdict(verdict_id, redis=redis_client(current_app))


@shared_task(name="moderation.sweep")
def sweep() -> dict:
    """Re-queue what a lost message would otherwise leave behind: pending comments, due webhook events,
    verdicts not yet learned."""
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
    verdicts = unlearned_verdicts(older_than=older_than)
    for verdict_id in verdicts:
        learn.apply_async([verdict_id], queue="webhooks")
    if requeued or due or verdicts:
        log.info("sweep re-queued %d comments, %d webhook events, %d verdicts", len(requeued), len(due),
                 len(verdicts))  # fmt: skip
    return {"comments": len(requeued), "events": len(due), "verdicts": len(verdicts)}
