"""Toxicity scoring: Detoxify checkpoints, run over whole comments in length-grouped batches.

Plain functions and classes (text in, scores out): nothing here imports Flask, Celery or the database.
Detoxify's checkpoint format and loader are used as they are; inference is done here so that a long
comment is scored over all of its text (windows of the model's length) and a batch is cut by a token
budget instead of padding every comment to the longest one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")
DETOXIFY_MODELS = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
BUILDABLE_MODELS = ("minilm-jigsaw", "bert-base-shaped")  # `moderation models build NAME`
PRECISIONS = ("fp32", "bf16", "int8")
WINDOW_OVERLAP = 32  # tokens shared by consecutive windows of a long comment
# Detoxify's class names, standardised the way Detoxify itself renames them.
_RENAME = {"toxic": "toxicity", "severe_toxic": "severe_toxicity", "identity_hate": "identity_attack"}

Scores = dict[str, float | None]


class ModelUnavailable(RuntimeError):
    """The configured toxicity model cannot be loaded; the message says what is missing and what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """What a worker will score with: resolved from settings before anything heavy is loaded."""

    name: str  # what records show in `models.toxicity`
    kind: str  # "detoxify" or "fallback"
    checkpoint: str | None = None
    hf_dir: str | None = None
    precision: str = "fp32"
    degraded: bool = False
    detail: str | None = None  # why the fallback is in use, and how to get the real model


class ToxicityScorer(Protocol):
    spec: ModelSpec

    def score(self, texts: list[str]) -> list[Scores]: ...


def _local_copy(model_dir: Path, name: str) -> tuple[Path, Path] | None:
    """A model that `moderation models pull` stored: `<dir>/<name>/checkpoint.ckpt` and `<dir>/<name>/hf/`."""
    ckpt, hf = model_dir / name / "checkpoint.ckpt", model_dir / name / "hf"
    return (ckpt, hf) if ckpt.is_file() and (hf / "config.json").is_file() else None


def resolve_model(
    model: str, *, hf_dir: str | None, model_dir: str, precision: str = "fp32", required: bool = False
) -> ModelSpec:
    """Decide what to load, without loading it; falls back (or raises, if `required`) when weights are missing.

    Nothing is downloaded at run time: a named model must have been pulled into `model_dir`.
    """
    if precision not in PRECISIONS:
        raise ModelUnavailable(f"MODERATION_TOXICITY_PRECISION={precision!r}: use one of {', '.join(PRECISIONS)}")
    missing: str
    is_name = os.sep not in model and not model.endswith((".ckpt", ".pt", ".pth"))
    local = _local_copy(Path(model_dir), model) if is_name else None
    if local:  # a copy in the model folder wins, whatever the name
        return ModelSpec(_display_name(model, precision), "detoxify", str(local[0]), str(local[1]), precision)
    if model in DETOXIFY_MODELS:
        missing = (
            f"Detoxify model {model!r} is not in {model_dir} and is not downloaded at run time; "
            f"run `moderation models pull {model}` where the internet is reachable (or copy its folder "
            "there), or set MODERATION_TOXICITY_MODEL to a checkpoint file and MODERATION_TOXICITY_HF_DIR "
            "to its Hugging Face config and tokenizer folder"
        )
    elif model in BUILDABLE_MODELS:
        missing = f"model {model!r} is not in {model_dir}; build it with `moderation models build {model}`"
    elif Path(model).expanduser().is_file():
        path = Path(model).expanduser().resolve()
        folder = hf_dir or _checkpoint_hf_dir(path)
        if folder and (Path(folder) / "config.json").is_file():
            return ModelSpec(_display_name(path.stem, precision), "detoxify", str(path), str(folder), precision)
        missing = (
            f"checkpoint {path} needs its Hugging Face config and tokenizer files; set "
            "MODERATION_TOXICITY_HF_DIR to a folder holding config.json and the tokenizer files"
        )
    elif not is_name:
        missing = f"MODERATION_TOXICITY_MODEL={model!r}: no such checkpoint file"
    else:
        raise ModelUnavailable(
            f"MODERATION_TOXICITY_MODEL={model!r} is neither a Detoxify model ({', '.join(DETOXIFY_MODELS)}), "
            f"a model in {model_dir}, nor a checkpoint file"
        )
    if required:
        raise ModelUnavailable(missing + " (MODERATION_TOXICITY_REQUIRED=1, so the worker will not start)")
    return ModelSpec(
        "alt-profanity-check",
        "fallback",
        degraded=True,
        detail=missing
        + "; scoring with the offline fallback alt-profanity-check (toxicity label only) until then",
    )


def _display_name(name: str, precision: str) -> str:
    """What records show in `models.toxicity`: the model, and its precision when not full."""
    return f"detoxify-{name}" + ("" if precision == "fp32" else f"+{precision}")


def _checkpoint_hf_dir(path: Path) -> str | None:
    """A checkpoint whose `model_type` is a local folder (as offline-built ones are) names its own HF files."""
    import torch

    loaded = torch.load(path, map_location="cpu", weights_only=False)
    model_type = loaded.get("config", {}).get("arch", {}).get("args", {}).get("model_type", "")
    return model_type if model_type and Path(model_type).is_dir() else None


def load_scorer(spec: ModelSpec, *, token_budget: int = 1024, threads: int | None = None) -> ToxicityScorer:
    """Load the model a spec names (seconds for BERT-base); call once per worker process."""
    if spec.kind == "fallback":
        return ProfanityScorer(spec)
    return DetoxifyScorer(spec, token_budget=token_budget, threads=threads)


class ProfanityScorer:
    """alt-profanity-check's linear model: small, offline, and only a toxicity estimate."""

    def __init__(self, spec: ModelSpec) -> None:
        from profanity_check import predict_prob

        self.spec = spec
        self._predict = predict_prob

    def score(self, texts: list[str]) -> list[Scores]:
        if not texts:
            return []
        probs = self._predict(texts)
        # The other labels are not measured by this model: None says so, where 0.0 would claim "not a threat".
        return [{label: (round(float(p), 6) if label == "toxicity" else None) for label in LABELS} for p in probs]


class DetoxifyScorer:
    """A Detoxify checkpoint, loaded offline, scoring batches of whole comments."""

    def __init__(self, spec: ModelSpec, *, token_budget: int = 1024, threads: int | None = None) -> None:
        import torch
        import transformers
        from detoxify.detoxify import get_model_and_tokenizer

        if threads:
            torch.set_num_threads(threads)
        loaded = torch.load(spec.checkpoint, map_location="cpu", weights_only=False)
        args = dict(loaded["config"]["arch"]["args"])
        # Detoxify builds the config from `model_type`, a hub name in released checkpoints: pointing it at
        # the local folder loads with no network. (Passing the folder as `huggingface_config_path` instead
        # would take the label count from its config.json, which for a stock BERT folder is 2, not 6.)
        args["model_type"] = spec.hf_dir
        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        model, tokenizer = get_model_and_tokenizer(**args, state_dict=loaded["state_dict"])
        self.spec = spec
        self.class_names = [_RENAME.get(c, c) for c in loaded["config"]["dataset"]["args"]["classes"]]
        self.tokenizer = tokenizer
        self.model = _with_precision(model.eval(), spec.precision)
        self.token_budget = token_budget
        limits = [getattr(model.config, "max_position_embeddings", 512), tokenizer.model_max_length or 512]
        # RoBERTa-family models reserve two positions for the padding offset.
        offset = 2 if getattr(model.config, "model_type", "") in {"roberta", "xlm-roberta"} else 0
        self.max_tokens = min(limits[0] - offset, limits[1])
        del loaded

    def windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Model inputs covering all of each text: windows of the model's length that overlap a little
        (so a phrase on a window's edge is whole in one of them), and the text each window belongs to."""
        enc = self.tokenizer(
            texts,
            truncation=True,
            max_length=self.max_tokens,
            stride=WINDOW_OVERLAP,
            return_overflowing_tokens=True,
        )
        return enc["input_ids"], enc["overflow_to_sample_mapping"]

    def score(self, texts: list[str]) -> list[Scores]:
        """Scores for each text: of its windows, the one with the highest label score."""
        if not texts:
            return []
        inputs, owners = self.windows(texts)
        best: dict[int, Scores] = {}
        for i, scores in zip(owners, self.score_inputs(inputs), strict=True):
            if i not in best or max(scores.values()) > max(best[i].values()):
                best[i] = scores
        return [best[i] for i in range(len(texts))]

    def score_inputs(self, inputs: list[list[int]]) -> list[dict[str, float]]:
        """Run token-id sequences through the model in batches grouped by length and cut by the budget."""
        import torch

        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
        out: list[dict[str, float] | None] = [None] * len(inputs)
        for batch in token_budget_batches([len(inputs[i]) for i in order], self.token_budget):
            idx = [order[j] for j in batch]
            width = max(len(inputs[i]) for i in idx)
            pad = self.tokenizer.pad_token_id or 0
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                ids[row, : len(inputs[i])] = torch.tensor(inputs[i])
                mask[row, : len(inputs[i])] = 1
            with torch.inference_mode(), _autocast(self.spec.precision):
                logits = self.model(input_ids=ids, attention_mask=mask)[0]
            probs = torch.sigmoid(logits.float()).tolist()
            for row, i in enumerate(idx):
                out[i] = {name: round(p, 6) for name, p in zip(self.class_names, probs[row], strict=False)}
        return out  # type: ignore[return-value]


def token_budget_batches(lengths: list[int], budget: int, max_batch: int = 128) -> list[list[int]]:
    """Cut positions of length-sorted sequences into batches whose padded size stays within `budget` tokens.

    A sequence longer than the budget goes alone. Padding is what costs on a CPU: a batch of similar
    lengths wastes little, a batch padded to one long comment wastes most of its work.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    width = 0
    for pos, n in enumerate(lengths):
        if current and ((len(current) + 1) * max(width, n) > budget or len(current) >= max_batch):
            batches.append(current)
            current, width = [], 0
        current.append(pos)
        width = max(width, n)
    if current:
        batches.append(current)
    return batches


def _with_precision(model, precision: str):  # type: ignore[no-untyped-def]
    """The model at the precision asked for. int8 is torch.ao's dynamic quantization with per-channel weights.

    torch.ao's quantization is deprecated in favour of torchao, chosen knowingly: on this kind of CPU, torchao's
    int8 (dynamic activations and weights, no torch.compile) scored 16.6 comments/s on BERT-base against
    torch.ao's 35.4, and its weight-only int8 10.6 against fp32's 10.3. Per-channel weights rather than the
    default per-tensor ones halve the drift from fp32 (mean |Δ| 0.010 against 0.019 on MiniLM) at the same speed.
    """
    if precision != "int8":
        return model
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_.*", category=UserWarning)
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def _autocast(precision: str):  # type: ignore[no-untyped-def]
    import contextlib

    import torch

    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()
