"""The README's promises, run as written: its webhook receiver, and intake surviving a Redis outage."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, start_stack
from tests.support.processes import RedisServer, free_port, wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def readme_receiver() -> str:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    (receiver,) = [b for b in blocks if "class Hook" in b]
    return receiver


def test_readme_receiver_verifies_real_deliveries(stack: Stack, tmp_path: Path, cid: str) -> None:
    """Does the README's receiver snippet, run unchanged, verify and print our signed webhooks?"""
    script = tmp_path / "receiver.py"
    script.write_text(readme_receiver())
    port = free_port()
    site = stack.create_site(f"http://127.0.0.1:{port}/hook")
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env={"WEBHOOK_SECRET": site["secret"], "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: _listening(port), 10, what="the README receiver")
        stack.call("POST", "/v1/comments", site["key"], {"comment_id": cid, "content": "you zork"})
        line = proc.stdout.readline()
        assert line.startswith("verified msg_") and f" {cid} reject " in line and "toxicity.insult" in line
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def own_redis_stack(tmp_path: Path, tiny_model: tuple[Path, Path]) -> Iterator[tuple[Stack, RedisServer]]:
    stack, redis = start_stack(tmp_path, {"TOXICITY_MODEL": str(tiny_model[0])})
    yield stack, redis
    stack.stop()
    redis.stop()


def test_comment_accepted_while_redis_is_down_is_decided_when_it_returns(
    own_redis_stack: tuple[Stack, RedisServer], receiver, cid: str
) -> None:  # type: ignore[no-untyped-def]
    """With the broker down, is a comment still accepted at once, and decided once the broker is back?"""
    stack, redis = own_redis_stack
    site = stack.create_site(receiver.url)
    port = redis.port
    redis.stop()
    started = time.monotonic()
    code, record, _ = stack.call(
        "POST", "/v1/comments", site["key"], {"comment_id": cid, "content": "hello there"}
    )
    assert code == 202 and record["status"] == "pending"
    assert time.monotonic() - started < 5  # a broker outage must not stall intake
    code, ready, _ = stack.call("GET", "/readyz")
    assert code == 503 and ready["checks"]["redis"]["ok"] is False
    restarted = RedisServer(stack.root / "redis-again", port=port)
    try:
        data = receiver.wait(cid, timeout=60)[0]["json"]["data"]
        assert data["decision"] == "approve"
    finally:
        restarted.stop()
