"""The overview page's figures: decisions per day by kind, queue depth, webhook health, the model in use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from service.comments.models import Moderation
from service.extensions import db
from service.health.routes import live_workers
from service.timeutil import utcnow
from service.webhooks.models import WebhookEvent

KINDS = ("approve", "hold", "reject", "moderator")
DAYS = 14


def decisions_per_day(site_ids: list[str]) -> list[dict[str, Any]]:
    """For each of the last DAYS days (oldest first): automatic approvals, holds, rejections, and
    moderators' verdicts."""
    today = utcnow().date()
    since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS - 1)
    day = func.date(Moderation.decided_at)
    rows = db.session.execute(
        select(day, Moderation.decided_by, Moderation.decision, func.count())
        .where(Moderation.site_id.in_(site_ids), Moderation.decided_at >= since)
        .group_by(day, Moderation.decided_by, Moderation.decision)
    ).all()
    days = {str(today - timedelta(days=i)): dict.fromkeys(KINDS, 0) for i in range(DAYS - 1, -1, -1)}
    for d, decided_by, decision, n in rows:
        kind = "moderator" if decided_by == "moderator" else decision
        if str(d) in days and kind in KINDS:
            days[str(d)][kind] += n
    return [{"day": d, **counts} for d, counts in days.items()]


def queue_depth(site_ids: list[str]) -> dict[str, int]:
    rows = db.session.execute(
        select(Moderation.status, func.count())
        .where(Moderation.site_id.in_(site_ids), Moderation.status.in_(["held", "pending"]))
        .group_by(Moderation.status)
    ).all()
    return {"held": 0, "pending": 0, **dict(rows)}


def webhook_health(site_ids: list[str]) -> dict[str, Any]:
    """Failed events, events retrying, and the age of the oldest event not yet delivered."""
    mine = WebhookEvent.site_id.in_(site_ids)
    failed = db.session.scalar(select(func.count()).where(mine, WebhookEvent.state == "failed")) or 0
    retrying = (
        db.session.scalar(
            select(func.count()).where(mine, WebhookEvent.state == "pending", WebhookEvent.attempts > 0)
        )
        or 0
    )
    oldest = db.session.scalar(
        select(func.min(WebhookEvent.created_at)).where(mine, WebhookEvent.state != "delivered")
    )
    age = None
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=utcnow().tzinfo)
        age = max(0.0, (utcnow() - oldest).total_seconds())
    return {"failed": failed, "retrying": retrying, "oldest_undelivered_seconds": age}


def model_in_use() -> dict[str, Any]:
    try:
        scorers = [w["toxicity"] for w in live_workers() if w.get("toxicity")]
    except Exception as exc:
        return {"name": None, "detail": f"Redis unreachable: {exc}"}
    if not scorers:
        return {"name": None, "detail": "no score worker is running"}
    return {**scorers[0], "configured": current_app.config["TOXICITY_MODEL"]}


def bar_chart(days: list[dict[str, Any]], *, width: int = 640, height: int = 180) -> dict[str, Any]:
    """Stacked bars for the template to draw as SVG: one column per day, one block per kind."""
    top = max([sum(d[k] for k in KINDS) for d in days] + [1])
    step = width / len(days)
    columns = []
    for i, d in enumerate(days):
        y, blocks = height, []
        for kind in KINDS:
            h = d[kind] / top * (height - 20)
            if h:
                y -= h
                blocks.append({"kind": kind, "y": round(y, 1), "h": round(h, 1), "n": d[kind]})
        columns.append({"x": round(i * step + 2, 1), "w": round(step - 4, 1), "day": d["day"], "blocks": blocks})
    return {"width": width, "height": height, "top": top, "columns": columns}


def human_age(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"
