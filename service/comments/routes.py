"""`/v1/comments`: intake, records, listing and human verdicts, for blog platforms."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from service.auth import enforce_rate_limit, require_site
from service.comments import bursts, store
from service.comments.records import to_record
from service.comments.schemas import (
    CommentInSchema,
    DecisionInSchema,
    ListQuerySchema,
    ModerationPageSchema,
    ModerationSchema,
)
from service.comments.waiting import requested_wait, wait_for_decision
from service.extensions import redis_client
from service.pagination import CursorError
from service.queueing import enqueue_scoring, enqueue_verdict
from service.sites.policy import effective_policy
from service.webhooks.store import latest_events

blp = Blueprint(
    "comments",
    __name__,
    url_prefix="/v1/comments",
    description="Post comments for moderation and read the decisions.",
)


@blp.before_request
def authenticate() -> None:
    enforce_rate_limit(require_site())


def _record(m: Any) -> dict:
    return to_record(m, latest_events([m.id]).get(m.id))


def _found(moderation_id: str) -> Any:
    m = store.get_moderation(g.site, moderation_id)
    if m is None:
        abort(404, message=f"No comment {moderation_id!r} on this site.")
    return m


@blp.route("")
class Comments(MethodView):
    @blp.arguments(CommentInSchema)
    @blp.response(202, ModerationSchema, description="Accepted; the decision comes by webhook.")
    @blp.alt_response(200, schema=ModerationSchema, description="The decision is already known.")
    def post(self, data: dict) -> Any:
        """Submit a comment for moderation

        The same `comment_id` with the same content returns the stored record; with new content it is an
        edit and is moderated again. `Prefer: wait=N` (N ≤ 10) holds the answer up to N seconds for the
        decision.
        """
        m, outcome = store.intake(g.site, data)
        if outcome == "created":
            window = effective_policy(g.site.policy)["burst_window_minutes"]
            bursts.note_arrival(redis_client(current_app), m, window)
        if outcome != "repeat":
            enqueue_scoring(m.id, m.revision)
        headers = {"Location": url_for("comments.CommentById", moderation_id=m.id)}
        wait = requested_wait(request.headers.get("Prefer"), current_app.config["PREFER_WAIT_MAX"])
        waited = bool(wait) and m.status == "pending"
        if waited:
            wait_for_decision(m.id, m.revision, wait)
            headers["Preference-Applied"] = f"wait={wait}"
        # A comment just created, and not waited on, has no webhook event yet: no need to look for one.
        record = to_record(m) if outcome == "created" and not waited else _record(m)
        return record, (202 if record["status"] == "pending" else 200), headers

    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, ModerationPageSchema)
    def get(self, args: dict) -> dict:
        """List the site's moderation records, newest first"""
        try:
            rows, next_cursor = store.list_moderations(g.site, **args)
        except CursorError:
            abort(400, message="Invalid cursor.", errors={"query": {"cursor": ["Not a cursor from this API."]}})
        events = latest_events([m.id for m in rows])
        return {"items": [to_record(m, events.get(m.id)) for m in rows], "next_cursor": next_cursor}


@blp.route("/<moderation_id>")
class CommentById(MethodView):
    @blp.response(200, ModerationSchema)
    def get(self, moderation_id: str) -> dict:
        """Read one moderation record"""
        return _record(_found(moderation_id))


@blp.route("/<moderation_id>/decision")
class CommentDecision(MethodView):
    @blp.arguments(DecisionInSchema)
    @blp.response(200, ModerationSchema)
    def post(self, data: dict, moderation_id: str) -> dict:
        """Record a human verdict

        The verdict is sent to the platform by webhook (`decided_by: "moderator"`) and teaches the spam
        filter, like Akismet's submit-spam and submit-ham.
        """
        m = _found(moderation_id)
        category = data.get("category")
        if data["decision"] == "reject" and category is None:
            category = m.category
        event, verdict = store.apply_verdict(
            m,
            decision=data["decision"],
            category=category,
            note=data.get("note"),
            max_age=current_app.config["WEBHOOK_MAX_AGE"],
        )
        enqueue_verdict(event.id, verdict.id if verdict is not None else None)
        return _record(m)
