"""Toxicity scoring: model resolution, token-budget batching, whole-text windows, the fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.toxicity import (
    LABELS,
    ModelUnavailable,
    load_scorer,
    resolve_model,
    token_budget_batches,
)


def test_batches_stay_within_the_token_budget() -> None:
    """Does every batch's padded size (rows × longest) stay within the budget, covering every item once?"""
    lengths = sorted([5, 7, 9, 30, 31, 32, 100, 120, 400, 600])
    batches = token_budget_batches(lengths, budget=128)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 128
    assert [len(b) for b in batches][:1] == [4]  # 5,7,9,30 → 4 × 30 = 120; a fifth would make 5 × 31


def test_batches_respect_the_row_cap() -> None:
    assert [len(b) for b in token_budget_batches([1] * 300, budget=10_000, max_batch=128)] == [128, 128, 44]


def test_named_model_without_local_copy_falls_back_with_instructions(tmp_path: Path) -> None:
    """Is a missing named model replaced by the fallback, with what is missing and how to get it?"""
    spec = resolve_model("original", hf_dir=None, model_dir=str(tmp_path))
    assert spec.kind == "fallback" and spec.degraded and spec.name == "alt-profanity-check"
    assert str(tmp_path) in spec.detail and "moderation models pull original" in spec.detail


def test_required_model_raises_instead_of_falling_back(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="MODERATION_TOXICITY_REQUIRED=1"):
        resolve_model("original", hf_dir=None, model_dir=str(tmp_path), required=True)


def test_unknown_model_name_and_bad_precision_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="neither a Detoxify model"):
        resolve_model("gpt-9", hf_dir=None, model_dir=str(tmp_path))
    with pytest.raises(ModelUnavailable, match="PRECISION"):
        resolve_model("original", hf_dir=None, model_dir=str(tmp_path), precision="fp8")


def test_pulled_model_folder_is_found(tmp_path: Path, tiny_model: tuple[Path, Path]) -> None:
    """Is a model laid out as `models pull` stores it (<dir>/<name>/checkpoint.ckpt + hf/) used?"""
    import shutil

    ckpt, hf = tiny_model
    (tmp_path / "original").mkdir()
    shutil.copy(ckpt, tmp_path / "original" / "checkpoint.ckpt")
    shutil.copytree(hf, tmp_path / "original" / "hf")
    spec = resolve_model("original", hf_dir=None, model_dir=str(tmp_path))
    assert spec.kind == "detoxify" and spec.name == "detoxify-original" and not spec.degraded


@pytest.fixture(scope="module")
def tiny_scorer(tiny_model: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    return load_scorer(resolve_model(str(tiny_model[0]), hf_dir=None, model_dir="/nonexistent"), token_budget=256)


def test_detoxify_scores_all_six_labels_per_text(tiny_scorer) -> None:  # type: ignore[no-untyped-def]
    """Does each text get the six labels, with the trained words driving the right ones?"""
    clean, insult, threat = tiny_scorer.score(["thanks for the great post", "you zork", "blorp you"])
    assert set(clean) == set(LABELS) and set(insult) == set(LABELS)
    assert max(clean.values()) < 0.3
    assert insult["insult"] > 0.9 and insult["obscene"] > 0.9
    assert threat["threat"] > 0.8 and threat["insult"] < 0.3


def test_single_text_gives_floats_not_lists(tiny_scorer) -> None:  # type: ignore[no-untyped-def]
    """Detoxify's one-item quirk (floats instead of lists) must not leak into our results."""
    (only,) = tiny_scorer.score(["you zork"])
    assert all(isinstance(v, float) for v in only.values())


def test_long_text_is_windowed_not_truncated(tiny_scorer) -> None:  # type: ignore[no-untyped-def]
    """Is a word beyond the model's length (128 tokens here) found, and a window edge covered?"""
    filler = "thanks for the post it was very interesting " * 40
    inputs, owners = tiny_scorer.windows([filler + "zork", "short"])
    assert owners.count(0) >= 3 and owners.count(1) == 1
    assert all(len(w) <= tiny_scorer.max_tokens for w in inputs)
    tail, head, clean = tiny_scorer.score([filler + " you zork", "you zork " + filler, filler])
    assert tail["insult"] > 0.9 and head["insult"] > 0.9 and clean["insult"] < 0.3


def test_batched_scores_match_one_at_a_time(tiny_scorer) -> None:  # type: ignore[no-untyped-def]
    """Does padding within a length-sorted batch leave each text's scores unchanged?"""
    texts = ["you zork", "thanks for the great post about reading and writing", "blorp", "a", "nice " * 60]
    together = tiny_scorer.score(texts)
    alone = [tiny_scorer.score([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert all(abs(a[k] - b[k]) < 1e-4 for k in a)


def test_fallback_scores_toxicity_only() -> None:
    """Does the fallback score the toxicity label and leave the others unmeasured (None)?"""
    scorer = load_scorer(resolve_model("original", hf_dir=None, model_dir="/nonexistent"))
    rude, kind = scorer.score(["fuck off you idiot", "have a lovely day"])
    assert rude["toxicity"] > 0.9 > 0.2 > kind["toxicity"]
    assert all(rude[k] is None for k in LABELS if k != "toxicity")


def test_released_style_checkpoint_loads_offline_from_hf_dir(
    tmp_path: Path, tiny_model: tuple[Path, Path]
) -> None:
    """A released Detoxify checkpoint names a hub model ("bert-base-uncased"): does MODERATION_TOXICITY_HF_DIR
    make it load offline, taking the label count from the checkpoint (not the folder's config.json)?"""
    import json
    import shutil

    import torch

    ckpt, hf = tiny_model
    loaded = torch.load(ckpt, weights_only=False)
    loaded["config"]["arch"]["args"]["model_type"] = "bert-base-uncased"
    released = tmp_path / "toxic_original.ckpt"
    torch.save(loaded, released)
    folder = tmp_path / "hf"
    shutil.copytree(hf, folder)
    config = json.loads((folder / "config.json").read_text())
    for key in ("id2label", "label2id"):
        config.pop(key, None)  # a stock BERT config: two labels
    (folder / "config.json").write_text(json.dumps(config))

    without = resolve_model(str(released), hf_dir=None, model_dir=str(tmp_path))
    assert without.kind == "fallback" and "MODERATION_TOXICITY_HF_DIR" in without.detail
    spec = resolve_model(str(released), hf_dir=str(folder), model_dir=str(tmp_path))
    (scores,) = load_scorer(spec).score(["you zork"])
    assert set(scores) == set(LABELS) and scores["insult"] > 0.9
