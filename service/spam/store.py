"""Store functions for spam verdicts and learned models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from service.comments.models import Moderation
from service.extensions import db
from service.spam.models import SpamModel, SpamVerdict
from service.timeutil import utcnow

GLOBAL = "global"


def verdict_label(decision: str, category: str | None) -> str | None:
    """What a human decision says about spam: a spam rejection is spam, an approval is ham, and a
    rejection for toxicity says nothing about spam."""
    if decision == "approve":
        return "ham"
    return "spam" if category == "spam" else None


def record_verdict(m: Moderation, *, decision: str, category: str | None, decided_by: str) -> SpamVerdict | None:
    """Add or update (not commit) the comment's verdict; None when the decision says nothing about spam
    and there was no earlier verdict to withdraw."""
    label = verdict_label(decision, category)
    verdict = db.session.scalar(select(SpamVerdict).where(SpamVerdict.moderation_id == m.id))
    if verdict is None:
        if label is None:
            return None
        verdict = SpamVerdict(site_id=m.site_id, moderation_id=m.id, learned_label=None, created_at=utcnow())
        db.session.add(verdict)
    verdict.label = label
    verdict.content = m.content
    verdict.content_format = m.content_format
    verdict.author_url = m.author_url
    verdict.author_email = m.author_email
    verdict.decided_by = decided_by
    verdict.updated_at = utcnow()
    return verdict


def labelled_verdicts(scope: str) -> list[SpamVerdict]:
    """Every standing verdict of a site, or of all sites, oldest first (for a rebuild)."""
    query = select(SpamVerdict).where(SpamVerdict.label.is_not(None)).order_by(SpamVerdict.id)
    if scope != GLOBAL:
        query = query.where(SpamVerdict.site_id == scope)
    return list(db.session.scalars(query))


def standing_count(scope: str) -> int:
    """How many standing verdicts a site, or all sites, has."""
    query = select(func.count()).select_from(SpamVerdict).where(SpamVerdict.label.is_not(None))
    if scope != GLOBAL:
        query = query.where(SpamVerdict.site_id == scope)
    return db.session.scalar(query) or 0


def waiting_verdicts(*, limit: int = 1000) -> list[SpamVerdict]:
    """Verdicts, on any site, that the models do not reflect yet (new, changed or withdrawn), oldest first."""
    return list(db.session.scalars(
        select(SpamVerdict)
        .where(SpamVerdict.label.is_distinct_from(SpamVerdict.learned_label))
        .order_by(SpamVerdict.id)
        .limit(limit)
    ))  # fmt: skip


def model_versions(scopes: list[str]) -> dict[str, int]:
    """The current version of each stored model (absent: never trained)."""
    rows = db.session.execute(select(SpamModel.scope, SpamModel.version).where(SpamModel.scope.in_(scopes)))
    return dict(rows.all())


def load_model(scope: str) -> SpamModel | None:
    return db.session.get(SpamModel, scope, populate_existing=True)


def save_model(scope: str, blob: bytes, *, spam: int, ham: int) -> None:
    """Store (not commit) a scope's model as its next version."""
    row = db.session.get(SpamModel, scope)
    if row is None:
        db.session.add(SpamModel(scope=scope, blob=blob, spam=spam, ham=ham, version=1, updated_at=utcnow()))
        return
    row.blob, row.spam, row.ham, row.version, row.updated_at = blob, spam, ham, row.version + 1, utcnow()


def unlearned_verdicts(*, older_than: datetime, limit: int = 500) -> list[int]:
    """Verdicts the models do not reflect yet, last changed before `older_than` (their learning message
    was lost): the sweep queues them again."""
    return list(db.session.scalars(
        select(SpamVerdict.id)
        .where(SpamVerdict.label.is_distinct_from(SpamVerdict.learned_label), SpamVerdict.updated_at < older_than)
        .order_by(SpamVerdict.updated_at)
        .limit(limit)
    ))  # fmt: skip
