"""What is set on a visitor: tags, labels, cards."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    Connection,
    and_,
    delete,
    insert,
    select,
    update,
)

from frontdesk.core.chat.records import (
    TagType,
    VisitorCard,
    VisitorLabel,
    VisitorTag,
)
from frontdesk.storage import tables as t


class SqlVisitors:
    """Tags, labels and cards of a conversation's visitor."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def visitor_tags(self, conversation_id: int) -> list[VisitorTag]:
        table = t.chat_tags
        rows = self.conn.execute(
            select(table)
            .where(table.c.conversation_id == conversation_id)
            .order_by(table.c.type, table.c.created, table.c.tag)
        ).all()
        return [VisitorTag(TagType(row.type), row.tag, row.created) for row in rows]

    def set_name_tag(self, conversation_id: int, name: str, now: int) -> None:
        table = t.chat_tags
        self.conn.execute(
            delete(table).where(
                table.c.conversation_id == conversation_id, table.c.type == TagType.NAME
            )
        )
        self.conn.execute(
            insert(table).values(
                conversation_id=conversation_id, type=TagType.NAME, tag=name, created=now
            )
        )

    def add_tags(self, conversation_id: int, tags: Sequence[str], now: int) -> None:
        known = {tag.tag for tag in self.visitor_tags(conversation_id) if tag.type is TagType.TAG}
        fresh = [tag for tag in dict.fromkeys(tags) if tag not in known]
        if fresh:
            self.conn.execute(
                insert(t.chat_tags),
                [
                    {
                        "conversation_id": conversation_id,
                        "type": TagType.TAG,
                        "tag": tag,
                        "created": now,
                    }
                    for tag in fresh
                ],
            )

    def replace_tags(self, conversation_id: int, tags: Sequence[str], now: int) -> None:
        # Tags kept keep their row and date; only those dropped go, only new ones come.
        table = t.chat_tags
        self.conn.execute(
            delete(table).where(
                table.c.conversation_id == conversation_id,
                table.c.type == TagType.TAG,
                table.c.tag.not_in(list(tags)),
            )
        )
        self.add_tags(conversation_id, tags, now)

    def visitor_labels(self, conversation_id: int) -> list[VisitorLabel]:
        table = t.chat_labels
        rows = self.conn.execute(
            select(table)
            .where(table.c.conversation_id == conversation_id)
            .order_by(table.c.created, table.c.label)
        ).all()
        return [VisitorLabel(row.label, row.created) for row in rows]

    def add_labels(self, conversation_id: int, labels: Sequence[str], now: int) -> None:
        known = {label.label for label in self.visitor_labels(conversation_id)}
        fresh = [label for label in dict.fromkeys(labels) if label not in known]
        if fresh:
            self.conn.execute(
                insert(t.chat_labels),
                [
                    {"conversation_id": conversation_id, "label": label, "created": now}
                    for label in fresh
                ],
            )

    def replace_labels(self, conversation_id: int, labels: Sequence[str], now: int) -> None:
        table = t.chat_labels
        self.conn.execute(
            delete(table).where(
                table.c.conversation_id == conversation_id, table.c.label.not_in(list(labels))
            )
        )
        self.add_labels(conversation_id, labels, now)

    def visitor_cards(self, conversation_id: int) -> list[VisitorCard]:
        table = t.chat_cards
        rows = self.conn.execute(
            select(table)
            .where(table.c.conversation_id == conversation_id)
            .order_by(table.c.created, table.c.data_id)
        ).all()
        return [VisitorCard(row.data_id, row.data, row.created, row.updated) for row in rows]

    def upsert_card(self, conversation_id: int, data_id: str, data: str, now: int) -> None:
        # The conversation row is locked by the caller, so check-then-write cannot race.
        table = t.chat_cards
        mine = and_(table.c.conversation_id == conversation_id, table.c.data_id == data_id)
        if self.conn.execute(select(table.c.data_id).where(mine)).first() is None:
            self.conn.execute(
                insert(table).values(
                    conversation_id=conversation_id,
                    data_id=data_id,
                    data=data,
                    created=now,
                    updated=now,
                )
            )
        else:
            self.conn.execute(update(table).where(mine).values(data=data, updated=now))
