"""Store functions for moderations: intake (create, repeat, edit), lookup, listing, human verdicts."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from service.comments.models import STATUS_OF_DECISION, Moderation
from service.extensions import db
from service.pagination import page
from service.sites.models import Site
from service.spam.models import SpamVerdict
from service.spam.store import record_verdict
from service.timeutil import isoformat, utcnow
from service.webhooks.models import WebhookEvent
from service.webhooks.store import create_event

Outcome = Literal["created", "repeat", "edited"]

_SPACE = re.compile(r"\s+")


def content_fingerprint(content: str) -> str:
    """SHA-256 of the content folded for comparison (NFKC, case, white space), to spot reposts."""
    folded = _SPACE.sub(" ", unicodedata.normalize("NFKC", content).casefold()).strip()
    return hashlib.sha256(folded.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _comment_columns(data: dict) -> dict[str, Any]:
    """The columns a platform's payload sets (everything but the decision)."""
    author = data.get("author") or {}
    return {
        "content": data["content"],
        "content_format": data.get("content_format", "text"),
        "content_hash": content_fingerprint(data["content"]),
        "author_name": author.get("name"),
        "author_email": (author.get("email") or "").strip().lower() or None,
        "author_url": author.get("url"),
        "author_ip": author.get("ip"),
        "author_user_agent": author.get("user_agent"),
        "author_ref": author.get("id"),
        "post": _jsonable(data.get("post")),
        "parent_id": data.get("parent_id"),
        "language": data.get("language"),
        "comment_created_at": data.get("created_at"),
        "context": _jsonable(data.get("context")),
        "extra": data.get("metadata"),
    }


def find_by_comment_id(site: Site, comment_id: str) -> Moderation | None:
    return db.session.scalar(
        select(Moderation).where(Moderation.site_id == site.id, Moderation.comment_id == comment_id)
    )


def intake(site: Site, data: dict) -> tuple[Moderation, Outcome]:
    """Store a posted comment; a repeat returns the stored record, new content is an edit.

    Committed before anything is queued: what a platform was told is accepted is on disk.
    """
    for _ in range(3):
        existing = find_by_comment_id(site, data["comment_id"])
        if existing is not None:
            if existing.content == data["content"] and existing.content_format == data.get(
                "content_format", "text"
            ):
                return existing, "repeat"
            if _edit(existing, data):
                return existing, "edited"
            continue  # a concurrent edit won; look again
        now = utcnow()
        m = Moderation(
            site_id=site.id,
            comment_id=data["comment_id"],
            revision=1,
            status="pending",
            created_at=now,
            updated_at=now,
            queued_at=now,
            **_comment_columns(data),
        )
        db.session.add(m)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the same comment_id arrived concurrently; it is a repeat or an edit
            continue
        return m, "created"
    raise RuntimeError("comment intake did not settle after concurrent edits")


def _edit(m: Moderation, data: dict) -> bool:
    """New content for a known comment: store it as the next revision, pending moderation again."""
    now = utcnow()
    result = db.session.execute(
        update(Moderation)
        .where(Moderation.id == m.id, Moderation.revision == m.revision)
        .values(
            revision=m.revision + 1,
            status="pending",
            decision=None,
            category=None,
            decided_by=None,
            scores=None,
            reasons=None,
            models=None,
            decided_at=None,
            updated_at=now,
            queued_at=now,
            **_comment_columns(data),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return False
    db.session.refresh(m)
    return True


def get_moderation(site: Site, moderation_id: str) -> Moderation | None:
    """The site's moderation with that id (another site's id reads as not found)."""
    m = db.session.get(Moderation, moderation_id)
    return m if m is not None and m.site_id == site.id else None


def list_moderations(
    site: Site,
    *,
    status: str | None = None,
    comment_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Moderation], str | None]:
    """The site's moderations newest first, a page at a time (keyset pagination on the time-ordered id)."""
    query = select(Moderation).where(Moderation.site_id == site.id)
    if status:
        query = query.where(Moderation.status == status)
    if comment_id:
        query = query.where(Moderation.comment_id == comment_id)
    return page(query, Moderation.id, prefix="mod_", limit=limit, cursor=cursor)


def apply_verdict(
    m: Moderation,
    *,
    decision: str,
    category: str | None,
    note: str | None,
    max_age: float,
    decided_by: str = "moderator",
    commit: bool = True,
) -> tuple[WebhookEvent, SpamVerdict | None]:
    """Record a human decision, the webhook event that carries it and the spam verdict it makes, in one
    transaction (left open with `commit=False`, for a caller that adds to it)."""
    now = utcnow()
    m.status = STATUS_OF_DECISION[decision]
    m.decision = decision
    m.category = category if decision == "reject" else None
    m.decided_by = decided_by
    m.decided_at = now
    m.updated_at = now
    human = {
        "code": f"moderator.{decision}",
        "score": None,
        "threshold": None,
        "message": note or ("Approved by a moderator." if decision == "approve" else "Rejected by a moderator."),
    }
    machine = [r for r in (m.reasons or []) if not r["code"].startswith("moderator.")]
    m.reasons = [human, *machine]
    event = create_event(m, max_age=max_age)
    verdict = record_verdict(m, decision=decision, category=m.category, decided_by=decided_by)
    if commit:
        db.session.commit()
    return event, verdict
