"""Shared fixtures: the tiny Detoxify model, real Redis servers, the service stack, a webhook receiver."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.postgres import PostgresServer
from tests.support.processes import RedisServer
from tests.support.receiver import Receiver
from tests.support.stack import Stack

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_model(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    """A small Detoxify-format checkpoint trained here ("zork" insults, "blorp" threatens): (ckpt, hf_dir).

    Cached in pytest's cache under a hash of the code that builds it, so a rerun skips the training.
    """
    from workers.checkpoints import build_tiny_detoxify

    digest = hashlib.sha256((REPO / "workers" / "checkpoints.py").read_bytes()).hexdigest()[:12]
    folder = Path(request.config.cache.mkdir(f"tiny-detoxify-{digest}"))
    ckpt, hf_dir = folder / "tiny-detoxify.ckpt", folder / "hf"
    if not ckpt.exists():
        try:
            build_tiny_detoxify(folder)  # built in place: the checkpoint names its HF folder by path
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return ckpt, hf_dir


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real Redis server for tests that need one without the whole stack."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path: Path, redis_server: RedisServer) -> Iterator[Flask]:
    """A fresh app on its own migrated SQLite database, with the session's real Redis server."""
    from service import create_app, migrate
    from service.extensions import db

    application = create_app({"DATA_DIR": str(tmp_path), "REDIS_URL": redis_server.url})
    with application.app_context():
        migrate.upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def start_stack(
    root: Path, settings: dict[str, str], database_url: str | None = None, **start: object
) -> tuple[Stack, RedisServer]:
    redis = RedisServer(root / "redis")
    stack = Stack(root, redis_url=redis.url, database_url=database_url, settings=settings)
    try:
        stack.start(**start)  # type: ignore[arg-type]
    except Exception:
        print(stack.logs_text())
        stack.stop()
        redis.stop()
        raise
    return stack, redis


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session."""
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_model: tuple[Path, Path]
) -> Iterator[Stack]:
    """The service with the tiny Detoxify model (API, score and webhooks workers, beat), once on each of the
    databases it supports: SQLite (the embedded default) and PostgreSQL (production)."""
    ckpt, _ = tiny_model
    url = (
        request.getfixturevalue("postgres").create_database("pipeline") if request.param == "postgresql" else None
    )
    s, redis = start_stack(tmp_path_factory.mktemp(f"stack-{request.param}"), {"TOXICITY_MODEL": str(ckpt)}, url)
    yield s
    s.stop()
    redis.stop()


@pytest.fixture
def site(stack: Stack, receiver: Receiver) -> dict[str, str]:
    """A fresh site whose webhooks go to the receiver."""
    return stack.create_site(receiver.url)


@pytest.fixture
def cid() -> str:
    """A comment id no other test uses (the receiver is shared)."""
    return f"c-{uuid.uuid4().hex[:12]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and "stack" in getattr(item, "funcargs", {}):
        report.sections.append(("service logs", item.funcargs["stack"].logs_text()))
