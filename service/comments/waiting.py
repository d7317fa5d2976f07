"""`Prefer: wait=N`: hold a request until the comment is decided or N seconds pass."""

from __future__ import annotations

import contextlib
import logging
import re
import time

from flask import current_app

from service.comments.models import Moderation
from service.extensions import db, redis_client
from service.queueing import DECIDED_CHANNEL

log = logging.getLogger(__name__)

_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


def requested_wait(prefer: str | None, cap: int) -> int:
    """Seconds asked for by a `Prefer` header (RFC 7240), capped; 0 when not asked."""
    if not prefer:
        return 0
    match = _WAIT.search(prefer)
    return min(int(match.group(1)), cap) if match else 0


def _decided(moderation_id: str, revision: int) -> bool:
    db.session.rollback()  # end the read transaction so the next read sees the worker's commit
    row = db.session.get(Moderation, moderation_id, populate_existing=True)
    return row is None or row.revision != revision or row.status != "pending"


def wait_for_decision(moderation_id: str, revision: int, seconds: float) -> bool:
    """True once the comment is decided; False after `seconds`.

    Workers publish on a channel when they decide; the database stays the truth and is read after each
    wake-up (and every half second, in case a message is missed or Redis is away).
    """
    deadline = time.monotonic() + seconds
    pubsub = None
    try:
        pubsub = redis_client(current_app).pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(DECIDED_CHANNEL.format(id=moderation_id))
    except Exception as exc:
        log.warning("waiting without Redis notifications: %s", exc)
        pubsub = None
    try:
        while True:
            if _decided(moderation_id, revision):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if pubsub is None:
                time.sleep(min(0.2, left))
                continue
            try:
                pubsub.get_message(timeout=min(0.5, left))
            except Exception:
                pubsub = None
    finally:
        if pubsub is not None:
            with contextlib.suppress(Exception):
                pubsub.close()
