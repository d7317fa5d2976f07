"""API authentication (`Authorization: Bearer <key>`) and per-site rate limiting."""

from __future__ import annotations

import logging
import time

from flask import current_app, g, request
from flask_smorest import abort

from service.extensions import redis_client
from service.sites.models import Site
from service.sites.store import site_for_key

log = logging.getLogger(__name__)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="moderation"'}


def require_site() -> Site:
    """The site whose API key the request carries; answers 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        abort(401, message="Send the site's API key as 'Authorization: Bearer <key>'.", headers=_CHALLENGE)
    site = site_for_key(key.strip())
    if site is None:
        abort(401, message="The API key is not valid (unknown, rotated or expired).", headers=_CHALLENGE)
    g.site = site
    return site


def enforce_rate_limit(site: Site) -> None:
    """A fixed one-minute window per site, counted in Redis so every API process shares it.

    If Redis is unreachable the request goes through: refusing comments because the limiter is down
    would turn a counter outage into lost comments.
    """
    limit = site.rate_limit_per_minute or current_app.config["RATE_LIMIT_PER_MINUTE"]
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"moderation:ratelimit:{site.id}:{window}"
    try:
        pipe = redis_client(current_app).pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        count = pipe.execute()[0]
    except Exception as exc:
        log.warning("rate limit not enforced, Redis unavailable: %s", exc)
        return
    if count > limit:
        retry_after = max(1, int((window + 1) * 60 - now))
        abort(
            429,
            message=f"Rate limit of {limit} requests a minute exceeded for this site.",
            headers={"Retry-After": str(retry_after)},
        )
