"""A message body as the ticket page shows it: no script, no remote content, quotes folded.

Bodies are stored sanitised already (core/shared/html.py: nh3 keeps formatting and drops
scripts, event handlers and dangerous URLs). Two more things happen for display:

- Remote images (an `img` whose `src` is http(s)) never load by themselves: they would
  tell the sender that, when and where the mail was read, and the page's CSP refuses
  other origins anyway. Each becomes a placeholder naming the image, with a link the
  agent may follow to open it in a new tab: the choice is the agent's, per image, and it
  happens outside the page. `data:` and same-site images stay.
- Quoted history and signatures are folded behind "Show quoted text" and "Show
  signature": where the mail parser marked them (core/mail/quoting.py), by the marks;
  in bodies without marks (written before the marks, or by the API) the first
  `<blockquote>` and everything after it in HTML, and in plain text the lines from
  "On ... wrote:" or the first `>` line on.

The input is nh3's output, whose attributes are always double-quoted with `"` escaped,
so the patterns below see whole attributes.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

from frontdesk.core.mail import quoting
from frontdesk.core.shared.html import sanitise, text_to_html
from frontdesk.web.i18n import gettext

_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_SRC = re.compile(r'\ssrc="([^"]*)"', re.IGNORECASE)
_ALT = re.compile(r'\salt="([^"]*)"', re.IGNORECASE)
_REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
_QUOTE_START = re.compile(r"<blockquote\b", re.IGNORECASE)
_TEXT_QUOTE = re.compile(
    r"^(On .{0,200} wrote:|Den .{0,200} skrev:|-{2,}\s*Original Message\s*-{2,}|>)", re.MULTILINE
)


def display(body_html: str) -> Markup:
    """The stored (sanitised) HTML, with remote images blocked and quotes folded."""
    return Markup(_block_remote_images(_fold(body_html)))  # noqa: S704 (sanitised input)


def display_text(body_text: str) -> Markup:
    """A plain-text body as paragraphs, its quoted tail folded."""
    found = _TEXT_QUOTE.search(body_text)
    if found is None or not body_text[: found.start()].strip():
        return Markup(text_to_html(body_text))  # noqa: S704 (escaped)
    head, tail = body_text[: found.start()], body_text[found.start() :]
    return Markup(text_to_html(head) + _details(text_to_html(tail)))  # noqa: S704 (escaped)


def remote_images(body_html: str) -> int:
    return sum(1 for m in _IMG.finditer(body_html) if _is_remote(m.group(1)))


def _is_remote(attributes: str) -> bool:
    src = _SRC.search(attributes)
    return src is not None and bool(_REMOTE.match(html.unescape(src.group(1))))


def _block_remote_images(body_html: str) -> str:
    def replace(match: re.Match[str]) -> str:
        attributes = match.group(1)
        if not _is_remote(attributes):
            return match.group(0)
        src = _SRC.search(attributes)
        alt = _ALT.search(attributes)
        url = src.group(1) if src else ""
        name = alt.group(1) if alt and alt.group(1).strip() else gettext("Remote image")
        blocked = gettext("Blocked image")
        open_it = gettext("Open it in a new tab")
        return (
            '<span class="blocked-image">'
            f'<span class="blocked-image__name">{blocked}: {name}</span> '
            f'<a href="{url}" target="_blank" rel="noopener noreferrer nofollow">{open_it}</a>'
            "</span>"
        )

    return _IMG.sub(replace, body_html)


def _fold(body_html: str) -> str:
    marked = quoting.sections(body_html)
    if marked.quote or marked.signature:
        return _fold_marked(marked) if _has_text(marked.message) else body_html
    found = _QUOTE_START.search(body_html)
    if found is None or not _has_text(body_html[: found.start()]):
        return body_html
    return body_html[: found.start()] + _details(body_html[found.start() :])


def _has_text(fragment: str) -> bool:
    return bool(re.sub(r"<[^>]*>|\s|&nbsp;", "", fragment))


def _fold_marked(marked: quoting.Sections) -> str:
    """Each part sanitised on its own, which closes what a cut left open, then folded."""
    folded = sanitise(marked.message)
    if _has_text(marked.signature):
        folded += _details(sanitise(marked.signature), gettext("Show signature"))
    if _has_text(marked.quote):
        folded += _details(sanitise(marked.quote))
    return folded


def _details(inner: str, summary: str | None = None) -> str:
    summary = summary or gettext("Show quoted text")
    return (
        '<details class="quoted"><summary class="quoted__summary">'
        f"{summary}</summary>{inner}</details>"
    )
