"""The spam facts the score worker gathers from the database, on a real SQLite database and Redis."""

from __future__ import annotations

from flask import Flask

from service.comments import store
from service.comments.decisions import AutoDecision, store_decisions
from service.sites.store import create_site
from workers import pipeline

RUN = "Get the best deals on designer watches, free shipping worldwide, order today from our shop number {}"


def test_near_duplicates_count_earlier_ones_in_the_same_batch_and_before_it(app: Flask) -> None:
    """Is a spam run posted together caught within its own batch, and later against what was stored?"""
    site, _, _ = create_site(name="nd", webhook_url="http://127.0.0.1:9/x")
    made = [store.intake(site, {"comment_id": f"r{i}", "content": RUN.format(i)})[0] for i in range(3)]
    other, _ = store.intake(
        site, {"comment_id": "x", "content": "A long and thoughtful reply about the loop example."}
    )
    jobs = {j.moderation_id: j for j in pipeline.gather([(m.id, 1) for m in [*made, other]])}
    assert [jobs[m.id].facts.near_duplicates for m in made] == [0, 1, 2]
    assert jobs[other.id].facts.near_duplicates == 0
    store_decisions([AutoDecision(j.moderation_id, 1, "approve", None, {}, [], {}, simhash=j.fingerprint)
                     for j in jobs.values()], max_age=60)  # fmt: skip
    late, _ = store.intake(site, {"comment_id": "r9", "content": RUN.format(9)})
    (job,) = pipeline.gather([(late.id, 1)])
    assert job.facts.near_duplicates == 3 and job.facts.duplicates == 0
    again, _ = store.intake(site, {"comment_id": "r10", "content": RUN.format(9)})
    (job,) = pipeline.gather([(again.id, 1)])
    assert job.facts.duplicates == 1 and job.facts.near_duplicates == 3  # the exact copy is not also "near"
