"""Spam signals: plain functions over a comment and facts about its site, each fired one a reason.

The facts that need the database or Redis (earlier posts of the same text, bursts from one source, the
author's history) are gathered by the pipeline and passed in as `SpamFacts`. Each signal has its own spam
probability; `signal_score` combines them as independent evidence. The learned classifier (spam_model.py)
joins them as one more signal once it has learned enough verdicts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from workers.spam_lists import (
    DISPOSABLE_EMAIL_DOMAINS,
    PROMOTIONAL_PHRASES,
    URL_SHORTENERS,
    WEAK_PROMOTIONAL_PHRASES,
)

SIGNALS_VERSION = "signals-v2"


@dataclass(frozen=True)
class SpamComment:
    """What the spam scorer reads of a comment."""

    text: str
    links: list[str] = field(default_factory=list)
    author_email: str | None = None
    author_url: str | None = None
    honeypot: str | None = None
    form_rendered_at: datetime | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class SpamFacts:
    """What the site's history says about a comment."""

    duplicates: int = 0  # earlier comments on the site with the same folded text, within the window
    near_duplicates: int = 0  # earlier comments whose text differs only a little (SimHash)
    duplicate_window_hours: int = 168
    author_earlier: int = 0  # earlier comments on the site by the same author
    bursts: dict[str, int] = field(default_factory=dict)  # "ip"/"email"/"author" → comments in the window
    burst_window_minutes: int = 10
    burst_limit: int = 5
    blocked_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signal:
    code: str
    score: float  # the signal's own spam probability, 0–1
    value: float | None
    message: str


def domain(url: str) -> str:
    """The host of a URL or bare `www.` link, lower case, without `www.`."""
    target = url if "//" in url else "//" + url
    host = (urlsplit(target).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def _under(host: str, domains: tuple[str, ...] | frozenset[str]) -> str | None:
    """The listed domain that `host` is, or is a subdomain of."""
    parts = host.split(".")
    for i in range(len(parts) - 1):
        candidate = ".".join(parts[i:])
        if candidate in domains:
            return candidate
    return None


def link_signals(c: SpamComment, facts: SpamFacts) -> list[Signal]:
    out = []
    n = len(c.links)
    if n >= 2:
        out.append(Signal("spam.links", min(0.95, 0.25 * (n - 1)), n, f"{n} links in the comment."))
    words = len(re.findall(r"\w+", re.sub(r"\S*(?:https?://|www\.)\S*", " ", c.text)))
    if n and words < 8 * n:
        out.append(
            Signal(
                "spam.link_ratio",
                0.45,
                round(words / n, 1),
                f"Mostly links: {words} words of text for {n} link{'s' if n > 1 else ''}.",
            )
        )
    hosts = [domain(u) for u in c.links]
    shorteners = sorted({h for h in hosts if _under(h, URL_SHORTENERS)})
    if shorteners:
        out.append(
            Signal(
                "spam.shortener",
                0.7,
                len(shorteners),
                f"Links through URL shorteners, which hide where they go: {', '.join(shorteners)}.",
            )
        )
    blocked = sorted(
        {b for h in [*hosts, domain(c.author_url or "")] if h and (b := _under(h, facts.blocked_domains))}
    )
    if blocked:
        out.append(
            Signal(
                "spam.blocked_domain",
                0.97,
                len(blocked),
                f"Links to domains this site blocks: {', '.join(blocked)}.",
            )
        )
    return out


def _repeat_weight(text: str) -> float:
    """How much a repeat of this text says: short stock phrases ("Great post!") are repeated by many honest
    readers; a repeated paragraph is a spam run. Full weight from twelve words."""
    return min(1.0, len(re.findall(r"\w+", text)) / 12)


def history_signals(c: SpamComment, facts: SpamFacts) -> list[Signal]:
    out = []
    weight = _repeat_weight(c.text)
    if facts.duplicates and weight >= 0.25:
        times = "once" if facts.duplicates == 1 else f"{facts.duplicates} times"
        # One earlier copy is noted but does not hold a comment alone (a reader's double submit, a quote);
        # a run of copies does.
        score = min(0.95, 0.3 + 0.15 * facts.duplicates) * weight
        out.append(
            Signal(
                "spam.duplicate",
                round(score, 4),
                facts.duplicates,
                f"The same text was posted on this site {times} before in the last "
                f"{facts.duplicate_window_hours} hours.",
            )
        )
    elif facts.near_duplicates and weight >= 2 / 3:  # SimHash says little about a text of a few words
        score = min(0.9, 0.3 + 0.15 * facts.near_duplicates) * weight
        out.append(
            Signal(
                "spam.near_duplicate",
                round(score, 4),
                facts.near_duplicates,
                f"Nearly the same text was posted on this site {facts.near_duplicates} time"
                f"{'s' if facts.near_duplicates > 1 else ''} before in the last "
                f"{facts.duplicate_window_hours} hours.",
            )
        )
    if c.author_url and facts.author_earlier == 0:
        out.append(
            Signal(
                "spam.first_time_author_url",
                0.35,
                None,
                f"A first comment on this site that links its author to {domain(c.author_url) or 'a URL'}.",
            )
        )
    for source, count in sorted(facts.bursts.items()):
        if count > facts.burst_limit:
            over = count / facts.burst_limit
            out.append(
                Signal(
                    f"spam.burst_{source}",
                    min(0.95, 0.4 + 0.15 * over),
                    count,
                    f"{count} comments from this {_SOURCE_WORDS[source]} in {facts.burst_window_minutes} "
                    f"minutes (more than {facts.burst_limit}).",
                )
            )
    return out


_SOURCE_WORDS = {"ip": "IP address", "email": "email address", "author": "author"}


def form_signals(c: SpamComment) -> list[Signal]:
    out = []
    if c.honeypot and c.honeypot.strip():
        out.append(
            Signal("spam.honeypot", 0.99, None, "The hidden form field that people never see was filled in.")
        )
    if c.form_rendered_at and c.submitted_at:
        seconds = (c.submitted_at - c.form_rendered_at).total_seconds()
        # Typing runs at a few characters a second; pasting a long comment in at once is what bots do.
        if 0 <= seconds < max(2.0, len(c.text) / 25):
            out.append(
                Signal(
                    "spam.too_fast",
                    0.8,
                    round(seconds, 1),
                    f"Sent {seconds:.1f} s after the form appeared: faster than a person types "
                    f"{len(c.text)} characters.",
                )
            )
    if c.author_email and "@" in c.author_email:
        host = c.author_email.rsplit("@", 1)[1].strip().lower()
        if _under(host, DISPOSABLE_EMAIL_DOMAINS):
            out.append(Signal("spam.disposable_email", 0.6, None, f"A throwaway email address ({host})."))
    return out


_PHONE = re.compile(
    r"(?<![\w.])(?:\+?\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)|\d{3,4})[\s.\-]?\d{3}[\s.\-]?\d{3,4}(?![\w.])"
)
_REPEAT = re.compile(r"([^\s.])\1{5,}")  # not spaces or dots: "thank you......" is how people write


def _phrases(phrases: tuple[str, ...]) -> re.Pattern:
    """Any of the phrases as whole words, whatever the spacing and case."""
    alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


_PROMO = _phrases(PROMOTIONAL_PHRASES)
_WEAK_PROMO = _phrases(WEAK_PROMOTIONAL_PHRASES)


def text_signals(c: SpamComment) -> list[Signal]:
    out = []
    text = c.text
    phones = _PHONE.findall(text)
    if phones:
        out.append(
            Signal(
                "spam.phone_number",
                0.55,
                len(phones),
                "Contains a phone number: comment spam sells support lines and bookings by phone.",
            )
        )
    strong = {" ".join(m.group(0).lower().split()) for m in _PROMO.finditer(text)}
    weak = {" ".join(m.group(0).lower().split()) for m in _WEAK_PROMO.finditer(text)}
    if strong or weak:
        # One strong phrase holds a comment (0.55); one weak word alone does not (0.25); they add up.
        score = min(0.9, 1 - 0.45 ** len(strong) * 0.75 ** len(weak))
        promo = sorted(strong) + sorted(weak)
        out.append(
            Signal(
                "spam.promotional",
                round(score, 4),
                len(promo),
                "Sales language: " + ", ".join(f"'{p}'" for p in promo[:5]) + ".",
            )
        )
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 20 and sum(ch.isupper() for ch in letters) / len(letters) > 0.7:
        out.append(Signal("spam.shouting", 0.3, None, "Written mostly in capital letters."))
    repeat = _REPEAT.search(text)
    if repeat:
        out.append(
            Signal(
                "spam.repeated_characters",
                0.2,
                None,
                f"A character repeated many times in a row ({repeat.group(0)[:12]!r}).",
            )
        )
    visible = [ch for ch in text if not ch.isspace()]
    if len(visible) >= 10:
        odd = sum(unicodedata.category(ch)[0] not in "LNP" for ch in visible) / len(visible)
        if odd > 0.3:
            out.append(
                Signal(
                    "spam.junk",
                    0.5,
                    round(odd, 2),
                    f"{odd:.0%} of the characters are neither letters, digits nor punctuation.",
                )
            )
    return out


def signals(c: SpamComment, facts: SpamFacts) -> list[Signal]:
    """Every spam signal that fires for a comment."""
    return link_signals(c, facts) + history_signals(c, facts) + form_signals(c) + text_signals(c)


def signal_score(fired: list[Signal]) -> float:
    """Signals combined as independent evidence (noisy-OR): 1 − Π(1 − score)."""
    clean = 1.0
    for s in fired:
        clean *= 1.0 - s.score
    return round(1.0 - clean, 4)
