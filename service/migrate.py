"""Database schema management with Alembic, run in code (no alembic.ini to find)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.extensions import db

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(revision: str = "head") -> None:
    """Bring the app's database to `revision` (run inside an app context)."""
    if db.engine.dialect.name == "sqlite":
        Path(db.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    with db.engine.begin() as connection:
        cfg = _config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def is_current() -> bool:
    """True when the database is at the newest migration."""
    heads = set(ScriptDirectory.from_config(_config()).get_heads())
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def revise(message: str, rev_id: str | None = None) -> None:
    """Write a new migration from the models' difference to the database (a developer's tool)."""
    with db.engine.begin() as connection:
        cfg = _config()
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
