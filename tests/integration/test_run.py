"""`moderation run`: the one command that starts everything on embedded defaults, and stops it all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.support.processes import REPO, free_port, http, wait_for
from tests.support.receiver import Receiver

pytestmark = pytest.mark.integration

# The console script that `pip install` made, as a user runs it.
CLI = [str(Path(sys.executable).parent / "moderation")]


def test_run_starts_everything_and_stops_everything(tmp_path: Path, receiver: Receiver) -> None:
    """Does `moderation run` serve a comment end to end on embedded defaults, leaving no process behind?"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
    env["MODERATION_DATA_DIR"] = str(tmp_path / "var")
    port = free_port()
    run = subprocess.Popen(
        [*CLI, "run", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner: list[str] = []
    try:

        def printed_banner() -> bool:
            line = run.stdout.readline()
            banner.append(line)
            return "Ctrl-C stops everything" in line or run.poll() is not None

        wait_for(printed_banner, 120, interval=0, what="the startup banner")
        text = "".join(banner)
        assert f"running at http://127.0.0.1:{port}" in text and "sites create" in text, text
        children = psutil.Process(run.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "redis-server" in names and "gunicorn" in names and names.count("celery") >= 3

        made = subprocess.run(
            [*CLI, "sites", "create", "--name", "myblog", "--webhook-url", receiver.url, "--json"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        site = json.loads(made.stdout)  # nothing but the JSON object on stdout
        assert site["api_key"].startswith("mk_") and site["webhook_secret"].startswith("whsec_")
        code, record, _ = http(
            "POST",
            f"http://127.0.0.1:{port}/v1/comments",
            {"comment_id": "run-1", "content": "Nice post!"},
            {"Authorization": f"Bearer {site['api_key']}", "Prefer": "wait=10"},
        )
        assert code == 200 and record["decision"] == "approve"
        assert receiver.wait("run-1")

        again = subprocess.run(
            [*CLI, "run", "--port", str(free_port())],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode != 0 and "already" in again.stderr

        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
        assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        run.stdout.close()
