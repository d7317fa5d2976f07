"""A moderation: one platform comment, its scores and the decision about it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.ids import new_id
from service.timeutil import UTCDateTime, utcnow

STATUSES = ("pending", "approved", "held", "rejected")
STATUS_OF_DECISION = {"approve": "approved", "hold": "held", "reject": "rejected"}


class Moderation(db.Model):
    __tablename__ = "moderations"
    __table_args__ = (
        UniqueConstraint("site_id", "comment_id", name="uq_moderations_site_comment"),
        Index("ix_moderations_site_status_id", "site_id", "status", "id"),
        Index("ix_moderations_site_hash", "site_id", "content_hash"),
        Index("ix_moderations_status_queued", "status", "queued_at"),
        Index("ix_moderations_site_author_ref", "site_id", "author_ref"),
        Index("ix_moderations_site_status_risk", "site_id", "status", "risk", "id"),
        Index("ix_moderations_site_id", "site_id", "id"),
        Index("ix_moderations_site_email", "site_id", "author_email", "id"),
        Index("ix_moderations_site_ip", "site_id", "author_ip", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mod"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    comment_id: Mapped[str] = mapped_column(String(255))
    # Bumped by every edit; a scoring task carries the revision it scored, so a late result for old
    # content is never stored over the new content's.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    content: Mapped[str] = mapped_column(Text)
    content_format: Mapped[str] = mapped_column(String(8), default="text")
    content_hash: Mapped[str] = mapped_column(String(64))
    # SimHash of the text (signed 64-bit), set when scored: near-identical comments differ in a few bits.
    simhash: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    author_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    author_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    author_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    author_ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    author_user_agent: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    author_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    post: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    comment_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    context: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    extra: Mapped[dict | None] = mapped_column("metadata", JSON, nullable=True)

    status: Mapped[str] = mapped_column(String(16), default="pending")
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    scores: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    reasons: Mapped[list | None] = mapped_column(JSON, nullable=True)
    models: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # For the review queue: the highest of the comment's scores (riskiest first), and its reasons' codes
    # as " code code " (filtering by reason without reading JSON).
    risk: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason_codes: Mapped[str | None] = mapped_column(String(1000), nullable=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the scoring task was last sent; the sweep re-sends what stays pending long after this.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def author(self) -> dict:
        return {
            "name": self.author_name,
            "email": self.author_email,
            "url": self.author_url,
            "ip": self.author_ip,
            "user_agent": self.author_user_agent,
            "id": self.author_ref,
        }
