"""Store functions for moderators and their work: accounts, the review queue, verdicts, the audit log, undo."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from service.comments.models import STATUS_OF_DECISION, Moderation
from service.comments.store import apply_verdict
from service.extensions import db
from service.ids import new_id
from service.review.models import ROLES, AuditEntry, Moderator
from service.sites.models import Site
from service.spam.models import SpamVerdict
from service.timeutil import isoformat, utcnow
from service.webhooks.models import WebhookEvent
from service.webhooks.store import create_event

# scrypt (Werkzeug's default KDF): memory-hard, in the standard library, salted per password.
PASSWORD_METHOD = "scrypt"
MIN_PASSWORD = 10
TABS = ("held", "rejected", "approved", "all")
ACTIONS = {
    "approve": ("approve", None),
    "reject_spam": ("reject", "spam"),
    "reject_toxic": ("reject", "toxic"),
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_IP = re.compile(r"[0-9.]{7,15}|[0-9a-fA-F:]*:[0-9a-fA-F:.]+")
# A hash to check against when no account matches, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8), method=PASSWORD_METHOD)


class AccountError(ValueError):
    """A moderator account cannot be made or changed as asked; the message says why."""


# --- accounts ---


def create_moderator(*, email: str, password: str, role: str = "moderator", sites: list[Site]) -> Moderator:
    """A new moderator (or admin) who may act on these sites."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if db.session.scalar(select(Moderator).where(Moderator.email == email)):
        raise AccountError(f"a moderator with email {email} exists already")
    if role == "moderator" and not sites:
        raise AccountError("a moderator needs at least one site (--site NAME)")
    moderator = Moderator(
        email=email, role=role, password_hash=generate_password_hash(password, method=PASSWORD_METHOD)
    )
    moderator.sites = list(sites)
    db.session.add(moderator)
    db.session.commit()
    return moderator


def check_login(email: str, password: str) -> Moderator | None:
    """The moderator with this email and password, or None (in about the same time either way)."""
    moderator = db.session.scalar(select(Moderator).where(Moderator.email == email.strip().lower()))
    if moderator is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(moderator.password_hash, password):
        return None
    moderator.last_login_at = utcnow()
    db.session.commit()
    return moderator


def end_sessions(moderator: Moderator) -> None:
    """Invalidate every session cookie of this moderator (logout)."""
    moderator.session_token = secrets.token_urlsafe(24)
    db.session.commit()


def update_moderator(
    moderator: Moderator, *, role: str, sites: list[Site], password: str | None = None, by: Moderator
) -> None:
    """Change a moderator's role, sites or password (a new password ends their sessions)."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if moderator.id == by.id and role != "admin":
        raise AccountError("you cannot take away your own admin role")
    if role == "moderator" and not sites:
        raise AccountError("a moderator needs at least one site")
    if password:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
        moderator.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
        moderator.session_token = secrets.token_urlsafe(24)
    moderator.role = role
    moderator.sites = list(sites)
    db.session.commit()


def remove_moderator(moderator: Moderator, *, by: Moderator) -> None:
    """Delete an account; its audit entries stay, under its email address."""
    if moderator.id == by.id:
        raise AccountError("you cannot remove your own account")
    db.session.delete(moderator)
    db.session.commit()


def list_moderators() -> list[Moderator]:
    return list(db.session.scalars(select(Moderator).order_by(Moderator.email)))


def visible_sites(moderator: Moderator) -> list[Site]:
    """The sites a moderator may see and act on: an admin's are all of them."""
    if moderator.is_admin:
        return list(db.session.scalars(select(Site).order_by(Site.name)))
    return list(moderator.sites)


# --- the queue ---


@dataclass
class QueueFilter:
    tab: str = "held"
    site_id: str | None = None
    category: str | None = None
    reason: str | None = None
    q: str | None = None


def _filtered(site_ids: list[str], f: QueueFilter) -> Select:
    if f.site_id and f.site_id not in site_ids:
        return select(Moderation).where(false())
    if f.site_id or len(site_ids) == 1:  # one site: an equality, so the (site, …) indexes give the order
        query = select(Moderation).where(Moderation.site_id == (f.site_id or site_ids[0]))
    else:
        query = select(Moderation).where(Moderation.site_id.in_(site_ids))
    if f.category in ("toxic", "spam"):
        query = query.where(Moderation.category == f.category)
    if f.reason:
        query = query.where(Moderation.reason_codes.contains(f" {f.reason} ", autoescape=True))
    if f.q:
        text = f.q.strip()
        if _EMAIL.fullmatch(text):  # an address: the indexed column alone, not a scan of every text
            query = query.where(Moderation.author_email == text.lower())
        elif _IP.fullmatch(text):
            query = query.where(Moderation.author_ip == text)
        else:
            query = query.where(
                or_(
                    Moderation.content.contains(text, autoescape=True),
                    Moderation.author_name.contains(text, autoescape=True),
                    Moderation.comment_id == text,
                )
            )
    return query


def tab_counts(site_ids: list[str], f: QueueFilter) -> dict[str, int]:
    """How many comments each tab holds under the current filters."""
    counted = _filtered(site_ids, QueueFilter(site_id=f.site_id, category=f.category, reason=f.reason, q=f.q))
    statuses = counted.with_only_columns(Moderation.status).subquery()
    rows = db.session.execute(select(statuses.c.status, func.count()).group_by(statuses.c.status)).all()
    by_status = {status: n for status, n in rows}
    counts = {tab: by_status.get(tab, 0) for tab in TABS if tab != "all"}
    counts["all"] = sum(by_status.values())
    return counts


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None
    return values if isinstance(values, list) and len(values) == 2 else None


def _in_tab(site_ids: list[str], f: QueueFilter) -> Select:
    query = _filtered(site_ids, f)
    if f.tab in STATUS_OF_DECISION.values():
        query = query.where(Moderation.status == f.tab)
    return query


# The queue's order: held comments riskiest first, the other tabs newest first. A position in it is
# (risk, id); every decided comment has a risk (its spam score at least), so the indexes give this order.


def _position(f: QueueFilter, m: Moderation) -> list:
    return [m.risk if f.tab == "held" else 0, m.id]


def _beyond(f: QueueFilter, position: list, *, ahead: bool) -> Any:
    """The rows after (`ahead`) or before a position in the tab's order."""
    risk, moderation_id = position
    if f.tab != "held":
        return Moderation.id < moderation_id if ahead else Moderation.id > moderation_id
    if ahead:
        return or_(Moderation.risk < risk, (Moderation.risk == risk) & (Moderation.id < moderation_id))
    return or_(Moderation.risk > risk, (Moderation.risk == risk) & (Moderation.id > moderation_id))


def _order(f: QueueFilter, *, ahead: bool) -> list:
    columns = (Moderation.risk, Moderation.id) if f.tab == "held" else (Moderation.id,)
    return [c.desc() for c in columns] if ahead else list(columns)


def queue_page(
    site_ids: list[str], f: QueueFilter, *, cursor: str | None, limit: int = 50
) -> tuple[list, str | None]:
    """One page of the queue and the next page's cursor: keyset pagination on an index, so the thousandth
    page costs what the first does."""
    query = _in_tab(site_ids, f)
    after = _decode(cursor) if cursor else None
    if after:
        query = query.where(_beyond(f, after, ahead=True))
    rows = list(db.session.scalars(query.order_by(*_order(f, ahead=True)).limit(limit + 1)))
    return rows[:limit], (_encode(_position(f, rows[limit - 1])) if len(rows) > limit else None)


def neighbours(site_ids: list[str], m: Moderation, f: QueueFilter) -> tuple[str | None, str | None]:
    """The comments before and after this one in the queue's order (for j/k on a comment's page)."""
    ids, here = _in_tab(site_ids, f).with_only_columns(Moderation.id), _position(f, m)
    return tuple(
        db.session.scalar(ids.where(_beyond(f, here, ahead=ahead)).order_by(*_order(f, ahead=ahead)).limit(1))
        for ahead in (False, True)
    )  # type: ignore[return-value]


def visible_moderation(site_ids: list[str], moderation_id: str) -> Moderation | None:
    m = db.session.get(Moderation, moderation_id)
    return m if m is not None and m.site_id in site_ids else None


def visible_moderations(site_ids: list[str], moderation_ids: list[str]) -> list[Moderation]:
    """Those of the comments that are on these sites, in one read (a bulk selection)."""
    query = select(Moderation).where(Moderation.id.in_(moderation_ids), Moderation.site_id.in_(site_ids))
    return list(db.session.scalars(query.order_by(Moderation.id)))


def author_history(m: Moderation, *, limit: int = 10) -> list[Moderation]:
    """The author's other comments on the site (by the platform's author id, else email), newest first."""
    if m.author_ref:
        same = Moderation.author_ref == m.author_ref
    elif m.author_email:
        same = Moderation.author_email == m.author_email
    else:
        return []
    query = select(Moderation).where(Moderation.site_id == m.site_id, Moderation.id != m.id, same)
    return list(db.session.scalars(query.order_by(Moderation.id.desc()).limit(limit)))


def parent_of(m: Moderation) -> Moderation | None:
    if not m.parent_id:
        return None
    return db.session.scalar(
        select(Moderation).where(Moderation.site_id == m.site_id, Moderation.comment_id == m.parent_id)
    )


# --- acting, the audit log, undo ---


def _state(m: Moderation) -> dict:
    verdict = db.session.scalar(select(SpamVerdict.label).where(SpamVerdict.moderation_id == m.id))
    return {
        "revision": m.revision, "status": m.status, "decision": m.decision, "category": m.category,
        "decided_by": m.decided_by, "decided_at": isoformat(m.decided_at), "reasons": m.reasons or [],
        "spam_label": verdict,
    }  # fmt: skip


@dataclass
class Outcome:
    """What an action did: the events to deliver, the verdicts to learn, and the comments it skipped."""

    events: list[str]
    verdicts: list[int]
    skipped: list[str]


def act(moderator: Moderator, comments: list[Moderation], action: str, *, max_age: float) -> Outcome:
    """A moderator's verdict on comments (one, or a bulk selection), each with its audit entry and webhook
    event in one transaction. Comments not yet scored are skipped (the worker's decision would follow)."""
    decision, category = ACTIONS[action]
    batch, out = new_id("act"), Outcome([], [], [])
    for m in comments:
        if m.status == "pending":
            out.skipped.append(m.id)
            continue
        before = _state(m)
        note = f"{'Approved' if decision == 'approve' else 'Rejected'} by {moderator.email}."
        event, verdict = apply_verdict(
            m, decision=decision, category=category, note=note, max_age=max_age, commit=False
        )
        db.session.add(AuditEntry(batch=batch, moderator_id=moderator.id, moderator_email=moderator.email,
                                  site_id=m.site_id, moderation_id=m.id, action=action, before=before,
                                  after=_state(m)))  # fmt: skip
        db.session.commit()
        out.events.append(event.id)
        if verdict is not None:
            out.verdicts.append(verdict.id)
    return out


def last_batch(moderator: Moderator) -> list[AuditEntry]:
    """The moderator's latest action not yet undone (every comment of it)."""
    latest = db.session.scalar(
        select(AuditEntry.batch)
        .where(
            AuditEntry.moderator_id == moderator.id, AuditEntry.undone_at.is_(None), AuditEntry.action != "undo"
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if latest is None:
        return []
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.batch == latest)))


def undo_last(moderator: Moderator, *, max_age: float) -> tuple[list[AuditEntry], Outcome]:
    """Take back the moderator's latest action: each comment goes back to its state before, the platform
    hears so by webhook, and the spam verdict is withdrawn or restored. A comment changed since (edited,
    or judged again by someone) is left as it is and reported as skipped."""
    entries = last_batch(moderator)
    batch, out, now = new_id("act"), Outcome([], [], []), utcnow()
    for entry in entries:
        m = db.session.get(Moderation, entry.moderation_id)
        current = _state(m)
        if {k: current[k] for k in ("revision", "status", "category")} != {
            k: entry.after.get(k) for k in ("revision", "status", "category")
        }:
            out.skipped.append(m.id)
            entry.undone_at = now
            continue
        b = entry.before
        m.status, m.decision, m.category, m.decided_by = b["status"], b["decision"], b["category"], b["decided_by"]
        m.decided_at = m.updated_at = now
        m.reasons = b["reasons"]
        event = create_event(m, max_age=max_age)
        verdict = db.session.scalar(select(SpamVerdict).where(SpamVerdict.moderation_id == m.id))
        if verdict is not None and verdict.label != b["spam_label"]:
            verdict.label, verdict.updated_at = b["spam_label"], now
        entry.undone_at = now
        db.session.add(AuditEntry(batch=batch, moderator_id=moderator.id, moderator_email=moderator.email,
                                  site_id=m.site_id, moderation_id=m.id, action="undo", before=current,
                                  after=_state(m)))  # fmt: skip
        db.session.flush()
        out.events.append(event.id)
        if verdict is not None:
            out.verdicts.append(verdict.id)
    db.session.commit()
    return entries, out


def audit_page(site_ids: list[str], *, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.site_id.in_(site_ids))
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def failed_events(site_ids: list[str], *, limit: int = 100) -> list[WebhookEvent]:
    query = select(WebhookEvent).where(WebhookEvent.site_id.in_(site_ids), WebhookEvent.state == "failed")
    return list(db.session.scalars(query.order_by(WebhookEvent.id.desc()).limit(limit)))
