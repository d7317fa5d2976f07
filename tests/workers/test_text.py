"""What the scorers read: HTML reduced to its words, and every link a comment carries."""

from __future__ import annotations

from workers.text import links, plain_text


def test_plain_text_is_unchanged() -> None:
    assert plain_text("a <b>not html</b>", "text") == "a <b>not html</b>"


def test_html_keeps_words_drops_tags_scripts_and_decodes_entities() -> None:
    """Are tags, scripts and styles left out and entities decoded?"""
    html = "<p>Hello&nbsp;<b>world</b> &amp; friends</p><script>alert('x')</script><style>p{}</style><p>bye</p>"
    text = plain_text(html, "html")
    assert "Hello\xa0world & friends" in text and "bye" in text
    assert "alert" not in text and "p{}" not in text and "<" not in text


def test_links_from_text_and_anchor_targets_once_each() -> None:
    """Are URLs found in text and in anchors, without trailing punctuation and without repeats?"""
    assert links("see https://a.example/x, and www.b.example.", "text") == [
        "https://a.example/x",
        "www.b.example",
    ]
    html = (
        '<a href="https://a.example/x">https://a.example/x</a> <a href="/local">here</a> <a href="mailto:x">m</a>'
    )
    assert links(html, "html") == ["https://a.example/x"]
    assert links("no links here", "text") == []
