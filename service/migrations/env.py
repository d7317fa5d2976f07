"""Alembic environment: runs on the connection that `service.migrate` hands it."""

from __future__ import annotations

from alembic import context

from service.extensions import db

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=db.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
