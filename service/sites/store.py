"""Store functions for sites and their credentials."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.extensions import db
from service.sites.models import ApiKey, Site
from service.sites.policy import validate_overrides
from service.timeutil import isoformat, utcnow
from service.webhooks.signing import new_secret

KEY_PREFIX = "mk_"


class SiteError(ValueError):
    """A site operation that cannot be done as asked; the message says why."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_api_key(site: Site, *, expires_at: datetime | None = None) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    site.api_keys.append(ApiKey(key_hash=hash_key(key), prefix=key[:10], expires_at=expires_at))
    return key


def create_site(*, name: str, webhook_url: str, policy: dict | None = None) -> tuple[Site, str, str]:
    """Create a site; returns it with its API key and webhook secret (shown once, stored hashed/kept)."""
    if db.session.scalar(select(Site).where(Site.name == name)):
        raise SiteError(f"a site named {name!r} exists already")
    if not webhook_url.startswith(("http://", "https://")):
        raise SiteError("the webhook URL must start with http:// or https://")
    secret = new_secret()
    site = Site(
        name=name,
        webhook_url=webhook_url,
        webhook_secrets=[{"secret": secret, "expires_at": None}],
        policy=validate_overrides(policy or {}),
    )
    key = _new_api_key(site)
    db.session.add(site)
    db.session.commit()
    return site, key, secret


def get_site(*, name: str) -> Site:
    """The site of that name, or SiteError."""
    site = db.session.scalar(select(Site).where(Site.name == name))
    if site is None:
        raise SiteError(f"no site named {name!r}")
    return site


def list_sites() -> list[Site]:
    """Every site, by name."""
    return list(db.session.scalars(select(Site).order_by(Site.name)))


def site_for_key(key: str) -> Site | None:
    """The site an unexpired API key belongs to, or None."""
    row = db.session.scalar(
        select(ApiKey).options(joinedload(ApiKey.site)).where(ApiKey.key_hash == hash_key(key))
    )
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return row.site


def rotate_api_key(site: Site, *, grace: timedelta = timedelta(0)) -> str:
    """Issue a new key; the site's current keys stop working after `grace` (at once by default)."""
    cutoff = utcnow() + grace
    for row in site.api_keys:
        if row.expires_at is None or row.expires_at > cutoff:
            row.expires_at = cutoff
    key = _new_api_key(site)
    db.session.commit()
    return key


def rotate_webhook_secret(site: Site, *, grace: timedelta = timedelta(hours=24)) -> str:
    """Add a new signing secret; the old ones keep signing for `grace` so platforms can switch over."""
    cutoff = utcnow() + grace
    kept = []
    for entry in active_secret_entries(site) if grace else []:
        expires = entry["expires_at"]
        if expires is None or datetime.fromisoformat(expires) > cutoff:
            expires = isoformat(cutoff)
        kept.append({"secret": entry["secret"], "expires_at": expires})
    secret = new_secret()
    site.webhook_secrets = [*kept, {"secret": secret, "expires_at": None}]
    db.session.commit()
    return secret


def active_secret_entries(site: Site) -> list[dict]:
    """The site's secret entries that have not expired."""
    now = utcnow()
    return [
        e
        for e in site.webhook_secrets or []
        if e.get("expires_at") is None or datetime.fromisoformat(e["expires_at"]) > now
    ]


def active_secrets(site: Site) -> list[str]:
    """The secrets that sign a delivery now (more than one during a rotation)."""
    return [e["secret"] for e in active_secret_entries(site)]


def update_site(
    site: Site,
    *,
    webhook_url: str | None = None,
    policy: dict | None = None,
    rate_limit_per_minute: int | None = None,
) -> Site:
    """Change a site's webhook URL, policy overrides (replacing them) or rate limit."""
    if webhook_url is not None:
        if not webhook_url.startswith(("http://", "https://")):
            raise SiteError("the webhook URL must start with http:// or https://")
        site.webhook_url = webhook_url
    if policy is not None:
        site.policy = validate_overrides(policy)
    if rate_limit_per_minute is not None:
        site.rate_limit_per_minute = rate_limit_per_minute
    db.session.commit()
    return site
