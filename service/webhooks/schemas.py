"""Schemas of the webhook events API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.webhooks.models import EVENT_STATES


class EventQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(EVENT_STATES))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=validate.Length(max=100))


class AttemptSchema(Schema):
    attempted_at = fields.String()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class EventSchema(Schema):
    id = fields.String(metadata={"description": "The webhook-id header of every delivery of this event."})
    type = fields.String()
    moderation_id = fields.String()
    state = fields.String(metadata={"description": "pending, retrying, delivered, failed or superseded"})
    attempts = fields.Integer()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.String()
    next_attempt_at = fields.String(allow_none=True)
    delivered_at = fields.String(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptSchema), metadata={"description": "Only on a single event."})


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String(allow_none=True)
