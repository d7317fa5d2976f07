"""Comments per source (IP address, email address, author) on a site within a window, counted in Redis.

The API notes each comment as it arrives, so the counts follow arrival order whatever order the workers
score in; the score worker notes it again (members are moderation ids, so a comment never counts twice)
in case Redis was unreachable at intake. Times are the comments' own, so a backlog does not fake a burst.
"""

from __future__ import annotations

import hashlib
import logging

from redis import Redis

from service.comments.models import Moderation

log = logging.getLogger(__name__)


def note(redis: Redis, m: Moderation, window_minutes: int) -> dict[str, int]:
    """Record the comment under each of its sources; returns each source's comments in the window up to it."""
    window = window_minutes * 60
    at = m.created_at.timestamp()
    sources = {"ip": m.author_ip, "email": m.author_email, "author": m.author_ref}
    kinds = []
    pipe = redis.pipeline()
    for kind, value in sources.items():
        if not value:
            continue
        key = f"moderation:burst:{m.site_id}:{kind}:{hashlib.sha1(value.encode()).hexdigest()[:20]}"
        kinds.append(kind)
        pipe.zadd(key, {m.id: at})
        pipe.zremrangebyscore(key, "-inf", at - 2 * window)
        pipe.zcount(key, at - window, at)
        pipe.expire(key, int(2 * window) + 60)
    if not kinds:
        return {}
    counts = pipe.execute()[2::4]
    return dict(zip(kinds, counts, strict=True))


def note_arrival(redis: Redis, m: Moderation, window_minutes: int) -> None:
    """`note`, for the API: never fails the request (the worker notes it again when it scores)."""
    try:
        note(redis, m, window_minutes)
    except Exception as exc:
        log.warning("arrival of %s not counted for bursts (the worker will count it): %s", m.id, exc)
