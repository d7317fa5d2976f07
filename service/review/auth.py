"""Moderator sessions for the review UI: login, the session cookie, CSRF tokens and login throttling."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from service.extensions import db, redis_client
from service.review.models import Moderator

log = logging.getLogger(__name__)

SESSION_LIFETIME = timedelta(hours=12)
# Failed logins allowed per email address, and per client address, in the window.
LOGIN_FAILURES_ALLOWED = 5
LOGIN_WINDOW_SECONDS = 15 * 60


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over TLS (or the setting says so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", SESSION_LIFETIME)


def csrf_token() -> str:
    """This session's CSRF token (made on first use), for every form and script request that changes state."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing request unless it carries the session's CSRF token (form field or header)."""
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(
            400, description="The form's security token is missing or out of date. Reload the page and try again."
        )


def log_in(moderator: Moderator) -> None:
    session.clear()  # a new session id and CSRF token at login: nothing from before carries over
    session.permanent = True
    session["mid"] = moderator.id
    session["tok"] = moderator.session_token
    csrf_token()


def current_moderator() -> Moderator | None:
    mid, token = session.get("mid"), session.get("tok")
    if not mid or not token:
        return None
    moderator = db.session.get(Moderator, mid)
    if moderator is None or not hmac.compare_digest(moderator.session_token, token):
        return None
    return moderator


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.moderator = current_moderator()
        if g.moderator is None:
            return redirect(url_for("review.login", next=request.full_path if request.method == "GET" else None))
        return view(*args, **kwargs)

    return wrapped


def admin_required(view: Callable) -> Callable:
    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not g.moderator.is_admin:
            abort(403, description="Only an admin may do this.")
        return view(*args, **kwargs)

    return wrapped


def _throttle_keys(email: str) -> list[str]:
    who = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
    return [f"moderation:login-failures:email:{who}", f"moderation:login-failures:ip:{request.remote_addr}"]


def login_blocked_for(email: str) -> int:
    """Seconds until another login attempt is allowed (0: allowed now). Fails open if Redis is down."""
    try:
        redis = redis_client(current_app)
        for key in _throttle_keys(email):
            if int(redis.get(key) or 0) >= LOGIN_FAILURES_ALLOWED * (4 if ":ip:" in key else 1):
                return max(1, redis.ttl(key))
    except Exception as exc:
        log.warning("login throttle unavailable: %s", exc)
    return 0


def note_failed_login(email: str) -> None:
    try:
        redis = redis_client(current_app)
        keys = _throttle_keys(email)
        pipe = redis.pipeline()
        for key in keys:
            pipe.incr(key)
            pipe.ttl(key)
        answers = pipe.execute()
        for key, ttl in zip(keys, answers[1::2], strict=True):
            if ttl < 0:  # the window starts at the first failure (EXPIRE NX needs Redis 7; the embedded one is 6)
                redis.expire(key, LOGIN_WINDOW_SECONDS)
    except Exception as exc:
        log.warning("failed login not counted: %s", exc)


def clear_failed_logins(email: str) -> None:
    try:
        redis_client(current_app).delete(_throttle_keys(email)[0])
    except Exception as exc:
        log.warning("login throttle not reset: %s", exc)
