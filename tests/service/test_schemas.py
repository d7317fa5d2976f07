"""The intake schema: what a platform may send, and the per-field messages for what it may not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from service.comments.schemas import CommentInSchema, ListQuerySchema


def load(data: dict) -> dict:
    return CommentInSchema().load(data)


def test_full_payload_loads_with_ids_as_strings_and_naive_times_as_utc() -> None:
    out = load(
        {
            "comment_id": 123,
            "content": "hi",
            "content_format": "html",
            "author": {
                "name": "A",
                "email": "a@b.c",
                "url": "not even a url",
                "ip": "2001:db8::1",
                "user_agent": "UA",
                "id": 9,
            },
            "post": {"id": "p", "url": "https://x", "title": "T"},
            "parent_id": 5,
            "language": "en",
            "created_at": "2026-11-24T10:00:00",
            "context": {"referrer": "r", "form_rendered_at": "2026-11-24T09:59:50+01:00", "honeypot": ""},
            "metadata": {"k": [1, 2]},
        }
    )
    assert out["comment_id"] == "123" and out["author"]["id"] == "9" and out["parent_id"] == "5"
    assert out["created_at"] == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert out["context"]["form_rendered_at"].utcoffset().total_seconds() == 3600


def test_minimal_payload_gets_defaults() -> None:
    assert load({"comment_id": "c", "content": "x"}) == {
        "comment_id": "c",
        "content": "x",
        "content_format": "text",
        "author": {},
    }


def test_nulls_are_accepted_for_optional_fields() -> None:
    out = load(
        {
            "comment_id": "c",
            "content": "x",
            "author": {"email": None, "ip": None},
            "post": None,
            "parent_id": None,
            "metadata": None,
            "context": None,
        }
    )
    assert out["author"] == {"email": None, "ip": None}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"content": "x"}, ("comment_id",)),
        ({"comment_id": True, "content": "x"}, ("comment_id",)),
        ({"comment_id": "", "content": "x"}, ("comment_id",)),
        ({"comment_id": "c", "content": ["x"]}, ("content",)),
        ({"comment_id": "c", "content": "x" * 100_001}, ("content",)),
        ({"comment_id": "c", "content": "x", "author": {"ip": "10.0.0.300"}}, ("author", "ip")),
        ({"comment_id": "c", "content": "x", "author": {"name": "a\x00"}}, ("author", "name")),
        (
            {"comment_id": "c", "content": "x", "context": {"form_rendered_at": 12}},
            ("context", "form_rendered_at"),
        ),
        ({"comment_id": "c", "content": "x", "post": {"slug": "s"}}, ("post", "slug")),
        ({"comment_id": "c", "content": "x", "extra": 1}, ("extra",)),
    ],
)
def test_bad_fields_get_messages_at_their_path(data: dict, path: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as err:
        load(data)
    messages = err.value.messages
    for key in path:
        messages = messages[key]
    assert messages


def test_list_query_bounds() -> None:
    assert ListQuerySchema().load({}) == {"limit": 50}
    with pytest.raises(ValidationError):
        ListQuerySchema().load({"limit": "500"})
    with pytest.raises(ValidationError):
        ListQuerySchema().load({"status": "lost"})
