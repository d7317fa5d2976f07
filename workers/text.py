"""Comment text as the scorers see it: HTML reduced to its words, and the links a comment carries."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

URL = re.compile(r"""(?:\bhttps?://|\bwww\.)[^\s<>"'()\[\]{}]+""", re.IGNORECASE)
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(content: str, content_format: str = "text") -> str:
    """The words of a comment; for HTML, without tags, scripts or styles, entities decoded."""
    if content_format != "html":
        return content
    reader = _Reader()
    reader.feed(content)
    reader.close()
    return re.sub(r"[ \t]+", " ", "".join(reader.parts)).strip()


def links(content: str, content_format: str = "text") -> list[str]:
    """Every link in a comment: URLs in its text and, for HTML, the targets of its anchors."""
    found = []
    if content_format == "html":
        reader = _Reader()
        reader.feed(content)
        reader.close()
        found.extend(h.strip() for h in reader.hrefs if h.strip().lower().startswith(("http", "www.", "//")))
        text = html.unescape("".join(reader.parts))
    else:
        text = content
    found.extend(m.group(0).rstrip(".,;:!?") for m in URL.finditer(text))
    seen: dict[str, None] = {}
    for link in found:
        seen.setdefault(link, None)
    return list(seen)
