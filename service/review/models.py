"""Moderators (people who review held comments), the sites they may act on, and the audit log of their acts."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.ids import new_id
from service.sites.models import Site
from service.timeutil import UTCDateTime, utcnow

ROLES = ("moderator", "admin")

moderator_sites = Table(
    "moderator_sites",
    db.metadata,
    Column("moderator_id", ForeignKey("moderators.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class Moderator(db.Model):
    __tablename__ = "moderators"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("usr"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="moderator")
    # In every session cookie; replaced at logout and password change, which ends every session at once.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    sites: Mapped[list[Site]] = relationship(secondary=moderator_sites, order_by=Site.name)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class AuditEntry(db.Model):
    """One act of a moderator on one comment: who, when, what, and the comment's state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_moderator_id", "moderator_id", "id"),
        Index("ix_audit_log_site_id", "site_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # One action on several comments (a bulk action) shares a batch: undo takes back the whole batch.
    batch: Mapped[str] = mapped_column(String(32))
    moderator_id: Mapped[str | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL"), nullable=True
    )
    moderator_email: Mapped[str] = mapped_column(String(320))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))  # approve | reject_spam | reject_toxic | undo
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
