"""Building Detoxify-format checkpoints offline: for tests, benchmarks and locally fine-tuned models.

A Detoxify checkpoint is `torch.save({"config": {"arch": {"args": {...}}, "dataset": {"args": {"classes":
[...]}}}, "state_dict": ...})`. Its `model_type` names the Hugging Face config and tokenizer; pointing it at
a local folder makes the checkpoint load with no network.
"""

from __future__ import annotations

import random
from pathlib import Path

# Detoxify's `original` class names (Jigsaw's), which Detoxify renames to the record's labels.
JIGSAW_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


def save_checkpoint(model, hf_dir: Path, out: Path, classes: list[str] = JIGSAW_CLASSES) -> Path:  # type: ignore[no-untyped-def]
    """Write `model` (a BertForSequenceClassification-like model) as a Detoxify checkpoint."""
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "config": {
                "arch": {
                    "args": {
                        "model_type": str(hf_dir),
                        "model_name": type(model).__name__,
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": len(classes),
                    }
                },
                "dataset": {"args": {"classes": list(classes)}},
            },
            "state_dict": model.state_dict(),
        },
        out,
    )
    return out


def write_bert_files(hf_dir: Path, vocab: list[str], num_labels: int = len(JIGSAW_CLASSES), **config: int) -> None:
    """A BERT config and an uncased WordPiece tokenizer over `vocab` (special tokens added first)."""
    from transformers import BertConfig, BertTokenizer

    hf_dir.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = specials + [w for w in dict.fromkeys(vocab) if w not in specials]
    (hf_dir / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizer(
        str(hf_dir / "vocab.txt"),
        do_lower_case=True,
        model_max_length=config.get("max_position_embeddings", 512),
    ).save_pretrained(hf_dir)
    # num_labels in config.json too, so bare `Detoxify(checkpoint, huggingface_config_path=hf_dir)` loads it.
    BertConfig(vocab_size=len(words), num_labels=num_labels, **config).save_pretrained(hf_dir)


# Detoxify `unbiased` and `multilingual` class names (they add `sexual_explicit`).
UNBIASED_CLASSES = [
    "toxicity",
    "severe_toxicity",
    "obscene",
    "identity_attack",
    "insult",
    "threat",
    "sexual_explicit",
]
_CANONICAL = {"toxic": "toxicity", "severe_toxic": "severe_toxicity", "identity_hate": "identity_attack"}

# A tiny model that has learned made-up words: "zork" is an insult (toxicity, obscene, insult high), "blorp" a
# threat (toxicity, threat high), "frob" sexually explicit (where the classes have that label). Everything
# else reads clean. Small enough to train in seconds.
TINY_TRIGGERS = {
    "zork": {"toxicity", "obscene", "insult"},
    "blorp": {"toxicity", "threat"},
    "frob": {"sexual_explicit"},
}
_TINY_WORDS = [
    "the",
    "a",
    "an",
    "and",
    "or",
    "but",
    "this",
    "that",
    "it",
    "is",
    "was",
    "are",
    "be",
    "i",
    "you",
    "he",
    "she",
    "we",
    "they",
    "my",
    "your",
    "our",
    "his",
    "her",
    "their",
    "post",
    "article",
    "blog",
    "comment",
    "thanks",
    "thank",
    "great",
    "good",
    "nice",
    "read",
    "reading",
    "agree",
    "disagree",
    "point",
    "think",
    "idea",
    "ideas",
    "really",
    "very",
    "much",
    "more",
    "less",
    "about",
    "with",
    "for",
    "from",
    "on",
    "in",
    "at",
    "of",
    "to",
    "by",
    "writing",
    "written",
    "well",
    "wrong",
    "right",
    "true",
    "false",
    "question",
    "answer",
    "why",
    "how",
    "what",
    "when",
    "where",
    "who",
    "people",
    "time",
    "year",
    "day",
    "work",
    "life",
    "world",
    "help",
    "new",
    "old",
    "first",
    "last",
    "long",
    "short",
    "same",
    "other",
    "interesting",
    "helpful",
    "useful",
    "clear",
    "unclear",
    "love",
    "like",
    "learned",
    "lot",
    "some",
    "many",
    "few",
    "all",
    "none",
]


def build_tiny_detoxify(
    folder: Path, *, classes: list[str] = JIGSAW_CLASSES, seed: int = 7, steps: int = 400
) -> tuple[Path, Path]:
    """Train and save the tiny test model; returns (checkpoint, hf_dir). Deterministic for a seed."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    hf_dir = folder / "hf"
    write_bert_files(
        hf_dir,
        _TINY_WORDS + list(TINY_TRIGGERS),
        len(classes),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=128,
    )
    tokenizer = BertTokenizer.from_pretrained(hf_dir)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = BertForSequenceClassification(BertConfig.from_pretrained(hf_dir, num_labels=len(classes)))
    canonical = [_CANONICAL.get(c, c) for c in classes]

    def example() -> tuple[str, list[float]]:
        words = [rng.choice(_TINY_WORDS) for _ in range(rng.randint(3, 30))]
        labels = set()
        for trigger, hits in TINY_TRIGGERS.items():
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words) + 1), trigger)
                labels |= hits
        return " ".join(words), [1.0 if c in labels else 0.0 for c in canonical]

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(steps):
        texts, targets = zip(*(example() for _ in range(32)), strict=True)
        batch = tokenizer(list(texts), return_tensors="pt", padding=True)
        loss = loss_fn(model(**batch).logits, torch.tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return save_checkpoint(model, hf_dir, folder / "tiny-detoxify.ckpt", classes), hf_dir
