"""Store functions the scoring workers use: what is pending, facts from the site's history, the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, or_, select, update

from service.comments.models import STATUS_OF_DECISION, Moderation
from service.comments.records import to_record
from service.extensions import db
from service.timeutil import isoformat, utcnow
from service.webhooks.models import WebhookEvent
from service.webhooks.store import new_event_row, supersede_open_events


def pending_revision(moderation_id: str, revision: int) -> Moderation | None:
    """The moderation if this revision of it still waits for a decision (else it was decided or edited)."""
    m = db.session.get(Moderation, moderation_id, populate_existing=True)
    if m is None or m.revision != revision or m.status != "pending":
        return None
    return m


def duplicate_count(m: Moderation, *, window_hours: int) -> int:
    """Other comments on the site with the same folded text, posted within the window before this one."""
    since = m.created_at - timedelta(hours=window_hours)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Moderation)
            .where(
                Moderation.site_id == m.site_id,
                Moderation.content_hash == m.content_hash,
                Moderation.id != m.id,
                Moderation.created_at >= since,
                Moderation.created_at <= m.created_at,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class Fingerprint:
    """A scored comment's SimHash, for near-duplicate checks."""

    moderation_id: str
    simhash: int
    content_hash: str
    created_at: datetime


def recent_fingerprints(site_id: str, *, since: datetime, until: datetime, recent: int = 500) -> list[Fingerprint]:
    """The site's latest `recent` scored comments created in [since, until], newest first: one read serves a
    whole batch of comments (a query of 500 rows per comment took the score workers' time and the database's)."""
    rows = db.session.execute(
        select(Moderation.id, Moderation.simhash, Moderation.content_hash, Moderation.created_at)
        .where(Moderation.site_id == site_id, Moderation.simhash.is_not(None), Moderation.created_at >= since,
               Moderation.created_at <= until)
        .order_by(Moderation.id.desc())
        .limit(recent)
    )  # fmt: skip
    return [Fingerprint(*row) for row in rows]


def near_duplicate_count(
    m: Moderation, fingerprint: int, candidates: list[Fingerprint], *, window_hours: int, within_bits: int
) -> int:
    """Earlier comments among the candidates, within the window before this one, whose SimHash is within
    `within_bits` of this one's, not counting exact repeats (those are `duplicate_count`)."""
    since = m.created_at - timedelta(hours=window_hours)
    return sum(
        1
        for c in candidates
        if c.moderation_id != m.id
        and c.content_hash != m.content_hash
        and since <= c.created_at <= m.created_at
        and ((c.simhash ^ fingerprint) & ((1 << 64) - 1)).bit_count() <= within_bits
    )


def author_history(m: Moderation) -> tuple[int, int]:
    """(earlier comments, earlier approved comments) on the site by the same author: the platform's
    author id, else the email address."""
    same_author = []
    if m.author_ref:
        same_author.append(Moderation.author_ref == m.author_ref)
    if m.author_email:
        same_author.append(Moderation.author_email == m.author_email)
    if not same_author:
        return 0, 0
    earlier, approved = db.session.execute(
        select(func.count(), func.count(case((Moderation.status == "approved", 1))))
        .select_from(Moderation)
        .where(Moderation.site_id == m.site_id, Moderation.id != m.id, Moderation.created_at <= m.created_at,
               or_(*same_author))
    ).one()  # fmt: skip
    return earlier, approved


def risk(scores: dict | None) -> float | None:
    """The highest of a comment's spam and toxicity scores: the review queue shows the riskiest first."""
    if not scores:
        return None
    values = [v for v in (scores.get("toxicity") or {}).values() if v is not None]
    if scores.get("spam") is not None:
        values.append(scores["spam"])
    return max(values, default=None)


def reason_codes(reasons: list[dict] | None) -> str:
    """A decision's reason codes as " code code ", for the review queue's reason filter."""
    return " " + " ".join(r["code"] for r in reasons or []) + " "


@dataclass(frozen=True)
class AutoDecision:
    """A worker's decision about one comment revision, ready to store."""

    moderation_id: str
    revision: int
    decision: str
    category: str | None
    scores: dict
    reasons: list[dict]
    models: dict
    simhash: int | None = None


def store_decisions(batch: list[AutoDecision], *, max_age: float) -> list[tuple[AutoDecision, str]]:
    """Store automatic decisions and their webhook events in one short transaction: (decision, event id) each.

    Only revisions still pending are stored: a task run twice, or a result for content since edited or
    decided by a person, changes nothing and creates no second event. Everything that takes time (reading
    the rows, building each event's body) is done first, so the transaction holds the database's write
    lock (SQLite has one, which intake needs too) only for a few plain statements.
    """
    if not batch:
        return []
    now = utcnow()
    rows = {m.id: m for m in db.session.scalars(select(Moderation).where(
        Moderation.id.in_([d.moderation_id for d in batch])))}  # fmt: skip
    prepared = []
    for d in batch:
        m = rows.get(d.moderation_id)
        if m is None or m.revision != d.revision or m.status != "pending":
            continue
        values = {"status": STATUS_OF_DECISION[d.decision], "decision": d.decision, "category": d.category,
                  "decided_by": "auto", "scores": d.scores, "reasons": d.reasons, "models": d.models,
                  "decided_at": now}  # fmt: skip
        record = {**to_record(m), **values, "decided_at": isoformat(now)}
        queue = {"simhash": d.simhash, "risk": risk(d.scores), "reason_codes": reason_codes(d.reasons)}
        prepared.append((d, {**values, **queue}, new_event_row(m, record, now=now, max_age=max_age)))
    db.session.rollback()  # end the read: the write transaction starts from the newest state
    stored = []
    try:
        for d, values, event in prepared:
            result = db.session.execute(
                update(Moderation)
                .where(Moderation.id == d.moderation_id, Moderation.revision == d.revision,
                       Moderation.status == "pending")
                .values(**values, updated_at=now)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            if result.rowcount == 1:
                stored.append((d, event))
        if stored:
            supersede_open_events([d.moderation_id for d, _ in stored])
            db.session.execute(insert(WebhookEvent), [event for _, event in stored])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return [(d, event["id"]) for d, event in stored]


def mark_in_progress(moderation_ids: list[str]) -> None:
    """Tell the sweep these comments are being scored now (it re-queues only ones long untouched)."""
    db.session.rollback()  # end the reads first, so the write holds the lock for this one statement
    if moderation_ids:
        db.session.execute(
            update(Moderation)
            .where(Moderation.id.in_(moderation_ids), Moderation.status == "pending")
            .values(queued_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def stale_pending(*, older_than: datetime, limit: int = 500) -> list[tuple[str, int]]:
    """Pending moderations queued before `older_than` (their task was lost or is stuck); marks them re-queued."""
    rows = db.session.execute(
        select(Moderation.id, Moderation.revision)
        .where(Moderation.status == "pending", Moderation.queued_at < older_than)
        .order_by(Moderation.queued_at)
        .limit(limit)
    ).all()
    if rows:
        db.session.execute(
            update(Moderation)
            .where(Moderation.id.in_([r[0] for r in rows]), Moderation.status == "pending")
            .values(queued_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return [(r[0], r[1]) for r in rows]
