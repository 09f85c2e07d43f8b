"""What the notify area needs from storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.notify.records import NewNotification, Notification, Preferences, Shown


class NotifyRepo(Protocol):
    def preferences(self, agent_ids: Sequence[int]) -> dict[int, Preferences]:
        """Those agents who chose; the others have the defaults."""
        ...

    def save_preferences(
        self, account_id: int, agent_id: int, preferences: Preferences, now: int
    ) -> None: ...

    def insert_notification(self, new: NewNotification, now: int) -> Notification: ...

    def mark_mailed(self, notification_ids: Sequence[int], now: int) -> None: ...

    def set_last_digest(self, agent_id: int, now: int) -> None: ...

    def shown(self, agent_id: int, *, after_id: int | None, limit: int) -> list[Shown]:
        """The agent's notifications, newest first, with their titles (below `after_id`)."""
        ...

    def shown_by_id(self, notification_ids: Sequence[int]) -> list[Shown]: ...

    def unread_count(self, agent_id: int) -> int: ...

    def mark_read(self, agent_id: int, notification_ids: Sequence[int] | None, now: int) -> int:
        """Mark these (None: all) of the agent's unread notifications read; how many."""
        ...

    def digest_due(self, now: int) -> list[tuple[int, list[int]]]:
        """Agents on a digest whose period has passed, each with their unmailed ids."""
        ...


class NotifyUnit(ChatUnit, MailUnit, Protocol):
    @property
    def notify(self) -> NotifyRepo: ...
