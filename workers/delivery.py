"""One webhook delivery attempt over HTTP: a plain function, no database."""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3

USER_AGENT = "comment-moderation-webhooks/1"
# As many kept connections per receiving host as the webhooks worker has threads, so a burst of deliveries to
# one platform reuses connections instead of opening and discarding them.
_pool = urllib3.PoolManager(num_pools=50, maxsize=16, retries=False)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None when no HTTP answer came (refused, timed out, bad TLS, …)
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST the body; a 2xx within `timeout` seconds is success. Redirects are not followed."""
    started = time.monotonic()
    try:
        response = _pool.request(
            "POST",
            url,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            timeout=urllib3.Timeout(total=timeout),
            redirect=False,
            preload_content=False,
        )
        try:
            snippet = response.read(2048, decode_content=True) if response.status >= 300 else b""
        finally:
            response.release_conn()
        error = (
            None if response.status < 300 else f"HTTP {response.status}: {snippet[:500].decode(errors='replace')}"
        )
        return Outcome(response.status, error, int((time.monotonic() - started) * 1000))
    except Exception as exc:  # urllib3 raises many types; each is one failed attempt, recorded and retried
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000], int((time.monotonic() - started) * 1000))
