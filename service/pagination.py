"""Opaque cursors for keyset pagination over time-ordered ids (newest first)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import Select

from service.extensions import db


class CursorError(ValueError):
    """A list cursor that this service did not issue."""


def encode_cursor(last_id: str) -> str:
    """The cursor for the page after the one that ended with `last_id`."""
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, prefix: str) -> str:
    """The id a cursor stands for; CursorError if it is not one of ours for this kind of id."""
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise CursorError("not a cursor from this API") from None
    if not value.startswith(prefix):
        raise CursorError("not a cursor from this API")
    return value


def page(query: Select, id_column: Any, *, prefix: str, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of `query`'s rows, newest (highest id) first, and the cursor of the next page or None."""
    if cursor:
        query = query.where(id_column < decode_cursor(cursor, prefix))
    rows = list(db.session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    return rows[:limit], (encode_cursor(rows[limit - 1].id) if len(rows) > limit else None)
