"""Model management: pull (from a local mirror), build, list, compare; labels beyond the six."""

from __future__ import annotations

import csv
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.checkpoints import UNBIASED_CLASSES, build_tiny_detoxify
from workers.toxicity import load_scorer, resolve_model

MODELS = [str(Path(sys.executable).parent / "moderation"), "models"]


@pytest.fixture
def mirror(tmp_path: Path, tiny_model: tuple[Path, Path]) -> Iterator[dict[str, str]]:
    """A local stand-in for GitHub's release downloads and huggingface.co, serving a released-style
    checkpoint (its model_type a hub name) and a stock BERT config and tokenizer."""
    import torch

    root = tmp_path / "mirror"
    release = root / "releases" / "v0.1-alpha"
    release.mkdir(parents=True)
    loaded = torch.load(tiny_model[0], weights_only=False)
    loaded["config"]["arch"]["args"]["model_type"] = "bert-base-uncased"
    torch.save(loaded, release / "toxic_original-c1212f89.ckpt")
    hub = root / "hub" / "bert-base-uncased" / "resolve" / "main"
    shutil.copytree(tiny_model[1], hub)
    config = json.loads((hub / "config.json").read_text())
    for key in ("id2label", "label2id"):
        config.pop(key, None)
    (hub / "config.json").write_text(json.dumps(config))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield {"MODERATION_DETOXIFY_DOWNLOAD_URL": f"{base}/releases", "HF_ENDPOINT": f"{base}/hub"}
    server.shutdown()
    server.server_close()


def run_models(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
    return subprocess.run([*MODELS, *args], env={**clean, **env}, capture_output=True, text=True, timeout=300)


def test_pull_downloads_checkpoint_and_hf_files_then_loads_offline(tmp_path: Path, mirror: dict[str, str]) -> None:
    """Does `models pull` fetch both parts into the model dir, so the worker then finds and loads it?"""
    env = {**mirror, "MODERATION_MODEL_DIR": str(tmp_path / "models"), "MODERATION_DATA_DIR": str(tmp_path)}
    pulled = run_models("pull", "original", env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert "original is ready" in pulled.stdout and "labels: toxicity" in pulled.stdout
    folder = tmp_path / "models" / "original"
    assert (folder / "checkpoint.ckpt").is_file() and (folder / "hf" / "vocab.txt").is_file()
    assert not list((tmp_path / "models").glob(".*partial"))
    listed = json.loads(run_models("list", "--json", env=env).stdout)
    assert listed["active"] == "detoxify-original+int8" and listed["degraded"] is False
    assert [m["name"] for m in listed["models"] if m["active"]] == ["original"]
    again = run_models("pull", "original", env=env)
    assert "already" in again.stdout
    # Once pulled, the network is not needed: the mirror is gone and the model still loads.
    spec = resolve_model("original", hf_dir=None, model_dir=str(tmp_path / "models"))
    assert load_scorer(spec).score(["you zork"])[0]["insult"] > 0.9


def test_pull_of_a_missing_model_fails_and_leaves_nothing_behind(tmp_path: Path, mirror: dict[str, str]) -> None:
    env = {**mirror, "MODERATION_MODEL_DIR": str(tmp_path / "models"), "MODERATION_DATA_DIR": str(tmp_path)}
    failed = run_models("pull", "unbiased", env=env)
    assert failed.returncode != 0 and "404" in failed.stderr
    assert not (tmp_path / "models" / "unbiased").exists()
    assert not list((tmp_path / "models").glob(".*"))


def test_fine_tuning_writes_a_loadable_detoxify_checkpoint(tmp_path: Path) -> None:
    """Does the MiniLM fine-tuning path produce a Detoxify-format model with the six labels?"""
    from workers.training import fine_tune_minilm

    source = Path(__file__).resolve().parents[3] / "shared" / "data" / "jigsaw_toxic_sample" / "train.5k.csv"
    small = tmp_path / "train.csv"
    with open(source, newline="", encoding="utf-8") as f, open(small, "w", newline="", encoding="utf-8") as out:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(row for _, row in zip(range(48), reader, strict=False))
    ckpt = fine_tune_minilm(small, tmp_path / "minilm", epochs=1, batch_size=16, max_tokens=32)
    spec = resolve_model("minilm", hf_dir=None, model_dir=str(tmp_path))
    assert spec.kind == "detoxify" and spec.checkpoint == str(ckpt)
    (scores,) = load_scorer(spec).score(["a comment"])
    assert set(scores) == {"toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"}


def test_compare_reports_each_precision_and_recommends_one(tmp_path: Path, tiny_model: tuple[Path, Path]) -> None:
    """Does `models compare` measure every precision's speed, ROC-AUC and drift, and pick by the rule?"""
    data = tmp_path / "data" / "jigsaw_toxic_sample"
    data.mkdir(parents=True)
    fields = [
        "id",
        "comment_text",
        "toxic",
        "severe_toxic",
        "obscene",
        "threat",
        "insult",
        "identity_hate",
        "is_bad",
    ]
    with open(data / "test.a.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for i in range(40):
            bad = i % 2 == 0
            text = f"you are a zork number {i}" if bad else f"thanks for the post number {i}"
            writer.writerow([i, text, int(bad), 0, int(bad), 0, int(bad), 0, str(bad)])
    env = {"MODERATION_DATA_DIR": str(tmp_path), "MODERATION_TOXICITY_MODEL": str(tiny_model[0])}
    out = run_models("compare", "--data", str(tmp_path / "data"), "--json", env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report["precisions"]) == {"fp32", "bf16", "int8"} and report["texts"] == 40
    assert report["precisions"]["fp32"]["roc_auc"] == 1.0 and report["precisions"]["fp32"]["mean_abs_diff"] == 0
    assert report["recommended"] in report["precisions"]
    for r in report["precisions"].values():
        assert r["per_s"] > 0 and 0 <= r["mean_abs_diff"] < 0.2


@pytest.fixture(scope="module")
def unbiased_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_detoxify(tmp_path_factory.mktemp("unbiased"), classes=UNBIASED_CLASSES)


def test_sexual_explicit_flows_through_scores_policy_and_record(unbiased_model: tuple[Path, Path]) -> None:
    """With an `unbiased`-style model, is sexual_explicit scored, decided on, and kept in the record?"""
    from service.comments.schemas import ModerationSchema
    from service.sites.policy import effective_policy
    from workers.policy import decide

    scorer = load_scorer(resolve_model(str(unbiased_model[0]), hf_dir=None, model_dir="/nonexistent"))
    clean, explicit = scorer.score(["thanks for the great post", "frob frob"])
    assert "sexual_explicit" in clean and clean["sexual_explicit"] < 0.3 and explicit["sexual_explicit"] > 0.6
    assert explicit["insult"] < 0.3  # the word is explicit, not an insult
    d = decide(text="frob", toxicity=explicit, spam=0.0, fired=[], n_links=0, policy=effective_policy({}))
    assert d.decision in ("hold", "reject") and d.reasons[0]["code"] == "toxicity.sexual_explicit"
    dumped = ModerationSchema().dump({"scores": {"toxicity": explicit, "spam": 0.0}})
    assert dumped["scores"]["toxicity"]["sexual_explicit"] == explicit["sexual_explicit"]
