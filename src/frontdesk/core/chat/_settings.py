"""The account's widget settings, and what the widget tells a visitor about being answered.

Settings: team name, greeting and offline texts per language, colour, position, and the
inbox where messages left while nobody is online become tickets. An account that never
changed them has the defaults (no row).

Availability: whether any agent can answer now, and a waiting visitor's place in the
queue. Presence is what the transport knows (the agents connected to the agents' socket);
`agents_available` is the one place that turns it into "someone can answer", so a later
notion of presence (online / away / offline, per-agent chat limits) changes only it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from frontdesk.core.chat import presence
from frontdesk.core.chat._base import get_conversation
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import (
    LANGUAGES,
    POSITIONS,
    Availability,
    ChatSettings,
    ChatStatus,
    Conversation,
    WidgetAvailability,
    WidgetTexts,
)
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Inbox
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import check_text

SETTINGS_CHANGED = "chat.settings"
MAX_TEAM_NAME = 100
MAX_WIDGET_TEXT = 500
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_UNSET = object()


@dataclass(frozen=True)
class SettingsChange:
    """What to change; a field left at its default keeps its value. `texts` replaces the
    texts of the languages it names ({"sv": {"greeting": "Hej!", "offline": None}})."""

    team_name: object = _UNSET  # str, or None for the default
    offline_inbox_id: object = _UNSET  # int, or None for the default inbox
    color: object = _UNSET  # "#rrggbb", or None
    position: object = _UNSET  # "right" or "left"
    texts: Mapping[str, Mapping[str, str | None]] | None = None


def chat_settings(uow: ChatUnit, account_id: int) -> ChatSettings:
    row = uow.chat.get_chat_settings(account_id)
    if row is None:
        return ChatSettings(account_id=account_id)
    stored: dict[str, dict[str, str | None]] = json.loads(row["texts"] or "{}")
    texts = tuple(
        (language, WidgetTexts(**stored[language])) for language in LANGUAGES if language in stored
    )
    return ChatSettings(
        account_id=account_id,
        team_name=row["team_name"],
        offline_inbox_id=row["offline_inbox_id"],
        color=row["color"],
        position=row["position"] or "right",
        texts=texts,
        updated=row["updated"],
    )


def update_chat_settings(uow: ChatUnit, actor: Actor, change: SettingsChange) -> ChatSettings:
    """The account's widget changes (the transport lets admins only); every value is
    checked before anything is written."""
    current = chat_settings(uow, actor.account_id)
    fresh = replace(
        current,
        team_name=_optional(change.team_name, current.team_name, "team_name", MAX_TEAM_NAME),
        offline_inbox_id=_inbox_id(uow, actor, change.offline_inbox_id, current),
        color=_color(change.color, current.color),
        position=_position(change.position, current.position),
        texts=_texts(change.texts, current),
        updated=now_ms(),
    )
    texts = {language: _texts_json(words) for language, words in fresh.texts}
    uow.chat.put_chat_settings(
        actor.account_id,
        {
            "team_name": fresh.team_name,
            "offline_inbox_id": fresh.offline_inbox_id,
            "color": fresh.color,
            "position": fresh.position,
            "texts": json.dumps(texts, ensure_ascii=False, separators=(",", ":")),
            "updated": fresh.updated,
        },
    )
    events.record(uow, actor, SETTINGS_CHANGED, fresh.updated or 0)
    return fresh


def offline_inbox(uow: ChatUnit, account_id: int) -> Inbox | None:
    """Where a message left while nobody is online becomes a ticket: the chosen inbox, or
    (none chosen, or it was deleted) the account's default inbox."""
    chosen = chat_settings(uow, account_id).offline_inbox_id
    found = accounts.find_inbox(uow, account_id, chosen) if chosen is not None else None
    return found or accounts.default_inbox(uow, account_id)


def agents_available(uow: ChatUnit, account_id: int, connected: Collection[int]) -> bool:
    """Whether an agent of the account can answer now: one is online in the console (their
    chosen status and live tabs, core.chat.presence), or connected to the agents' socket
    (`connected`: the ids the transport knows, on any process) without having chosen away
    or offline."""
    since = now_ms() - presence.TAB_EXPIRY * 1000
    statuses = {status.agent_id: status for status in uow.presence.statuses(account_id, since)}
    if any(presence.shown(status) is Availability.ONLINE for status in statuses.values()):
        return True
    return any(
        agent_id in statuses and statuses[agent_id].chosen is Availability.ONLINE
        for agent_id in connected
    )


def availability(
    uow: ChatUnit, actor: Actor, public_id: str, connected: Collection[int]
) -> WidgetAvailability:
    """What the widget shows: nobody online (the offline form), or the visitor's place in
    the queue while the chat waits for an agent."""
    conversation = get_conversation(uow, actor, public_id)
    return WidgetAvailability(
        agents_online=agents_available(uow, conversation.account_id, connected),
        queue_position=queue_position(uow, conversation),
    )


def queue_position(uow: ChatUnit, conversation: Conversation) -> int | None:
    if conversation.status is not ChatStatus.WAITING or conversation.session_id is None:
        return None
    return 1 + uow.chat.waiting_before(conversation.account_id, conversation.session_id)


def _optional(value: object, current: str | None, field: str, limit: int) -> str | None:
    if value is _UNSET:
        return current
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("invalid_setting", f"{field} must be text", field=field)
    cleaned = check_text(value, field).strip()
    if len(cleaned) > limit:
        raise Invalid("too_long", f"{field} is longer than {limit} characters", field=field)
    return cleaned or None


def _inbox_id(uow: ChatUnit, actor: Actor, value: object, current: ChatSettings) -> int | None:
    if value is _UNSET:
        return current.offline_inbox_id
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(
            "invalid_setting", "offline_inbox_id must be an inbox id", field="offline_inbox_id"
        )
    if accounts.find_inbox(uow, actor.account_id, value) is None:
        raise Invalid("inbox_not_found", f"No inbox {value}", field="offline_inbox_id")
    return value


def _color(value: object, current: str | None) -> str | None:
    if value is _UNSET:
        return current
    if value is None:
        return None
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise Invalid("invalid_color", "color is #rrggbb", field="color")
    return value.lower()


def _position(value: object, current: str) -> str:
    if value is _UNSET:
        return current
    if value not in POSITIONS:
        raise Invalid("invalid_position", "position is right or left", field="position")
    return str(value)


def _texts(
    change: Mapping[str, Mapping[str, str | None]] | None, current: ChatSettings
) -> tuple[tuple[str, WidgetTexts], ...]:
    if change is None:
        return current.texts
    merged = dict(current.texts)
    for language, words in change.items():
        if language not in LANGUAGES:
            raise Invalid("unknown_language", f"texts are in {', '.join(LANGUAGES)}", field="texts")
        unknown = set(words) - {"greeting", "offline"}
        if unknown:
            raise Invalid(
                "invalid_setting", "texts have a greeting and an offline text", field="texts"
            )
        merged[language] = WidgetTexts(
            greeting=_optional(words.get("greeting"), None, "greeting", MAX_WIDGET_TEXT),
            offline=_optional(words.get("offline"), None, "offline", MAX_WIDGET_TEXT),
        )
    return tuple((language, merged[language]) for language in LANGUAGES if language in merged)


def _texts_json(words: WidgetTexts) -> dict[str, Any]:
    return {"greeting": words.greeting, "offline": words.offline}
