"""`make eval-spam` on a sample: verdicts through the API teach the filter what signals alone miss."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_eval_spam_learns_from_verdicts(tmp_path: Path) -> None:
    """Does the eval run end to end on real data, and do 300 verdicts lift the score well above cold start?"""
    out = tmp_path / "spam.json"
    args = ["--sets", "sms", "--sample", "700", "--verdicts", "300", "--sms-splits", "1", "--sms-test", "300"]
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "eval_spam.py"), *args, "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cold start (signals)" in done.stdout and "after 300 verdicts" in done.stdout
    sms = json.loads(out.read_text())["sets"]["sms"]
    assert sms["labelled"] == 700 and sms["after_learning"]["held_out"] == 300
    assert sms["after_learning"]["roc_auc"] > sms["cold_start"]["roc_auc"] + 0.1
    assert sms["after_learning"]["best_f1"] > 0.8
    assert 0 < json.loads(out.read_text())["scoring_p99_ms"] < 1000
