"""`moderation models …`: pull, build, list and compare toxicity models (run as `python -m workers.models`).

Models live in `MODERATION_MODEL_DIR/<name>/` as `checkpoint.ckpt` (Detoxify's format) and `hf/` (the
Hugging Face config and tokenizer files it needs), so loading them never touches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
import urllib.error
from pathlib import Path

import click

from service.config import load_config
from workers.toxicity import (
    BUILDABLE_MODELS,
    DETOXIFY_MODELS,
    LABELS,
    PRECISIONS,
    ModelUnavailable,
    load_scorer,
    resolve_model,
)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# The Hugging Face files a Detoxify checkpoint's tokenizer and config come from, per model family.
HF_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
)


def _config() -> dict:
    return load_config()


def _model_dir() -> Path:
    return Path(_config()["MODEL_DIR"])


def _size(folder: Path) -> str:
    total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return f"{total / 1e6:,.0f} MB"


def _relink_checkpoint(ckpt: Path, hf_dir: Path) -> None:
    """Point the checkpoint's `model_type` at its local HF folder, so even bare Detoxify loads it offline."""
    import torch

    loaded = torch.load(ckpt, map_location="cpu", weights_only=False)
    loaded["config"]["arch"]["args"]["model_type"] = str(hf_dir)
    tmp = ckpt.with_suffix(".tmp")
    torch.save(loaded, tmp)
    tmp.replace(ckpt)


@click.group()
def main() -> None:
    """Toxicity models: pull, build, list, compare."""


@main.command()
@click.argument("name", type=click.Choice(DETOXIFY_MODELS))
@click.option("--force", is_flag=True, help="download again even if present")
def pull(name: str, force: bool) -> None:
    """Download Detoxify model NAME and its Hugging Face files into MODERATION_MODEL_DIR."""
    import torch
    from detoxify.detoxify import MODEL_URLS

    target = _model_dir() / name
    if (target / "checkpoint.ckpt").is_file() and not force:
        click.echo(f"{name} is already in {target} (--force downloads it again)")
        return
    url = MODEL_URLS[name]
    base = os.environ.get("MODERATION_DETOXIFY_DOWNLOAD_URL")  # a mirror, for hosts that cannot reach GitHub
    if base:
        url = base.rstrip("/") + "/" + url.split("/releases/download/", 1)[1]
    work = target.with_name(f".{name}.partial")
    shutil.rmtree(work, ignore_errors=True)
    (work / "hf").mkdir(parents=True)
    try:
        click.echo(f"downloading the {name} checkpoint from {url}", err=True)
        torch.hub.download_url_to_file(url, str(work / "checkpoint.ckpt"), progress=True)
        model_type = torch.load(work / "checkpoint.ckpt", map_location="cpu", weights_only=False)["config"][
            "arch"
        ]["args"]["model_type"]
        hub = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
        click.echo(f"downloading the Hugging Face config and tokenizer of {model_type} from {hub}", err=True)
        for filename in HF_FILES:
            try:
                torch.hub.download_url_to_file(
                    f"{hub}/{model_type}/resolve/main/{filename}", str(work / "hf" / filename), progress=False
                )
            except urllib.error.HTTPError as exc:
                if exc.code != 404:  # each model family has only some of these files
                    raise
        if not (work / "hf" / "config.json").is_file():
            raise click.ClickException(f"{model_type} has no config.json at {hub}")
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
        _relink_checkpoint(target / "checkpoint.ckpt", target / "hf")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    spec = resolve_model(name, hf_dir=None, model_dir=str(_model_dir()), required=True)
    scores = load_scorer(spec).score(["Thank you for the thoughtful article."])[0]
    click.echo(f"{name} is ready in {target} ({_size(target)}); labels: {', '.join(scores)}")


@main.command()
@click.argument("name", type=click.Choice(BUILDABLE_MODELS))
@click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_DATA,
    show_default=True,
    help="the labeled data folder (../shared/data)",
)
@click.option("--epochs", default=2, show_default=True)
def build(name: str, data: Path, epochs: int) -> None:
    """Build a model offline: `minilm-jigsaw` (fine-tuned, ~12 min on 2 cores) or `bert-base-shaped` (random)."""
    from workers.training import build_bert_base_shaped, fine_tune_minilm

    target = _model_dir() / name
    shutil.rmtree(target, ignore_errors=True)
    started = time.monotonic()
    try:
        if name == "bert-base-shaped":
            build_bert_base_shaped(target)
        else:
            with click.progressbar(length=1, label="fine-tuning MiniLM", file=sys.stderr) as bar:

                def progress(step: int, total: int, loss: float) -> None:
                    bar.length = total
                    bar.label = f"fine-tuning MiniLM (loss {loss:.3f})"
                    bar.update(1)

                fine_tune_minilm(
                    data / "jigsaw_toxic_sample" / "train.5k.csv", target, epochs=epochs, progress=progress
                )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    click.echo(f"built {name} in {target} ({_size(target)}) in {time.monotonic() - started:.0f} s")


@main.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_models(as_json: bool) -> None:
    """Show the models in MODERATION_MODEL_DIR and which one the workers will use."""
    config = _config()
    folder = Path(config["MODEL_DIR"])
    names = (
        sorted(p.name for p in folder.iterdir() if (p / "checkpoint.ckpt").is_file()) if folder.is_dir() else []
    )
    try:
        active = resolve_model(
            config["TOXICITY_MODEL"],
            hf_dir=config.get("TOXICITY_HF_DIR"),
            model_dir=str(folder),
            precision=config["TOXICITY_PRECISION"],
        )
    except ModelUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    rows = [
        {
            "name": n,
            "path": str(folder / n),
            "size": _size(folder / n),
            "active": active.checkpoint == str(folder / n / "checkpoint.ckpt"),
        }
        for n in names
    ]
    if as_json:
        click.echo(
            json.dumps(
                {"model_dir": str(folder), "models": rows, "active": active.name, "degraded": active.degraded}
            )
        )
        return
    click.echo(f"models in {folder}:")
    for row in rows:
        click.echo(f"  {'*' if row['active'] else ' '} {row['name']:<20} {row['size']:>10}")
    if not rows:
        click.echo("  (none: `moderation models pull original`, or `moderation models build minilm-jigsaw`)")
    click.echo(
        f"active: {active.name} (MODERATION_TOXICITY_MODEL={config['TOXICITY_MODEL']}, "
        f"precision {active.precision})"
    )
    if active.degraded:
        click.echo(f"degraded: {active.detail}")


def read_labeled_test(data: Path) -> tuple[list[str], list[int]]:
    """The Jigsaw test sample: 1,200 comments, half of them toxic (is_bad)."""
    import csv

    texts, bad = [], []
    for path in sorted((data / "jigsaw_toxic_sample").glob("test.*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                texts.append(row["comment_text"])
                bad.append(1 if row["is_bad"] == "True" else 0)
    return texts, bad


@main.command()
@click.option("--model", default=None, help="model name or checkpoint (default: MODERATION_TOXICITY_MODEL)")
@click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_DATA,
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True)
def compare(model: str | None, data: Path, as_json: bool) -> None:
    """Score the labeled Jigsaw test sample at each precision: speed, ROC-AUC and drift from fp32."""
    import torch
    from sklearn.metrics import roc_auc_score

    config = _config()
    texts, bad = read_labeled_test(data)
    results = {}
    for precision in PRECISIONS:
        spec = resolve_model(
            model or config["TOXICITY_MODEL"],
            hf_dir=config.get("TOXICITY_HF_DIR"),
            model_dir=config["MODEL_DIR"],
            precision=precision,
            required=True,
        )
        scorer = load_scorer(
            spec, token_budget=config["TOXICITY_TOKEN_BUDGET"], threads=config["TOXICITY_THREADS"] or None
        )
        scorer.score(texts[:32])  # warm-up
        started = time.perf_counter()
        scores = scorer.score(texts)
        elapsed = time.perf_counter() - started
        results[precision] = {
            "scores": scores,
            "per_s": len(texts) / elapsed,
            "roc_auc": roc_auc_score(bad, [s["toxicity"] for s in scores]),
        }
        del scorer
    base = results["fp32"]["scores"]
    for r in results.values():
        r["mean_abs_diff"] = statistics.fmean(
            abs(a[k] - b[k]) for a, b in zip(r["scores"], base, strict=True) for k in LABELS
        )
    eligible = [p for p in PRECISIONS if results["fp32"]["roc_auc"] - results[p]["roc_auc"] <= 0.005]
    best = max(eligible, key=lambda p: results[p]["per_s"])
    summary = {
        "model": spec.name.rsplit("+", 1)[0],
        "texts": len(texts),
        "threads": torch.get_num_threads(),
        "recommended": best,
        "precisions": {p: {k: round(v, 4) for k, v in r.items() if k != "scores"} for p, r in results.items()},
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"{summary['model']} on {len(texts)} labeled Jigsaw test comments ({torch.get_num_threads()} threads)"
    )
    click.echo(f"{'precision':<10}{'comments/s':>12}{'ROC-AUC':>10}{'mean |Δ| vs fp32':>18}")
    for p, r in summary["precisions"].items():
        click.echo(f"{p:<10}{r['per_s']:>12.1f}{r['roc_auc']:>10.4f}{r['mean_abs_diff']:>18.4f}")
    click.echo(f"fastest within 0.005 ROC-AUC of fp32: {best} (MODERATION_TOXICITY_PRECISION={best})")


if __name__ == "__main__":
    main(prog_name="moderation models")
