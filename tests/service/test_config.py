"""Settings: defaults, then MODERATION_* from the environment, then a test's dict."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import ConfigError, celery_broker_url, load_config


def test_layers_and_derived_paths(tmp_path: Path) -> None:
    env = {
        "MODERATION_DATA_DIR": str(tmp_path),
        "MODERATION_WEBHOOK_TIMEOUT": "4.5",
        "MODERATION_TOXICITY_REQUIRED": "yes",
    }
    config = load_config({"WEBHOOK_TIMEOUT": 3.0}, environ=env)
    assert config["WEBHOOK_TIMEOUT"] == 3.0 and config["TOXICITY_REQUIRED"] is True
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path}/moderation.db"
    assert config["MODEL_DIR"] == str(tmp_path / "models")
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_embedded_redis_socket_in_the_data_dir_is_used(tmp_path: Path) -> None:
    """Do CLI commands find the Redis that `moderation run` started in the same data dir?"""
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "redis.sock").touch()
    config = load_config(environ={"MODERATION_DATA_DIR": str(tmp_path)})
    assert config["REDIS_URL"] == f"unix://{tmp_path}/redis/redis.sock"
    assert celery_broker_url(config["REDIS_URL"]) == f"redis+socket://{tmp_path}/redis/redis.sock"


def test_dev_secret_is_generated_once_per_data_dir(tmp_path: Path) -> None:
    first = load_config(environ={"MODERATION_DATA_DIR": str(tmp_path)})["SECRET_KEY"]
    assert len(first) == 64 and load_config(environ={"MODERATION_DATA_DIR": str(tmp_path)})["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_without_secret_fails_with_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MODERATION_SECRET_KEY is not set"):
        load_config(environ={"MODERATION_ENV": "production", "MODERATION_DATA_DIR": str(tmp_path)})


def test_malformed_values_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="MODERATION_WEBHOOK_TIMEOUT='soon'"):
        load_config(environ={"MODERATION_WEBHOOK_TIMEOUT": "soon"})
    with pytest.raises(ConfigError, match="MODERATION_TOXICITY_REQUIRED"):
        load_config(environ={"MODERATION_TOXICITY_REQUIRED": "perhaps"})


def test_score_processes_and_threads_follow_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """One single-threaded process per core up to eight, then more threads each; explicit settings win."""
    import os

    from service.runner import score_layout

    for cores, expected in [(2, (2, 1)), (4, (4, 1)), (16, (8, 2)), (1, (1, 1))]:
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)))
        assert score_layout(0, 0) == expected
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(16)))
    assert score_layout(2, 0) == (2, 8) and score_layout(3, 1) == (3, 1)
