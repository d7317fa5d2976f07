"""`/healthz`, `/readyz` and `/metrics`: is the process up, can it do its work, and how is the work going."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text

from service.comments.models import Moderation
from service.extensions import db, redis_client
from service.webhooks.models import OPEN_STATES, WebhookEvent

blp = Blueprint("health", __name__, description="Liveness, readiness and metrics.")

WORKERS_KEY = "moderation:workers"
HEARTBEAT_MAX_AGE = 30.0
QUEUES = ("score", "webhooks")


@blp.route("/healthz")
@blp.response(200)
def healthz() -> dict:
    """The process is up"""
    return {"status": "ok"}


def live_workers() -> list[dict]:
    """Workers whose last heartbeat is recent (each writes one every 10 s)."""
    now = time.time()
    beats = [json.loads(v) for v in redis_client(current_app).hgetall(WORKERS_KEY).values()]
    return [b for b in beats if now - b.get("ts", 0) < HEARTBEAT_MAX_AGE]


def _check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": f"database unreachable: {type(exc).__name__}: {exc}"[:300]}
    finally:
        db.session.rollback()


def readiness() -> tuple[dict, bool]:
    """Each part's state, and whether the service can take and decide comments now."""
    checks: dict[str, Any] = {"database": _check_database()}
    try:
        redis_client(current_app).ping()
        checks["redis"] = {"ok": True}
        workers = live_workers()
    except Exception as exc:
        checks["redis"] = {"ok": False, "error": f"Redis unreachable: {exc}"[:300]}
        workers = []
    per_queue = {q: sum(q in w.get("queues", []) for w in workers) for q in QUEUES}
    missing = [q for q, n in per_queue.items() if n == 0]
    checks["workers"] = {"ok": not missing, "queues": per_queue}
    if missing:
        checks["workers"]["error"] = "no live worker for queue(s): " + ", ".join(missing)
    scorers = [w["toxicity"] for w in workers if w.get("toxicity")]
    if scorers:
        model = scorers[0]
        checks["model"] = {
            "ok": True,
            "toxicity": model["name"],
            "degraded": model.get("degraded", False),
            **({"detail": model["detail"]} if model.get("detail") else {}),
        }
    else:
        checks["model"] = {"ok": False, "error": "no score worker has reported a loaded model"}
    ready = all(c["ok"] for c in checks.values())
    return checks, ready


@blp.route("/readyz")
@blp.response(200)
@blp.alt_response(503, description="A part the service needs is down; the body names it.")
def readyz() -> tuple[dict, int]:
    """Database, Redis, workers and model are ready"""
    checks, ready = readiness()
    degraded = checks.get("model", {}).get("degraded", False)
    status = "unavailable" if not ready else ("degraded" if degraded else "ready")
    return {"status": status, "checks": checks}, (200 if ready else 503)


@blp.route("/metrics")
def metrics() -> Response:
    """Prometheus metrics, read from the database and Redis at scrape time (so they agree across processes)"""
    registry = CollectorRegistry()
    by_status = Gauge("moderation_comments", "Moderation records by status", ["status"], registry=registry)
    for status, count in db.session.execute(select(Moderation.status, func.count()).group_by(Moderation.status)):
        by_status.labels(status).set(count)
    by_state = Gauge("moderation_webhook_events", "Webhook events by state", ["state"], registry=registry)
    for state, count in db.session.execute(select(WebhookEvent.state, func.count()).group_by(WebhookEvent.state)):
        by_state.labels(state).set(count)
    oldest = db.session.scalar(
        select(func.min(WebhookEvent.created_at)).where(WebhookEvent.state.in_(OPEN_STATES))
    )
    Gauge(
        "moderation_webhook_oldest_open_seconds",
        "Age of the oldest undelivered webhook event",
        registry=registry,
    ).set((time.time() - oldest.timestamp()) if oldest else 0)
    db.session.rollback()
    try:
        r = redis_client(current_app)
        depth = Gauge("moderation_queue_length", "Tasks waiting in each queue", ["queue"], registry=registry)
        for q in QUEUES:
            depth.labels(q).set(r.llen(q))
        alive = Gauge("moderation_workers_alive", "Workers with a recent heartbeat", ["queue"], registry=registry)
        workers = live_workers()
        for q in QUEUES:
            alive.labels(q).set(sum(q in w.get("queues", []) for w in workers))
        rss = Gauge("moderation_worker_rss_bytes", "Resident memory of each worker", ["worker"], registry=registry)
        scored = Gauge("moderation_scored_total", "Comments scored by each worker", ["worker"], registry=registry)
        batches = Gauge(
            "moderation_score_batches_total", "Batches scored by each worker", ["worker"], registry=registry
        )
        largest = Gauge(
            "moderation_score_batch_max", "Largest batch each worker scored", ["worker"], registry=registry
        )
        for w in workers:
            rss.labels(w["hostname"]).set(w.get("rss_bytes", 0))
            if "scoring" in w and "score" in w.get("queues", []):
                scored.labels(w["hostname"]).set(w["scoring"]["scored"])
                batches.labels(w["hostname"]).set(w["scoring"]["batches"])
                largest.labels(w["hostname"]).set(w["scoring"]["max_batch"])
    except Exception:
        pass  # Redis down: /readyz says so; metrics still report what the database knows
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
