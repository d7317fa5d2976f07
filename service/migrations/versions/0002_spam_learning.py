"""spam learning: verdicts, models, SimHash, author index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:00:19.552607
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.timeutil

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spam_models",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("spam", sa.Integer(), nullable=False),
        sa.Column("ham", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_spam_models")),
    )
    op.create_table(
        "spam_verdicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("moderation_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=8), nullable=True),
        sa.Column("learned_label", sa.String(length=8), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_format", sa.String(length=8), nullable=False),
        sa.Column("author_url", sa.String(length=2048), nullable=True),
        sa.Column("author_email", sa.String(length=320), nullable=True),
        sa.Column("decided_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderation_id"],
            ["moderations.id"],
            name=op.f("fk_spam_verdicts_moderation_id_moderations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_spam_verdicts_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spam_verdicts")),
        sa.UniqueConstraint("moderation_id", name=op.f("uq_spam_verdicts_moderation_id")),
    )
    with op.batch_alter_table("spam_verdicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spam_verdicts_site_id"), ["site_id"], unique=False)

    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("simhash", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_moderations_site_author_ref", ["site_id", "author_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.drop_index("ix_moderations_site_author_ref")
        batch_op.drop_column("simhash")

    with op.batch_alter_table("spam_verdicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spam_verdicts_site_id"))

    op.drop_table("spam_verdicts")
    op.drop_table("spam_models")
