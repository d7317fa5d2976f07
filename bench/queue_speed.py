"""`make bench-queue`: the review queue's speed at 100,000 comments (SQLite, the embedded default).

Fills a fresh database with 100,000 decided comments (70% approved, 20% held, 10% rejected, 5,000 authors),
then times, through the UI's own store functions: the first and a deep page of each ordering, the tab
counts, the reason filter, and search by email address and by text. Milliseconds per call, mean of 20.
"""

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from service import create_app, migrate
from service.comments.models import Moderation
from service.extensions import db
from service.ids import new_id
from service.review import store
from service.sites.store import create_site
from service.timeutil import utcnow

folder = tempfile.mkdtemp(prefix="bench-queue-")
app = create_app({"DATA_DIR": folder, "REDIS_URL": "redis://127.0.0.1:1/0", "LOG_LEVEL": "WARNING"})
rng = random.Random(1)
with app.app_context():
    migrate.upgrade()
    site, _, _ = create_site(name="big", webhook_url="http://127.0.0.1:9/x")
    rows = []
    for i in range(100_000):
        status = rng.choices(["approved", "held", "rejected"], [70, 20, 10])[0]
        risk = round(rng.random(), 4)
        rows.append(
            dict(
                id=new_id("mod"),
                site_id=site.id,
                comment_id=f"c{i}",
                revision=1,
                content=f"comment number {i} about things",
                content_format="text",
                content_hash=f"{i:064d}",
                status=status,
                decision={"approved": "approve", "held": "hold", "rejected": "reject"}[status],
                category="spam" if status != "approved" else None,
                decided_by="auto",
                risk=risk,
                reason_codes=" spam.score " if status != "approved" else " ",
                author_email=f"u{i % 5000}@example.org",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    db.session.execute(db.insert(Moderation), rows)
    db.session.commit()
    sites = [site.id]

    def t(name, fn, n=20):
        fn()
        s = time.perf_counter()
        for _ in range(n):
            fn()
        print(f"{name:45s} {(time.perf_counter() - s) / n * 1000:7.2f} ms")

    f = store.QueueFilter(tab="held")
    t("held, first page (50)", lambda: store.queue_page(sites, f, cursor=None))
    cursor = None
    for _ in range(300):
        _, cursor = store.queue_page(sites, f, cursor=cursor)
    t("held, page 301 (by cursor)", lambda: store.queue_page(sites, f, cursor=cursor))
    fa = store.QueueFilter(tab="all")
    t("all, first page", lambda: store.queue_page(sites, fa, cursor=None))
    cur = None
    for _ in range(1500):
        _, cur = store.queue_page(sites, fa, cursor=cur)
    t("all, page 1501 (by cursor)", lambda: store.queue_page(sites, fa, cursor=cur))
    t("tab counts", lambda: store.tab_counts(sites, f))
    t(
        "held, reason filter",
        lambda: store.queue_page(sites, store.QueueFilter(tab="held", reason="spam.score"), cursor=None),
    )
    t(
        "all, search by email",
        lambda: store.queue_page(sites, store.QueueFilter(tab="all", q="u42@example.org"), cursor=None),
        5,
    )
    t(
        "all, search by text (rare)",
        lambda: store.queue_page(sites, store.QueueFilter(tab="all", q="number 99999 "), cursor=None),
        5,
    )
    t("tab counts with a text search", lambda: store.tab_counts(sites, store.QueueFilter(q="number 99999 ")), 5)

shutil.rmtree(folder, ignore_errors=True)
