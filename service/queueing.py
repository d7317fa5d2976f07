"""Sending work to the workers by task name: the API never imports the workers' code (or torch)."""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)

SCORE_TASK = "moderation.score"
DELIVER_TASK = "moderation.deliver_webhook"
LEARN_TASK = "moderation.learn"
DECIDED_CHANNEL = "moderation:decided:{id}"

# Fail fast when the broker is down: the record is already stored, and the sweep queues it later.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _send(name: str, args: list, **options: object) -> bool:
    try:
        current_app.extensions["celery"].send_task(name, args=args, retry_policy=_PUBLISH_RETRY, **options)
    except Exception as exc:  # kombu raises several unrelated types for "broker unreachable"
        log.warning("could not queue %s%s (the sweep will retry): %s", name, args, exc)
        return False
    return True


def enqueue_scoring(moderation_id: str, revision: int) -> bool:
    """Ask a `score` worker to moderate this revision of a comment."""
    return _send(SCORE_TASK, [moderation_id, revision], queue="score")


def enqueue_delivery(event_id: str, countdown: float | None = None) -> bool:
    """Ask a `webhooks` worker to deliver an event (now, or after `countdown` seconds)."""
    return _send(DELIVER_TASK, [event_id], queue="webhooks", countdown=countdown)


def enqueue_learning(verdict_id: int) -> bool:
    """Ask a worker to teach the spam filter a new or changed verdict (the sweep retries if this fails)."""
    return _send(LEARN_TASK, [verdict_id], queue="webhooks")


def enqueue_verdict(event_id: str, verdict_id: int | None) -> None:
    """Hand on a human decision: its webhook event for delivery, its spam verdict (if any) for learning."""
    enqueue_delivery(event_id)
    if verdict_id is not None:
        enqueue_learning(verdict_id)
