"""The worker entry: `celery -A workers.celery_app worker -Q score` (and `-Q webhooks`, and `beat`).

Builds the Flask app (tasks run in its context, Flask-docs style) and wires the worker's life cycle:
the scorer is resolved at start (a required model that is missing stops the worker), loaded and warmed in
the process that will use it before any task is taken, and a heartbeat tells /readyz what runs.
"""

from __future__ import annotations

import logging
import os
import sys

from celery import signals

from service import create_app
from service.config import ConfigError
from service.extensions import redis_client
from workers import runtime, tasks
from workers.toxicity import ModelUnavailable

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
log = logging.getLogger("workers")
if flask_app.config["LOG_LEVEL"].upper() != "DEBUG":
    # Celery logs every task received and finished; the tasks log one line per decision instead.
    for noisy in ("celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
_heartbeat = {}


@signals.worker_init.connect
def _prepare(sender, **_):  # type: ignore[no-untyped-def]
    runtime.set_queues(sorted(sender.app.amqp.queues.consume_from))
    if "webhooks" in runtime.queues() and "score" not in runtime.queues():
        if flask_app.config["WEBHOOKS_NICE"]:
            os.nice(flask_app.config["WEBHOOKS_NICE"])
        runtime.warm_up_deliveries(flask_app)
    if "score" not in runtime.queues():
        return
    config = flask_app.config
    try:
        runtime.model_spec(config)
    except (ModelUnavailable, ConfigError) as exc:
        log.critical("worker not started: %s", exc)
        sys.exit(1)  # SystemExit passes through Celery's signal dispatch and stops the worker
    tasks.configure_batching(config)
    # celery-batches can only fill a batch from messages already fetched: prefetch two batches' worth,
    # so the next batch is waiting while this one is scored. (The consumer is built after this signal.)
    sender.prefetch_multiplier = max(sender.prefetch_multiplier, 2 * config["SCORE_BATCH_MAX"])
    if config["SCORE_NICE"]:
        os.nice(config["SCORE_NICE"])


@signals.worker_process_init.connect
def _load_model(**_):  # type: ignore[no-untyped-def]
    if "score" in runtime.queues():
        runtime.scorer(flask_app.config)


@signals.worker_ready.connect
def _start_heartbeat(sender, **_):  # type: ignore[no-untyped-def]
    _heartbeat["stop"] = runtime.start_heartbeat(redis_client(flask_app), sender.hostname)


@signals.worker_shutdown.connect
def _stop_heartbeat(**_):  # type: ignore[no-untyped-def]
    if "stop" in _heartbeat:
        _heartbeat["stop"].set()
