"""The moderation record: the one JSON shape the API returns and every webhook carries."""

from __future__ import annotations

from typing import Any

from service.comments.models import Moderation
from service.timeutil import isoformat
from service.webhooks.models import WebhookEvent


def webhook_state(event: WebhookEvent | None) -> dict[str, Any]:
    """The delivery state of the latest webhook event about a comment."""
    if event is None:
        return {"state": "none", "attempts": 0}
    return {"state": event.state, "attempts": event.attempts}


def to_record(m: Moderation, event: WebhookEvent | None = None) -> dict[str, Any]:
    """The public record of a moderation (DESIGN.md, `GET /v1/comments/<id>`)."""
    return {
        "id": m.id,
        "comment_id": m.comment_id,
        "status": m.status,
        "decision": m.decision,
        "category": m.category,
        "decided_by": m.decided_by,
        "scores": m.scores,
        "reasons": m.reasons or [],
        "models": m.models,
        "created_at": isoformat(m.created_at),
        "decided_at": isoformat(m.decided_at),
        "webhook": webhook_state(event),
        "metadata": m.extra,
    }
