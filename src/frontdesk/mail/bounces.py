"""Bounces: is this mail a delivery report, which of our mails does it report on, and why.

Two shapes are read:

- **DSN** (RFC 3464): `multipart/report; report-type=delivery-status`, whose
  `message/delivery-status` part has one block per recipient (`Final-Recipient`,
  `Action: failed | delayed | delivered | relayed | expanded`, `Status: 5.1.1`,
  `Diagnostic-Code`), and usually the original mail or its headers beside it. Postfix,
  Exim, Exchange, Gmail and most MTAs send these.
- **Non-standard bounces** (qmail's "failure notice", old Exim and Sendmail texts,
  appliances): from `MAILER-DAEMON` / `postmaster` or the null sender, with a subject
  such as "Undelivered Mail", "Returned mail", "Mail delivery failed", "failure notice",
  "Delivery Status Notification (Failure)", "Undeliverable:", "Unzustellbar:",
  "Olevererbart:". The reason is the first line that carries an SMTP reply code; the
  original's Message-ID is read from a quoted `Message-ID:` line, else every Message-ID
  in the text is a candidate.

Which mail it reports on is decided by the caller: the VERP return path first (the
envelope recipient of the bounce names the outbox row, mail/tokens.py), then these
Message-IDs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

from frontdesk.mail.parse import ParsedMail, one_line

MAX_PARTS = 200
MAX_CANDIDATES = 20  # Message-IDs looked up for a bounce without a VERP token
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver|undelivered mail|returned mail|mail delivery (failed|failure|system)"
    r"|failure notice|delivery (status notification|failure|has failed|notification)"
    r"|non[- ]?delivery|unzustellbar|olevererbar|nicht zustellbar|non remis|warning: message"
    r"|delayed mail)",
    re.IGNORECASE,
)
_DELAYED_SUBJECT = re.compile(r"\(delay\)|delayed|warning: message|still being retried", re.I)
_ROBOTS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_SMTP_CODE = re.compile(
    r"\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b|\b[45]\.\d{1,3}\.\d{1,3}\b|\b5\d\d "
)
_MESSAGE_ID_LINE = re.compile(r"^\s*message-id:\s*(<[^<>\s]{1,900}>)", re.IGNORECASE | re.MULTILINE)
_ANY_MESSAGE_ID = re.compile(r"<[^<>\s@]{1,400}@[^<>\s]{1,400}>")
FAILED = "failed"
DELAYED = "delayed"
DELIVERED = "delivered"


@dataclass(frozen=True)
class Report:
    """What a report says: `action` failed (the mail is lost), delayed (still tried), or
    delivered (a success notice some servers send: nothing to mark)."""

    action: str
    recipients: tuple[str, ...]
    reason: str
    message_ids: tuple[str, ...]  # the original's first, then other candidates


def read_report(raw: bytes, parsed: ParsedMail, *, null_sender: bool, verp: bool) -> Report | None:
    """The report this mail is, or None when it is not a bounce.

    `verp`: the mail came to a valid VERP return path, so it is a report whatever it looks
    like (nothing else is sent to those addresses)."""
    message = message_from_bytes(raw, policy=policy.default)
    dsn = _dsn(message)
    if dsn is not None:
        return dsn
    if not (verp or _looks_like_bounce(parsed, null_sender)):
        return None
    text = parsed.text or ""
    delayed = _DELAYED_SUBJECT.search(parsed.subject or "") is not None
    return Report(
        action=DELAYED if delayed else FAILED,
        recipients=(),
        reason=_first_reason(text) or one_line(parsed.subject or "")[:300] or "bounced",
        message_ids=_candidates(message, text),
    )


def _looks_like_bounce(parsed: ParsedMail, null_sender: bool) -> bool:
    local = (parsed.from_address or "").split("@", 1)[0].lower()
    robot = null_sender or local in _ROBOTS or parsed.headers.get("return-path", "").strip() == "<>"
    return robot and _BOUNCE_SUBJECT.search(parsed.subject or "") is not None


def _parts(message: Message) -> Iterator[Message]:
    for count, part in enumerate(message.walk()):
        if count >= MAX_PARTS:
            return
        yield part


def _dsn(message: Message) -> Report | None:
    """An RFC 3464 report: the per-recipient blocks of its delivery-status part."""
    if message.get_content_type() != "multipart/report":
        return None
    status = next(
        (p for p in _parts(message) if p.get_content_type() == "message/delivery-status"), None
    )
    if status is None:
        return None
    blocks = [b for b in _blocks(status) if b.get("action") or b.get("final-recipient")]
    failed = [b for b in blocks if str(b.get("action", "")).strip().lower() == FAILED]
    delayed = [b for b in blocks if str(b.get("action", "")).strip().lower() == DELAYED]
    chosen = failed or delayed
    if not chosen:  # delivered / relayed / expanded: a success report, nothing to mark
        return Report(DELIVERED, (), "delivered", _candidates(message, ""))
    return Report(
        action=FAILED if failed else DELAYED,
        recipients=tuple(_address(b.get("final-recipient", "")) for b in chosen),
        reason="; ".join(_why(b) for b in chosen)[:1000],
        message_ids=_candidates(message, ""),
    )


def _blocks(status: Message) -> list[Message]:
    """The delivery-status part's field blocks (the stdlib parses them as messages)."""
    payload = status.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    return [
        message_from_bytes(chunk.encode(), policy=policy.default) for chunk in text.split("\n\n")
    ]


def _address(value: object) -> str:
    """`rfc822; ann@example.org` -> `ann@example.org`."""
    return one_line(str(value)).rpartition(";")[2].strip()[:320]


def _why(block: Message) -> str:
    recipient = _address(block.get("final-recipient", ""))
    status = one_line(str(block.get("status", "")))
    diagnostic = one_line(str(block.get("diagnostic-code", ""))).partition(";")[2].strip()
    detail = diagnostic or status or "no reason given"
    if status and status not in detail:
        detail = f"{status} {detail}"
    return f"{recipient}: {detail}" if recipient else detail


def _first_reason(text: str) -> str | None:
    """The first line of a free-text bounce that carries an SMTP code (with the address
    line before it, which qmail and Postfix put there)."""
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if _SMTP_CODE.search(line):
            before = lines[index - 1] if index and lines[index - 1].endswith(":") else ""
            return one_line(f"{before} {line}")[:1000]
    return None


def _candidates(message: Message, text: str) -> tuple[str, ...]:
    """Message-IDs that may be the original's: the returned mail's or headers' own first,
    then quoted `Message-ID:` lines, then any Message-ID in the text."""
    found: list[str] = []
    for part in _parts(message):
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get("message-id"):
                found.append(one_line(str(inner["message-id"])))
        elif kind in ("text/rfc822-headers", "text/plain"):
            body = _text_of(part)
            found += _MESSAGE_ID_LINE.findall(body)
            if kind == "text/rfc822-headers":
                found += _ANY_MESSAGE_ID.findall(body)
    found += _MESSAGE_ID_LINE.findall(text) + _ANY_MESSAGE_ID.findall(text)
    own = one_line(str(message.get("message-id", "")))
    unique = dict.fromkeys(item for item in found if item and item != own)
    return tuple(unique)[:MAX_CANDIDATES]


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except Exception:  # a broken charset or encoding: read what is there
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    return content if isinstance(content, str) else ""
