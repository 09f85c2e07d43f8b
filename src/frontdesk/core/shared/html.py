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


# The elements of HTML (WHATWG) and the obsolete ones mail clients still write: a text is
# taken for HTML only when its tags are these, so `<Order 123>` in plain text is text.
HTML_ELEMENTS = frozenset(
    """a abbr acronym address area article aside audio b base basefont bdi bdo big blink
    blockquote body br button canvas caption center cite code col colgroup data datalist dd
    del details dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form
    frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd
    label legend li link main map mark marquee menu meta meter nav nobr noframes noscript
    object ol optgroup option output p param picture pre progress q rp rt ruby s samp script
    search section select small source span strike strong style sub summary sup table tbody
    td template textarea tfoot th thead time title tr track tt u ul var video wbr""".split()  # noqa: SIM905
)
# Elements that stand alone: one of them proves markup without a closing tag.
_VOID = frozenset({"br", "hr", "img", "wbr", "meta", "link", "input", "col", "area", "source"})
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)(?=[\s/>])[^<>]*>")
_MARKUP_ONLY = re.compile(r"<!--.*?-->|<!doctype[^>]*>", re.IGNORECASE | re.DOTALL)


def looks_like_html(text: str) -> bool:
    """Whether a text is HTML: every tag-like `<word ...>` in it names an HTML element, and
    its markup is unmistakable (a closing tag, a void element like `<br>`, a comment or a
    doctype). Plain text that merely contains angle brackets (`Order ref <Order 123> is
    missing`, `a <b and c> d`, `<john@example.org>`) is not HTML, so that sanitising it
    cannot swallow what was written."""
    tags = [(match.group(1), match.group(2).lower()) for match in _TAG.finditer(text)]
    if any(name not in HTML_ELEMENTS for _, name in tags):
        return False
    if any(closing or name in _VOID for closing, name in tags):
        return True
    return _MARKUP_ONLY.search(text) is not None


# The empty spans core/mail/quoting.py marks a body's signature and quoted history with:
# the only classes kept, so that readers can fold what they mark.
MARK_CLASSES = frozenset({"fd-quote", "fd-signature"})
# The `cid:` scheme names a part of the same mail (an inline image). Only the mail parser
# keeps it, until the part is stored and the reference rewritten to the stored
# attachment's address; any other caller's `cid:` is dropped like other unknown schemes.
_SCHEMES = frozenset(nh3.ALLOWED_URL_SCHEMES)


def sanitise(raw_html: str, *, keep_cid: bool = False) -> str:
    """Keep formatting, drop scripts, handlers and dangerous URLs (nh3's ammonia defaults),
    keep the quote and signature marks."""
    return nh3.clean(
        raw_html,
        link_rel="noopener noreferrer nofollow",
        allowed_classes={"span": set(MARK_CLASSES)},
        url_schemes=set(_SCHEMES | {"cid"}) if keep_cid else set(_SCHEMES),
    )


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
