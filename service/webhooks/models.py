"""Webhook events (one per decision sent to a platform) and every delivery attempt of each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.ids import new_id
from service.timeutil import UTCDateTime, utcnow

# pending: not yet tried; retrying: tried and failed, due again at next_attempt_at; delivered; failed: gave
# up after the retry window (can be redelivered); superseded: a newer decision about the same comment was
# made before this one was delivered, so sending it would only tell the platform something out of date.
EVENT_STATES = ("pending", "retrying", "delivered", "failed", "superseded")
OPEN_STATES = ("pending", "retrying")


class WebhookEvent(db.Model):
    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_state_next", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("msg"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    # The exact bytes sent on every attempt, so each retry carries the same body as the first.
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Automatic retries stop after this; a redelivery from the API or UI opens a new window.
    retry_until: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
