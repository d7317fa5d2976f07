"""Burst counters in a real Redis: by arrival, whatever order the workers score in."""

from __future__ import annotations

from flask import Flask, current_app

from service.comments import bursts, store
from service.extensions import redis_client
from service.sites.store import create_site


def test_counts_follow_arrival_not_scoring_order(app: Flask) -> None:
    """Scored last-first by parallel workers, does each comment still count the ones that came before it?"""
    site, _, _ = create_site(name="burst", webhook_url="http://127.0.0.1:9/x")
    redis = redis_client(current_app)
    made = []
    for i in range(6):
        m, _ = store.intake(site, {"comment_id": f"b{i}", "content": f"hello {i}",
                                   "author": {"ip": "203.0.113.7", "email": f"p{i}@example.org"}})  # fmt: skip
        bursts.note_arrival(redis, m, 10)  # what the API does on intake
        made.append(m)
    seen = {m.comment_id: bursts.note(redis, m, 10) for m in reversed(made)}  # what the workers do, any order
    assert [seen[f"b{i}"]["ip"] for i in range(6)] == [1, 2, 3, 4, 5, 6]
    assert all(seen[f"b{i}"]["email"] == 1 for i in range(6))  # a new address each time
    assert bursts.note(redis, made[5], 10)["ip"] == 6  # noting again counts nothing twice
    other, _, _ = create_site(name="other", webhook_url="http://127.0.0.1:9/x")
    m, _ = store.intake(other, {"comment_id": "x", "content": "hi", "author": {"ip": "203.0.113.7"}})
    assert bursts.note(redis, m, 10) == {"ip": 1}  # sites are counted apart
