"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.

Secrets have the spec's form `whsec_<base64 key>`, so platforms verify with the spec's own libraries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh 32-byte signing secret in the `whsec_` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("webhook secrets start with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :])


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,` signature of a message with one secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(active_secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one space-separated signature per active secret."""
    return " ".join(signature(s, msg_id, timestamp, body) for s in active_secrets)


def signed_headers(active_secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(active_secrets, msg_id, timestamp, body),
    }


def verify(
    secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300, now: int | None = None
) -> bool:
    """True if any `v1` signature in the headers matches and the timestamp is within `tolerance` seconds."""
    import time

    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, ts = lower.get("webhook-id"), lower.get("webhook-timestamp")
    if not msg_id or not ts or not ts.isdigit():
        return False
    if abs((now if now is not None else int(time.time())) - int(ts)) > tolerance:
        return False
    want = signature(secret, msg_id, int(ts), body)
    given = lower.get("webhook-signature", "").split()
    return any(hmac.compare_digest(want, g) for g in given)
