"""Configuration: defaults, then `MODERATION_*` environment variables, then a test's dict.

Read only inside the app factory (never at import time), so tests and CLI commands can each build an app
with their own settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "MODERATION_"

# name -> (default, type). A default of None means "derived below" or "unset".
DEFAULTS: dict[str, tuple[Any, type]] = {
    "ENV": ("development", str),
    "DATA_DIR": ("var", str),
    "DATABASE_URL": (None, str),
    "REDIS_URL": (None, str),
    "SECRET_KEY": (None, str),
    # The review UI's session cookie is Secure whenever a request arrives over TLS; behind a TLS-terminating
    # proxy, TRUST_PROXY=1 reads X-Forwarded-Proto/-For, or SECURE_COOKIES=1 makes it always Secure.
    "SECURE_COOKIES": (False, bool),
    "TRUST_PROXY": (False, bool),
    "MAX_BODY_BYTES": (1_048_576, int),
    "MAX_CONTENT_CHARS": (100_000, int),
    "RATE_LIMIT_PER_MINUTE": (6_000, int),
    "PREFER_WAIT_MAX": (10, int),
    "WEBHOOK_TIMEOUT": (10.0, float),
    "WEBHOOK_RETRY_BASE": (2.0, float),
    "WEBHOOK_RETRY_CAP": (3_600.0, float),
    "WEBHOOK_MAX_AGE": (86_400.0, float),
    "SWEEP_INTERVAL": (15.0, float),
    "SWEEP_GRACE": (30.0, float),
    "TOXICITY_MODEL": ("original", str),
    "TOXICITY_HF_DIR": (None, str),
    "TOXICITY_REQUIRED": (False, bool),
    # The fastest precision whose ROC-AUC stays within 0.005 of fp32 (`moderation models compare`, MiniLM on
    # the Jigsaw test sample: fp32 75/s AUC 0.9650, bf16 114/s 0.9650, int8 131/s 0.9632).
    "TOXICITY_PRECISION": ("int8", str),
    "TOXICITY_TOKEN_BUDGET": (1024, int),
    # Scoring processes (`moderation run`) and torch threads in each; 0 chooses from the machine's cores.
    "SCORE_PROCESSES": (0, int),
    "TOXICITY_THREADS": (0, int),
    # celery-batches: score up to this many queued comments together, or what is there after the interval.
    "SCORE_BATCH_MAX": (64, int),
    "SCORE_FLUSH_INTERVAL": (0.05, float),
    # CPU priorities (nice): intake first, then deliveries, then scoring, so a platform posting a comment
    # is answered at once even while the model keeps every core busy.
    "SCORE_NICE": (10, int),
    "WEBHOOKS_NICE": (5, int),
    "MODEL_DIR": (None, str),
    "LOG_LEVEL": ("INFO", str),
    # gunicorn: processes and threads in each (a request held by `Prefer: wait` holds a thread).
    "WEB_WORKERS": (2, int),
    "WEB_THREADS": (8, int),
}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message is one line that says which and how to fix it."""


def _parse(name: str, raw: str, kind: type) -> Any:
    if kind is bool:
        if raw.strip().lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.strip().lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{ENV_PREFIX}{name}={raw!r} is not a boolean (use 1 or 0)")
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name}={raw!r} is not a valid {kind.__name__}") from None


def load_config(test_config: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict:
    """Return the effective settings: defaults, overridden by the environment, overridden by `test_config`."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {name: default for name, (default, _) in DEFAULTS.items()}
    for name, (_, kind) in DEFAULTS.items():
        if ENV_PREFIX + name in environ:
            config[name] = _parse(name, environ[ENV_PREFIX + name], kind)
    config.update(test_config or {})

    data_dir = Path(config["DATA_DIR"]).expanduser().resolve()
    config["DATA_DIR"] = str(data_dir)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{data_dir / 'moderation.db'}"
    if not config["MODEL_DIR"]:
        config["MODEL_DIR"] = str(data_dir / "models")
    if not config["REDIS_URL"]:
        config["REDIS_URL"] = embedded_redis_url(data_dir)
    if not config["SECRET_KEY"]:
        if config["ENV"] == "production":
            raise ConfigError(
                "MODERATION_SECRET_KEY is not set; production needs a fixed random secret "
                "(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        config["SECRET_KEY"] = dev_secret(data_dir)
    return config


def embedded_redis_socket(data_dir: Path) -> Path:
    """Where `moderation run` puts the embedded Redis server's unix socket."""
    return data_dir / "redis" / "redis.sock"


def embedded_redis_url(data_dir: Path) -> str:
    """The embedded Redis if `moderation run` started one in this data dir, else a local default server."""
    sock = embedded_redis_socket(data_dir)
    if sock.exists():
        return f"unix://{sock}"
    return "redis://127.0.0.1:6379/0"


def dev_secret(data_dir: Path) -> str:
    """A random secret generated once per data dir, so sessions survive restarts on a development machine."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    tmp.write_text(secrets.token_hex(32))
    tmp.chmod(0o600)
    # link() is atomic and fails if the name exists: when several processes start at once, exactly one
    # value wins and every process reads that complete file.
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


def celery_broker_url(redis_url: str) -> str:
    """Celery spells a unix-socket Redis URL `redis+socket://`; redis-py spells it `unix://`."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url
