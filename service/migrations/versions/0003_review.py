"""review: moderators, their sites, audit log, queue order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:08:44.112871
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.timeutil

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderators",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("last_login_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderators")),
        sa.UniqueConstraint("email", name=op.f("uq_moderators_email")),
    )
    op.create_table(
        "moderator_sites",
        sa.Column("moderator_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["moderators.id"],
            name=op.f("fk_moderator_sites_moderator_id_moderators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_moderator_sites_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("moderator_id", "site_id", name=op.f("pk_moderator_sites")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("moderator_id", sa.String(length=32), nullable=True),
        sa.Column("moderator_email", sa.String(length=320), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("moderation_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("undone_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["moderation_id"],
            ["moderations.id"],
            name=op.f("fk_audit_log_moderation_id_moderations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["moderators.id"],
            name=op.f("fk_audit_log_moderator_id_moderators"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_audit_log_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_moderation_id"), ["moderation_id"], unique=False)
        batch_op.create_index("ix_audit_log_moderator_id", ["moderator_id", "id"], unique=False)
        batch_op.create_index("ix_audit_log_site_id", ["site_id", "id"], unique=False)

    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("reason_codes", sa.String(length=1000), nullable=True))
        batch_op.create_index("ix_moderations_site_status_risk", ["site_id", "status", "risk", "id"], unique=False)
        batch_op.create_index("ix_moderations_site_id", ["site_id", "id"], unique=False)
        # Searching the queue by email or IP address within a site, newest first.
        batch_op.drop_index("ix_moderations_author_email")
        batch_op.drop_index("ix_moderations_author_ip")
        batch_op.create_index("ix_moderations_site_email", ["site_id", "author_email", "id"], unique=False)
        batch_op.create_index("ix_moderations_site_ip", ["site_id", "author_ip", "id"], unique=False)

    _backfill_queue_order()


def _backfill_queue_order() -> None:
    """Risk and reason codes for comments decided before this revision, so the queue orders them too."""
    import json

    def risk(scores: dict | None) -> float | None:  # as service.comments.decisions.risk was at 0003
        values = [v for v in ((scores or {}).get("toxicity") or {}).values() if v is not None]
        if (scores or {}).get("spam") is not None:
            values.append(scores["spam"])
        return max(values, default=None)

    def reason_codes(reasons: list | None) -> str:
        return " " + " ".join(r["code"] for r in reasons or []) + " "

    bind = op.get_bind()
    table = sa.table(
        "moderations",
        sa.column("id", sa.String),
        sa.column("scores", sa.JSON),
        sa.column("reasons", sa.JSON),
        sa.column("risk", sa.Float),
        sa.column("reason_codes", sa.String),
    )
    rows = bind.execute(sa.select(table.c.id, table.c.scores, table.c.reasons).where(table.c.scores.is_not(None)))
    updates = []
    for row_id, scores, reasons in rows:
        scores = json.loads(scores) if isinstance(scores, str) else scores
        reasons = json.loads(reasons) if isinstance(reasons, str) else reasons
        updates.append({"row_id": row_id, "risk": risk(scores), "codes": reason_codes(reasons)})
    if updates:
        bind.execute(
            table.update().where(table.c.id == sa.bindparam("row_id"))
            .values(risk=sa.bindparam("risk"), reason_codes=sa.bindparam("codes")),
            updates,
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.drop_index("ix_moderations_site_ip")
        batch_op.drop_index("ix_moderations_site_email")
        batch_op.create_index("ix_moderations_author_ip", ["author_ip"], unique=False)
        batch_op.create_index("ix_moderations_author_email", ["author_email"], unique=False)
        batch_op.drop_index("ix_moderations_site_id")
        batch_op.drop_index("ix_moderations_site_status_risk")
        batch_op.drop_column("reason_codes")
        batch_op.drop_column("risk")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_site_id")
        batch_op.drop_index("ix_audit_log_moderator_id")
        batch_op.drop_index(batch_op.f("ix_audit_log_moderation_id"))

    op.drop_table("audit_log")
    op.drop_table("moderator_sites")
    op.drop_table("moderators")
