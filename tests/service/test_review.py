"""The review queue's store and the UI's safety, on a real database and Redis (no browser)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from service.comments import store as comments
from service.comments.decisions import AutoDecision, store_decisions
from service.extensions import db
from service.review import store
from service.review.models import AuditEntry
from service.sites.store import create_site
from service.spam.models import SpamVerdict

PASSWORD = "correct horse battery"


def decided(site, comment_id: str, decision: str, risk: float, **extra):  # type: ignore[no-untyped-def]
    m, _ = comments.intake(site, {"comment_id": comment_id, "content": f"comment {comment_id}", **extra})
    reasons = (
        [{"code": "spam.score", "score": risk, "threshold": 0.5, "message": "spammy"}]
        if decision != "approve"
        else []
    )
    scores = {"toxicity": {"toxicity": risk / 2}, "spam": risk}
    category = "spam" if decision != "approve" else None
    store_decisions([AutoDecision(m.id, 1, decision, category, scores, reasons, {})], max_age=60)
    return db.session.get(comments.Moderation, m.id, populate_existing=True)


def test_held_comments_come_riskiest_first_and_every_page_holds_each_once(app: Flask) -> None:
    """Do keyset pages over held comments (with tied risks) list each exactly once, riskiest first?"""
    site, _, _ = create_site(name="q", webhook_url="http://127.0.0.1:9/x")
    risks = [0.9, 0.5, 0.5, 0.5, 0.7, 0.2, 0.5, 0.95]
    made = [decided(site, f"c{i}", "hold", r) for i, r in enumerate(risks)]
    decided(site, "ok", "approve", 0.01)
    seen, cursor = [], None
    while True:
        rows, cursor = store.queue_page([site.id], store.QueueFilter(tab="held"), cursor=cursor, limit=3)
        seen += rows
        if cursor is None:
            break
    assert sorted(m.id for m in seen) == sorted(m.id for m in made)
    assert [m.risk for m in seen] == sorted(risks, reverse=True)
    counts = store.tab_counts([site.id], store.QueueFilter())
    assert counts == {"held": 8, "rejected": 0, "approved": 1, "all": 9}


def test_filters_and_search_find_by_reason_email_ip_and_text(app: Flask) -> None:
    site, _, _ = create_site(name="f", webhook_url="http://127.0.0.1:9/x")
    decided(site, "a", "hold", 0.6, author={"email": "Spammer@Example.org", "ip": "203.0.113.9"})
    decided(site, "b", "approve", 0.1, author={"name": "Bea"})
    everyone = [site.id]

    def ids(**f: str) -> list[str]:
        return [
            m.comment_id for m in store.queue_page(everyone, store.QueueFilter(tab="all", **f), cursor=None)[0]
        ]

    assert ids(reason="spam.score") == ["a"] and ids(reason="spam") == []  # whole codes only
    assert ids(q="spammer@example.org") == ["a"] and ids(q="203.0.113.9") == ["a"]
    assert ids(q="Bea") == ["b"] and ids(q="comment b") == ["b"] and ids(q="100%_") == []
    assert ids(category="spam") == ["a"]
    assert store.tab_counts(everyone, store.QueueFilter(q="Bea"))["all"] == 1


def test_an_action_is_audited_and_undo_restores_state_and_withdraws_the_verdict(app: Flask) -> None:
    """Does undo put a comment back as it was, take back its spam verdict, and log both acts?"""
    site, _, _ = create_site(name="u", webhook_url="http://127.0.0.1:9/x")
    mod = store.create_moderator(email="M@example.org", password=PASSWORD, sites=[site])
    m = decided(site, "h", "hold", 0.6)
    out = store.act(mod, [m], "reject_spam", max_age=60)
    assert len(out.events) == 1 and len(out.verdicts) == 1
    assert (m.status, m.category, m.decided_by) == ("rejected", "spam", "moderator")
    assert db.session.scalar(db.select(SpamVerdict.label).filter_by(moderation_id=m.id)) == "spam"
    entries, undone = store.undo_last(mod, max_age=60)
    assert len(entries) == 1 and not undone.skipped and len(undone.events) == 1
    db.session.refresh(m)
    assert (m.status, m.category, m.decided_by) == ("held", "spam", "auto")
    assert db.session.scalar(db.select(SpamVerdict.label).filter_by(moderation_id=m.id)) is None
    log = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.before["status"], e.after["status"]) for e in log] == [
        ("reject_spam", "held", "rejected"), ("undo", "rejected", "held")]  # fmt: skip
    assert log[0].undone_at is not None and log[0].moderator_email == "m@example.org"
    assert store.undo_last(mod, max_age=60)[0] == []  # nothing left to undo


def test_undo_leaves_a_comment_that_changed_since(app: Flask) -> None:
    """If someone else judged the comment after me, does my undo leave their verdict alone?"""
    site, _, _ = create_site(name="c", webhook_url="http://127.0.0.1:9/x")
    me = store.create_moderator(email="me@example.org", password=PASSWORD, sites=[site])
    other = store.create_moderator(email="other@example.org", password=PASSWORD, sites=[site])
    m = decided(site, "x", "hold", 0.6)
    store.act(me, [m], "approve", max_age=60)
    store.act(other, [m], "reject_toxic", max_age=60)
    _, out = store.undo_last(me, max_age=60)
    assert out.skipped == [m.id] and not out.events
    assert (m.status, m.category) == ("rejected", "toxic")


def test_accounts_refuse_weak_or_duplicate_and_check_passwords(app: Flask) -> None:
    site, _, _ = create_site(name="a", webhook_url="http://127.0.0.1:9/x")
    with pytest.raises(store.AccountError, match="at least 10"):
        store.create_moderator(email="x@example.org", password="short", sites=[site])
    with pytest.raises(store.AccountError, match="at least one site"):
        store.create_moderator(email="x@example.org", password=PASSWORD, sites=[])
    mod = store.create_moderator(email="x@example.org", password=PASSWORD, sites=[site])
    assert mod.password_hash.startswith("scrypt:") and PASSWORD not in mod.password_hash
    with pytest.raises(store.AccountError, match="exists already"):
        store.create_moderator(email="X@example.org", password=PASSWORD, sites=[site])
    assert store.check_login("X@Example.org ", PASSWORD).id == mod.id
    assert (
        store.check_login("x@example.org", PASSWORD + "!") is None
        and store.check_login("no@example.org", PASSWORD) is None
    )


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_logins_are_throttled_and_the_cookie_is_safe(app: Flask) -> None:
    """After five wrong passwords, is even the right one refused for a while? Is the cookie HttpOnly,
    SameSite and, over TLS, Secure? Does logout end the session?"""
    site, _, _ = create_site(name="t", webhook_url="http://127.0.0.1:9/x")
    store.create_moderator(email="t@example.org", password=PASSWORD, sites=[site])
    client = app.test_client()
    token = _token(client.get("/ui/login").text)
    for _ in range(5):
        assert (
            client.post(
                "/ui/login", data={"email": "t@example.org", "password": "nope", "csrf_token": token}
            ).status_code
            == 401
        )
    blocked = client.post("/ui/login", data={"email": "t@example.org", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text

    secure = app.test_client()
    token = _token(secure.get("/ui/login", base_url="https://mod.example").text)
    other_ip = {"REMOTE_ADDR": "198.51.100.5"}
    from service.extensions import redis_client

    redis_client(app).delete(*redis_client(app).keys("moderation:login-failures:*"))
    answer = secure.post("/ui/login", base_url="https://mod.example", environ_base=other_ip,
                         data={"email": "t@example.org", "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    page = secure.get("/ui/queue", base_url="https://mod.example")
    assert page.status_code == 200 and page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    assert secure.post("/ui/logout", base_url="https://mod.example", data={"csrf_token": csrf}).status_code == 302
    assert secure.get("/ui/queue", base_url="https://mod.example").status_code == 302  # back to the login page


def test_login_only_redirects_within_the_site(app: Flask) -> None:
    site, _, _ = create_site(name="r", webhook_url="http://127.0.0.1:9/x")
    store.create_moderator(email="r@example.org", password=PASSWORD, sites=[site])
    client = app.test_client()
    token = _token(client.get("/ui/login").text)
    answer = client.post("/ui/login?next=//evil.example/x", data={"email": "r@example.org", "password": PASSWORD,
                                                                 "csrf_token": token})  # fmt: skip
    assert answer.headers["Location"] == "/ui/queue"


def test_neighbours_follow_the_queue_order(app: Flask) -> None:
    site, _, _ = create_site(name="n", webhook_url="http://127.0.0.1:9/x")
    low, high, mid = (decided(site, c, "hold", r) for c, r in (("low", 0.2), ("high", 0.9), ("mid", 0.5)))
    held = store.QueueFilter(tab="held")
    assert store.neighbours([site.id], high, held) == (None, mid.id)
    assert store.neighbours([site.id], mid, held) == (high.id, low.id)
    assert store.neighbours([site.id], low, held) == (mid.id, None)
    newest_first = store.QueueFilter(tab="all")
    assert store.neighbours([site.id], high, newest_first) == (mid.id, low.id)
    assert store.neighbours([site.id], high, store.QueueFilter(tab="held", site_id="site_other")) == (None, None)


def test_admins_change_roles_sites_and_passwords_but_not_their_own_standing(app: Flask) -> None:
    a, _, _ = create_site(name="sa", webhook_url="http://127.0.0.1:9/x")
    b, _, _ = create_site(name="sb", webhook_url="http://127.0.0.1:9/x")
    boss = store.create_moderator(email="boss@example.org", password=PASSWORD, role="admin", sites=[])
    mod = store.create_moderator(email="m@example.org", password=PASSWORD, sites=[a])
    token = mod.session_token
    store.update_moderator(mod, role="moderator", sites=[b], by=boss)
    assert [s.name for s in mod.sites] == ["sb"] and mod.session_token == token
    store.update_moderator(mod, role="moderator", sites=[b], password="another long one", by=boss)
    assert mod.session_token != token and store.check_login("m@example.org", "another long one") is not None
    with pytest.raises(store.AccountError, match="own admin role"):
        store.update_moderator(boss, role="moderator", sites=[a], by=boss)
    with pytest.raises(store.AccountError, match="own account"):
        store.remove_moderator(boss, by=boss)
    store.remove_moderator(mod, by=boss)
    assert [m.email for m in store.list_moderators()] == ["boss@example.org"]
    assert {s.name for s in store.visible_sites(boss)} == {"sa", "sb"}
