"""A fresh app on its own migrated SQLite database per test (no Redis needed: its client connects lazily)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service import create_app, migrate
from service.extensions import db


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = create_app({"DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"})
    with application.app_context():
        migrate.upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()
