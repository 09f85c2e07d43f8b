"""Categories, departments and custom field definitions; the account's labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from frontdesk.core.tickets.records import (
    CustomField,
    FieldType,
    LabelUse,
    Named,
)
from frontdesk.storage import tables as t
from frontdesk.storage._sql import one_in_account, update_row, upsert
from frontdesk.storage.tickets.rows import field_from_row, named_from_row

Item = TypeVar("Item")
NAMED_TABLES: Mapping[str, Table] = {
    "category": t.categories,
    "department": t.departments,
    "custom_field": t.custom_fields,
}


# Built once with bind parameters (as storage/hot_queries.py's): the ticket page reads it on
# every view, and building a statement and its cache key costs more than running it.
_FIELDS = (
    select(t.custom_fields)
    .where(t.custom_fields.c.account_id == bindparam("account_id"))
    .order_by(t.custom_fields.c.name)
)


class SqlTaxonomy:
    """Names within an account, one table per kind."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_named(self, kind: str, account_id: int, name: str, now: int) -> Named | None:
        table = NAMED_TABLES[kind]
        row = self.conn.execute(
            upsert(self.conn)(table)
            .values(account_id=account_id, name=name, created=now)
            .on_conflict_do_nothing(index_elements=[table.c.account_id, table.c.name])
            .returning(table)
        ).one_or_none()
        return named_from_row(row) if row else None

    def list_named(self, kind: str, account_id: int) -> list[Named]:
        table = NAMED_TABLES[kind]
        rows = self.conn.execute(
            select(table).where(table.c.account_id == account_id).order_by(table.c.name)
        ).all()
        return [named_from_row(row) for row in rows]

    def get_named(self, kind: str, account_id: int, row_id: int) -> Named | None:
        row = one_in_account(self.conn, NAMED_TABLES[kind], account_id, row_id)
        return named_from_row(row) if row else None

    def find_named(self, kind: str, account_id: int, name: str) -> Named | None:
        table = NAMED_TABLES[kind]
        row = self.conn.execute(
            select(table).where(
                table.c.account_id == account_id, func.lower(table.c.name) == name.lower()
            )
        ).first()
        return named_from_row(row) if row else None

    def named_in_use(self, kind: str, row_id: int) -> bool:
        column = {
            "category": t.tickets.c.category_id,
            "department": t.tickets.c.department_id,
            "custom_field": t.ticket_fields.c.field_id,
        }[kind]
        return (
            self.conn.execute(select(column).where(column == row_id).limit(1)).first() is not None
        )

    def delete_named(self, kind: str, row_id: int) -> None:
        table = NAMED_TABLES[kind]
        self.conn.execute(delete(table).where(table.c.id == row_id))

    def rename_named(self, kind: str, row_id: int, name: str) -> None:
        # The name checked free a moment ago may be taken by a concurrent writer: a Conflict.
        update_row(self.conn, NAMED_TABLES[kind], row_id, {"name": name})

    def list_fields(self, account_id: int) -> list[CustomField]:
        rows = self.conn.execute(_FIELDS, {"account_id": account_id}).all()
        return [field_from_row(row) for row in rows]

    def get_field(self, account_id: int, row_id: int, *, lock: bool = False) -> CustomField | None:
        cf = t.custom_fields
        found = select(cf).where(cf.c.account_id == account_id, cf.c.id == row_id)
        row = self.conn.execute(found.with_for_update() if lock else found).first()
        return field_from_row(row) if row else None

    def find_field(self, account_id: int, name: str, *, lock: bool = False) -> CustomField | None:
        cf = t.custom_fields
        found = select(cf).where(
            cf.c.account_id == account_id, func.lower(cf.c.name) == name.lower()
        )
        row = self.conn.execute(found.with_for_update(read=True) if lock else found).first()
        return field_from_row(row) if row else None

    def insert_field(
        self, account_id: int, name: str, field_type: FieldType, options: Sequence[str], now: int
    ) -> CustomField | None:
        cf = t.custom_fields
        row = self.conn.execute(
            upsert(self.conn)(cf)
            .values(
                account_id=account_id,
                name=name,
                created=now,
                field_type=field_type.value,
                options="\n".join(options),
            )
            .on_conflict_do_nothing(index_elements=[cf.c.account_id, cf.c.name])
            .returning(cf)
        ).one_or_none()
        return field_from_row(row) if row else None

    def change_field(
        self,
        row_id: int,
        field_type: FieldType,
        options: Sequence[str],
        rewrites: Mapping[str, str],
        now: int,
    ) -> None:
        update_row(
            self.conn,
            t.custom_fields,
            row_id,
            {"field_type": field_type.value, "options": "\n".join(options)},
        )
        # Two statements per 250 distinct values, not two per value: a type change may
        # respell thousands (docs/admin.md has the figures). 250: the CASE binds two
        # parameters a value and the IN list one, under SQLite's old cap of 999.
        olds = list(rewrites)
        for chunk in _chunks(olds, 250):
            self._rewrite(row_id, {old: rewrites[old] for old in chunk}, now)

    def _rewrite(self, field_id: int, rewrites: Mapping[str, str], now: int) -> None:
        tf, tk = t.ticket_fields, t.tickets
        holding = select(tf.c.ticket_id).where(
            tf.c.field_id == field_id, tf.c.value.in_(list(rewrites))
        )
        # The value a client read changes: as with any change of the ticket, it moves.
        self.conn.execute(
            update(tk)
            .where(tk.c.id.in_(holding.scalar_subquery()))
            .values(updated=now, version=tk.c.version + 1)
        )
        self.conn.execute(
            update(tf)
            .where(tf.c.field_id == field_id, tf.c.value.in_(list(rewrites)))
            .values(value=case(rewrites, value=tf.c.value))
        )

    def field_values(self, field_id: int) -> list[str]:
        tf = t.ticket_fields
        found = select(tf.c.value).where(tf.c.field_id == field_id).distinct()
        return [row[0] for row in self.conn.execute(found)]

    def label_uses(self, account_id: int) -> list[LabelUse]:
        al, tl, tk = t.account_labels, t.ticket_labels, t.tickets
        counts = (
            select(tl.c.name, func.count().label("n"))
            .join(tk, tk.c.id == tl.c.ticket_id)
            .where(tk.c.account_id == account_id)
            .group_by(tl.c.name)
            .subquery()
        )
        rows = self.conn.execute(
            select(al.c.name, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.name == al.c.name)
            .where(al.c.account_id == account_id)
            .order_by(al.c.name)
        ).all()
        return [LabelUse(name, int(count)) for name, count in rows]

    def has_label(self, account_id: int, name: str) -> bool:
        al = t.account_labels
        found = select(al.c.name).where(al.c.account_id == account_id, al.c.name == name)
        return self.conn.execute(found).first() is not None

    def add_label(self, account_id: int, name: str) -> None:
        self.conn.execute(
            upsert(self.conn)(t.account_labels)
            .values(account_id=account_id, name=name)
            .on_conflict_do_nothing(index_elements=["account_id", "name"])
        )

    def rename_label(self, account_id: int, name: str, new_name: str, now: int) -> int:
        tl = t.ticket_labels
        carrying = self._carrying(account_id, name)
        # A ticket may carry both words already; it keeps one row of the new one.
        has_new = exists().where(tl.c.ticket_id == carrying.c.ticket_id, tl.c.name == new_name)
        self.conn.execute(
            insert(tl).from_select(
                ["ticket_id", "name"],
                select(carrying.c.ticket_id, literal(new_name, tl.c.name.type)).where(~has_new),
            )
        )
        changed = self._take_off(account_id, name, now)
        self.add_label(account_id, new_name)
        return changed

    def remove_label(self, account_id: int, name: str, now: int) -> int:
        return self._take_off(account_id, name, now)

    def _carrying(self, account_id: int, name: str) -> Any:
        tl, tk = t.ticket_labels, t.tickets
        return (
            select(tl.c.ticket_id)
            .join(tk, tk.c.id == tl.c.ticket_id)
            .where(tk.c.account_id == account_id, tl.c.name == name)
            .subquery()
        )

    def _take_off(self, account_id: int, name: str, now: int) -> int:
        """Delete the label's rows from the account's tickets, touch those tickets (their
        `updated` and version, as any change of a ticket's labels does), drop the name."""
        tl, tk, al = t.ticket_labels, t.tickets, t.account_labels
        ids = [row[0] for row in self.conn.execute(select(self._carrying(account_id, name)))]
        for chunk in _chunks(ids, 500):
            self.conn.execute(delete(tl).where(tl.c.name == name, tl.c.ticket_id.in_(chunk)))
            self.conn.execute(
                update(tk).where(tk.c.id.in_(chunk)).values(updated=now, version=tk.c.version + 1)
            )
        self.conn.execute(delete(al).where(al.c.account_id == account_id, al.c.name == name))
        return len(ids)


def _chunks(ids: list[Item], size: int) -> list[list[Item]]:
    # Bounded IN lists: SQLite caps bound parameters per statement.
    return [ids[start : start + size] for start in range(0, len(ids), size)]
