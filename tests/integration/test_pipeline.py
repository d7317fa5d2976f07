"""The core pipeline on real parts: intake over HTTP → Celery scoring with Detoxify → decision → signed webhook."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.receiver import Receiver
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

SIX = {"toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"}


def post(stack: Stack, site: dict, body: dict, **headers: str) -> tuple[int, dict, dict]:
    return stack.call("POST", "/v1/comments", site["key"], body, headers)


def test_clean_comment_is_approved_and_a_signed_webhook_arrives(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Does a platform get 202 at once, then the decision by a webhook it can verify with the spec's library?"""
    code, record, headers = post(
        stack,
        site,
        {
            "comment_id": cid,
            "content": "Thanks for the great post, I agree with the point about time.",
            "author": {"name": "Ann", "email": "Ann@Example.org", "ip": "203.0.113.7"},
            "post": {"id": 42, "url": "https://blog.example.org/p/42", "title": "Time"},
            "metadata": {"thread": "t-9"},
        },
    )
    assert code == 202, record
    assert record["status"] == "pending" and record["decision"] is None and record["comment_id"] == cid
    assert headers["Location"] == f"/v1/comments/{record['id']}"

    (delivery,) = receiver.wait(cid)
    # Verified by the Standard Webhooks project's own library, not by our code.
    payload = Webhook(site["secret"]).verify(delivery["body"], delivery["headers"])
    assert payload["type"] == "comment.moderated" and payload["timestamp"]
    assert delivery["headers"]["webhook-id"].startswith("msg_")
    data = payload["data"]
    assert data["decision"] == "approve" and data["status"] == "approved" and data["decided_by"] == "auto"
    assert set(data["scores"]["toxicity"]) >= SIX
    assert all(0 <= v < 0.5 for v in data["scores"]["toxicity"].values())
    assert data["models"]["toxicity"] == "detoxify-tiny-detoxify+int8"
    assert data["metadata"] == {"thread": "t-9"}

    code, stored, _ = stack.call("GET", f"/v1/comments/{record['id']}", site["key"])
    assert code == 200
    # The webhook carries exactly the stored record (only the delivery state has moved on since).
    assert {k: v for k, v in stored.items() if k != "webhook"} == {k: v for k, v in data.items() if k != "webhook"}
    assert stored["webhook"]["state"] == "delivered" or receiver.wait(cid)


def test_insulting_comment_is_rejected_as_toxic_with_reasons(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Do the model's labels drive the decision, with a reason that names the label and threshold?"""
    post(stack, site, {"comment_id": cid, "content": "you are a zork"})
    data = receiver.wait(cid)[0]["json"]["data"]
    assert data["decision"] == "reject" and data["category"] == "toxic"
    assert data["scores"]["toxicity"]["insult"] > 0.92
    insult = next(r for r in data["reasons"] if r["code"] == "toxicity.insult")
    assert insult["threshold"] == 0.92 and insult["score"] == data["scores"]["toxicity"]["insult"]
    assert "Insult" in insult["message"]


def test_threat_label_alone_rejects(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Is a threat caught by its own label (not only by overall toxicity)?"""
    post(stack, site, {"comment_id": cid, "content": "blorp you and your blog"})
    data = receiver.wait(cid)[0]["json"]["data"]
    assert data["decision"] == "reject"
    assert data["reasons"][0]["code"] in {"toxicity.threat", "toxicity.toxicity"}
    assert any(r["code"] == "toxicity.threat" for r in data["reasons"])


def test_long_comment_is_scored_over_all_of_its_text(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Is an insult after the model's first window (128 tokens here) still found?"""
    content = "thanks for the post, it was very interesting to read. " * 60 + "you zork"
    post(stack, site, {"comment_id": cid, "content": content})
    data = receiver.wait(cid)[0]["json"]["data"]
    assert data["decision"] == "reject" and data["scores"]["toxicity"]["insult"] > 0.9


def test_html_comment_is_scored_on_its_words(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Are tags and scripts left out of what the model reads, and links counted from anchors?"""
    html = (
        '<p>Great post</p><script>zork zork</script><a href="https://a.example/1">one</a> '
        '<a href="https://b.example/2">two</a> <a href="https://c.example/3">three</a>'
    )
    post(stack, site, {"comment_id": cid, "content": html, "content_format": "html"})
    data = receiver.wait(cid)[0]["json"]["data"]
    assert data["scores"]["toxicity"]["insult"] < 0.5  # the script's words were not scored
    assert data["decision"] == "hold" and data["category"] == "spam"
    assert any(r["code"] == "spam.links" and r["score"] == 3 for r in data["reasons"])


def test_identical_repeat_returns_the_same_record_and_sends_nothing_new(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Is a platform's retry of the same comment idempotent: same record, 200, no second webhook?"""
    body = {"comment_id": cid, "content": "A thoughtful post about reading."}
    _, first, _ = post(stack, site, body)
    receiver.wait(cid)
    code, again, _ = post(stack, site, body)
    assert code == 200 and again["id"] == first["id"] and again["decision"] == "approve"
    with stack.app().app_context():
        from service.extensions import db
        from service.webhooks.models import WebhookEvent

        assert db.session.query(WebhookEvent).filter_by(moderation_id=first["id"]).count() == 1


def test_edit_is_moderated_again_with_a_new_webhook(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Does new content under the same comment_id get a fresh decision and a second, distinct event?"""
    _, first, _ = post(stack, site, {"comment_id": cid, "content": "I agree with your point."})
    receiver.wait(cid)
    code, edited, _ = post(stack, site, {"comment_id": cid, "content": "I agree with your point, zork."})
    assert code == 202 and edited["id"] == first["id"] and edited["status"] == "pending"
    one, two = receiver.wait(cid, 2)
    assert one["json"]["data"]["decision"] == "approve" and two["json"]["data"]["decision"] == "reject"
    assert one["headers"]["webhook-id"] != two["headers"]["webhook-id"]
    _, now, _ = stack.call("GET", f"/v1/comments/{first['id']}", site["key"])
    assert now["status"] == "rejected"


def test_prefer_wait_returns_the_decision(stack: Stack, site: dict, cid: str) -> None:
    """Does `Prefer: wait=10` answer 200 with the decided record instead of 202?"""
    code, record, headers = post(stack, site, {"comment_id": cid, "content": "you zork"}, Prefer="wait=10")
    assert code == 200 and record["decision"] == "reject"
    assert headers["Preference-Applied"] == "wait=10"


def test_list_is_newest_first_with_cursor_pages_and_filters(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Can a platform page through its records newest first and filter them by status?"""
    ids = []
    for i in range(5):
        _, r, _ = post(stack, site, {"comment_id": f"{cid}-{i}", "content": "zork" if i % 2 else f"nice post {i}"})
        ids.append(r["id"])
    for i in range(5):
        receiver.wait(f"{cid}-{i}")
    seen, cursor = [], None
    while True:
        code, page, _ = stack.call(
            "GET", "/v1/comments?limit=2" + (f"&cursor={cursor}" if cursor else ""), site["key"]
        )
        assert code == 200 and len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    _, rejected, _ = stack.call("GET", "/v1/comments?status=rejected", site["key"])
    assert [r["id"] for r in rejected["items"]] == [ids[3], ids[1]]
    _, one, _ = stack.call("GET", f"/v1/comments?comment_id={cid}-2", site["key"])
    assert [r["id"] for r in one["items"]] == [ids[2]]
    code, err, _ = stack.call("GET", "/v1/comments?cursor=bm9wZQ", site["key"])
    assert code == 400 and "cursor" in err["errors"]["query"]


def test_another_sites_comment_is_not_found(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Can one site read another site's records by id? (It must not.)"""
    _, record, _ = post(stack, site, {"comment_id": cid, "content": "hello"})
    other = stack.create_site(receiver.url)
    code, body, _ = stack.call("GET", f"/v1/comments/{record['id']}", other["key"])
    assert code == 404 and body["message"]
    code, page, _ = stack.call("GET", "/v1/comments", other["key"])
    assert page["items"] == []


def test_human_verdict_goes_out_by_webhook(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Does a platform's own verdict override the machine's and reach the webhook as decided_by moderator?"""
    _, record, _ = post(stack, site, {"comment_id": cid, "content": "Buy cheap watches at my shop"})
    receiver.wait(cid)
    code, decided, _ = stack.call(
        "POST",
        f"/v1/comments/{record['id']}/decision",
        site["key"],
        {"decision": "reject", "category": "spam", "note": "shop spam"},
    )
    assert code == 200 and decided["status"] == "rejected" and decided["decided_by"] == "moderator"
    second = receiver.wait(cid, 2)[1]["json"]["data"]
    assert second["decision"] == "reject" and second["category"] == "spam" and second["decided_by"] == "moderator"
    assert second["reasons"][0] == {
        "code": "moderator.reject",
        "score": None,
        "threshold": None,
        "message": "shop spam",
    }
    code, err, _ = stack.call("POST", f"/v1/comments/{record['id']}/decision", site["key"], {"decision": "maybe"})
    assert code == 422 and "decision" in err["errors"]["json"]


def test_receiver_failing_twice_gets_the_event_on_the_third_try(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Is a webhook answered 500 then 503 retried, with the same id and body, until a 2xx?"""
    receiver.plan[cid] = [500, 503]
    _, record, _ = post(stack, site, {"comment_id": cid, "content": "A kind word."})
    got = receiver.wait(cid, 3)
    assert [d["answered"] for d in got] == [500, 503, 200]
    assert len({d["headers"]["webhook-id"] for d in got}) == 1
    assert len({d["body"] for d in got}) == 1
    assert all(Webhook(site["secret"]).verify(d["body"], d["headers"]) for d in got)
    assert got[1]["t"] - got[0]["t"] >= 0.15 - 0.05  # backed off: base 0.3 s, half of it at least
    from tests.support.processes import wait_for

    state = wait_for(
        lambda: (lambda r: r["webhook"] if r["webhook"]["state"] == "delivered" else None)(
            stack.call("GET", f"/v1/comments/{record['id']}", site["key"])[1]
        ),
        10,
    )
    assert state == {"state": "delivered", "attempts": 3}


def test_slow_receiver_counts_as_a_failed_attempt(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Is an answer slower than the timeout (2 s in tests, 10 s by default) a failure, retried?"""
    receiver.plan[cid] = [3.0]
    post(stack, site, {"comment_id": cid, "content": "Slow and steady."})
    got = receiver.wait(cid, 2, timeout=30)
    assert got[0]["answered"] == 3.0 and got[1]["answered"] == 200
    with stack.app().app_context():
        from service.extensions import db
        from service.webhooks.models import WebhookAttempt

        errors = [a.error for a in db.session.query(WebhookAttempt).all() if a.error]
        assert any("timed out" in e.lower() or "timeout" in e.lower() for e in errors)


def test_scoring_a_decided_comment_again_changes_nothing(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Does a duplicate scoring task (as a redelivered message would be) store nothing and send no event?"""
    _, record, _ = post(stack, site, {"comment_id": cid, "content": "Once is enough."})
    receiver.wait(cid)
    celery = stack.app().extensions["celery"]
    for _ in range(2):
        celery.send_task("moderation.score", args=[record["id"], 1], queue="score")
    # A third message after the two: when it is processed, the duplicates have been too.
    post(stack, site, {"comment_id": cid + "-probe", "content": "probe"})
    receiver.wait(cid + "-probe")
    assert len(receiver.for_comment(cid)) == 1
    _, after, _ = stack.call("GET", f"/v1/comments/{record['id']}", site["key"])
    assert after["decided_at"] == receiver.for_comment(cid)[0]["json"]["data"]["decided_at"]


def test_comment_whose_message_was_lost_is_decided_by_the_sweep(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """If the broker loses the scoring message, does the outbox sweep still get the comment decided?"""
    from service.comments.store import intake
    from service.sites.models import Site

    with stack.app().app_context():
        from service.extensions import db

        intake(db.session.get(Site, site["id"]), {"comment_id": cid, "content": "Stored but never queued."})
    data = receiver.wait(cid, timeout=30)[0]["json"]["data"]
    assert data["decision"] == "approve"


def test_rate_limit_answers_429_with_retry_after(stack: Stack, receiver: Receiver, cid: str) -> None:
    """Is a site over its per-minute limit told to slow down, with Retry-After?"""
    limited = stack.create_site(receiver.url, rate_limit_per_minute=3)
    codes = [stack.call("GET", "/v1/comments", limited["key"])[0] for _ in range(3)]
    code, body, headers = stack.call("GET", "/v1/comments", limited["key"])
    assert codes == [200, 200, 200] and code == 429
    assert 1 <= int(headers["Retry-After"]) <= 60 and "limit" in body["message"].lower()


def test_health_readiness_metrics_and_openapi(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Do the operational endpoints report the parts, the model and the work?"""
    post(stack, site, {"comment_id": cid, "content": "counted"})
    receiver.wait(cid)
    assert stack.call("GET", "/healthz")[0] == 200
    code, ready, _ = stack.call("GET", "/readyz")
    assert code == 200 and ready["status"] == "ready"
    assert ready["checks"]["model"] == {"ok": True, "toxicity": "detoxify-tiny-detoxify+int8", "degraded": False}
    assert ready["checks"]["workers"]["queues"] == {"score": 1, "webhooks": 1}
    import urllib.request

    text = urllib.request.urlopen(stack.base_url + "/metrics").read().decode()
    assert 'moderation_comments{status="approved"}' in text and "moderation_worker_rss_bytes" in text
    code, spec, _ = stack.call("GET", "/openapi.json")
    assert code == 200 and "/v1/comments/{moderation_id}/decision" in spec["paths"]
    assert stack.call("GET", "/docs")[0] == 200


BAD = [
    ("no key", None, {"comment_id": "b", "content": "x"}, None, 401, None),
    ("wrong key", "mk_nope", {"comment_id": "b", "content": "x"}, None, 401, None),
    ("missing content", "", {"comment_id": "b"}, None, 422, ["content"]),
    ("missing comment_id", "", {"content": "x"}, None, 422, ["comment_id"]),
    ("content not a string", "", {"comment_id": "b", "content": 12}, None, 422, ["content"]),
    ("empty content", "", {"comment_id": "b", "content": ""}, None, 422, ["content"]),
    ("comment_id too long", "", {"comment_id": "x" * 256, "content": "x"}, None, 422, ["comment_id"]),
    ("comment_id a float", "", {"comment_id": 1.5, "content": "x"}, None, 422, ["comment_id"]),
    ("unknown field", "", {"comment_id": "b", "content": "x", "bogus": 1}, None, 422, ["bogus"]),
    (
        "unknown author field",
        "",
        {"comment_id": "b", "content": "x", "author": {"nick": "a"}},
        None,
        422,
        ["author"],
    ),
    ("author not an object", "", {"comment_id": "b", "content": "x", "author": "ann"}, None, 422, ["author"]),
    ("bad ip", "", {"comment_id": "b", "content": "x", "author": {"ip": "999.1.1.1"}}, None, 422, ["author"]),
    (
        "bad content_format",
        "",
        {"comment_id": "b", "content": "x", "content_format": "md"},
        None,
        422,
        ["content_format"],
    ),
    (
        "bad created_at",
        "",
        {"comment_id": "b", "content": "x", "created_at": "yesterday"},
        None,
        422,
        ["created_at"],
    ),
    (
        "metadata too big",
        "",
        {"comment_id": "b", "content": "x", "metadata": {"k": "v" * 5000}},
        None,
        422,
        ["metadata"],
    ),
    ("NUL in content", "", {"comment_id": "b", "content": "a\x00b"}, None, 422, ["content"]),
    ("lone surrogate", "", None, b'{"comment_id":"b","content":"\\ud800"}', 422, ["content"]),
    ("malformed JSON", "", None, b'{"comment_id": "b", ', 400, None),
    ("JSON array", "", None, b"[1, 2]", 422, None),
    ("2 MB body", "", {"comment_id": "b", "content": "a" * 2_000_000}, None, 413, None),
]


@pytest.mark.parametrize(("what", "key", "body", "raw", "status", "fields"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(
    stack: Stack,
    site: dict,
    what: str,
    key: str | None,
    body: dict | None,
    raw: bytes | None,
    status: int,
    fields: list[str] | None,
) -> None:
    """Is each kind of bad request answered with its 4xx and per-field messages, leaving no record behind?"""
    use_key = site["key"] if key == "" else key
    code, err, headers = stack.call("POST", "/v1/comments", use_key, body, raw=raw)
    assert code == status, err
    assert err["code"] == status and err["message"]
    if status == 401:
        assert headers["WWW-Authenticate"].startswith("Bearer")
    if fields:
        assert set(fields) <= set(err["errors"]["json"]), err
    _, page, _ = stack.call("GET", "/v1/comments", site["key"])
    assert page["items"] == []


def test_unexpected_content_type_is_refused(stack: Stack, site: dict) -> None:
    """Is a form-encoded post refused with a message, not half-read?"""
    code, err, _ = stack.call(
        "POST",
        "/v1/comments",
        site["key"],
        raw=b"comment_id=1&content=hi",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert code in (415, 422) and err["message"]
    assert json.dumps(stack.call("GET", "/v1/comments", site["key"])[1]["items"]) == "[]"


def test_failed_event_is_listed_with_its_attempts_and_can_be_redelivered(
    stack: Stack, site: dict, receiver: Receiver, cid: str
) -> None:
    """Once retries give up, can the platform find the failed event, see why, and have it sent again?"""
    from datetime import timedelta

    from service.extensions import db
    from service.timeutil import utcnow
    from service.webhooks.models import WebhookEvent
    from tests.support.processes import wait_for

    receiver.plan[cid] = [500] * 50
    post(stack, site, {"comment_id": cid, "content": "Down for maintenance?"})
    receiver.wait(cid, 2)
    # Stand-in for 24 hours of failures: close the event's retry window, so the next failure is its last.
    with stack.app().app_context():
        event = db.session.scalars(db.select(WebhookEvent).where(WebhookEvent.site_id == site["id"])).one()
        event.retry_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        event_id = event.id

    def failed() -> dict | None:
        _, page, _ = stack.call("GET", "/v1/webhooks/events?state=failed", site["key"])
        return page["items"][0] if page["items"] else None

    listed = wait_for(failed, 20)
    assert listed["id"] == event_id and listed["last_status"] == 500 and "HTTP 500" in listed["last_error"]
    code, detail, _ = stack.call("GET", f"/v1/webhooks/events/{event_id}", site["key"])
    assert code == 200 and len(detail["attempt_log"]) == detail["attempts"] >= 3
    assert all(a["status_code"] == 500 for a in detail["attempt_log"])

    receiver.plan[cid] = []
    code, reopened, _ = stack.call("POST", f"/v1/webhooks/events/{event_id}/redeliver", site["key"])
    assert code == 202 and reopened["state"] == "pending"
    last = wait_for(
        lambda: (lambda got: got[-1] if got[-1]["answered"] == 200 else None)(receiver.for_comment(cid)), 20
    )
    assert last["headers"]["webhook-id"] == event_id
    other = stack.create_site(receiver.url)
    assert stack.call("POST", f"/v1/webhooks/events/{event_id}/redeliver", other["key"])[0] == 404


def test_a_burst_of_comments_is_scored_in_batches(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """When comments arrive faster than one at a time, does the worker score them together?"""
    import concurrent.futures

    from service.health.routes import live_workers
    from tests.support.processes import wait_for

    def scoring() -> dict:
        with stack.app().app_context():
            return next(w["scoring"] for w in live_workers() if "score" in w["queues"])

    before = scoring()
    ids = [f"{cid}-{i}" for i in range(40)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda c: post(stack, site, {"comment_id": c, "content": f"comment number {c}"}), ids))
    for c in ids:
        receiver.wait(c)
    after = wait_for(lambda: (lambda s: s if s["scored"] >= before["scored"] + 40 else None)(scoring()), 10)
    assert after["batches"] - before["batches"] < 40  # fewer batches than comments
    assert after["max_batch"] > 1


def test_filled_honeypot_is_rejected_as_spam(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Is a comment whose hidden form field was filled in (a bot) rejected as spam, saying why?"""
    post(
        stack, site, {"comment_id": cid, "content": "Great article!", "context": {"honeypot": "http://x.example"}}
    )
    data = receiver.wait(cid)[0]["json"]["data"]
    assert data["decision"] == "reject" and data["category"] == "spam" and data["scores"]["spam"] >= 0.99
    assert "hidden form field" in data["reasons"][0]["message"]


def test_a_burst_from_one_address_is_held(stack: Stack, site: dict, receiver: Receiver, cid: str) -> None:
    """Past the site's burst limit (5 in 10 minutes), are comments from one IP address held?"""
    import uuid

    ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    texts = ["Lovely photos of the coast.", "Which lens did you use?", "The second recipe worked for me.",
             "I disagree about the ending.", "Thanks for the tip on caching.", "Is there a part two coming?",
             "My cat sat on the keyboard.", "See you at the meetup on Friday."]  # fmt: skip
    for i, text in enumerate(texts):
        post(stack, site, {"comment_id": f"{cid}-{i}", "content": text, "author": {"ip": ip}})
    held = [receiver.wait(f"{cid}-{i}")[0]["json"]["data"] for i in range(8)]
    assert [d["decision"] for d in held[:5]] == ["approve"] * 5
    assert all(d["decision"] == "hold" and d["category"] == "spam" for d in held[6:])
    assert "from this IP address in 10 minutes" in held[7]["reasons"][0]["message"]


def test_verdicts_teach_the_sites_spam_filter(stack: Stack, receiver: Receiver, cid: str) -> None:
    """Do verdicts posted to the API train the site's filter, so that a new spam comment is scored by it?"""
    from service.extensions import db
    from service.spam.models import SpamModel, SpamVerdict
    from tests.support.processes import wait_for
    from tests.workers.test_spam_model import HAM, SPAM

    site = stack.create_site(receiver.url)
    ids = {}
    for i, text in enumerate([*SPAM[:5], *HAM[:5]]):
        _, record, _ = post(stack, site, {"comment_id": f"{cid}-{i}", "content": text}, Prefer="wait=10")
        ids[i] = record["id"]
    for i in range(10):
        verdict = {"decision": "reject", "category": "spam"} if i < 5 else {"decision": "approve"}
        assert stack.call("POST", f"/v1/comments/{ids[i]}/decision", site["key"], verdict)[0] == 200

    def learned() -> tuple[int, int] | None:
        with stack.app().app_context():
            row = db.session.get(SpamModel, site["id"], populate_existing=True)
            return (row.spam, row.ham) if row and row.spam + row.ham == 10 else None

    assert wait_for(learned, 30) == (5, 5)
    spammy = {"comment_id": f"{cid}-new", "content": "Call our printer support helpline now"}
    _, fresh, _ = post(stack, site, spammy, Prefer="wait=10")
    assert fresh["models"]["spam"].endswith("+sgd-hashed-ngrams-v1")
    # A flipped verdict is unlearned, not counted twice.
    assert stack.call("POST", f"/v1/comments/{ids[0]}/decision", site["key"], {"decision": "approve"})[0] == 200

    def relearned() -> tuple[int, int] | None:
        with stack.app().app_context():
            # The verdict first: once it reads as learned, the model stored with it is visible too.
            v = db.session.scalar(db.select(SpamVerdict).filter_by(moderation_id=ids[0]).execution_options(
                populate_existing=True))  # fmt: skip
            row = db.session.get(SpamModel, site["id"], populate_existing=True)
            return (row.spam, row.ham) if v.learned_label == "ham" else None

    assert wait_for(relearned, 30) == (4, 6)
