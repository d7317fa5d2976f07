"""Marshmallow schemas of the comments API: what a platform sends and the moderation record it gets back."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

MAX_CONTENT_CHARS = 100_000
MAX_METADATA_BYTES = 4_096


class Text(fields.String):
    """A string that can be stored anywhere: no NUL characters and no lone UTF-16 surrogates."""

    default_error_messages = {
        "nul": "Must not contain NUL characters.",
        "surrogate": "Must be valid Unicode text (it contains a lone surrogate).",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("surrogate") from None
        return text


class Identifier(fields.Field):
    """A platform's own id: a string, or an integer (stored as its decimal string)."""

    default_error_messages = {
        "invalid": "Must be a string or an integer.",
        "length": "Must be between 1 and 255 characters.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.make_error("invalid")
        text = Text()._deserialize(str(value), attr, data)
        if not 1 <= len(text) <= 255:
            raise self.make_error("length")
        return text

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return value


def _ip_address(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValidationError("Not a valid IPv4 or IPv6 address.") from None


def _small_object(value: dict) -> None:
    if len(json.dumps(value, separators=(",", ":"))) > MAX_METADATA_BYTES:
        raise ValidationError(f"Must be at most {MAX_METADATA_BYTES} bytes as JSON.")


def _datetime() -> fields.AwareDateTime:
    # A timestamp without a zone is taken as UTC, the only reading that needs no guessing about the sender.
    return fields.AwareDateTime(default_timezone=UTC, allow_none=True)


class AuthorSchema(Schema):
    # Author-supplied fields are only length-checked: a spammer's malformed URL must still be moderated,
    # not bounced back to the platform as a 422.
    name = Text(allow_none=True, validate=validate.Length(max=255))
    email = Text(allow_none=True, validate=validate.Length(max=320))
    url = Text(allow_none=True, validate=validate.Length(max=2048))
    ip = Text(allow_none=True, validate=_ip_address)
    user_agent = Text(allow_none=True, validate=validate.Length(max=1024))
    id = Identifier(allow_none=True)


class PostSchema(Schema):
    id = Identifier(allow_none=True)
    url = Text(allow_none=True, validate=validate.Length(max=2048))
    title = Text(allow_none=True, validate=validate.Length(max=1000))


class ContextSchema(Schema):
    referrer = Text(allow_none=True, validate=validate.Length(max=2048))
    form_rendered_at = _datetime()
    honeypot = Text(allow_none=True, validate=validate.Length(max=1000))


class CommentInSchema(Schema):
    """A new comment, or a repeat or edit of one, as a platform posts it."""

    comment_id = Identifier(required=True)
    content = Text(required=True, validate=validate.Length(1, MAX_CONTENT_CHARS))
    content_format = fields.String(load_default="text", validate=validate.OneOf(["text", "html"]))
    author = fields.Nested(AuthorSchema, load_default=dict)
    post = fields.Nested(PostSchema, allow_none=True)
    parent_id = Identifier(allow_none=True)
    language = Text(allow_none=True, validate=validate.Length(max=35))
    created_at = _datetime()
    context = fields.Nested(ContextSchema, allow_none=True)
    metadata = fields.Dict(keys=fields.String(), allow_none=True, validate=_small_object)


class DecisionInSchema(Schema):
    """A human verdict on a comment."""

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    category = fields.String(allow_none=True, validate=validate.OneOf(["toxic", "spam"]))
    note = Text(allow_none=True, validate=validate.Length(max=2000))


class ListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "held", "rejected"]))
    comment_id = Identifier()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = Text(validate=validate.Length(max=100))


# --- the record (documentation and serialization of the dict that comments.records builds) ---


class ReasonSchema(Schema):
    code = fields.String()
    score = fields.Float(allow_none=True)
    threshold = fields.Float(allow_none=True)
    message = fields.String()


class ToxicityScoresSchema(Schema):
    class Meta:
        # `sexual_explicit` appears when the model scores it (Detoxify `unbiased`, `multilingual`).
        unknown = "include"

    toxicity = fields.Float(allow_none=True)
    severe_toxicity = fields.Float(allow_none=True)
    obscene = fields.Float(allow_none=True)
    threat = fields.Float(allow_none=True)
    insult = fields.Float(allow_none=True)
    identity_attack = fields.Float(allow_none=True)
    sexual_explicit = fields.Float(allow_none=True)


class ScoresSchema(Schema):
    toxicity = fields.Nested(ToxicityScoresSchema)
    spam = fields.Float(allow_none=True)


class ModelsSchema(Schema):
    toxicity = fields.String(allow_none=True)
    spam = fields.String(allow_none=True)


class WebhookStateSchema(Schema):
    state = fields.String()
    attempts = fields.Integer()


class ModerationSchema(Schema):
    """The moderation record, as `GET /v1/comments/<id>` and the webhook's `data` carry it."""

    id = fields.String()
    comment_id = fields.String()
    status = fields.String()
    decision = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    scores = fields.Nested(ScoresSchema, allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))
    models = fields.Nested(ModelsSchema, allow_none=True)
    created_at = fields.String()
    decided_at = fields.String(allow_none=True)
    webhook = fields.Nested(WebhookStateSchema)
    metadata = fields.Dict(allow_none=True)


class ModerationPageSchema(Schema):
    items = fields.List(fields.Nested(ModerationSchema))
    next_cursor = fields.String(allow_none=True)
