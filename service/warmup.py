"""Warm an API process before it takes requests, so a platform's first comments are not the slow ones.

Measured: without it, a gunicorn worker's first requests, and each request thread's first, spent 30–75 ms of
CPU in one-time setup (SQLAlchemy configuring mappers and compiling statements, a broker connection's
first publish), holding the GIL while the process's other requests waited: the slowest of a benchmark run.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

from service.extensions import db, redis_client

log = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    """Do the one-time work of the intake path now, for every request thread. A part that is down is logged,
    not fatal: /readyz reports it."""
    from service.sites.store import site_for_key

    threads = app.config["WEB_THREADS"]
    with app.app_context():
        try:
            configure_mappers()
            site_for_key("mk_warm-up")  # compiles the key lookup; matches nothing
            db.session.rollback()
            # One pooled connection per request thread, opened now rather than by a thread's first request.
            connections = [db.engine.connect() for _ in range(threads)]
            for connection in connections:
                connection.execute(text("SELECT 1"))
                connection.close()
        except Exception as exc:
            log.warning("warm-up: database not reachable yet: %s", exc)
        try:
            pool = redis_client(app).connection_pool
            held = [pool.get_connection() for _ in range(threads)]
            for connection in held:
                pool.release(connection)
            # A broker connection's first publish costs about 20 ms of CPU (its channel, declaring the
            # queues); give each request thread one that has done that.
            celery = app.extensions["celery"]
            producers = [celery.producer_pool.acquire(block=True) for _ in range(threads)]
            for producer in producers:
                for queue in ("score", "webhooks"):
                    producer.maybe_declare(celery.amqp.queues[queue])
            for producer in producers:
                producer.release()
        except Exception as exc:
            log.warning("warm-up: broker not reachable yet: %s", exc)
    # What start-up made (modules, mappers, compiled statements) lives as long as the process: move it out of
    # the garbage collector's view, so full collections scan only what requests create and stay short.
    gc.freeze()
