"""One message of a ticket's thread (tickets/ticket.html), written in Python.

The thread was the largest part of the ticket page's render as template code: about
forty template expressions and a dozen calls a message, each yielded through the
three templates of the page's inheritance. As one function (`ui.thread_message`) a
message is one call and one string, with the same markup, whitespace included (the
template's `trim_blocks` / `lstrip_blocks` output): tests/web/test_thread.py compares them.

Its words are translated with `i18n.gettext` (outside the f-strings, where Babel's
extractor would not see them) and written as the template wrote `_()`'s result:
translations are ours, not input. Every other value goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Sequence

from jinja2.filters import do_filesizeformat
from markupsafe import Markup
from markupsafe import escape as _e

from frontdesk.core.mail.desk import Desk
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.tickets.records import Attachment, Message, MessageKind
from frontdesk.web import mailview
from frontdesk.web.components import avatar, badge, reltime
from frontdesk.web.i18n import gettext
from frontdesk.web.words import delivery_name

INLINE_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
DELIVERY_TONES = {
    "queued": "info",
    "sending": "info",
    "sent": "success",
    "failed": "danger",
    "unknown": "warning",
}


def body_of(message: Message) -> Markup:
    """A message's body for display: its HTML when it has some, else its text."""
    if message.body_html:
        return mailview.display(message.body_html)
    return mailview.display_text(message.body_text)


def thread_message(m: Message, desk: Desk) -> Markup:
    """One item of the thread's list: a log line, or a message with its head (who, when,
    delivery, the Split pick), its addresses, body and attachments."""
    if m.kind is MessageKind.LOG:
        return Markup(  # noqa: S704 (every value escaped)
            f'<li class="logline" id="message-{m.id}"><span class="logline__text">'
            f"{_e(m.body_text)}</span> {reltime(m.created)}</li>"
        )
    ticket = desk.thread.ticket
    who = m.from_name or m.from_email or gettext("Unknown")
    if m.kind is MessageKind.INTERNAL:
        side, note = "note", gettext("Internal note")
        said = f'<span class="badge badge--warning">{note}</span>\n'
    elif m.agent_id or not m.contact_id:
        side, replied = "agent", gettext("replied")
        said = f'<span class="visually-hidden">{replied}</span>\n'
    else:
        side, wrote = "customer", gettext("wrote")
        said = f'<span class="visually-hidden">{wrote}</span>'
    pick = ""
    if not ticket.merged_into_id:
        choose, split = gettext("Choose this message to split it off"), gettext("Split")
        pick = (
            f'<label class="message__pick"><input type="checkbox" name="messages" '
            f'value="{m.id}" form="split"> <span class="visually-hidden">{choose}</span>'
            f'<span aria-hidden="true">{split}</span></label>'
        )
    return Markup(  # noqa: S704 (every value escaped)
        f'<li class="message message--{side}" id="message-{m.id}">\n'
        f'          <article aria-labelledby="message-{m.id}-who">\n'
        f'            <header class="message__head">\n'
        f"              {avatar(who, size='sm', decorative=True)}\n"
        f'              <p class="message__who" id="message-{m.id}-who">'
        f"<strong>{_e(who)}</strong>\n"
        f"{said}              </p>\n"
        f'              <span class="message__when">{reltime(m.created)}</span>\n'
        f"{_delivery(desk.mail.get(m.id))}{pick}            </header>\n"
        f"{_addresses(m) if m.to and side != 'note' else ''}"
        f'            <div class="message__body">{body_of(m)}</div>\n'
        f"{_files(desk.thread.attachments.get(m.id, ()), ticket.id)}"
        f"          </article>\n        </li>"
    )


def _delivery(mail: OutboxMail | None) -> str:
    if not mail:
        return ""
    tone = DELIVERY_TONES.get(mail.status, "neutral")
    return (
        f'<span class="delivery delivery--{_e(mail.status)}" title="{_e(mail.last_error or "")}">'
        f"{badge(label=delivery_name(mail.status), tone=tone)}</span>"
    )


def _addresses(m: Message) -> str:
    to, cc, bcc = gettext("To"), gettext("Cc"), gettext("Bcc")
    line = f"{to}: {_joined(m.to)}"
    if m.cc:
        line += f" · {cc}: {_joined(m.cc)}"
    if m.bcc:
        line += f" · {bcc}: {_joined(m.bcc)}"
    return f'<p class="message__to">{line}</p>'


def _joined(addresses: Sequence[str]) -> str:
    return ", ".join(str(_e(address)) for address in addresses)


def _files(files: Sequence[Attachment], ticket_id: int) -> str:
    if not files:
        return ""
    items = "".join(_file(f, ticket_id) for f in files)
    label = gettext("Attachments")  # not inside the f-string, where Babel would not find it
    return (
        f'            <ul class="files" role="list" aria-label="{label}">\n'
        f"{items}            </ul>\n"
    )


def _file(f: Attachment, ticket_id: int) -> str:
    href = f"/tickets/{ticket_id}/attachments/{f.id}"
    name = _e(f.original_name)
    preview = ""
    if f.content_type in INLINE_IMAGES:
        preview = (
            f'<img class="file__preview" src="{href}?inline=true" alt="{name}" loading="lazy">'
        )
    return (
        '              <li class="file">\n'
        f"{preview}"
        f'                <a class="file__link" href="{href}" download>{name}</a>\n'
        f'                <span class="file__size">{_e(do_filesizeformat(f.size))}</span>\n'
        "              </li>\n"
    )


COMPONENTS = {"thread_message": thread_message}
