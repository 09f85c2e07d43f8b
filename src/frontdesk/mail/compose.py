"""An outbox row as a MIME message: threading headers, ticket tag, bodies, attachments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from frontdesk.core.mail.outbox import AUTO_REPLY, TO_AGENTS
from frontdesk.core.mail.records import OutboxMail
from frontdesk.mail.parse import one_line

_RE = re.compile(r"^\s*(re|aw|sv|vs)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes


def subject_with_tag(subject: str, tag: str | None) -> str:
    """One `Re:` at most, and the ticket tag once, at the end."""
    subject = one_line(subject)
    base = subject
    while _RE.match(base):
        base = _RE.sub("", base, count=1)
    if base != subject:
        base = f"Re: {base}"
    if tag and tag not in base:
        base = f"{base} {tag}"
    return base[:900]


def compose(
    mail: OutboxMail,
    *,
    from_name: str | None,
    tag: str | None,
    files: Sequence[OutgoingFile] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((one_line(from_name or ""), mail.from_addr))
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    message["Subject"] = subject_with_tag(mail.subject, tag)
    message["Date"] = formatdate(mail.created / 1000, usegmt=True)
    if mail.email_message_id:
        message["Message-ID"] = mail.email_message_id
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        message["References"] = " ".join(mail.references)
    if mail.kind == AUTO_REPLY:
        # RFC 3834: mark it, and name ourselves so that our own mail coming back is known.
        message["Auto-Submitted"] = "auto-replied"
        message["X-Loop"] = mail.from_addr
    if mail.kind in TO_AGENTS:
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto reply to it
    message.set_content(mail.body or "")
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    for item in files:
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(
            item.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item.filename,
        )
    return message
