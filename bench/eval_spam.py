"""`make eval-spam`: how well the spam scorer separates spam from ham, cold and after learning from verdicts.

Everything runs through the service's own code on a real Redis server and a real (SQLite) database:
comments are posted to `POST /v1/comments`, verdicts to `POST /v1/comments/<id>/decision` (Flask's test
client, so the routes, schemas and stores are the real ones); the learning step is `learn_verdict`, what the
`learn` task runs; scores come from `pipeline.gather` and `pipeline.assess_spam`, what the `score` task runs
(toxicity aside). Each comment is scored on its own, so the time per comment includes its own database
and Redis reads rather than a share of a batch's.

1. Cold start: every labelled comment of a set, posted in file order to a new site, scored on signals alone.
2. After learning: a stratified random split, N verdicts (default 500) posted and learned, then the held-out
   rest posted and scored. Repeated on several splits, each on a fresh database and Redis, and averaged:
   the blog set holds out only ~108 comments per split.

Prints precision, recall and F1 at the default policy's hold threshold, the best F1 over thresholds,
precision at recall ≥ 0.80, ROC-AUC and per-comment spam scoring time; writes bench/results/spam.json.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_auc_score

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class Example:
    text: str
    spam: int
    post: str | None = None


def blog_comments() -> list[Example]:
    """DataCamp tutorial comments, hand-labelled spam/not spam (only the labelled rows)."""
    path = DATA / "datacamp_blog_comment_spam" / "datacamp_comments_labeled_phase2.csv"
    with open(path, newline="", encoding="utf-8") as f:
        return [Example(r["comment"], int(r["label"]), r["articleName"][:1000] or None)
                for r in csv.DictReader(f) if r["label"] in ("0", "1") and r["comment"].strip()]  # fmt: skip


def sms_messages() -> list[Example]:
    """The SMS Spam Collection: short messages, ham or spam."""
    with open(DATA / "sms_spam" / "SMSSpamCollection", encoding="utf-8") as f:
        rows = [line.rstrip("\r\n").split("\t", 1) for line in f if "\t" in line]
    return [Example(text, int(label == "spam")) for label, text in rows if text.strip()]


def keyword_rule(text: str) -> int:
    """The issue's bar: flag any comment containing "http", "subscribe" or "check out"."""
    lowered = text.lower()
    return int(any(k in lowered for k in ("http", "subscribe", "check out")))


class Harness:
    """A fresh service (SQLite database, real Redis server) with one site, driven in-process."""

    def __init__(self, root: Path) -> None:
        from service import create_app, migrate
        from service.runner import Runner, start_embedded_redis
        from service.sites.store import create_site

        self.runner = Runner(dict(os.environ))
        redis_url = start_embedded_redis(self.runner, root)
        # The eval posts thousands of comments a minute from one key: lift the per-key rate limit.
        self.app = create_app({"DATA_DIR": str(root), "REDIS_URL": redis_url, "RATE_LIMIT_PER_MINUTE": 10**9})
        self.context = self.app.app_context()
        self.context.push()
        migrate.upgrade()
        site, key, _ = create_site(name="eval", webhook_url="http://127.0.0.1:9/unused")
        self.site_id = site.id
        self.client = self.app.test_client()
        self.headers = {"Authorization": f"Bearer {key}"}
        self.posted = 0

    def close(self) -> None:
        from service.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.context.pop()
        self.runner.stop()

    def post(self, example: Example) -> str:
        self.posted += 1
        body = {"comment_id": f"c{self.posted}", "content": example.text}
        if example.post:
            body["post"] = {"title": example.post}
        response = self.client.post("/v1/comments", json=body, headers=self.headers)
        if response.status_code != 202:
            raise RuntimeError(f"intake answered {response.status_code}: {response.get_data(as_text=True)}")
        return response.get_json()["id"]

    def score(self, moderation_id: str) -> tuple[float, list[str], float]:
        """(spam score, signal codes, milliseconds) for one pending comment, as the score task gets them.

        Timed: what spam scoring adds to a comment's scoring, from the comment's row to its spam score (the
        site's history in the database, burst counters in Redis, the signals, the classifiers); not timed:
        reading the row and the site's policy, which scoring toxicity alone needs too."""
        from service.comments.models import Moderation
        from service.extensions import db, redis_client
        from service.sites.models import Site
        from service.sites.policy import effective_policy
        from workers import pipeline

        m = db.session.get(Moderation, moderation_id)
        policy = effective_policy(db.session.get(Site, m.site_id).policy)
        redis = redis_client(self.app)
        started = time.perf_counter()
        [(score, fired)] = pipeline.assess_spam([pipeline.job_for(m, policy, redis)])
        elapsed = (time.perf_counter() - started) * 1000
        db.session.rollback()
        return score, [s.code for s in fired], elapsed

    def score_batches(self, moderation_ids: list[str], size: int = 32) -> list[float]:
        """Milliseconds per comment when scored in batches, as a busy score worker takes them (`gather`,
        with its reads of the comments and their site's history, then `assess_spam`)."""
        from service.extensions import db
        from workers import pipeline

        out = []
        for i in range(0, len(moderation_ids), size):
            chunk = moderation_ids[i : i + size]
            started = time.perf_counter()
            pipeline.assess_spam(pipeline.gather([(m, 1) for m in chunk]))
            out.append((time.perf_counter() - started) * 1000 / len(chunk))
            db.session.rollback()
        return out

    def verdict(self, moderation_id: str, spam: int) -> int:
        """A moderator's verdict through the API; returns the stored verdict's id."""
        from service.extensions import db
        from service.spam.models import SpamVerdict

        body = {"decision": "reject", "category": "spam"} if spam else {"decision": "approve"}
        response = self.client.post(f"/v1/comments/{moderation_id}/decision", json=body, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"decision answered {response.status_code}: {response.get_data(as_text=True)}")
        return db.session.scalar(db.select(SpamVerdict.id).filter_by(moderation_id=moderation_id))

    def learn(self, verdict_ids: list[int]) -> float:
        """Each verdict's `learn` task, run as a worker runs it; milliseconds in all.

        The first takes along every verdict waiting, as the worker does after a moderator's bulk action;
        the model it leaves is the one one-at-a-time learning leaves (both retrain on all standing verdicts
        while a site has up to 2,000), so the figures are those of verdicts learned as they come."""
        from service.extensions import redis_client
        from workers.learning import learn_verdict

        started = time.perf_counter()
        outcomes = [learn_verdict(v, redis=redis_client(self.app)) for v in verdict_ids]
        if outcomes.count("learned") < 1:
            raise RuntimeError(f"nothing learned: {set(outcomes)}")
        return (time.perf_counter() - started) * 1000


@contextlib.contextmanager
def harness() -> Iterator[Harness]:
    with tempfile.TemporaryDirectory(prefix="eval-spam-") as root:
        h = Harness(Path(root))
        try:
            yield h
        finally:
            h.close()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def metrics(labels: list[int], scores: list[float], *, threshold: float) -> dict:
    """Precision/recall/F1 at the threshold, best F1 over thresholds, precision at recall ≥ 0.8, ROC-AUC."""
    y, s = np.array(labels), np.array(scores)
    flagged = s >= threshold
    tp = int((flagged & (y == 1)).sum())
    precision = tp / flagged.sum() if flagged.any() else 0.0
    recall = tp / (y == 1).sum()
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    p, r, t = precision_recall_curve(y, s)
    f1s = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0)[:-1]
    best = int(np.argmax(f1s))
    return {
        "n": len(labels), "spam": int(y.sum()), "threshold": threshold,
        "precision": round(float(precision), 4), "recall": round(float(recall), 4), "f1": round(float(f1), 4),
        "best_f1": round(float(f1s[best]), 4), "best_f1_threshold": round(float(t[best]), 4),
        "best_f1_precision": round(float(p[best]), 4), "best_f1_recall": round(float(r[best]), 4),
        "precision_at_recall_0_8": round(float(p[r >= 0.8].max()), 4),
        "roc_auc": round(float(roc_auc_score(y, s)), 4) if 0 < y.sum() < len(y) else None,
    }  # fmt: skip


def rule_metrics(examples: list[Example]) -> dict:
    labels = [e.spam for e in examples]
    return metrics(labels, [float(keyword_rule(e.text)) for e in examples], threshold=0.5)


def cold_start(examples: list[Example], threshold: float) -> tuple[dict, list[float], dict[str, int]]:
    """Every example posted in order to a new site and scored on signals alone."""
    scores, times, fired = [], [], {}
    with harness() as h:
        for e in examples:
            score, codes, ms = h.score(h.post(e))
            scores.append(score)
            times.append(ms)
            for code in codes:
                fired[code] = fired.get(code, 0) + 1
    return metrics([e.spam for e in examples], scores, threshold=threshold), times, fired


def split(examples: list[Example], n_train: int, n_test: int | None, seed: int) -> tuple[list, list]:
    """A stratified random split: the training verdicts in the set's spam share, the held-out rest."""
    rng = random.Random(seed)
    spam = [e for e in examples if e.spam]
    ham = [e for e in examples if not e.spam]
    rng.shuffle(spam)
    rng.shuffle(ham)
    n_spam = round(n_train * len(spam) / len(examples))
    train = spam[:n_spam] + ham[: n_train - n_spam]
    rest = spam[n_spam:] + ham[n_train - n_spam :]
    rng.shuffle(train)
    rng.shuffle(rest)
    if n_test is not None and len(rest) > n_test:
        rest_spam = [e for e in rest if e.spam]
        keep = round(n_test * len(rest_spam) / len(rest))
        rest = rest_spam[:keep] + [e for e in rest if not e.spam][: n_test - keep]
        rng.shuffle(rest)
    return train, rest


def after_learning(
    examples: list[Example], *, n_train: int, n_test: int | None, splits: int, threshold: float
) -> tuple[dict, list[dict], list[float], list[float]]:
    runs, times, learn_times, batched = [], [], [], []
    for seed in range(splits):
        train, test = split(examples, n_train, n_test, seed)
        with harness() as h:
            learn_times.append(h.learn([h.verdict(h.post(e), e.spam) for e in train]))
            scores, ids = [], []
            for e in test:
                ids.append(h.post(e))
                score, _, ms = h.score(ids[-1])
                scores.append(score)
                times.append(ms)
            batched += h.score_batches(ids)
        runs.append(metrics([e.spam for e in test], scores, threshold=threshold))
    keys = ["precision", "recall", "f1", "best_f1", "precision_at_recall_0_8", "roc_auc"]
    mean = {k: round(statistics.fmean(r[k] for r in runs), 4) for k in keys}
    mean |= {f"{k}_min": min(r[k] for r in runs) for k in ("f1", "best_f1", "roc_auc")}
    mean |= {f"{k}_max": max(r[k] for r in runs) for k in ("f1", "best_f1", "roc_auc")}
    mean |= {"splits": splits, "train_verdicts": n_train}
    mean |= {"held_out": runs[0]["n"], "held_out_spam": runs[0]["spam"]}
    return mean, runs, times, learn_times, batched


def line(name: str, m: dict) -> str:
    auc = "—" if m.get("roc_auc") is None else f"{m['roc_auc']:.3f}"
    return (f"  {name:<26} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}   "
            f"best F1 {m['best_f1']:.3f}   P@R≥0.8 {m['precision_at_recall_0_8']:.3f}"
            f"   ROC-AUC {auc}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verdicts", type=int, default=500, help="training verdicts per split (500)")
    parser.add_argument("--blog-splits", type=int, default=10, help="random splits of the blog set (10)")
    parser.add_argument("--sms-splits", type=int, default=3, help="random splits of the SMS set (3)")
    parser.add_argument("--sms-test", type=int, default=1000, help="held-out SMS messages per split (1000)")
    parser.add_argument("--sets", default="blog,sms", help="which sets: blog, sms or both (blog,sms)")
    parser.add_argument("--sample", type=int, help="use a stratified random sample of this many from each set")
    parser.add_argument("--out", type=Path, default=RESULTS / "spam.json", help="where to write the figures")
    args = parser.parse_args()
    os.environ.setdefault("MODERATION_LOG_LEVEL", "WARNING")

    from service.sites.policy import DEFAULT_POLICY

    threshold = DEFAULT_POLICY["spam"]["hold"]
    sets = {"blog": (blog_comments, args.blog_splits, None), "sms": (sms_messages, args.sms_splits, args.sms_test)}
    report: dict = {"hold_threshold": threshold, "sets": {}}
    all_times: list[float] = []
    for name in args.sets.split(","):
        load, splits, n_test = sets[name]
        examples = load()
        if args.sample and args.sample < len(examples):
            examples = sorted(split(examples, args.sample, None, seed=99)[0], key=examples.index)
        spam = sum(e.spam for e in examples)
        print(f"\n{name}: {len(examples)} labelled, {spam} spam ({spam / len(examples):.0%})", flush=True)
        rule = rule_metrics(examples)
        print(line('keyword rule ("http" …)', rule), flush=True)
        cold, cold_times, fired = cold_start(examples, threshold)
        print(line("cold start (signals)", cold), flush=True)
        learned, runs, times, learn_times, batched = after_learning(
            examples, n_train=args.verdicts, n_test=n_test, splits=splits, threshold=threshold
        )
        print(line(f"after {args.verdicts} verdicts", learned), flush=True)
        print(f"  {'':<26} {splits} splits, {learned['held_out']} held out each "
              f"({learned['held_out_spam']} spam): F1 {learned['f1_min']:.3f}–{learned['f1_max']:.3f}, "
              f"ROC-AUC {learned['roc_auc_min']:.3f}–{learned['roc_auc_max']:.3f}")  # fmt: skip
        both = cold_times + times
        all_times += both
        timing = {"p50_ms": round(percentile(both, 50), 2), "p99_ms": round(percentile(both, 99), 2),
                  "batched_mean_ms": round(statistics.fmean(batched), 2),
                  "batched_p99_ms": round(percentile(batched, 99), 2),
                  "learning_ms": round(statistics.fmean(learn_times), 1)}  # fmt: skip
        print(f"  spam scoring per comment: p50 {timing['p50_ms']:.1f} ms, p99 {timing['p99_ms']:.1f} ms "
              f"one at a time (database and Redis reads included); {timing['batched_mean_ms']:.2f} ms "
              f"in batches of 32; learning {args.verdicts} verdicts: {timing['learning_ms']:.0f} ms")  # fmt: skip
        report["sets"][name] = {
            "labelled": len(examples), "spam": spam, "keyword_rule": rule, "cold_start": cold,
            "cold_start_signals_fired": dict(sorted(fired.items())),
            "after_learning": learned, "after_learning_splits": runs, "timing": timing,
        }  # fmt: skip
    report["scoring_p50_ms"] = round(percentile(all_times, 50), 2)
    report["scoring_p99_ms"] = round(percentile(all_times, 99), 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nspam scoring p99 over all {len(all_times)} comments: {report['scoring_p99_ms']:.1f} ms "
          f"(target < 5 ms); wrote {args.out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
