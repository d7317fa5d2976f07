"""Spam signals and the spam score: plain functions over a comment and facts about its site.

Each signal that fires becomes a reason a moderator can read. The facts that need the database
(earlier posts of the same text, the author's history) are gathered by the task and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

MODEL_NAME = "signals-v1"


@dataclass(frozen=True)
class SpamFacts:
    """What the site's history says about a comment."""

    duplicates: int = 0  # earlier comments on the site with the same text, within the policy's window
    duplicate_window_hours: int = 168


@dataclass(frozen=True)
class Signal:
    code: str
    score: float  # the signal's own spam probability, 0–1
    value: float | None
    message: str


def link_signal(n_links: int) -> Signal | None:
    """One link is ordinary; each further link makes spam likelier."""
    if n_links < 2:
        return None
    score = min(0.95, 0.25 * (n_links - 1))
    return Signal("spam.links", score, n_links, f"{n_links} links in the comment.")


def duplicate_signal(facts: SpamFacts) -> Signal | None:
    """The same text posted on the site before, within the window: what spam runs look like."""
    if facts.duplicates < 1:
        return None
    score = 0.6 if facts.duplicates == 1 else min(0.95, 0.6 + 0.15 * facts.duplicates)
    times = "once" if facts.duplicates == 1 else f"{facts.duplicates} times"
    return Signal(
        "spam.duplicate",
        score,
        facts.duplicates,
        f"The same text was posted on this site {times} before in the last {facts.duplicate_window_hours} hours.",
    )


def signals(*, links: list[str], facts: SpamFacts) -> list[Signal]:
    """Every spam signal that fires for a comment."""
    return [s for s in (link_signal(len(links)), duplicate_signal(facts)) if s is not None]


def spam_score(fired: list[Signal]) -> float:
    """Signals combined as independent evidence (noisy-OR): 1 − Π(1 − score)."""
    clean = 1.0
    for s in fired:
        clean *= 1.0 - s.score
    return round(1.0 - clean, 4)
