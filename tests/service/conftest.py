"""A fresh app on its own migrated SQLite database per test, with the session's real Redis server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service import create_app, migrate
from service.extensions import db
from tests.support.processes import RedisServer


@pytest.fixture
def app(tmp_path: Path, redis_server: RedisServer) -> Iterator[Flask]:
    application = create_app({"DATA_DIR": str(tmp_path), "REDIS_URL": redis_server.url})
    with application.app_context():
        migrate.upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()
