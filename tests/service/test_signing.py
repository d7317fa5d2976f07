"""Standard Webhooks signatures, checked against the Standard Webhooks project's own library."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.webhooks.signing import new_secret, signed_headers, verify


def test_secret_has_the_spec_form() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) > 40 and secret != new_secret()


def test_our_signature_verifies_with_the_reference_library() -> None:
    """Can a platform verify our deliveries with the spec's library, unchanged?"""
    secret, body, now = (
        new_secret(),
        b'{"type":"comment.moderated","data":{"x":"\xc3\xa9"}}',
        int(time.time()),
    )
    headers = signed_headers([secret], "msg_1", now, body)
    assert Webhook(secret).verify(body, headers)["data"] == {"x": "é"}
    assert verify(secret, headers, body)


def test_tampered_body_wrong_secret_and_stale_timestamp_fail() -> None:
    secret, body, now = new_secret(), b'{"a":1}', int(time.time())
    headers = signed_headers([secret], "msg_1", now, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)
    assert not verify(secret, headers, b'{"a":2}')
    assert not verify(new_secret(), headers, body)
    old = signed_headers([secret], "msg_1", now - 3600, body)
    assert not verify(secret, old, body)


def test_rotation_signs_once_per_active_secret() -> None:
    """During a rotation, does a receiver holding either secret verify the delivery?"""
    old, new, body, now = new_secret(), new_secret(), b"{}", int(time.time())
    headers = signed_headers([old, new], "msg_2", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers) == {} and Webhook(new).verify(body, headers) == {}
