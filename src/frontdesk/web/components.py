"""The components a page repeats per row, written in Python instead of as Jinja macros.

A queue shows a few of these on each of its 25 rows, and a Jinja macro call costs about as
much as the HTML it makes: together they were a third of the page's time. Written as
plain functions they keep the same names (`ui.avatar`, `ui.badge`, `ui.status_pill`,
`ui.reltime`), the same arguments and the same markup; templating.py puts them in `ui`
beside the macros, and a macro of the same name would be an error at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from frontdesk.web import i18n
from frontdesk.web.avatars import avatar_tone, initials
from frontdesk.web.words import status_name

STATUS_TONES = {
    "new": "info",
    "reply": "warning",
    "pending": "accent",
    "on-hold": "neutral",
    "solved": "success",
    "closed": "neutral",
}


def avatar(
    name: str, size: str = "md", image_url: str | None = None, decorative: bool = False
) -> Markup:
    """A person: their picture, or their initials on a colour derived from their name.
    `decorative`: the name is written next to it, so a screen reader need not hear it twice."""
    if image_url:
        alt = "" if decorative else name
        return Markup('<img class="avatar avatar--{}" src="{}" alt="{}">').format(
            size, image_url, alt
        )
    if decorative:
        shape = Markup(
            '<span class="avatar avatar--{} avatar--tone-{}" aria-hidden="true">{}</span>'
        )
        return shape.format(size, avatar_tone(name), initials(name))
    shape = Markup(
        '<span class="avatar avatar--{} avatar--tone-{}" role="img" aria-label="{}">{}</span>'
    )
    return shape.format(size, avatar_tone(name), name, initials(name))


def badge(label: str, tone: str = "neutral") -> Markup:
    """Small labels. tone: neutral | info | success | warning | danger | accent."""
    return Markup('<span class="badge badge--{}">{}</span>').format(tone, label)


def status_pill(status: str) -> Markup:
    """A ticket's status in the core's words, with a dot so a column of them scans by
    shape too."""
    tone = STATUS_TONES.get(status, "neutral")
    return Markup(
        '<span class="pill pill--{}" data-status="{}"><span class="pill__dot" '
        'aria-hidden="true"></span>{}</span>'
    ).format(tone, status, status_name(status))


def reltime(value: i18n.Moment) -> Markup:
    """A moment as "3 minutes ago", written in the page's language and kept fresh by
    app.js, with the exact local time on hover. value: epoch ms or a datetime."""
    return Markup('<time class="reltime" datetime="{}" title="{}" data-relative>{}</time>').format(
        i18n.iso_utc(value), i18n.format_datetime(value), i18n.format_relative(value)
    )


COMPONENTS: dict[str, Callable[..., Any]] = {
    "avatar": avatar,
    "badge": badge,
    "status_pill": status_pill,
    "reltime": reltime,
}
