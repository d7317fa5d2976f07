"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask

from service import migrate
from service.extensions import db


def test_migrations_match_the_models(app: Flask) -> None:
    """Would a model change without its migration (a column, index or type) go unnoticed?"""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    assert migrate.is_current()
