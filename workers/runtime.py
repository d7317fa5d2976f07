"""Per-process worker state: the toxicity scorer (loaded once, warmed before work) and the heartbeat."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from typing import Any

import psutil

from workers.toxicity import ModelSpec, ToxicityScorer, load_scorer, resolve_model

log = logging.getLogger(__name__)

WORKERS_KEY = "moderation:workers"  # read by the API's /readyz and /metrics
HEARTBEAT_EVERY = 2.0

_state: dict[str, Any] = {"spec": None, "scorer": None, "queues": ()}
_lock = threading.Lock()
# What this process has scored: reported in the heartbeat, exported by the API's /metrics.
_stats = {"scored": 0, "batches": 0, "max_batch": 0, "last_batch": 0, "score_seconds": 0.0}


def model_spec(config: dict) -> ModelSpec:
    """The model this worker scores with, resolved once from the settings (raises if it is required)."""
    if _state["spec"] is None:
        _state["spec"] = resolve_model(
            config["TOXICITY_MODEL"],
            hf_dir=config.get("TOXICITY_HF_DIR"),
            model_dir=config["MODEL_DIR"],
            precision=config.get("TOXICITY_PRECISION", "fp32"),
            required=config["TOXICITY_REQUIRED"],
        )
        spec = _state["spec"]
        if spec.degraded:
            log.warning("toxicity model missing: %s", spec.detail)
        else:
            log.info("toxicity model: %s (%s, %s)", spec.name, spec.checkpoint, spec.precision)
    return _state["spec"]


def scorer(config: dict) -> ToxicityScorer:
    """This process's scorer, loaded and warmed on first use."""
    with _lock:
        if _state["scorer"] is None:
            started = time.monotonic()
            loaded = load_scorer(
                model_spec(config),
                token_budget=config.get("TOXICITY_TOKEN_BUDGET", 1024),
                threads=config.get("TOXICITY_THREADS") or default_threads(),
            )
            loaded.score(["Warming up the model before taking work.", "A second, longer warm-up " * 8])
            log.info("toxicity scorer %s ready in %.1f s", loaded.spec.name, time.monotonic() - started)
            _state["scorer"] = loaded
        return _state["scorer"]


def record_batch(size: int, seconds: float) -> None:
    """Count one scored batch of `size` comments that took `seconds` in the model."""
    _stats["scored"] += size
    _stats["batches"] += 1
    _stats["max_batch"] = max(_stats["max_batch"], size)
    _stats["last_batch"] = size
    _stats["score_seconds"] += seconds


def default_threads() -> int:
    """Torch threads for one scoring process: the cores this process may run on."""
    return len(os.sched_getaffinity(0))


_classifiers: dict[str, tuple[int, Any]] = {}  # scope → (version, SpamClassifier)


def classifiers(scopes: list[str]) -> dict[str, Any]:
    """The learned spam classifiers of these scopes, reloaded only when a newer version was stored."""
    from service.spam.store import load_model, model_versions
    from workers.spam_model import SpamClassifier

    versions = model_versions(scopes)
    for scope, version in versions.items():
        cached = _classifiers.get(scope)
        if cached is None or cached[0] != version:
            row = load_model(scope)
            _classifiers[scope] = (row.version, SpamClassifier.from_bytes(row.blob))
    return {scope: _classifiers[scope][1] for scope in versions}


def warm_up_deliveries(app: Any) -> None:
    """Do the delivery path's one-time setup (mappers, compiled statements) before the first task, so it
    does not all happen in the first burst of deliveries, beside intake."""
    from sqlalchemy import select
    from sqlalchemy.orm import configure_mappers

    from service.extensions import db, redis_client
    from service.webhooks.models import WebhookAttempt, WebhookEvent
    from service.webhooks.store import claim_event

    with app.app_context():
        try:
            configure_mappers()
            claim_event("msg_warm-up", redis=redis_client(app), lease_seconds=1)  # finds nothing
            db.session.execute(select(WebhookAttempt).limit(0)).all()
            db.session.execute(select(WebhookEvent).limit(0)).all()
            db.session.rollback()
        except Exception as exc:  # a part that is not up yet is reported by /readyz, not fatal here
            log.warning("delivery warm-up incomplete: %s", exc)


def set_queues(queues: list[str]) -> None:
    _state["queues"] = tuple(queues)


def queues() -> tuple[str, ...]:
    return _state["queues"]


def rss_bytes() -> int:
    """Resident memory of this worker and its child processes."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total


def heartbeat_payload(hostname: str) -> dict:
    spec: ModelSpec | None = _state["spec"]
    beat: dict[str, Any] = {
        "hostname": hostname,
        "pid": os.getpid(),
        "queues": list(_state["queues"]),
        "ts": time.time(),
        "rss_bytes": rss_bytes(),
        "scoring": dict(_stats),
    }
    if spec is not None:
        beat["toxicity"] = {
            "name": spec.name,
            "degraded": spec.degraded,
            "detail": spec.detail,
            "precision": spec.precision,
        }
    return beat


def start_heartbeat(redis_client: Any, hostname: str | None = None) -> threading.Event:
    """Write this worker's state to Redis every few seconds, until the returned event is set."""
    hostname = hostname or f"{socket.gethostname()}:{os.getpid()}"
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            try:
                redis_client.hset(WORKERS_KEY, hostname, json.dumps(heartbeat_payload(hostname)))
            except Exception as exc:
                log.warning("heartbeat not written: %s", exc)
            stop.wait(HEARTBEAT_EVERY)
        with contextlib.suppress(Exception):
            redis_client.hdel(WORKERS_KEY, hostname)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    return stop
