"""`/ui`: the moderators' review queue, server-rendered, with a little JavaScript for the keyboard."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from service.comments.models import Moderation
from service.extensions import db
from service.queueing import enqueue_delivery, enqueue_learning
from service.review import auth, overview, store
from service.review.models import ROLES, Moderator
from service.sites.models import Site
from service.sites.policy import OPTIONAL_LABELS, TOXICITY_LABELS, effective_policy
from service.sites.store import SiteError, create_site, rotate_api_key, update_site
from service.webhooks.models import WebhookEvent
from service.webhooks.store import latest_events, redeliver

blp = Blueprint("review", __name__, url_prefix="/ui", template_folder="templates", static_folder="static")

REASON_CODES = [f"toxicity.{label}" for label in (*TOXICITY_LABELS, *OPTIONAL_LABELS)] + [
    "spam.score",
    "spam.links",
    "words.blocked",
    "words.watched",
    "scoring.failed",
]


@blp.before_request
def protect() -> None:
    g.csrf_token = auth.csrf_token()
    if request.method == "POST":
        auth.check_csrf()


@blp.after_request
def no_store(response: Any) -> Any:
    # Pages carry comments and personal data: never cached, never framed elsewhere, no inline scripts.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    return response


@blp.errorhandler(HTTPException)
def ui_error(exc: HTTPException) -> Any:
    """Errors in the UI as pages (or JSON for its scripts); the API keeps its own JSON error shape."""
    if request.headers.get("Accept", "").startswith("application/json"):
        return jsonify(error=exc.description, code=exc.code), exc.code
    return render_template("review/error.html", error=exc), exc.code


def _site_ids() -> list[str]:
    return [s.id for s in store.visible_sites(g.moderator)]


def _deliver(outcome: store.Outcome) -> None:
    for event_id in outcome.events:
        enqueue_delivery(event_id)
    for verdict_id in outcome.verdicts:
        enqueue_learning(verdict_id)


def _safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: a login link must not send anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


# --- login ---


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error, status = None, 200
    email = request.form.get("email", "")
    if request.method == "POST":
        wait = auth.login_blocked_for(email)
        if wait:
            error, status = f"Too many failed attempts. Try again in {max(1, wait // 60)} minutes.", 429
        else:
            moderator = store.check_login(email, request.form.get("password", ""))
            if moderator is None:
                auth.note_failed_login(email)
                error, status = "That email and password do not match an account.", 401
            else:
                auth.clear_failed_logins(email)
                auth.log_in(moderator)
                return redirect(_safe_next(request.args.get("next"), url_for("review.queue")))
    return render_template("review/login.html", error=error, email=email), status


@blp.route("/logout", methods=["POST"])
@auth.login_required
def logout() -> Any:
    store.end_sessions(g.moderator)
    session.clear()
    return redirect(url_for("review.login"))


# --- the queue and one comment ---


@blp.route("/")
def home() -> Any:
    return redirect(url_for("review.queue"))


def _filter(args: Any = None) -> store.QueueFilter:
    """The queue's filter from its query string (this request's, or the one of the queue page we came from)."""
    args = request.args if args is None else args
    tab = args.get("tab", "held")
    return store.QueueFilter(
        tab=tab if tab in store.TABS else "held",
        site_id=args.get("site") or None,
        category=args.get("category") or None,
        reason=args.get("reason") or None,
        q=(args.get("q") or "").strip()[:200] or None,
    )


@blp.route("/queue")
@auth.login_required
def queue() -> Any:
    sites = store.visible_sites(g.moderator)
    site_ids = [s.id for s in sites]
    f = _filter()
    if f.site_id and f.site_id not in site_ids:
        abort(404, description="No such site.")
    rows, next_cursor = store.queue_page(site_ids, f, cursor=request.args.get("cursor"))
    return render_template(
        "review/queue.html",
        rows=rows,
        next_cursor=next_cursor,
        f=f,
        counts=store.tab_counts(site_ids, f),
        sites=sites,
        site_names={s.id: s.name for s in sites},
        reason_codes=REASON_CODES,
        events=latest_events([m.id for m in rows]),
        args={k: v for k, v in request.args.items() if k != "cursor"},
    )


def _found(moderation_id: str, site_ids: list[str] | None = None) -> Moderation:
    m = store.visible_moderation(site_ids if site_ids is not None else _site_ids(), moderation_id)
    if m is None:
        abort(404, description="No such comment, or not on a site you moderate.")
    return m


@blp.route("/comments/<moderation_id>")
@auth.login_required
def item(moderation_id: str) -> Any:
    site_ids = _site_ids()
    m = _found(moderation_id, site_ids)
    site = db.session.get(Site, m.site_id)
    policy = effective_policy(site.policy)
    events = list(
        db.session.scalars(
            db.select(WebhookEvent)
            .where(WebhookEvent.moderation_id == m.id)
            .order_by(WebhookEvent.id.desc())
            .limit(5)
        )
    )
    back = _safe_next(request.args.get("back"), url_for("review.queue"))
    came_from = _filter(MultiDict(parse_qsl(urlsplit(back).query)))
    prev_id, next_id = store.neighbours(site_ids, m, came_from)

    def link(other: str | None) -> str | None:
        return url_for("review.item", moderation_id=other, back=back) if other else None

    return render_template(
        "review/item.html",
        m=m,
        site=site,
        policy=policy,
        history=store.author_history(m),
        parent=store.parent_of(m),
        events=events,
        back=back,
        prev_url=link(prev_id),
        next_url=link(next_id),
    )


def _answer(outcome: store.Outcome, message: str, back: str) -> Any:
    if request.headers.get("Accept", "").startswith("application/json"):
        return jsonify(message=message, done=len(outcome.events), skipped=outcome.skipped)
    flash(message)
    return redirect(back)


@blp.route("/comments/<moderation_id>/decision", methods=["POST"])
@auth.login_required
def decide(moderation_id: str) -> Any:
    action = request.form.get("action", "")
    if action not in store.ACTIONS:
        abort(400, description="Unknown action.")
    m = _found(moderation_id)
    outcome = store.act(g.moderator, [m], action, max_age=current_app.config["WEBHOOK_MAX_AGE"])
    _deliver(outcome)
    words = {"approve": "Approved", "reject_spam": "Rejected as spam", "reject_toxic": "Rejected as toxic"}
    message = f"{words[action]}." if outcome.events else "Not scored yet: nothing was changed."
    return _answer(outcome, message, _safe_next(request.form.get("back"), url_for("review.queue")))


@blp.route("/bulk", methods=["POST"])
@auth.login_required
def bulk() -> Any:
    action = request.form.get("action", "")
    if action not in store.ACTIONS:
        abort(400, description="Unknown action.")
    comments = store.visible_moderations(_site_ids(), request.form.getlist("ids")[:500])
    if not comments:
        abort(400, description="Select one or more comments first.")
    outcome = store.act(g.moderator, comments, action, max_age=current_app.config["WEBHOOK_MAX_AGE"])
    _deliver(outcome)
    message = f"{len(outcome.events)} comment{'s' if len(outcome.events) != 1 else ''} updated."
    return _answer(outcome, message, _safe_next(request.form.get("back"), url_for("review.queue")))


@blp.route("/undo", methods=["POST"])
@auth.login_required
def undo() -> Any:
    entries, outcome = store.undo_last(g.moderator, max_age=current_app.config["WEBHOOK_MAX_AGE"])
    _deliver(outcome)
    if not entries:
        message = "Nothing to undo."
    else:
        message = f"Undone: {entries[0].action.replace('_', ' ')} on {len(outcome.events)} comment(s)."
        if outcome.skipped:
            message += f" {len(outcome.skipped)} changed since and were left as they are."
    return _answer(outcome, message, _safe_next(request.form.get("back"), url_for("review.queue")))


# --- audit, overview, webhooks ---


@blp.route("/audit")
@auth.login_required
def audit() -> Any:
    before = request.args.get("before", type=int)
    entries = store.audit_page(_site_ids(), before_id=before)
    return render_template("review/audit.html", entries=entries)


@blp.route("/overview")
@auth.login_required
def overview_page() -> Any:
    site_ids = _site_ids()
    days = overview.decisions_per_day(site_ids)
    health = overview.webhook_health(site_ids)
    return render_template(
        "review/overview.html",
        chart=overview.bar_chart(days),
        days=days,
        kinds=overview.KINDS,
        depth=overview.queue_depth(site_ids),
        health=health,
        oldest=overview.human_age(health["oldest_undelivered_seconds"]),
        model=overview.model_in_use(),
    )


@blp.route("/webhooks")
@auth.login_required
def webhooks() -> Any:
    return render_template("review/webhooks.html", events=store.failed_events(_site_ids()))


@blp.route("/webhooks/<event_id>/redeliver", methods=["POST"])
@auth.login_required
def redeliver_event(event_id: str) -> Any:
    event = db.session.get(WebhookEvent, event_id)
    if event is None or event.site_id not in _site_ids():
        abort(404, description="No such webhook event.")
    redeliver(event, max_age=current_app.config["WEBHOOK_MAX_AGE"])
    enqueue_delivery(event.id)
    flash(f"Event {event.id} queued for delivery again.")
    return redirect(url_for("review.webhooks"))


# --- administration ---


@blp.route("/admin", methods=["GET", "POST"])
@auth.admin_required
def admin() -> Any:
    created = None
    if request.method == "POST":
        try:
            if request.form.get("form") == "site":
                site, key, secret = create_site(
                    name=request.form.get("name", "").strip(),
                    webhook_url=request.form.get("webhook_url", "").strip(),
                )
                created = {"site": site.name, "api_key": key, "webhook_secret": secret}
            else:
                store.create_moderator(
                    email=request.form.get("email", ""),
                    password=request.form.get("password", ""),
                    role=request.form.get("role", "moderator"),
                    sites=_admin_sites(request.form.getlist("sites")),
                )
                flash("Moderator created.")
        except (SiteError, store.AccountError) as exc:
            db.session.rollback()
            flash(f"Not done: {exc}.")
    return render_template("review/admin.html", **_admin_page(), created=created)


def _admin_page() -> dict:
    return {"sites": store.visible_sites(g.moderator), "moderators": store.list_moderators(), "roles": ROLES}


def _admin_sites(names: list[str]) -> list[Site]:
    return list(db.session.scalars(db.select(Site).where(Site.name.in_(names))))


@blp.route("/admin/moderators/<moderator_id>", methods=["POST"])
@auth.admin_required
def admin_moderator(moderator_id: str) -> Any:
    moderator = db.session.get(Moderator, moderator_id)
    if moderator is None:
        abort(404, description="No such moderator.")
    try:
        if request.form.get("remove"):
            store.remove_moderator(moderator, by=g.moderator)
            flash(f"Removed {moderator.email}.")
        else:
            store.update_moderator(moderator, role=request.form.get("role", "moderator"),
                                   sites=_admin_sites(request.form.getlist("sites")),
                                   password=request.form.get("password") or None, by=g.moderator)  # fmt: skip
            flash(f"Saved {moderator.email}.")
    except store.AccountError as exc:
        db.session.rollback()
        flash(f"Not done: {exc}.")
    return redirect(url_for("review.admin"))


@blp.route("/admin/sites/<site_id>", methods=["POST"])
@auth.admin_required
def admin_site(site_id: str) -> Any:
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404, description="No such site.")
    if request.form.get("rotate_key"):
        key = rotate_api_key(site)
        return render_template("review/admin.html", **_admin_page(), created={"site": site.name, "api_key": key})
    try:
        update_site(site, webhook_url=request.form.get("webhook_url", "").strip())
        flash(f"Saved {site.name}.")
    except SiteError as exc:
        db.session.rollback()
        flash(f"Not done: {exc}.")
    return redirect(url_for("review.admin"))
