"""Store functions for webhook events: create, claim for delivery, record an attempt, redeliver, sweep."""

from __future__ import annotations

import json
import random
import secrets
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import select, update

from service.comments.models import Moderation
from service.comments.records import to_record
from service.extensions import db
from service.ids import new_id
from service.pagination import page
from service.timeutil import isoformat, utcnow
from service.webhooks.models import OPEN_STATES, WebhookAttempt, WebhookEvent

EVENT_TYPE = "comment.moderated"


def event_body(record: dict, now: datetime) -> str:
    """The exact bytes every delivery of an event about `record` carries."""
    payload = {"type": EVENT_TYPE, "timestamp": isoformat(now), "data": record}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def new_event_row(m: Moderation, record: dict, *, now: datetime, max_age: float) -> dict:
    """The columns of a new, pending event about `record` (the moderation's record as it is being stored)."""
    record = {**record, "webhook": {"state": "pending", "attempts": 0}}
    return {
        "id": new_id("msg"), "site_id": m.site_id, "moderation_id": m.id, "type": EVENT_TYPE,
        "body": event_body(record, now), "state": "pending", "attempts": 0, "next_attempt_at": now,
        "retry_until": now + timedelta(seconds=max_age), "created_at": now,
    }  # fmt: skip


def supersede_open_events(moderation_ids: list[str]) -> None:
    """Withdraw undelivered events about these comments: a newer decision replaces them, and delivering an
    older decision after it would leave the platform showing the wrong state."""
    db.session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.moderation_id.in_(moderation_ids), WebhookEvent.state.in_(OPEN_STATES))
        .values(state="superseded")
        .execution_options(synchronize_session=False)
    )


def create_event(m: Moderation, *, max_age: float) -> WebhookEvent:
    """Add (not commit) the event that tells the platform about `m`'s current decision, superseding older
    ones. Call in the transaction that stores the decision, so a decision is never stored without its event."""
    supersede_open_events([m.id])
    event = WebhookEvent(**new_event_row(m, to_record(m), now=utcnow(), max_age=max_age))
    db.session.add(event)
    return event


LEASE_KEY = "moderation:webhook-lease:{id}"
# Delete the lease only if it is still ours (it may have expired and been taken by another worker).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def claim_event(event_id: str, *, redis: Redis, lease_seconds: float) -> tuple[WebhookEvent, str] | None:
    """Lease a due, open event for one delivery attempt: (event, lease token), or None if it is not due,
    closed, or held by another worker.

    The lease lives in Redis, not in the database: a delivery then costs one database write (its outcome),
    which keeps SQLite's single write lock free for intake. The event is read after the lease is taken,
    so a worker that gets the lease just after another recorded a delivery sees it delivered.
    """
    token = secrets.token_hex(8)
    if not redis.set(LEASE_KEY.format(id=event_id), token, nx=True, px=int(lease_seconds * 1000)):
        return None
    event = db.session.get(WebhookEvent, event_id, populate_existing=True)
    # ETAs can fire a little early and hosts' clocks differ a little.
    if event is None or event.state not in OPEN_STATES or event.next_attempt_at > utcnow() + timedelta(seconds=2):
        release_event(event_id, token, redis=redis)
        return None
    return event, token


def release_event(event_id: str, token: str, *, redis: Redis) -> None:
    """Give up a delivery lease taken by `claim_event`."""
    redis.eval(_RELEASE, 1, LEASE_KEY.format(id=event_id), token)


def backoff_delay(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next try after `attempts` failures: exponential, capped, with equal jitter.

    Half the delay is fixed and half random, so retries from an outage spread out instead of arriving
    together, while no retry comes sooner than half its step.
    """
    step = min(cap, base * 2 ** max(attempts - 1, 0))
    return step / 2 + (rng or random).uniform(0, step / 2)


def record_attempt(
    event: WebhookEvent,
    *,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    retry_base: float,
    retry_cap: float,
) -> WebhookEvent:
    """Store one attempt's outcome and schedule the next try, or mark the event delivered or failed."""
    now = utcnow()
    db.session.add(
        WebhookAttempt(
            event_id=event.id, attempted_at=now, status_code=status_code, error=error, duration_ms=duration_ms
        )
    )
    event.attempts += 1
    event.last_status = status_code
    event.last_error = error
    if status_code is not None and 200 <= status_code < 300:
        event.state = "delivered"
        event.delivered_at = now
    elif event.state in OPEN_STATES:
        next_at = now + timedelta(seconds=backoff_delay(event.attempts, base=retry_base, cap=retry_cap))
        if next_at > event.retry_until:
            event.state = "failed"
        else:
            event.state = "retrying"
            event.next_attempt_at = next_at
    db.session.commit()
    return event


def redeliver(event: WebhookEvent, *, max_age: float) -> WebhookEvent:
    """Open a failed (or delivered) event again for delivery now, with a fresh retry window."""
    now = utcnow()
    event.state = "pending"
    event.next_attempt_at = now
    event.retry_until = now + timedelta(seconds=max_age)
    db.session.commit()
    return event


def latest_events(moderation_ids: list[str]) -> dict[str, WebhookEvent]:
    """The newest webhook event of each given moderation."""
    if not moderation_ids:
        return {}
    rows = db.session.scalars(
        select(WebhookEvent)
        .where(WebhookEvent.moderation_id.in_(moderation_ids))
        .order_by(WebhookEvent.moderation_id, WebhookEvent.id)
    )
    return {e.moderation_id: e for e in rows}  # ids sort by time: the last one per moderation wins


def list_events(
    site_id: str, *, state: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[WebhookEvent], str | None]:
    """A site's webhook events, newest first, a page at a time."""
    query = select(WebhookEvent).where(WebhookEvent.site_id == site_id)
    if state:
        query = query.where(WebhookEvent.state == state)
    return page(query, WebhookEvent.id, prefix="msg_", limit=limit, cursor=cursor)


def overdue_events(*, older_than: datetime, limit: int = 500) -> list[str]:
    """Open events whose delivery should have happened before `older_than` (a delivery in progress holds a
    lease, so re-queueing one of those is harmless: its task finds the lease taken and does nothing)."""
    return list(
        db.session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.state.in_(OPEN_STATES), WebhookEvent.next_attempt_at < older_than)
            .order_by(WebhookEvent.next_attempt_at)
            .limit(limit)
        )
    )
