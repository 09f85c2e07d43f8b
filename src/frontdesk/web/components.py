"""The components a page repeats per row, written in Python instead of as Jinja macros.

A queue shows a few of these on each of its 25 rows, and a Jinja macro call costs about as
much as the HTML it makes: together they were a third of the page's time. Written as
plain functions they keep the same names (`ui.avatar`, `ui.badge`, `ui.status_pill`,
`ui.reltime`, `ui.view_name`; `ui.view_link` was a macro local to the left column), the
same arguments and the same markup; templating.py puts them in `ui` beside the macros, and
a macro of the same name would be an error at start-up.

Each escapes its values with `escape` into an f-string: `Markup.format` does the same
through string.Formatter, in pure Python, at about 10 µs a call (a tenth of the queue's
time in process).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from markupsafe import escape as _e

from frontdesk.core.tickets.queues import QueueRow
from frontdesk.web import i18n
from frontdesk.web.avatars import avatar_tone, initials
from frontdesk.web.words import priority_name, status_name, view_label

STATUS_TONES = {
    "new": "info",
    "reply": "warning",
    "pending": "accent",
    "on-hold": "neutral",
    "solved": "success",
    "closed": "neutral",
}


def _built(html: str) -> Markup:
    """Markup put together here, every value in it passed through `escape` first."""
    return Markup(html)  # noqa: S704 (its callers escape every value)


def avatar(
    name: str, size: str = "md", image_url: str | None = None, decorative: bool = False
) -> Markup:
    """A person: their picture, or their initials on a colour derived from their name.
    `decorative`: the name is written next to it, so a screen reader need not hear it twice."""
    if image_url:
        alt = "" if decorative else name
        return _built(
            f'<img class="avatar avatar--{_e(size)}" src="{_e(image_url)}" alt="{_e(alt)}">'
        )
    shape = f'<span class="avatar avatar--{_e(size)} avatar--tone-{_e(avatar_tone(name))}"'
    if decorative:
        return _built(f'{shape} aria-hidden="true">{_e(initials(name))}</span>')
    return _built(f'{shape} role="img" aria-label="{_e(name)}">{_e(initials(name))}</span>')


def badge(label: str, tone: str = "neutral") -> Markup:
    """Small labels. tone: neutral | info | success | warning | danger | accent."""
    return _built(f'<span class="badge badge--{_e(tone)}">{_e(label)}</span>')


def status_pill(status: str) -> Markup:
    """A ticket's status in the core's words, with a dot so a column of them scans by
    shape too."""
    tone = STATUS_TONES.get(status, "neutral")
    return _built(
        f'<span class="pill pill--{_e(tone)}" data-status="{_e(status)}"><span class="pill__dot" '
        f'aria-hidden="true"></span>{_e(status_name(status))}</span>'
    )


def reltime(value: i18n.Moment) -> Markup:
    """A moment as "3 minutes ago", written in the page's language and kept fresh by
    app.js, with the exact local time on hover. value: epoch ms or a datetime."""
    return _built(
        f'<time class="reltime" datetime="{_e(i18n.iso_utc(value))}" '
        f'title="{_e(i18n.format_datetime(value))}" data-relative>'
        f"{_e(i18n.format_relative(value))}</time>"
    )


def view_name(kind: str, value: str = "", inboxes: Mapping[int, str] | None = None) -> Markup:
    """A queue view's name: the fixed views by kind (web/words.py), inboxes by name,
    labels as written. The left column names each of its views on every page."""
    if kind == "inbox":
        inbox_id = int(value) if value.isdecimal() else 0
        return _e((inboxes or {}).get(inbox_id) or view_label("inbox"))
    if kind == "label":
        return _e(value)
    return _e(view_label(kind))


def view_link(
    key: str,
    kind: str,
    value: str = "",
    shortcut: str | None = None,
    *,
    current: str = "",
    counts: Mapping[str, Any] | None = None,
    inboxes: Mapping[int, str] | None = None,
) -> Markup:
    """One view of the left column (workspace/_views.html): its link, its name and its
    count once counted (`counts`: view key -> queues.Count); `current` is marked."""
    count = counts.get(key) if counts else None
    marks = ' aria-current="page"' if key == current else ""
    marks += f' data-shortcut="{_e(shortcut)}"' if shortcut else ""
    name = view_name(kind, value, inboxes)
    if kind == "label":
        name = _built(f'<span class="view-link__hash" aria-hidden="true">#</span>{name}')
    number = ""
    if count and count.value:
        plus = "" if count.exact else "+"
        number = (
            f'<span class="view-link__count">{_e(i18n.format_number(count.value))}{plus}</span>'
        )
    return _built(
        f'<li><a class="nav-link view-link" href="/tickets?view={_e(quote(key, safe="/"))}"'
        f'{marks}>\n    <span class="view-link__name">{name}</span>\n    {number}\n  </a></li>'
    )


def queue_row(row: QueueRow, names: Mapping[int, str]) -> Markup:
    """One ticket of the queue (tickets/list.html): pick box, requester, subject, inbox,
    labels, priority, status, assignees, last activity. The queue's 25 rows were the
    largest part of its render as template code; `names`: agent id -> name."""
    ticket, unread = row.ticket, row.unread
    person = row.requester_name or row.requester_email or i18n.gettext("Unknown")
    pick = i18n.gettext("Select ticket %(number)s") % {"number": ticket.number}
    dot = '<span class="unread-dot" aria-hidden="true"></span>' if unread else ""
    marked = _unread_mark() if unread else ""
    labels = "".join(f' <span class="badge badge--accent">{_e(name)}</span>' for name in row.labels)
    inbox = f" · {_e(row.inbox_name)}" if row.inbox_name else ""
    return _built(
        f'<li class="row queue-row{" row--unread" if unread else ""}" '
        f'data-ticket-id="{ticket.id}">\n<input class="queue-row__check" type="checkbox" '
        f'name="ids" value="{ticket.id}" form="bulk" id="pick-{ticket.id}" '
        f'aria-label="{_e(pick)}">\n{dot}{avatar(person, size="sm", decorative=True)}\n'
        f'<div class="row__text">\n<a class="row__link" href="/tickets/{ticket.id}">'
        f"{marked}{_e(ticket.subject)}</a>\n"
        f'<p class="row__subtitle"><span class="row__person">{_e(person)}</span> · '
        f"#{ticket.number}{inbox}{labels}</p>\n</div>\n"
        f'<div class="row__meta">\n{_priority_badge(ticket.priority.value)}{_sla_marks(row)}'
        f"{status_pill(ticket.status.value)}\n{_assignees(row.assignee_ids, names)}\n"
        f"{reltime(ticket.latest_activity)}\n</div>\n</li>"
    )


def _unread_mark() -> str:
    return f'<span class="visually-hidden">{_e(i18n.gettext("Unread:"))} </span>'


def _priority_badge(priority: str) -> str:
    if priority not in ("high", "urgent"):
        return ""
    return badge(priority_name(priority), "danger" if priority == "urgent" else "warning")


def _sla_marks(row: QueueRow) -> str:
    """SLA breached, and when the next target is due (docs/automation.md)."""
    breached = badge(i18n.gettext("SLA breached"), "danger") if row.sla_breached else ""
    if not row.sla_due:
        return breached
    due = f'<span class="sla-due">{_e(i18n.gettext("Due"))} {reltime(row.sla_due)}</span>'
    return f"{breached}{due}"


def _assignees(agent_ids: tuple[int, ...], names: Mapping[int, str]) -> str:
    who = [names.get(agent_id, "?") for agent_id in agent_ids]
    people = "".join(f'<span title="{_e(name)}">{avatar(name, "sm")}</span>' for name in who)
    nobody = f'<span class="assignees__none">{_e(i18n.gettext("Unassigned"))}</span>'
    return f'<span class="assignees">{people or nobody}</span>'


COMPONENTS: dict[str, Callable[..., Any]] = {
    "queue_row": queue_row,
    "avatar": avatar,
    "badge": badge,
    "status_pill": status_pill,
    "reltime": reltime,
    "view_name": view_name,
    "view_link": view_link,
}
