"""Quoted history and signatures in a mail body, found and marked so readers can fold them.

A documented heuristic, pure (no I/O): mail clients mark what they quote in a few
well-known ways, and the rest is told by the attribution line they write above it.

Quoted history starts at the first of (HTML):
- Gmail's `<div class="gmail_quote">`, Yahoo's `yahoo_quoted`, Thunderbird's
  `moz-cite-prefix` (the "On ... wrote:" line above its quote);
- Outlook's reply header: `<div id="divRplyFwdMsg">` (Outlook on the web, new Outlook),
  `id="appendonsend"`, `id="mail-editor-reference-message-container"` (Outlook for Mac),
  or the "From: ... Sent: ..." block desktop Outlook writes (in English, German, Swedish,
  French, Spanish and Dutch), "-----Original Message-----";
- a `<blockquote>` (Apple Mail's `type="cite"` and any other), moved up to the
  attribution line ("On ... wrote:", "Am ... schrieb ...:", "Den ... skrev ...:", ...)
  when one stands just before it;
and in plain text at the first attribution line (joined with the next line when a client
wrapped it), Outlook header block or "-----Original Message-----", else the first `>`
line. The quote runs to the end: text written below a quote (interleaved answers) is
folded with it, which is the common top-posted shape's cost of being simple. One
exception: a plain-text signature right under a `>` quote (Thunderbird's default place
for it) is marked as the signature.

A signature starts, before the quote, at the RFC 3676 delimiter ("-- " alone on a line;
"--" too, since clients strip the space), at a mobile client's "Sent from my iPhone"
line (and its German and Swedish forms, "Get Outlook for ..."), or at the marked
signature elements of Gmail (`gmail_signature`), Thunderbird (`moz-signature`),
Outlook (`id="Signature"`, `ms-outlook-mobile-signature`, `_MailAutoSig`) and Apple Mail
(`AppleMailSignature`).

The marks are empty `<span>`s with a class the sanitiser keeps (`MARK_CLASSES` in
core/shared/html.py); the
text before a mark is the message, then the signature, then the quote.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from frontdesk.core.shared.html import MARK_CLASSES, text_to_html

QUOTE_CLASS = "fd-quote"
SIGNATURE_CLASS = "fd-signature"
QUOTE_MARK = f'<span class="{QUOTE_CLASS}"></span>'
SIGNATURE_MARK = f'<span class="{SIGNATURE_CLASS}"></span>'
assert {QUOTE_CLASS, SIGNATURE_CLASS} == MARK_CLASSES
_MARK = re.compile(r'<span class="(fd-quote|fd-signature)"></span>')

# "On Tue, 3 Mar 2026 at 10:12, Ann Lee <ann@example.org> wrote:" and its kin.
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\s.{1,300}\swrote:"
    r"|Am\s.{1,300}\sschrieb\s?.{0,300}:"
    r"|Den\s.{1,300}\sskrev\s?.{0,300}:"
    r"|.{1,300}\sskrev\s?:"
    r"|Le\s.{1,300}\sa\sécrit\s?:"
    r"|El\s.{1,300}\sescribió:"
    r"|Op\s.{1,300}\sschreef\s?.{0,300}:"
    r")\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Originalmeddelande"
    r"|Message d'origine|Mensaje original|Oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Von|Från|De|Van)\s*:\*?\s", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Skickat|Envoyé|Enviado|Verzonden)\s*:\*?\s",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"^\s*(?:Sent from my (?:iPhone|iPad|Android|mobile)|Sent from Outlook for \w+"
    r"|Get Outlook for \w+|Sent from Mail for Windows|Von meinem (?:iPhone|iPad) gesendet"
    r"|Skickat från min (?:iPhone|iPad)|Envoyé de mon (?:iPhone|iPad))\b.*$",
    re.IGNORECASE,
)
_DELIMITER = re.compile(r"^--\s?$")
_SIGNATURE_STARTS = frozenset("-sgve")  # first letters of the delimiter and _MOBILE's lines

# One pass over the tags: each tag at most 4000 characters and never across a `<`, so
# hostile markup (a million unclosed `<div class=`) costs linear time.
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]{0,20})\b([^<>]{0,4000})>")  # opening tags
_ATTRIBUTE = re.compile(r"""\b(class|id|name)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-cite-prefix"}
)
_QUOTE_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"})
_SIGNATURE_CLASSES = frozenset({"gmail_signature", "moz-signature"})
_SIGNATURE_IDS = frozenset({"signature", "ms-outlook-mobile-signature", "applemailsignature"})
_SIGNATURE_NAMES = frozenset({"_mailautosig"})
_BLOCKS = frozenset({"div", "p", "hr"})
_LINE_STARTS = frozenset({"div", "p", "br"})
_TAGS = re.compile(r"<[^<>]{0,4000}>")
_BREAK = re.compile(r"<br\b[^<>]{0,4000}>|</(?:div|p)>", re.IGNORECASE)
_HEADER_HINT = re.compile(
    r"(?:From|Von|Från|De|Van)\s*:|-{2,}\s*(?:Original|Ursprüngliche|Message d|Mensaje|Oorspr)",
    re.IGNORECASE,
)
_SIGNATURE_HINT = re.compile(
    r"--|Sent from|Get Outlook|Von meinem|Skickat från|Envoyé de", re.IGNORECASE
)
_TEXT_WINDOW = 2000  # how far back an attribution line above a blockquote is looked for


@dataclass(frozen=True)
class Sections:
    """A marked body cut at its marks: each part is HTML (possibly empty)."""

    message: str
    signature: str
    quote: str


def mark_text(text: str) -> str:
    """HTML for a plain-text body, with its signature and quoted history marked."""
    marked = marked_text(text)
    return marked if marked is not None else text_to_html(text)


def marked_text(text: str) -> str | None:
    """`mark_text`'s HTML when the text has a signature or a quote to mark, else None
    (and no HTML is made: most mail has nothing to mark)."""
    lines = text.split("\n")
    quote = _text_quote_start(lines)
    signature = _text_signature_start(lines[:quote])
    trailer = _signature_below(lines, quote)
    if signature == quote == trailer == len(lines):
        return None
    parts = [text_to_html("\n".join(lines[:signature]))]
    if signature < quote:
        parts += [SIGNATURE_MARK, text_to_html("\n".join(lines[signature:quote]))]
    if quote < len(lines):
        parts += [QUOTE_MARK, text_to_html("\n".join(lines[quote:trailer]))]
    if trailer < len(lines):
        parts += [SIGNATURE_MARK, text_to_html("\n".join(lines[trailer:]))]
    return "".join(parts)


def mark_html(raw_html: str) -> str:
    """The HTML with its signature and quoted history marked (before sanitising: the ids
    and classes clients mark them with do not survive it)."""
    scan = _scan(raw_html)
    quote = _html_quote_start(raw_html, scan)
    signature = _html_signature_start(raw_html, scan, quote)
    marked = raw_html
    if quote is not None:
        marked = marked[:quote] + QUOTE_MARK + marked[quote:]
    if signature is not None:
        marked = marked[:signature] + SIGNATURE_MARK + marked[signature:]
    return marked


def sections(marked_html: str) -> Sections:
    """A marked body's message, signature and quote: each mark's part runs to the next
    mark or the end; what stands before the first mark is the message."""
    marks = list(_MARK.finditer(marked_html))
    if not marks:
        return Sections(marked_html, "", "")
    parts: dict[str, list[str]] = {QUOTE_CLASS: [], SIGNATURE_CLASS: []}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following is not None else len(marked_html)
        parts[mark.group(1)].append(marked_html[mark.end() : end])
    return Sections(
        marked_html[: marks[0].start()],
        "".join(parts[SIGNATURE_CLASS]),
        "".join(parts[QUOTE_CLASS]),
    )


def _text_quote_start(lines: list[str]) -> int:
    """The index of the quote's first line; len(lines) when there is none."""
    for index, line in enumerate(lines):
        if ":" not in line and "--" not in line:
            continue  # every shape below has one: most lines are passed over cheaply
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            (line.rstrip().endswith(":") and _ATTRIBUTION.match(line))
            or (following.rstrip().endswith(":") and _ATTRIBUTION.match(f"{line} {following}"))
            or _ORIGINAL.match(line)
            or _outlook_header(lines, index)
        ):
            return _before_rule(lines, index)
    for index, line in enumerate(lines):
        if line.startswith(">"):
            return index
    return len(lines)


def _outlook_header(lines: list[str], index: int) -> bool:
    """'From: ...' followed within three lines by 'Sent: ...' (or its translations)."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    return any(_HEADER_SENT.match(line) for line in lines[index + 1 : index + 4])


def _before_rule(lines: list[str], index: int) -> int:
    """Outlook draws a line of underscores above its header block: it belongs to the quote."""
    if index > 0 and re.fullmatch(r"\s*_{8,}\s*", lines[index - 1]):
        return index - 1
    return index


def _signature_below(lines: list[str], quote: int) -> int:
    """A signature under a `>` quote (Thunderbird puts it there by default): the index of
    its delimiter when only the quote's attribution, `>` lines and blank lines stand
    between; else len(lines), and the quote runs to the end."""
    index = quote + 1
    while index < len(lines) and (lines[index].startswith(">") or not lines[index].strip()):
        index += 1
    quoted = any(line.startswith(">") for line in lines[quote:index])
    if quoted and index < len(lines) and _DELIMITER.match(lines[index]):
        return index
    return len(lines)


def _text_signature_start(lines: list[str]) -> int:
    """The index of the signature's first line among the lines before the quote."""
    for index, line in enumerate(lines):
        if index == 0 or line.lstrip()[:1].lower() not in _SIGNATURE_STARTS:
            continue  # the cheap test first: most lines start otherwise
        if _DELIMITER.match(line) or _MOBILE.match(line):
            return index
    return len(lines)


@dataclass
class _Scan:
    """What one pass over the tags found, up to the first marked quote."""

    quote: int | None = None  # where a client-marked quote (or a blockquote) starts
    blockquote: bool = False
    signature: int | None = None  # where a client-marked signature starts
    blocks: list[int] = field(default_factory=list)  # block starts
    lines: list[int] = field(default_factory=list)  # where a new line of text starts


def _scan(raw_html: str) -> _Scan:
    scan = _Scan()
    for tag in _TAG.finditer(raw_html):
        name, attributes = tag.group(1).lower(), tag.group(2)
        values = _attributes(attributes) if "=" in attributes else set()
        if name == "blockquote" or values & _QUOTE_MARKERS:
            scan.quote, scan.blockquote = tag.start(), name == "blockquote"
            break
        if scan.signature is None and values & _SIGNATURE_MARKERS:
            scan.signature = tag.start()
        if name in _BLOCKS:
            scan.blocks.append(tag.start())
        if name in _LINE_STARTS:
            scan.lines.append(tag.end())
    return scan


def _attributes(text: str) -> set[tuple[str, str]]:
    """(attribute, lower-cased value or class name) pairs of a tag's class, id and name."""
    found: set[tuple[str, str]] = set()
    for match in _ATTRIBUTE.finditer(text):
        attribute = match.group(1).lower()
        value = match.group(2).strip("\"'").lower()
        words = value.split() if attribute == "class" else [value]
        found.update((attribute, word) for word in words)
    return found


_QUOTE_MARKERS = frozenset(
    {("class", name) for name in _QUOTE_CLASSES} | {("id", name) for name in _QUOTE_IDS}
)
_SIGNATURE_MARKERS = frozenset(
    {("class", name) for name in _SIGNATURE_CLASSES}
    | {("id", name) for name in _SIGNATURE_IDS}
    | {("name", name) for name in _SIGNATURE_NAMES}
)


def _html_quote_start(raw_html: str, scan: _Scan) -> int | None:
    end = scan.quote if scan.quote is not None else len(raw_html)
    by_text = _html_text_quote(raw_html, scan.blocks, end)
    if by_text is not None or scan.quote is None:
        return by_text
    return _attribution_above(raw_html, scan) if scan.blockquote else scan.quote


def _html_text_quote(raw_html: str, blocks: list[int], end: int) -> int | None:
    """A quote shown only by its text, before `end`: Outlook's header block or an
    'Original Message' line, placed at the start of the block whose text begins it."""
    if _HEADER_HINT.search(raw_html, 0, end) is None:
        return None  # the common case, found in one pass
    texts = [
        _lines(raw_html[start:stop]) for start, stop in zip(blocks, [*blocks[1:], end], strict=True)
    ]
    for position, start in enumerate(blocks):
        lines = texts[position]
        following = [line for later in texts[position + 1 : position + 4] for line in later]
        if lines and (_ORIGINAL.match(lines[0]) or _outlook_header([*lines, *following], 0)):
            return start
    return None


def _lines(fragment: str) -> list[str]:
    """A fragment's text lines, non-blank, with `<br>` and block ends as line breaks."""
    text = html.unescape(_TAGS.sub("", _BREAK.sub("\n", fragment))).replace("\xa0", " ")
    return [line.strip() for line in text.split("\n") if line.strip()]


def _attribution_above(raw_html: str, scan: _Scan) -> int:
    """Move a blockquote's start up to the attribution line written just above it: the
    nearest block before it with any text, when that text is an attribution."""
    assert scan.quote is not None
    for block in reversed(scan.blocks):
        if scan.quote - block > _TEXT_WINDOW:
            break
        text = " ".join(_lines(raw_html[block : scan.quote]))
        if text:
            return block if _ATTRIBUTION.match(text) else scan.quote
    return scan.quote


def _html_signature_start(raw_html: str, scan: _Scan, quote: int | None) -> int | None:
    end = quote if quote is not None else len(raw_html)
    candidates = [
        start
        for start in (scan.signature, _html_text_signature(raw_html, scan, end))
        if start is not None and start < end
    ]
    return min(candidates) if candidates else None


def _html_text_signature(raw_html: str, scan: _Scan, end: int) -> int | None:
    """A '-- ' line or a mobile client's line in the HTML's text before the quote: the
    signature starts where the line that holds it does."""
    if _SIGNATURE_HINT.search(raw_html, 0, end) is None:
        return None
    starts = [start for start in scan.lines if start < end]
    for start, stop in zip(starts, [*starts[1:], end], strict=True):
        lines = _lines(raw_html[start:stop])
        first = lines[0] if lines else ""
        if _DELIMITER.match(first) or _MOBILE.match(first):
            return start
    return None
