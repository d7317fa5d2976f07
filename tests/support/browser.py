"""Helpers for the browser tests: moderators made through the CLI, logging in, held comments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.receiver import Receiver
from tests.support.stack import Stack

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct horse battery staple"


def create_moderator(stack: Stack, email: str, *sites: str, role: str = "moderator") -> None:
    """Through the CLI, as an operator would (password on stdin)."""
    args = [sys.executable, "-m", "service.cli", "moderators", "create", "--email", email, "--role", role]
    for name in sites:
        args += ["--site", name]
    done = subprocess.run([*args, "--password-stdin"], input=PASSWORD + "\n", env=stack.env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Created {role} {email}" in done.stdout


def log_in(page: Any, stack: Stack, email: str) -> None:
    page.goto(stack.base_url + "/ui/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/queue**")


def held(stack: Stack, site: dict, receiver: Receiver, cid: str, text: str, **extra: Any) -> dict:
    """Post a comment the site's watch words hold, and wait for the worker's decision to arrive."""
    code, record, _ = stack.call(
        "POST", "/v1/comments", site["key"], {"comment_id": cid, "content": text, **extra}
    )
    assert code == 202, record
    data = receiver.wait(cid)[0]["json"]["data"]
    assert data["decision"] == "hold", data
    return data
