"""Message bodies: sanitised HTML for display, plain text for search and mail."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
)
_SKIPPED = frozenset({"script", "style", "head", "title"})


def sanitise(raw_html: str) -> str:
    """Keep formatting, drop scripts, handlers and dangerous URLs (nh3's ammonia defaults)."""
    return nh3.clean(raw_html, link_rel="noopener noreferrer nofollow")


def text_to_html(text: str) -> str:
    """Escape plain text and keep its paragraphs and line breaks."""
    paragraphs = [part for part in re.split(r"\n\s*\n", text.strip()) if part]
    return "".join(
        "<p>" + html.escape(paragraph).replace("\n", "<br>") + "</p>" for paragraph in paragraphs
    )


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(raw_html: str) -> str:
    """Readable text from HTML, for messages that arrive with an HTML body only."""
    extractor = _TextExtractor()
    extractor.feed(raw_html)
    extractor.close()
    text = "".join(extractor.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def bodies(text: str | None, raw_html: str | None) -> tuple[str, str]:
    """Both forms of a body from whichever the caller gave: (plain text, sanitised HTML)."""
    if raw_html:
        clean = sanitise(raw_html)
        return (text if text is not None and text.strip() else html_to_text(clean)), clean
    plain = text or ""
    return plain, text_to_html(plain)
