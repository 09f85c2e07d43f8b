"""Settings, Chat widget: how the account's widget looks and speaks (team name, greeting
and offline texts, colour, corner), where offline messages become tickets, how long a
waiting chat is offered to one agent, the page filters, and the snippet to embed.

The widget reads these in its socket's welcome (chat/sockets.py), so a saved change shows
in the next page a visitor opens; nothing is cached in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core import chat
from frontdesk.core.chat import routing
from frontdesk.core.chat.records import LANGUAGES, ChatSettings, MatchType
from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Invalid
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import i18n, session
from frontdesk.web.forms import form_id
from frontdesk.web.i18n import N_
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Text = Annotated[str, Form(max_length=1000)]

# The widget's own blue and the two text colours it picks between (chat/static/widget/
# 3-style.js, `readableOn`); the warning below judges the colour the widget will use.
DEFAULT_COLOR = "#0a58ca"
DARK_TEXT, LIGHT_TEXT = "#1f2328", "#ffffff"
LIGHT_ACCENT = 0.179  # the widget's luminance threshold for dark text
AA_CONTRAST = 4.5  # WCAG AA for normal text
POSITIONS = (("right", N_("Bottom right")), ("left", N_("Bottom left")))
MATCH_TYPES = (
    (MatchType.LIKE.value, N_("The address contains it")),
    (MatchType.EXACT.value, N_("The address is exactly it")),
    (MatchType.STARTS_WITH.value, N_("The address starts with it")),
)


@dataclass(frozen=True, slots=True)
class Contrast:
    text: str  # the colour the widget writes on the accent
    ratio: float

    @property
    def readable(self) -> bool:
        return self.ratio >= AA_CONTRAST


def contrast_on(accent: str) -> Contrast:
    """The text colour the widget puts on `accent` (#rrggbb) and its WCAG contrast ratio."""
    background = _luminance(accent)
    text = DARK_TEXT if background > LIGHT_ACCENT else LIGHT_TEXT
    lighter, darker = sorted((background, _luminance(text)), reverse=True)
    return Contrast(text, round((lighter + 0.05) / (darker + 0.05), 2))


def _luminance(color: str) -> float:
    def channel(at: int) -> float:
        value = int(color[at : at + 2], 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)


@dataclass(frozen=True, slots=True)
class Preview:
    """What the sketch of the widget shows: the saved settings in the admin's language."""

    title: str
    greeting: str
    left: bool


def preview_of(settings: ChatSettings, language: str) -> Preview:
    # The defaults are the widget's own words (chat/static/widget/1-strings.js).
    words = settings.texts_for(language if language in LANGUAGES else "en")
    return Preview(
        title=settings.team_name or _("Chat"),
        greeting=words.greeting or _("Hi! How can we help you today?"),
        left=settings.position == "left",
    )


@dataclass(frozen=True)
class WidgetForm:
    """The form as posted; what a refused post shows again."""

    team_name: str = ""
    color: str = ""
    position: str = "right"
    offline_inbox: str = ""
    offer_seconds: str = ""
    greeting_en: str = ""
    greeting_sv: str = ""
    offline_en: str = ""
    offline_sv: str = ""

    def change(self) -> chat.SettingsChange:
        texts = {
            language: {
                "greeting": getattr(self, f"greeting_{language}") or None,
                "offline": getattr(self, f"offline_{language}") or None,
            }
            for language in LANGUAGES
        }
        return chat.SettingsChange(
            team_name=self.team_name or None,
            offline_inbox_id=form_id(self.offline_inbox, "offline_inbox")
            if self.offline_inbox
            else None,
            color=self.color.strip() or None,
            position=self.position,
            texts=texts,
        )

    def seconds(self) -> int:
        if not self.offer_seconds.strip().isdigit() or len(self.offer_seconds) > 6:
            raise Invalid("invalid_offer_seconds", "Not a number", field="offer_seconds")
        return int(self.offer_seconds)


def _posted(
    team_name: Text = "", color: Text = "", position: Text = "right", offline_inbox: Text = "",
    offer_seconds: Text = "", greeting_en: Text = "", greeting_sv: Text = "",
    offline_en: Text = "", offline_sv: Text = "",
) -> WidgetForm:  # fmt: skip
    return WidgetForm(team_name, color, position, offline_inbox, offer_seconds,
                      greeting_en, greeting_sv, offline_en, offline_sv)  # fmt: skip


Posted = Annotated[WidgetForm, Depends(_posted)]


def _form_of(settings: ChatSettings, seconds: int) -> WidgetForm:
    def text(language: str, kind: str) -> str:
        return getattr(settings.texts_for(language), kind) or ""

    return WidgetForm(
        team_name=settings.team_name or "", color=settings.color or "",
        position=settings.position, offer_seconds=str(seconds),
        offline_inbox=str(settings.offline_inbox_id or ""),
        greeting_en=text("en", "greeting"), greeting_sv=text("sv", "greeting"),
        offline_en=text("en", "offline"), offline_sv=text("sv", "offline"),
    )  # fmt: skip


def _page(
    request: Request, signed: SignedIn, form: WidgetForm | None = None, error: str = "",
    status: int = 200,
) -> Response:  # fmt: skip
    context = admin_area(signed)
    services = services_from(request)
    with services.store.read() as uow:
        saved = chat.chat_settings(uow, signed.actor.account_id)
        seconds = routing.offer_seconds(uow, signed.actor)
        account = accounts.get_account(uow, signed.actor.account_id)
        inboxes = accounts.list_inboxes(uow, signed.actor)
        filters = chat.list_page_filters(uow, signed.actor)
    base = services.settings.public_base_url or str(request.base_url).rstrip("/")
    context.update(
        form=form or _form_of(saved, seconds), error=error, inboxes=inboxes, filters=filters,
        contrast=contrast_on(saved.color or DEFAULT_COLOR), color=saved.color or DEFAULT_COLOR,
        snippet=f'<script src="{base}/widget.js?id={account.public_id}" async></script>',
        positions=POSITIONS, match_types=MATCH_TYPES, match_names=dict(MATCH_TYPES),
        preview=preview_of(saved, i18n.for_request(request).locale.language),
        limits=(routing.MIN_OFFER_SECONDS, routing.MAX_OFFER_SECONDS),
    )  # fmt: skip
    return render(request, "settings/widget.html", context, status_code=status)


@router.get("/settings/widget", response_class=HTMLResponse)
def widget_page(request: Request, signed: Signed) -> Response:
    return _page(request, signed)


@router.post("/settings/widget", response_class=HTMLResponse)
def save_widget(request: Request, signed: Signed, form: Posted) -> Response:
    admin_area(signed)
    try:
        # One transaction: a refused value leaves every setting as it was.
        with services_from(request).store.write() as uow:
            chat.update_chat_settings(uow, signed.actor, form.change())
            routing.set_offer_seconds(uow, signed.actor, form.seconds())
    except Invalid as refused:
        return _page(request, signed, form, _refusal(refused), status=422)
    return RedirectResponse("/settings/widget?saved=1", status_code=303)


@router.post("/settings/widget/filters", response_class=HTMLResponse)
def add_filter(
    request: Request, signed: Signed, name: Text, pattern: Text, match_type: Text
) -> Response:
    admin_area(signed)
    try:
        with services_from(request).store.write() as uow:
            chat.create_page_filter(uow, signed.actor, name, pattern, match_type)
    except Invalid:
        message = _("A page filter needs a name, an address pattern and a way to match it.")
        return _page(request, signed, error=message, status=422)
    return RedirectResponse("/settings/widget?filter_added=1#filters", status_code=303)


@router.post("/settings/widget/filters/{filter_id}/delete")
def delete_filter(request: Request, signed: Signed, filter_id: PathId) -> Response:
    admin_area(signed)
    with services_from(request).store.write() as uow:
        chat.delete_page_filter(uow, signed.actor, filter_id)
    return RedirectResponse("/settings/widget?filter_deleted=1#filters", status_code=303)


def _refusal(refused: Invalid) -> str:
    """The core's refusal, in words an admin reads next to the form."""
    messages = {
        "invalid_color": _("The colour is # and six hexadecimal digits, like #0a58ca."),
        "invalid_position": _("Choose a corner from the list."),
        "inbox_not_found": _("Choose an inbox from the list."),
        "invalid_value": _("Choose an inbox from the list."),
        "too_long": _("A text is too long: team names up to 100 characters, texts up to 500."),
    }
    if refused.code in messages:
        return messages[refused.code]
    if refused.field == "offer_seconds" or refused.code == "invalid_offer_seconds":
        return _("The offer time is a whole number of seconds from %(low)s to %(high)s.") % {
            "low": routing.MIN_OFFER_SECONDS, "high": routing.MAX_OFFER_SECONDS,
        }  # fmt: skip
    return _("A value is not valid; nothing was saved.")
