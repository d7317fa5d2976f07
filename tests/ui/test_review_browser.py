"""A moderator's day in the browser: log in, clear the queue by keyboard, bulk-reject, undo, stay safe."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, create_moderator, held, log_in
from tests.support.processes import wait_for
from tests.support.receiver import Receiver
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.browser]

WATCH = {"watch_words": ["holdme"]}


def moderator_webhooks(receiver: Receiver, cid: str, count: int = 1) -> list[dict]:
    """The webhooks about a comment that carry a moderator's decision, once there are `count` of them."""

    def got() -> list[dict] | None:
        found = [
            d["json"]["data"] for d in receiver.for_comment(cid) if d["json"]["data"]["decided_by"] == "moderator"
        ]
        return found if len(found) >= count else None

    return wait_for(got, 30, what=f"a moderator's webhook for {cid}")


@pytest.fixture
def team(ui_stack: Stack, receiver: Receiver) -> dict[str, Any]:
    """A site with two held comments and its moderator, logged-in details for the test."""
    tag = uuid.uuid4().hex[:8]
    site = ui_stack.create_site(receiver.url, policy=WATCH, name=f"blog-{tag}")
    email = f"mod-{tag}@example.org"
    create_moderator(ui_stack, email, site["name"])
    return {"site": site, "email": email, "tag": tag}


def test_log_in_review_by_keyboard_and_the_webhook_arrives(
    page: Any, ui_stack: Stack, receiver: Receiver, team: dict
) -> None:
    """Can a moderator log in, move with j/k, reject a held comment as spam with 's', and the platform hear it?"""
    site, tag = team["site"], team["tag"]
    author = {"name": "Ann", "email": f"ann-{tag}@example.org"}
    post = {"url": "https://blog.example/p/1", "title": "Post one"}
    held(ui_stack, site, receiver, f"{tag}-a", "holdme: first held comment", author=author, post=post)
    held(ui_stack, site, receiver, f"{tag}-b", "holdme: second held comment, buy cheap watches")
    log_in(page, ui_stack, team["email"])
    assert page.locator(".tabs a[data-tab=held] .count").inner_text() == "2"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    rows = page.locator("[data-row]")
    assert rows.count() == 2
    first_text = rows.nth(0).locator(".text").inner_text()
    page.keyboard.press("j")
    assert "current" in (rows.nth(1).get_attribute("class") or "")
    page.keyboard.press("k")
    assert "current" in (rows.nth(0).get_attribute("class") or "")
    cid = f"{tag}-a" if "first" in first_text else f"{tag}-b"
    page.keyboard.press("s")
    page.wait_for_selector("[data-row].done")
    data = moderator_webhooks(receiver, cid)[0]
    assert data["decision"] == "reject" and data["category"] == "spam" and data["status"] == "rejected"
    assert data["reasons"][0]["code"] == "moderator.reject" and team["email"] in data["reasons"][0]["message"]
    page.goto(ui_stack.base_url + "/ui/audit")
    assert page.locator("table.audit tr").nth(1).inner_text().count("reject spam") == 1
    # The item page, opened from the queue with Enter: screenshot for the record.
    page.goto(ui_stack.base_url + "/ui/queue")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-item]")
    assert page.locator(".score").count() >= 2 and page.locator("svg line.hold").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "item.png"), full_page=True)
    # On a phone: nothing wider than the screen, the actions still there.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator(".actions button").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "item-phone.png"), full_page=True)
    page.goto(ui_stack.base_url + "/ui/queue?tab=all")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "queue-phone.png"), full_page=True)


def test_bulk_reject_then_undo(page: Any, ui_stack: Stack, receiver: Receiver, team: dict) -> None:
    """Does x-selecting two comments and pressing t reject both, and u put both back on hold, webhooks each way?"""
    site, tag = team["site"], team["tag"]
    cids = [f"{tag}-{i}" for i in range(3)]
    for i, cid in enumerate(cids):
        held(ui_stack, site, receiver, cid, f"holdme: bulk candidate {i}")
    log_in(page, ui_stack, team["email"])
    rows = page.locator("[data-row]")
    assert rows.count() == 3
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    selected = [rows.nth(i).get_attribute("data-id") for i in (0, 1)]
    page.keyboard.press("t")
    expect(page.locator("[data-row].done")).to_have_count(2)
    with ui_stack.app().app_context():
        from service.comments.models import Moderation
        from service.extensions import db

        by_id = {
            m.id: m.comment_id
            for m in db.session.scalars(db.select(Moderation).where(Moderation.id.in_(selected)))
        }
    chosen = [by_id[i] for i in selected]
    for cid in chosen:
        data = moderator_webhooks(receiver, cid)[0]
        assert data["decision"] == "reject" and data["category"] == "toxic"
    page.keyboard.press("u")
    page.wait_for_load_state("load")
    for cid in chosen:
        restored = wait_for(
            lambda c=cid: (lambda d: d if d["decision"] == "hold" else None)(
                receiver.for_comment(c)[-1]["json"]["data"]
            ),
            30,
        )
        assert restored["status"] == "held" and restored["decided_by"] == "auto"
    page.goto(ui_stack.base_url + "/ui/queue")
    assert page.locator(".tabs a[data-tab=held] .count").inner_text() == "3"
    untouched = next(c for c in cids if c not in chosen)
    assert all(d["json"]["data"]["decided_by"] == "auto" for d in receiver.for_comment(untouched))


def test_a_form_post_without_the_csrf_token_is_refused(
    page: Any, ui_stack: Stack, receiver: Receiver, team: dict
) -> None:
    """Is a logged-in moderator's request without the CSRF token refused, and nothing changed?"""
    site, tag = team["site"], team["tag"]
    data = held(ui_stack, site, receiver, f"{tag}-c", "holdme: forged request target")
    log_in(page, ui_stack, team["email"])
    answer = page.request.post(
        ui_stack.base_url + f"/ui/comments/{data['id']}/decision", form={"action": "approve"}
    )
    assert answer.status == 400 and "security token" in answer.text()
    forged = page.request.post(ui_stack.base_url + f"/ui/comments/{data['id']}/decision",
                               form={"action": "approve", "csrf_token": "not-the-token"})  # fmt: skip
    assert forged.status == 400
    code, record, _ = ui_stack.call("GET", f"/v1/comments/{data['id']}", site["key"])
    assert code == 200 and record["status"] == "held"


def test_a_moderator_of_another_site_sees_nothing_of_this_one(
    page: Any, ui_stack: Stack, receiver: Receiver, team: dict
) -> None:
    """Does a moderator of another site see no count, row, page or search hit of this site's comments?"""
    site, tag = team["site"], team["tag"]
    data = held(ui_stack, site, receiver, f"{tag}-d", f"holdme: private to this site {tag}")
    other = ui_stack.create_site(receiver.url, name=f"other-{tag}")
    outsider = f"outsider-{tag}@example.org"
    create_moderator(ui_stack, outsider, other["name"])
    log_in(page, ui_stack, outsider)
    assert page.locator("[data-row]").count() == 0
    assert page.locator(".tabs a[data-tab=all] .count").inner_text() == "0"
    page.goto(ui_stack.base_url + f"/ui/queue?tab=all&q={tag}")
    assert page.locator("[data-row]").count() == 0
    answer = page.goto(ui_stack.base_url + f"/ui/comments/{data['id']}")
    assert answer.status == 404 and "private to this site" not in page.content()
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    refused = page.request.post(ui_stack.base_url + f"/ui/comments/{data['id']}/decision",
                                form={"action": "approve", "csrf_token": token})  # fmt: skip
    assert refused.status == 404


def test_a_script_in_a_comment_is_shown_as_text(
    page: Any, ui_stack: Stack, receiver: Receiver, team: dict
) -> None:
    """Is a comment carrying <script> shown as its text, in the queue and on its page, without running?"""
    site, tag = team["site"], team["tag"]
    evil = 'holdme <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    data = held(ui_stack, site, receiver, f"{tag}-e", evil, content_format="html")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, ui_stack, team["email"])
    assert "<script>window.pwned = 1</script>" in page.locator("[data-row] .text").first.inner_text()
    page.goto(ui_stack.base_url + f"/ui/comments/{data['id']}")
    assert "<script>window.pwned = 1</script>" in page.locator("#content").inner_text()
    assert page.evaluate("window.pwned === undefined") and not dialogs
    assert page.locator("#content script, #content img").count() == 0


def test_overview_charts_and_a_failed_webhook_redelivered_from_the_ui(
    page: Any, ui_stack: Stack, receiver: Receiver, team: dict
) -> None:
    """Does the overview chart today's decisions and count a failed webhook, and does Redeliver send it?"""
    from datetime import timedelta

    from service.extensions import db
    from service.timeutil import utcnow
    from service.webhooks.models import WebhookEvent

    site, tag = team["site"], team["tag"]
    cid = f"{tag}-f"
    receiver.plan[cid] = [500] * 50
    ui_stack.call("POST", "/v1/comments", site["key"], {"comment_id": cid, "content": "holdme: endpoint down"})
    receiver.wait(cid, 2)
    with ui_stack.app().app_context():  # stand-in for 24 hours of failures: the next one is its last
        event = db.session.scalars(db.select(WebhookEvent).where(WebhookEvent.site_id == site["id"])).one()
        event.retry_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        event_id = event.id

    def failed() -> bool | None:
        with ui_stack.app().app_context():
            return db.session.get(WebhookEvent, event_id, populate_existing=True).state == "failed" or None

    wait_for(failed, 30)
    log_in(page, ui_stack, team["email"])
    page.goto(ui_stack.base_url + "/ui/overview")
    assert page.locator("svg.chart rect.k-hold").count() == 1  # today's one held comment, as a bar
    assert page.locator(".card.bad").filter(has_text="webhook failures").locator(".big").inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    page.goto(ui_stack.base_url + "/ui/webhooks")
    receiver.plan[cid] = []
    page.get_by_role("button", name="Redeliver").click()
    expect(page.locator("#toast")).to_contain_text(f"Event {event_id} queued")
    delivered = wait_for(
        lambda: (lambda got: got[-1] if got[-1]["answered"] == 200 else None)(receiver.for_comment(cid)), 30
    )
    assert delivered["headers"]["webhook-id"] == event_id


def test_clear_the_queue_from_the_comment_page_by_keyboard(
    page: Any, ui_stack: Stack, receiver: Receiver, team: dict
) -> None:
    """From the riskiest comment (Enter), does 'a' approve it and bring up the next, until the queue is clear?"""
    site, tag = team["site"], team["tag"]
    texts = {f"{tag}-q{i}": f"holdme: queue item {i}" for i in range(3)}
    for cid, text in texts.items():
        held(ui_stack, site, receiver, cid, text)
    log_in(page, ui_stack, team["email"])
    order = [page.locator("[data-row]").nth(i).get_attribute("data-id") for i in range(3)]
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/ui/comments/{order[0]}**")
    page.keyboard.press("j")  # j and k step through the queue's order
    page.wait_for_url(f"**/ui/comments/{order[1]}**")
    page.keyboard.press("k")
    for moderation_id in order:
        page.wait_for_url(f"**/ui/comments/{moderation_id}**")
        page.keyboard.press("a")
    page.wait_for_url("**/ui/queue**")
    assert page.locator(".tabs a[data-tab=held] .count").inner_text() == "0"
    for cid in texts:
        assert moderator_webhooks(receiver, cid)[0]["decision"] == "approve"


def test_an_admin_manages_sites_and_moderators_in_the_ui(
    page: Any, browser: Any, ui_stack: Stack, team: dict
) -> None:
    """Can an admin add a site and a moderator from the UI, who can then log in; and does removing that
    moderator end their session? Is the admin page closed to moderators?"""
    from tests.support.browser import PASSWORD

    tag = team["tag"]
    admin = f"admin-{tag}@example.org"
    create_moderator(ui_stack, admin, role="admin")
    log_in(page, ui_stack, admin)
    page.goto(ui_stack.base_url + "/ui/admin")
    new_site = page.locator("form:has(input[name=form][value=site])")
    new_site.locator("input[name=name]").fill(f"shop-{tag}")
    new_site.locator("input[name=webhook_url]").fill("https://shop.example/hook")
    new_site.locator("button").click()
    assert page.locator(".secret code").first.inner_text().startswith("mk_")
    new_mod = page.locator("form:has(input[name=form][value=moderator])")
    new_mod.locator("input[name=email]").fill(f"clerk-{tag}@example.org")
    new_mod.locator("input[name=password]").fill(PASSWORD)
    new_mod.locator(f"input[name=sites][value=shop-{tag}]").check()
    new_mod.locator("button").click()
    expect(page.locator("#toast")).to_contain_text("Moderator created")

    clerk = browser.new_context().new_page()
    log_in(clerk, ui_stack, f"clerk-{tag}@example.org")
    assert clerk.locator("a", has_text="Admin").count() == 0
    assert clerk.goto(ui_stack.base_url + "/ui/admin").status == 403

    entry = page.locator(f"details[data-moderator='clerk-{tag}@example.org']")
    entry.locator("summary").click()
    entry.get_by_role("button", name="Remove").click()
    expect(page.locator("#toast")).to_contain_text(f"Removed clerk-{tag}@example.org")
    clerk.goto(ui_stack.base_url + "/ui/queue")
    assert "/ui/login" in clerk.url
    clerk.context.close()
