"""Without Detoxify's weights: the worker keeps serving on alt-profanity-check and says so, or refuses to start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.runner import worker_command
from tests.conftest import start_stack
from tests.support.processes import Process, RedisServer
from tests.support.receiver import Receiver
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The service asked for Detoxify `original` on a machine that has no copy of it."""
    stack, redis = start_stack(tmp_path_factory.mktemp("bare"), {"TOXICITY_MODEL": "original"}, beat=False)
    yield stack
    stack.stop()
    redis.stop()


def test_missing_weights_are_named_once_with_the_way_to_get_them(bare: Stack) -> None:
    """Does the worker say at start what is missing and how to get it?"""
    lines = [line for line in bare.procs["score"].log().splitlines() if "toxicity model missing" in line]
    assert len(lines) == 1
    assert "'original'" in lines[0] and "moderation models pull original" in lines[0]
    assert "MODERATION_TOXICITY_HF_DIR" in lines[0] and "alt-profanity-check" in lines[0]


def test_readyz_shows_the_degraded_model(bare: Stack) -> None:
    """Does /readyz stay 200 but say the model is degraded, and why?"""
    code, ready, _ = bare.call("GET", "/readyz")
    assert code == 200 and ready["status"] == "degraded"
    model = ready["checks"]["model"]
    assert model["toxicity"] == "alt-profanity-check" and model["degraded"] is True
    assert "moderation models pull original" in model["detail"]


def test_records_name_the_fallback_scorer_and_still_get_decided(bare: Stack, receiver: Receiver, cid: str) -> None:
    """Are comments still moderated, with the scorer used named in models.toxicity?"""
    site = bare.create_site(receiver.url)
    code, record, _ = bare.call(
        "POST",
        "/v1/comments",
        site["key"],
        {"comment_id": cid, "content": "fuck you, you stupid idiot"},
        {"Prefer": "wait=10"},
    )
    assert code == 200 and record["decision"] == "reject" and record["category"] == "toxic"
    assert record["models"]["toxicity"] == "alt-profanity-check"
    tox = record["scores"]["toxicity"]
    assert tox["toxicity"] > 0.9
    # The fallback does not measure the other labels, and says so with null rather than a made-up 0.
    assert {k for k, v in tox.items() if v is None} == {
        "severe_toxicity",
        "obscene",
        "threat",
        "insult",
        "identity_attack",
    }
    code, kind, _ = bare.call(
        "POST",
        "/v1/comments",
        site["key"],
        {"comment_id": cid + "-ok", "content": "What a lovely walk you describe."},
        {"Prefer": "wait=10"},
    )
    assert kind["decision"] == "approve"


def test_required_model_missing_stops_the_worker(tmp_path: Path) -> None:
    """With MODERATION_TOXICITY_REQUIRED=1, does the worker refuse to start, saying why?"""
    redis = RedisServer(tmp_path / "redis")
    stack = Stack(tmp_path, redis_url=redis.url, settings={"TOXICITY_MODEL": "original", "TOXICITY_REQUIRED": "1"})
    worker = Process("required", worker_command("score"), stack.env, stack.logs)
    try:
        code = worker.proc.wait(timeout=60)
        assert code != 0
        log = worker.log()
        assert "worker not started" in log and "moderation models pull original" in log
        assert "MODERATION_TOXICITY_REQUIRED=1" in log
    finally:
        worker.stop()
        redis.stop()
