"""A site's moderation policy: the defaults, the shape of per-site overrides, and their merge.

The policy is plain data. The worker's `decide()` takes the merged dict, so the defaults are defined here,
once, and a site stores only what it changes.
"""

from __future__ import annotations

import copy
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

TOXICITY_LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")
# Only the `unbiased` and `multilingual` Detoxify models score this label.
OPTIONAL_LABELS = ("sexual_explicit",)

DEFAULT_POLICY: dict[str, Any] = {
    # Per label: at or above `hold` the comment waits for a moderator, at or above `reject` it is refused.
    # Detoxify's scores are calibrated against human raters: 0.5 means half of raters would call it so.
    "toxicity": {
        "toxicity": {"hold": 0.6, "reject": 0.92},
        "severe_toxicity": {"hold": 0.3, "reject": 0.6},
        "obscene": {"hold": 0.7, "reject": 0.95},
        "threat": {"hold": 0.4, "reject": 0.8},
        "insult": {"hold": 0.6, "reject": 0.92},
        "identity_attack": {"hold": 0.4, "reject": 0.8},
        "sexual_explicit": {"hold": 0.6, "reject": 0.9},
    },
    "spam": {"hold": 0.5, "reject": 0.9},
    # More links than this and the comment is held.
    "max_links": 2,
    # Whole words or phrases, matched case-insensitively: blocked ones reject, watched ones hold.
    "blocked_words": [],
    "watch_words": [],
    # An author with earlier approved comments on the site is not held for spam alone.
    "trust_approved_authors": True,
    # The same content posted again on the site within this many hours counts as repeated.
    "duplicate_window_hours": 168,
    # Links to these domains (and their subdomains) are treated as spam.
    "blocked_domains": [],
    # More than `burst_limit` comments from one IP address, email address or author within the window.
    "burst_window_minutes": 10,
    "burst_limit": 5,
}


class ThresholdSchema(Schema):
    hold = fields.Float(allow_none=True, validate=validate.Range(0, 1))
    reject = fields.Float(allow_none=True, validate=validate.Range(0, 1))

    @validates_schema
    def hold_not_above_reject(self, data: dict, **_: Any) -> None:
        hold, reject = data.get("hold"), data.get("reject")
        if hold is not None and reject is not None and hold > reject:
            raise ValidationError("hold must not be above reject", "hold")


ToxicityThresholdsSchema = Schema.from_dict(
    {label: fields.Nested(ThresholdSchema) for label in (*TOXICITY_LABELS, *OPTIONAL_LABELS)},
    name="ToxicityThresholdsSchema",
)


class PolicySchema(Schema):
    """Overrides a site may store; every field is optional and merges into the defaults."""

    toxicity = fields.Nested(ToxicityThresholdsSchema)
    spam = fields.Nested(ThresholdSchema)
    max_links = fields.Integer(validate=validate.Range(0, 1000))
    blocked_words = fields.List(
        fields.String(validate=validate.Length(1, 100)), validate=validate.Length(max=1000)
    )
    watch_words = fields.List(fields.String(validate=validate.Length(1, 100)), validate=validate.Length(max=1000))
    trust_approved_authors = fields.Boolean()
    duplicate_window_hours = fields.Integer(validate=validate.Range(0, 24 * 365))
    blocked_domains = fields.List(
        fields.String(validate=validate.Length(3, 253)), validate=validate.Length(max=10000)
    )
    burst_window_minutes = fields.Integer(validate=validate.Range(1, 24 * 60))
    burst_limit = fields.Integer(validate=validate.Range(1, 10000))


def _merge(base: dict, overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate_overrides(overrides: dict) -> dict:
    """Return the overrides loaded by the schema; raises ValidationError with per-field messages."""
    loaded = PolicySchema().load(overrides)
    merged = _merge(DEFAULT_POLICY, loaded)
    for label, pair in merged["toxicity"].items():
        if pair["hold"] is not None and pair["reject"] is not None and pair["hold"] > pair["reject"]:
            raise ValidationError({"toxicity": {label: {"hold": ["hold must not be above reject"]}}})
    spam = merged["spam"]
    if spam["hold"] is not None and spam["reject"] is not None and spam["hold"] > spam["reject"]:
        raise ValidationError({"spam": {"hold": ["hold must not be above reject"]}})
    return loaded


def effective_policy(overrides: dict | None) -> dict:
    """The defaults with a site's stored overrides applied."""
    return _merge(DEFAULT_POLICY, overrides or {})
