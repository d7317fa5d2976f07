"""Extensions, created unbound here and attached to an app with `init_app` inside the factory."""

from __future__ import annotations

from typing import Any

import redis
from celery import Celery, Task
from flask import Flask, current_app
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from service.config import celery_broker_url

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ModerationApi(Api):
    """flask-smorest's error shape, with a `message` on every error (validation errors included)."""

    def handle_http_exception(self, error: Any) -> Any:
        payload, code, headers = super().handle_http_exception(error)
        if "message" not in payload:
            if code == 422:
                payload["message"] = "The request has invalid fields; `errors` lists them."
            elif code == 413:
                limit = current_app.config.get("MAX_CONTENT_LENGTH")
                payload["message"] = f"The request body is larger than the {limit} bytes allowed."
            else:
                payload["message"] = error.description or error.name
        return payload, code, headers


db = SQLAlchemy(model_class=Base)
api = ModerationApi()


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """The app's SQLite connections: WAL lets the API read while a worker writes; busy_timeout makes writers
    queue instead of failing."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def redis_client(app: Flask) -> redis.Redis:
    """The app's Redis connection pool (shared by the request threads of one process)."""
    return app.extensions["redis"]


def redis_init_app(app: Flask) -> None:
    app.extensions["redis"] = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
    )


def celery_init_app(app: Flask) -> Celery:
    """Celery the Flask-docs way: every task runs inside an app context of this app."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    # For task classes that cannot derive from FlaskTask (celery-batches' Batches): the app to enter.
    celery_app.flask_app = app
    app.extensions["celery"] = celery_app
    return celery_app


def celery_settings(config: dict[str, Any]) -> dict[str, Any]:
    """Celery settings derived from the app's settings."""
    broker = celery_broker_url(config["REDIS_URL"])
    return {
        "broker_url": broker,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        # Scoring is idempotent, so a task whose worker died is run again rather than lost.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": 3600},
        "task_default_queue": "score",
        "task_routes": {
            "moderation.score": {"queue": "score"},
            "moderation.deliver_webhook": {"queue": "webhooks"},
            "moderation.sweep": {"queue": "webhooks"},
            "moderation.learn": {"queue": "webhooks"},
        },
        "beat_schedule": {
            "sweep": {"task": "moderation.sweep", "schedule": config["SWEEP_INTERVAL"]},
        },
        "worker_hijack_root_logger": False,
    }
