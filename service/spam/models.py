"""Human verdicts that teach the spam filter, and the learned models every worker shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.timeutil import UTCDateTime, utcnow


class SpamVerdict(db.Model):
    """A person's spam-or-not verdict on one comment: the truth the classifiers are built from.

    One row per comment: a changed verdict updates the row (so it is never counted twice), and
    `learned_label` records what the models currently reflect, so the learner knows whether to add the
    verdict or to unlearn an earlier one.
    """

    __tablename__ = "spam_verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"), unique=True)
    label: Mapped[str | None] = mapped_column(String(8), nullable=True)  # spam, ham, or None (withdrawn)
    learned_label: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # What was judged, kept as it was: a later edit of the comment does not change the verdict's meaning.
    content: Mapped[str] = mapped_column(Text)
    content_format: Mapped[str] = mapped_column(String(8))
    author_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    author_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpamModel(db.Model):
    """A learned classifier: one per site, and one (`global`) for all sites."""

    __tablename__ = "spam_models"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    spam: Mapped[int] = mapped_column(Integer, default=0)
    ham: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
