"""The whole service as real processes (gunicorn API, Celery workers, beat) for integration tests.

Started with the same command lines `moderation run` uses, against a database and Redis of the test's own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from service.runner import beat_command, web_command, worker_command
from tests.support.processes import Process, free_port, http, wait_for

# Fast retries and sweeps, so tests of those paths take seconds rather than minutes.
TEST_SETTINGS = {
    "WEBHOOK_RETRY_BASE": "0.3",
    "WEBHOOK_TIMEOUT": "2",
    "SWEEP_INTERVAL": "1",
    "SWEEP_GRACE": "3",
    "LOG_LEVEL": "INFO",
}


class Stack:
    def __init__(
        self,
        root: Path,
        *,
        redis_url: str,
        database_url: str | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.logs = root / "logs"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{self.data_dir / 'moderation.db'}"
        merged = {
            **TEST_SETTINGS,
            **(settings or {}),
            "DATA_DIR": str(self.data_dir),
            "REDIS_URL": redis_url,
            "DATABASE_URL": self.database_url,
        }
        clean = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
        self.env = {**clean, **{f"MODERATION_{k}": v for k, v in merged.items()}, "PYTHONUNBUFFERED": "1"}
        self.procs: dict[str, Process] = {}
        self.base_url = ""
        self._app: Any = None

    # --- the test process's own view of the same database ---

    def app(self) -> Any:
        if self._app is None:
            from service import create_app
            from service.config import load_config

            settings = load_config(environ=self.env)
            self._app = create_app(
                {k: settings[k] for k in ("DATA_DIR", "DATABASE_URL", "REDIS_URL")}
                | {k: v for k, v in settings.items() if k.startswith("WEBHOOK")}
            )
        return self._app

    def migrate(self) -> None:
        from service import migrate

        with self.app().app_context():
            migrate.upgrade()

    def create_site(self, webhook_url: str, **kwargs: Any) -> dict[str, str]:
        from service.ids import new_id
        from service.sites.store import create_site, update_site

        rate = kwargs.pop("rate_limit_per_minute", None)
        with self.app().app_context():
            site, key, secret = create_site(
                name=kwargs.pop("name", new_id("t")), webhook_url=webhook_url, **kwargs
            )
            if rate:
                update_site(site, rate_limit_per_minute=rate)
            return {"id": site.id, "name": site.name, "key": key, "secret": secret}

    # --- processes ---

    def start(
        self, *, api: bool = True, queues: tuple[str, ...] = ("score", "webhooks"), beat: bool = True
    ) -> Stack:
        self.migrate()
        if api:
            port = free_port()
            self.procs["api"] = Process("api", web_command("127.0.0.1", port, 2), self.env, self.logs)
            self.base_url = f"http://127.0.0.1:{port}"
            wait_for(lambda: self._up("/healthz"), 30, what="the API")
        for queue in queues:
            self.procs[queue] = Process(f"worker-{queue}", worker_command(queue), self.env, self.logs)
        if beat:
            self.procs["beat"] = Process("beat", beat_command(self.data_dir), self.env, self.logs)
        for queue in queues:
            self.wait_worker(queue)
        return self

    def wait_worker(self, queue: str, timeout: float = 90) -> None:
        """Until a worker for the queue has sent its heartbeat (it does once its model is warm)."""
        from service.health.routes import live_workers

        def ready() -> bool:
            proc = self.procs.get(queue)
            if proc is not None and not proc.alive():
                raise RuntimeError(f"{queue} worker exited:\n{proc.log()[-3000:]}")
            with self.app().app_context():
                return any(queue in w.get("queues", []) for w in live_workers())

        wait_for(ready, timeout, interval=0.2, what=f"a {queue} worker")

    def _up(self, path: str) -> bool:
        try:
            return http("GET", self.base_url + path)[0] == 200
        except Exception:
            return False

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()
        self.procs.clear()
        if self._app is not None:
            from service.extensions import db

            with self._app.app_context():
                db.engine.dispose()

    # --- the API as a platform calls it ---

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        h = dict(headers or {})
        if key:
            h["Authorization"] = f"Bearer {key}"
        return http(method, self.base_url + path, body, h, raw)

    def logs_text(self) -> str:
        return "\n".join(f"--- {n} ---\n{p.log()[-4000:]}" for n, p in self.procs.items())
