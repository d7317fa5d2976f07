"""A site is one blog: its API keys, webhook endpoint and secrets, and policy overrides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.ids import new_id
from service.timeutil import UTCDateTime, utcnow


class Site(db.Model):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("site"))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    webhook_url: Mapped[str] = mapped_column(String(2048))
    # [{"secret": "whsec_…", "expires_at": ISO 8601 or null}]: every unexpired one signs each delivery,
    # so a platform can swap secrets without a gap.
    webhook_secrets: Mapped[list] = mapped_column(JSON, default=list)
    policy: Mapped[dict] = mapped_column(JSON, default=dict)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="site", cascade="all, delete-orphan")


class ApiKey(db.Model):
    """A site's API key, stored as a SHA-256 hash (keys are 256-bit random, so no slow KDF is needed)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    site: Mapped[Site] = relationship(back_populates="api_keys")
