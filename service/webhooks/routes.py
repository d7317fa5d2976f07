"""`/v1/webhooks/events`: a site's webhook deliveries, their attempts, and redelivery of failed ones."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from service.auth import enforce_rate_limit, require_site
from service.extensions import db
from service.pagination import CursorError
from service.queueing import enqueue_delivery
from service.timeutil import isoformat
from service.webhooks import store
from service.webhooks.models import WebhookAttempt, WebhookEvent
from service.webhooks.schemas import EventPageSchema, EventQuerySchema, EventSchema

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/v1/webhooks/events",
    description="Webhook deliveries: their state and attempts, and redelivery.",
)


@blp.before_request
def authenticate() -> None:
    enforce_rate_limit(require_site())


def event_json(e: WebhookEvent, *, attempts: bool = False) -> dict[str, Any]:
    out = {
        "id": e.id,
        "type": e.type,
        "moderation_id": e.moderation_id,
        "state": e.state,
        "attempts": e.attempts,
        "last_status": e.last_status,
        "last_error": e.last_error,
        "created_at": isoformat(e.created_at),
        "next_attempt_at": isoformat(e.next_attempt_at) if e.state in ("pending", "retrying") else None,
        "delivered_at": isoformat(e.delivered_at),
    }
    if attempts:
        rows = db.session.scalars(
            select(WebhookAttempt).where(WebhookAttempt.event_id == e.id).order_by(WebhookAttempt.id)
        )
        out["attempt_log"] = [
            {
                "attempted_at": isoformat(a.attempted_at),
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in rows
        ]
    return out


def _found(event_id: str) -> WebhookEvent:
    event = db.session.get(WebhookEvent, event_id)
    if event is None or event.site_id != g.site.id:
        abort(404, message=f"No webhook event {event_id!r} on this site.")
    return event


@blp.route("")
class Events(MethodView):
    @blp.arguments(EventQuerySchema, location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: dict) -> dict:
        """List the site's webhook events, newest first (`state=failed` for the ones to redeliver)"""
        try:
            rows, next_cursor = store.list_events(g.site.id, **args)
        except CursorError:
            abort(400, message="Invalid cursor.", errors={"query": {"cursor": ["Not a cursor from this API."]}})
        return {"items": [event_json(e) for e in rows], "next_cursor": next_cursor}


@blp.route("/<event_id>")
class EventById(MethodView):
    @blp.response(200, EventSchema)
    def get(self, event_id: str) -> dict:
        """One webhook event with every delivery attempt"""
        return event_json(_found(event_id), attempts=True)


@blp.route("/<event_id>/redeliver")
class Redeliver(MethodView):
    @blp.response(202, EventSchema)
    def post(self, event_id: str) -> dict:
        """Send an event again now, with a fresh retry window

        Meant for failed events; a delivered one may be sent again too (receivers deduplicate on its id).
        A superseded event is not sent: a newer decision about the same comment replaced it.
        """
        event = _found(event_id)
        if event.state == "superseded":
            abort(409, message="This event was superseded by a newer decision about the same comment.")
        store.redeliver(event, max_age=current_app.config["WEBHOOK_MAX_AGE"])
        enqueue_delivery(event.id)
        return event_json(event)
