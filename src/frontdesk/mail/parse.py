"""MIME to a plain record, defensively: malformed or hostile mail never raises from here.

The stdlib parser (modern policy) does the reading; this module bounds the walk (depth and
part count), survives unknown charsets and broken base64, and strips line breaks from
every header value it hands on, so a name or subject cannot smuggle in a header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from frontdesk.core.mail import quoting
from frontdesk.core.shared.addresses import is_address
from frontdesk.core.shared.html import html_to_text, sanitise
from frontdesk.mail import tnef

MAX_DEPTH = 20
MAX_PARTS = 500
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_MSGID = re.compile(r"<[^<>\s]{1,900}>")
_LINE_END = re.compile(r"\r\n?")


@dataclass(frozen=True)
class MailPart:
    filename: str
    content_type: str
    data: bytes
    inline: bool
    content_id: str | None


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_address: str | None
    from_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    text: str
    html: str | None
    attachments: tuple[MailPart, ...]
    headers: dict[str, str] = field(default_factory=dict)  # loop-safety headers, lower-cased names
    date_ms: int | None = None
    defects: tuple[str, ...] = ()
    # Every Authentication-Results header, top (newest) first; mail/senders.py decides
    # which of them to trust.
    auth_results: tuple[str, ...] = ()


LOOP_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "x-loop",
    "return-path",
    "x-autoreply",
    "x-autorespond",
)


def one_line(value: str) -> str:
    """A header value made safe to reuse: no line breaks, trimmed."""
    return _LINE_BREAKS.sub(" ", value).strip()


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # the policy refused to parse it (say, CR LF inside an encoded word)
        value = _raw_header(message, name)
    return one_line(str(value)) if value is not None else ""


def _raw_header(message: Message, name: str) -> str | None:
    """The header's text decoded from encoded words, read without the policy's parsing."""
    raw = _undecoded(message, name)
    return _decode_words(raw) if raw is not None else None


def _undecoded(message: Message, name: str) -> str | None:
    """The header as it stands on the wire, unfolded, encoded words left encoded."""
    return next(_all_undecoded(message, name), None)


def _all_undecoded(message: Message, name: str) -> Iterator[str]:
    """Every header of that name, top first, as `_undecoded` reads one."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            yield re.sub(r"\r?\n[ \t]", " ", str(value))


def _decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeDecodeError):
        return value


def _message_ids(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MSGID.findall(value)))


def _addresses(message: Message, name: str) -> tuple[str, ...]:
    # Parsed from the undecoded header: a decoded display name could forge addresses.
    values = [_undecoded(message, name) or ""]
    found = []
    for _display, address in getaddresses(values):
        address = one_line(address)
        if is_address(address):
            found.append(address)
    return tuple(dict.fromkeys(found))


def _sender(message: Message) -> tuple[str | None, str | None]:
    display, address = parseaddr(_undecoded(message, "From") or "")
    address = one_line(address)
    name = one_line(_decode_words(display))[:200]
    return (address if is_address(address) else None), (name or None)


def _date_ms(message: Message) -> int | None:
    try:
        return int(parsedate_to_datetime(_header(message, "Date")).timestamp() * 1000)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _decoded_text(part: Message) -> str:
    """A text part's content, whatever its declared charset or transfer encoding claims,
    with its line ends made `\n`: mail travels with CR LF (and base64 or quoted-printable
    keep whatever the sender wrote), and a `\r` left in a stored body shows up in HTML,
    in search snippets and in mail quoted back."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        text = data.decode("utf-8", errors="replace")
    return _LINE_END.sub("\n", text)


def _walk(root: Message) -> tuple[list[tuple[Message, int]], list[str]]:
    """Leaf parts in order, depth-first, with the walk bounded in depth and count."""
    leaves: list[tuple[Message, int]] = []
    notes: list[str] = []
    stack: list[tuple[Message, int]] = [(root, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            notes.append("too many parts; the rest were skipped")
            break
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                notes.append("nesting too deep; inner parts were skipped")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(
                    (child, depth + 1) for child in reversed(children) if isinstance(child, Message)
                )
            continue
        leaves.append((part, depth))
    return leaves, notes


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return "attachment"
    return one_line(name) if name else None


def _marked_text(text: str) -> str | None:
    """HTML for a plain-text mail when it has a quote or signature to mark; otherwise
    None, and the core makes the HTML from the text as for any message."""
    return quoting.marked_text(text)


def parse(raw: bytes) -> ParsedMail:
    message = message_from_bytes(raw, policy=policy.default)
    leaves, notes = _walk(message)
    texts: list[str] = []
    htmls: list[str] = []
    parts: list[MailPart] = []
    for part, _depth in leaves:
        content_type = part.get_content_type()
        filename = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if (
            filename is None
            and disposition != "attachment"
            and content_type in ("text/plain", "text/html")
        ):
            (texts if content_type == "text/plain" else htmls).append(_decoded_text(part))
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not data:
            continue
        unpacked = tnef.unpack(data) if tnef.is_tnef(content_type, filename) else None
        if unpacked is not None:
            parts += [
                MailPart(name, kind, content, False, None) for name, kind, content in unpacked
            ]
            continue
        content_id = _header(part, "Content-ID") or None
        parts.append(
            MailPart(
                filename or "attachment", content_type, data, disposition == "inline", content_id
            )
        )
    html = sanitise(quoting.mark_html("\n".join(htmls)), keep_cid=True).strip() if htmls else None
    text = "\n\n".join(t.strip() for t in texts if t.strip()) or (
        html_to_text(html) if html else ""
    )
    if html is None and text:
        html = _marked_text(text)
    sender, name = _sender(message)
    defects = [type(defect).__name__ for defect in getattr(message, "defects", [])] + notes
    return ParsedMail(
        message_id=(_message_ids(_header(message, "Message-ID")) or (None,))[0],
        in_reply_to=_message_ids(_header(message, "In-Reply-To")),
        references=_message_ids(_header(message, "References")),
        subject=_header(message, "Subject")[:1000],
        from_address=sender,
        from_name=name,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        text=text,
        html=html,
        attachments=tuple(parts),
        headers={
            name: _header(message, name) for name in LOOP_HEADERS if message.get(name) is not None
        },
        date_ms=_date_ms(message),
        defects=tuple(defects),
        auth_results=tuple(
            one_line(value) for value in _all_undecoded(message, "Authentication-Results")
        ),
    )
