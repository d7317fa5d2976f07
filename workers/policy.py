"""The site policy applied to a comment's scores: approve, hold or reject, with the reasons why.

A plain function over plain data: the policy is the merged dict the site stores (see
`service/sites/policy.py` for its defaults), the scores come from the toxicity and spam scorers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from workers.spam import Signal

_LABEL_WORDS = {
    "toxicity": "Toxicity",
    "severe_toxicity": "Severe toxicity",
    "obscene": "Obscenity",
    "threat": "Threat",
    "insult": "Insult",
    "identity_attack": "Identity attack",
    "sexual_explicit": "Sexually explicit",
}


@dataclass
class Decision:
    decision: str  # approve | hold | reject
    category: str | None  # toxic | spam | None
    reasons: list[dict] = field(default_factory=list)


def _reason(
    code: str, score: float | None, threshold: float | None, message: str, *, action: str, category: str
) -> dict:
    return {
        "code": code,
        "score": score,
        "threshold": threshold,
        "message": message,
        "_action": action,
        "_category": category,
    }


@lru_cache(maxsize=256)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Whole words or phrases, case-insensitive; white space inside a phrase matches any run of it."""
    parts = [r"\s+".join(map(re.escape, w.split())) for w in words if w.strip()]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def matched_words(text: str, words: list[str]) -> list[str]:
    """The listed words or phrases that occur in the text, in the case the list gives them."""
    pattern = _word_pattern(tuple(words))
    if pattern is None:
        return []
    found = {m.group(0).casefold() for m in pattern.finditer(text)}
    return [w for w in words if " ".join(w.split()).casefold() in {" ".join(f.split()) for f in found}]


def _toxicity_reasons(scores: dict[str, float | None], policy: dict) -> list[dict]:
    out = []
    for label, value in scores.items():
        limits = policy["toxicity"].get(label)
        if value is None or not limits:
            continue
        name = _LABEL_WORDS.get(label, label)
        for action in ("reject", "hold"):
            threshold = limits.get(action)
            if threshold is not None and value >= threshold:
                out.append(
                    _reason(
                        f"toxicity.{label}",
                        value,
                        threshold,
                        f"{name} score {value:.2f} is at or above the {action} threshold {threshold:.2f}.",
                        action=action,
                        category="toxic",
                    )
                )
                break
    return out


def _spam_reasons(spam: float, fired: list[Signal], n_links: int, policy: dict) -> list[dict]:
    out = []
    for action in ("reject", "hold"):
        threshold = policy["spam"].get(action)
        if threshold is not None and spam >= threshold:
            why = "; ".join(s.message for s in fired) or "spam signals"
            out.append(
                _reason(
                    "spam.score",
                    spam,
                    threshold,
                    f"Spam score {spam:.2f} is at or above the {action} threshold {threshold:.2f} ({why})",
                    action=action,
                    category="spam",
                )
            )
            break
    limit = policy.get("max_links")
    if limit is not None and n_links > limit:
        out.append(
            _reason(
                "spam.links",
                float(n_links),
                float(limit),
                f"{n_links} links, more than the {limit} this site allows.",
                action="hold",
                category="spam",
            )
        )
    return out


def _word_reasons(text: str, policy: dict) -> list[dict]:
    out = []
    blocked = matched_words(text, policy.get("blocked_words") or [])
    if blocked:
        out.append(
            _reason(
                "words.blocked",
                None,
                None,
                "Contains blocked words: " + ", ".join(blocked) + ".",
                action="reject",
                category="spam",
            )
        )
    watched = matched_words(text, policy.get("watch_words") or [])
    if watched:
        out.append(
            _reason(
                "words.watched",
                None,
                None,
                "Contains watched words: " + ", ".join(watched) + ".",
                action="hold",
                category="spam",
            )
        )
    return out


def decide(
    *,
    text: str,
    toxicity: dict[str, float | None],
    spam: float,
    fired: list[Signal],
    n_links: int,
    policy: dict,
    author_approved: int = 0,
) -> Decision:
    """Apply the policy: any reject reason rejects, else any hold reason holds, else approve.

    The category is that of the reasons that made the decision, toxic before spam when both do.
    """
    reasons = _toxicity_reasons(toxicity, policy) + _spam_reasons(spam, fired, n_links, policy)
    reasons += _word_reasons(text, policy)
    rejecting = [r for r in reasons if r["_action"] == "reject"]
    holding = [r for r in reasons if r["_action"] == "hold"]
    if rejecting:
        decision, deciding = "reject", rejecting
    elif holding:
        decision, deciding = "hold", holding
    else:
        return Decision("approve", None, [])

    if (
        decision == "hold"
        and policy.get("trust_approved_authors")
        and author_approved > 0
        and all(r["_category"] == "spam" and r["code"].startswith("spam.") for r in holding)
    ):
        why = "; ".join(r["message"] for r in holding)
        return Decision(
            "approve",
            None,
            [
                {
                    "code": "author.trusted",
                    "score": None,
                    "threshold": None,
                    "message": f"Approved although spam signals would hold it ({why}): the author has "
                    f"{author_approved} approved comment{'s' if author_approved != 1 else ''} on this site.",
                }
            ],
        )

    category = "toxic" if any(r["_category"] == "toxic" for r in deciding) else "spam"
    # Reasons for the decision first, then the lesser ones, most severe first within each.
    ordered = deciding + [r for r in reasons if r not in deciding]
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in ordered]
    return Decision(decision, category, public)
