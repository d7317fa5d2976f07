"""Every model, imported in one place for Alembic and the app factory."""

from service.comments.models import Moderation
from service.review.models import AuditEntry, Moderator, moderator_sites
from service.sites.models import ApiKey, Site
from service.spam.models import SpamModel, SpamVerdict
from service.webhooks.models import WebhookAttempt, WebhookEvent

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Moderation",
    "Moderator",
    "Site",
    "SpamModel",
    "SpamVerdict",
    "WebhookAttempt",
    "WebhookEvent",
    "moderator_sites",
]
