"""Store functions on a real (SQLite) database: sites and keys, decisions, webhook events."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from flask import Flask, current_app
from marshmallow import ValidationError

from service.comments import decisions, store
from service.extensions import db, redis_client
from service.pagination import CursorError, decode_cursor, encode_cursor
from service.sites import store as sites
from service.timeutil import utcnow
from service.webhooks import store as events
from service.webhooks.models import WebhookAttempt, WebhookEvent


def make_site(name: str = "blog"):  # type: ignore[no-untyped-def]
    return sites.create_site(name=name, webhook_url="http://127.0.0.1:9/hook")


def decide(moderation_id: str, revision: int, decision: str = "approve", category: str | None = None):  # type: ignore[no-untyped-def]
    """Store one automatic decision; its event, or None if nothing was stored."""
    made = decisions.AutoDecision(
        moderation_id, revision, decision, category, scores={"spam": 0}, reasons=[], models={}
    )
    stored = decisions.store_decisions([made], max_age=3600)
    return db.session.get(WebhookEvent, stored[0][1]) if stored else None


def claim(event_id: str):  # type: ignore[no-untyped-def]
    return events.claim_event(event_id, redis=redis_client(current_app), lease_seconds=30)


def test_api_keys_are_stored_hashed_and_rotate(app: Flask) -> None:
    """Is the key never stored in clear, and does rotation retire the old key (after a grace period)?"""
    site, key, _ = make_site()
    assert site.api_keys[0].key_hash != key and key not in json.dumps([k.key_hash for k in site.api_keys])
    assert sites.site_for_key(key).id == site.id and sites.site_for_key("mk_wrong") is None
    new = sites.rotate_api_key(site, grace=timedelta(hours=1))
    assert sites.site_for_key(key).id == site.id and sites.site_for_key(new).id == site.id
    newer = sites.rotate_api_key(site)
    assert sites.site_for_key(key) is None and sites.site_for_key(new) is None
    assert sites.site_for_key(newer).id == site.id


def test_secret_rotation_keeps_the_old_secret_signing_for_the_grace(app: Flask) -> None:
    site, _, secret = make_site()
    new = sites.rotate_webhook_secret(site, grace=timedelta(hours=2))
    assert sites.active_secrets(site) == [secret, new]
    assert sites.rotate_webhook_secret(site, grace=timedelta(0)) not in (secret, new)
    assert len(sites.active_secrets(site)) == 1


def test_site_names_urls_and_policies_are_validated(app: Flask) -> None:
    make_site("taken")
    with pytest.raises(sites.SiteError, match="exists"):
        make_site("taken")
    with pytest.raises(sites.SiteError, match="http"):
        sites.create_site(name="x", webhook_url="ftp://x")
    with pytest.raises(ValidationError) as err:
        sites.create_site(
            name="y", webhook_url="http://x", policy={"toxicity": {"insult": {"hold": 0.9, "reject": 0.5}}}
        )
    assert "hold" in json.dumps(err.value.messages)
    with pytest.raises(ValidationError):
        sites.create_site(name="z", webhook_url="http://x", policy={"max_links": -1})


def test_intake_creates_repeats_and_edits(app: Flask) -> None:
    site, _, _ = make_site()
    m, outcome = store.intake(site, {"comment_id": "1", "content": "hello"})
    assert outcome == "created" and m.revision == 1 and m.status == "pending"
    again, outcome = store.intake(site, {"comment_id": "1", "content": "hello"})
    assert outcome == "repeat" and again.id == m.id
    edited, outcome = store.intake(site, {"comment_id": "1", "content": "hello again"})
    assert outcome == "edited" and edited.id == m.id and edited.revision == 2


def test_decision_is_stored_once_per_revision_with_its_event(app: Flask) -> None:
    """Does a repeat or stale scoring result change nothing and create no second event?"""
    site, _, _ = make_site()
    m, _ = store.intake(site, {"comment_id": "1", "content": "hello"})
    event = decide(m.id, 1)
    assert event is not None and json.loads(event.body)["data"]["status"] == "approved"
    assert decide(m.id, 1) is None
    store.intake(site, {"comment_id": "1", "content": "edited"})
    assert decide(m.id, 1) is None  # the result for the old text is dropped
    assert db.session.query(WebhookEvent).count() == 1
    assert decide(m.id, 2) is not None


def test_a_batch_of_decisions_is_one_transaction(app: Flask) -> None:
    """Is a batch stored whole or not at all, so a failure mid-batch leaves every comment pending?"""
    site, _, _ = make_site()
    a, _ = store.intake(site, {"comment_id": "a", "content": "one"})
    b, _ = store.intake(site, {"comment_id": "b", "content": "two"})
    good = decisions.AutoDecision(a.id, 1, "approve", None, {"spam": 0}, [], {})
    bad = decisions.AutoDecision(b.id, 1, "explode", None, {"spam": 0}, [], {})
    with pytest.raises(KeyError):
        decisions.store_decisions([good, bad], max_age=60)
    assert {m.status for m in db.session.query(store.Moderation)} == {"pending"}
    assert db.session.query(WebhookEvent).count() == 0
    assert len(decisions.store_decisions([good], max_age=60)) == 1


def test_newer_decision_supersedes_an_undelivered_older_event(app: Flask) -> None:
    """Is an older, undelivered decision withdrawn so it can never arrive after the newer one?"""
    site, _, _ = make_site()
    m, _ = store.intake(site, {"comment_id": "1", "content": "hello"})
    first = decide(m.id, 1, "hold", "spam")
    second, _ = store.apply_verdict(m, decision="approve", category=None, note=None, max_age=60)
    assert db.session.get(WebhookEvent, first.id).state == "superseded"
    assert second.state == "pending" and claim(first.id) is None


def test_claim_leases_an_event_to_one_worker_until_released(app: Flask) -> None:
    """Can only one worker hold an event at a time, and another take it once released?"""
    site, _, _ = make_site()
    m, _ = store.intake(site, {"comment_id": "1", "content": "hello"})
    event = decide(m.id, 1)
    held = claim(event.id)
    assert held is not None and claim(event.id) is None
    events.release_event(event.id, "not-the-token", redis=redis_client(current_app))
    assert claim(event.id) is None  # only the holder's token releases it
    events.release_event(event.id, held[1], redis=redis_client(current_app))
    assert claim(event.id) is not None


def test_failed_attempts_back_off_then_give_up_after_the_window(app: Flask) -> None:
    """Are failures retried later and later, until the retry window closes and the event fails?"""
    site, _, _ = make_site()
    m, _ = store.intake(site, {"comment_id": "1", "content": "hello"})
    event = decide(m.id, 1)
    steps = []
    for _ in range(4):
        before = utcnow()
        events.record_attempt(
            event, status_code=500, error="HTTP 500", duration_ms=3, retry_base=10, retry_cap=3600
        )
        steps.append((event.next_attempt_at - before).total_seconds())
    assert event.state == "retrying" and event.attempts == 4
    assert 5 <= steps[0] <= 10.5 and 40 <= steps[3] <= 80.5
    event.retry_until = utcnow()
    events.record_attempt(event, status_code=None, error="refused", duration_ms=1, retry_base=10, retry_cap=3600)
    assert event.state == "failed" and db.session.query(WebhookAttempt).filter_by(event_id=event.id).count() == 5
    assert claim(event.id) is None
    events.redeliver(event, max_age=60)
    assert event.state == "pending" and claim(event.id) is not None


def test_backoff_is_exponential_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [events.backoff_delay(n, base=2, cap=60, rng=rng) for n in range(1, 10)]
    for n, d in enumerate(delays, start=1):
        step = min(60, 2 * 2 ** (n - 1))
        assert step / 2 <= d <= step
    assert len({round(d, 3) for d in delays}) == len(delays)


def test_cursor_pages_and_foreign_cursors(app: Flask) -> None:
    site, _, _ = make_site()
    for i in range(3):
        store.intake(site, {"comment_id": str(i), "content": f"c{i}"})
    page, cursor = store.list_moderations(site, limit=2)
    assert [m.comment_id for m in page] == ["2", "1"] and cursor
    page, cursor = store.list_moderations(site, limit=2, cursor=cursor)
    assert [m.comment_id for m in page] == ["0"] and cursor is None
    with pytest.raises(CursorError):
        decode_cursor("!!!", "mod_")
    with pytest.raises(CursorError):
        decode_cursor(encode_cursor("msg_01"), "mod_")
