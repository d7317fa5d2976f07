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


def test_a_database_from_the_first_release_upgrades_and_keeps_its_comments(tmp_path, redis_server) -> None:  # type: ignore[no-untyped-def]
    """Does a database made by revision 0001 (the first landed schema) reach the current one, rows intact?"""
    from alembic import command

    from service import create_app
    from service.comments import store
    from service.comments.models import Moderation
    from service.sites.store import create_site

    app = create_app({"DATA_DIR": str(tmp_path), "REDIS_URL": redis_server.url})
    with app.app_context():
        migrate.upgrade("0001")
        assert not migrate.is_current()
        migrate.upgrade()
        site, _, _ = create_site(name="old", webhook_url="http://127.0.0.1:9/x")
        m, _ = store.intake(site, {"comment_id": "c1", "content": "kept across migrations"})
        with db.engine.begin() as connection:  # back to 0001 and up again, as a rollback and redeploy would
            cfg = migrate._config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0001")
        migrate.upgrade()
        db.session.expire_all()
        assert db.session.get(Moderation, m.id).content == "kept across migrations" and migrate.is_current()
        db.session.remove()
        db.engine.dispose()
