"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 18:32:52.907470
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.timeutil

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("webhook_url", sa.String(length=2048), nullable=False),
        sa.Column("webhook_secrets", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("expires_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_api_keys_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_site_id"), ["site_id"], unique=False)

    op.create_table(
        "moderations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("comment_id", sa.String(length=255), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_format", sa.String(length=8), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=255), nullable=True),
        sa.Column("author_email", sa.String(length=320), nullable=True),
        sa.Column("author_url", sa.String(length=2048), nullable=True),
        sa.Column("author_ip", sa.String(length=45), nullable=True),
        sa.Column("author_user_agent", sa.String(length=1024), nullable=True),
        sa.Column("author_ref", sa.String(length=255), nullable=True),
        sa.Column("post", sa.JSON(), nullable=True),
        sa.Column("parent_id", sa.String(length=255), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("comment_created_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("decided_by", sa.String(length=16), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("models", sa.JSON(), nullable=True),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("decided_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.Column("queued_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_moderations_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderations")),
        sa.UniqueConstraint("site_id", "comment_id", name="uq_moderations_site_comment"),
    )
    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderations_author_email"), ["author_email"], unique=False)
        batch_op.create_index(batch_op.f("ix_moderations_author_ip"), ["author_ip"], unique=False)
        batch_op.create_index("ix_moderations_site_hash", ["site_id", "content_hash"], unique=False)
        batch_op.create_index("ix_moderations_site_status_id", ["site_id", "status", "id"], unique=False)
        batch_op.create_index("ix_moderations_status_queued", ["status", "queued_at"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("moderation_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("retry_until", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["moderation_id"],
            ["moderations.id"],
            name=op.f("fk_webhook_events_moderation_id_moderations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_webhook_events_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_events_moderation_id"), ["moderation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_events_site_id"), ["site_id"], unique=False)
        batch_op.create_index("ix_webhook_events_state_next", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("attempted_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_attempts_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_attempts_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_attempts_event_id"))

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_state_next")
        batch_op.drop_index(batch_op.f("ix_webhook_events_site_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_events_moderation_id"))

    op.drop_table("webhook_events")
    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.drop_index("ix_moderations_status_queued")
        batch_op.drop_index("ix_moderations_site_status_id")
        batch_op.drop_index("ix_moderations_site_hash")
        batch_op.drop_index(batch_op.f("ix_moderations_author_ip"))
        batch_op.drop_index(batch_op.f("ix_moderations_author_email"))

    op.drop_table("moderations")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_site_id"))

    op.drop_table("api_keys")
    op.drop_table("sites")
