"""The SQL implementation of the core's `Repo` port, over one open transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from frontdesk.core.errors import Conflict
from frontdesk.core.models import (
    Account,
    Agent,
    Attachment,
    Contact,
    Credential,
    CredentialKind,
    Event,
    Inbox,
    Message,
    MessageKind,
    Named,
    Role,
    Scope,
    Status,
    Ticket,
    TicketDetails,
)
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t
from frontdesk.storage.chat_queries import ChatQueryMixin
from frontdesk.storage.customer_queries import CustomerQueryMixin
from frontdesk.storage.mail_queries import MailQueryMixin
from frontdesk.storage.queries import QueryMixin
from frontdesk.storage.rows import account_from_row as _account
from frontdesk.storage.rows import contact_from_row as _contact
from frontdesk.storage.rows import split_lines as _split
from frontdesk.storage.rows import ticket_from_row as _ticket
from frontdesk.storage.search_queries import SearchQueryMixin

NAMED_TABLES: Mapping[str, Table] = {
    "category": t.categories,
    "department": t.departments,
    "custom_field": t.custom_fields,
}


def _join(values: Iterable[str]) -> str:
    return "\n".join(values)


class SqlRepo(QueryMixin, CustomerQueryMixin, MailQueryMixin, SearchQueryMixin, ChatQueryMixin):
    """Every read and write the core needs, as small typed methods. No business rules here."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.events: list[Event] = []
        self._lock = conn.dialect.name == "postgresql"

    # -- helpers ---------------------------------------------------------------------------

    def _insert(self, table: Table, values: Mapping[str, Any]) -> Any:
        """Insert one row and return it whole; a unique clash becomes a Conflict."""
        try:
            if hot_queries.plain(values):
                return self.conn.execute(hot_queries.insert_returning(table), dict(values)).one()
            return self.conn.execute(insert(table).values(**values).returning(table)).one()
        except IntegrityError as exc:
            raise Conflict(
                "already_exists", f"A {table.name[:-1]} with these values exists"
            ) from exc

    def _update(self, table: Table, row_id: int, changes: Mapping[str, Any]) -> Any:
        try:
            if changes and hot_queries.plain(changes):
                params = {**changes, hot_queries.ROW_ID: row_id}
                return self.conn.execute(hot_queries.update_returning(table), params).one()
            return self.conn.execute(
                update(table).where(table.c.id == row_id).values(**changes).returning(table)
            ).one()
        except IntegrityError as exc:
            raise Conflict(
                "already_exists", f"A {table.name[:-1]} with these values exists"
            ) from exc

    def _one(self, table: Table, account_id: int, row_id: int) -> Any:
        params = {hot_queries.ROW_ID: row_id, "account_id": account_id}
        return self.conn.execute(hot_queries.one_in_account(table), params).one_or_none()

    # -- accounts ----------------------------------------------------------------------------

    def insert_account(self, name: str, public_id: str, now: int) -> Account:
        row = self._insert(t.accounts, {"name": name, "public_id": public_id, "created": now})
        return _account(row)

    def get_account(self, account_id: int) -> Account | None:
        row = self.conn.execute(
            select(t.accounts).where(t.accounts.c.id == account_id)
        ).one_or_none()
        return _account(row) if row else None

    def update_account(self, account_id: int, changes: Mapping[str, Any]) -> Account:
        return _account(self._update(t.accounts, account_id, changes))

    def next_ticket_number(self, account_id: int) -> int:
        """Take the account's next ticket number; the row lock serialises concurrent writers."""
        return int(
            self.conn.execute(
                update(t.accounts)
                .where(t.accounts.c.id == account_id)
                .values(ticket_seq=t.accounts.c.ticket_seq + 1)
                .returning(t.accounts.c.ticket_seq)
            ).scalar_one()
        )

    # -- agents ------------------------------------------------------------------------------

    def insert_agent(self, values: Mapping[str, Any]) -> Agent:
        return self._agent(self._insert(t.agents, _agent_values(values)))

    def update_agent(self, agent_id: int, changes: Mapping[str, Any]) -> Agent:
        return self._agent(self._update(t.agents, agent_id, _agent_values(changes)))

    def get_agent(self, account_id: int, agent_id: int) -> Agent | None:
        row = self._one(t.agents, account_id, agent_id)
        return self._agent(row) if row else None

    def find_agent_by_email(self, account_id: int, email: str) -> Agent | None:
        row = self.conn.execute(
            select(t.agents).where(
                t.agents.c.account_id == account_id, func.lower(t.agents.c.email) == email.lower()
            )
        ).one_or_none()
        return self._agent(row) if row else None

    def list_agents(self, account_id: int) -> list[Agent]:
        rows = self.conn.execute(
            select(t.agents).where(t.agents.c.account_id == account_id).order_by(t.agents.c.id)
        ).all()
        inboxes = self._agent_inboxes([row.id for row in rows])
        return [_agent(row, inboxes.get(row.id, ())) for row in rows]

    def set_agent_inboxes(self, agent_id: int, inbox_ids: Sequence[int]) -> None:
        self.conn.execute(delete(t.agent_inboxes).where(t.agent_inboxes.c.agent_id == agent_id))
        if inbox_ids:
            self.conn.execute(
                insert(t.agent_inboxes),
                [{"agent_id": agent_id, "inbox_id": inbox_id} for inbox_id in inbox_ids],
            )

    def _agent(self, row: Any) -> Agent:
        return _agent(row, self._agent_inboxes([row.id]).get(row.id, ()))

    def _agent_inboxes(self, agent_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
        if not agent_ids:
            return {}
        found: dict[int, list[int]] = defaultdict(list)
        for agent_id, inbox_id in self.conn.execute(
            select(t.agent_inboxes.c.agent_id, t.agent_inboxes.c.inbox_id)
            .where(t.agent_inboxes.c.agent_id.in_(agent_ids))
            .order_by(t.agent_inboxes.c.inbox_id)
        ):
            found[agent_id].append(inbox_id)
        return {key: tuple(value) for key, value in found.items()}

    def get_agents(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, Agent]:
        if not agent_ids:
            return {}
        rows = self.conn.execute(
            select(t.agents).where(
                t.agents.c.account_id == account_id, t.agents.c.id.in_(agent_ids)
            )
        ).all()
        inboxes = self._agent_inboxes([row.id for row in rows])
        return {row.id: _agent(row, inboxes.get(row.id, ())) for row in rows}

    # -- inboxes -----------------------------------------------------------------------------

    def insert_inbox(self, values: Mapping[str, Any]) -> Inbox:
        return _inbox(self._insert(t.inboxes, values))

    def update_inbox(self, inbox_id: int, changes: Mapping[str, Any]) -> Inbox:
        return _inbox(self._update(t.inboxes, inbox_id, changes))

    def get_inbox(self, account_id: int, inbox_id: int) -> Inbox | None:
        row = self._one(t.inboxes, account_id, inbox_id)
        return _inbox(row) if row else None

    def find_inbox_by_email(self, email: str) -> Inbox | None:
        row = self.conn.execute(
            select(t.inboxes).where(func.lower(t.inboxes.c.email) == email.lower())
        ).one_or_none()
        return _inbox(row) if row else None

    def list_inboxes(self, account_id: int) -> list[Inbox]:
        rows = self.conn.execute(
            select(t.inboxes).where(t.inboxes.c.account_id == account_id).order_by(t.inboxes.c.id)
        ).all()
        return [_inbox(row) for row in rows]

    def delete_inbox(self, inbox_id: int) -> None:
        self.conn.execute(delete(t.agent_inboxes).where(t.agent_inboxes.c.inbox_id == inbox_id))
        self.conn.execute(delete(t.inboxes).where(t.inboxes.c.id == inbox_id))

    def inbox_in_use(self, inbox_id: int) -> bool:
        used = self.conn.execute(
            select(t.tickets.c.id).where(t.tickets.c.inbox_id == inbox_id).limit(1)
        ).first()
        return used is not None

    # -- categories, departments, custom field definitions ------------------------------------

    def insert_named(self, kind: str, account_id: int, name: str, now: int) -> Named:
        row = self._insert(
            NAMED_TABLES[kind], {"account_id": account_id, "name": name, "created": now}
        )
        return _named(row)

    def list_named(self, kind: str, account_id: int) -> list[Named]:
        table = NAMED_TABLES[kind]
        rows = self.conn.execute(
            select(table).where(table.c.account_id == account_id).order_by(table.c.name)
        ).all()
        return [_named(row) for row in rows]

    def get_named(self, kind: str, account_id: int, row_id: int) -> Named | None:
        row = self._one(NAMED_TABLES[kind], account_id, row_id)
        return _named(row) if row else None

    def find_named(self, kind: str, account_id: int, name: str) -> Named | None:
        table = NAMED_TABLES[kind]
        row = self.conn.execute(
            select(table).where(
                table.c.account_id == account_id, func.lower(table.c.name) == name.lower()
            )
        ).first()
        return _named(row) if row else None

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

    # -- contacts ----------------------------------------------------------------------------

    def insert_contact(self, values: Mapping[str, Any]) -> Contact:
        return _contact(self._insert(t.contacts, values))

    def update_contact(self, contact_id: int, changes: Mapping[str, Any]) -> Contact:
        return _contact(self._update(t.contacts, contact_id, changes))

    def get_contact(self, account_id: int, contact_id: int) -> Contact | None:
        row = self._one(t.contacts, account_id, contact_id)
        return _contact(row) if row else None

    def get_contacts(self, account_id: int, contact_ids: Sequence[int]) -> dict[int, Contact]:
        if not contact_ids:
            return {}
        rows = self.conn.execute(
            select(t.contacts).where(
                t.contacts.c.account_id == account_id, t.contacts.c.id.in_(contact_ids)
            )
        ).all()
        return {row.id: _contact(row) for row in rows}

    def find_contact_by_email(self, account_id: int, email: str) -> Contact | None:
        row = self.conn.execute(
            select(t.contacts).where(
                t.contacts.c.account_id == account_id,
                func.lower(t.contacts.c.email) == email.lower(),
            )
        ).one_or_none()
        return _contact(row) if row else None

    def list_contacts(self, account_id: int, *, after_id: int, limit: int) -> list[Contact]:
        rows = self.conn.execute(
            select(t.contacts)
            .where(t.contacts.c.account_id == account_id, t.contacts.c.id > after_id)
            .order_by(t.contacts.c.id)
            .limit(limit)
        ).all()
        return [_contact(row) for row in rows]

    # -- credentials ---------------------------------------------------------------------------

    def insert_credential(self, values: Mapping[str, Any]) -> Credential:
        values = dict(values)
        values["scopes"] = " ".join(sorted(values.get("scopes", ())))
        return _credential(self._insert(t.credentials, values))

    def find_credential(self, key_id: str) -> Credential | None:
        row = self.conn.execute(hot_queries.CREDENTIAL, {"key_id": key_id}).one_or_none()
        return _credential(row) if row else None

    def get_credential(self, account_id: int, credential_id: int) -> Credential | None:
        row = self._one(t.credentials, account_id, credential_id)
        return _credential(row) if row else None

    def list_credentials(self, account_id: int, kind: CredentialKind) -> list[Credential]:
        rows = self.conn.execute(
            select(t.credentials)
            .where(t.credentials.c.account_id == account_id, t.credentials.c.kind == kind.value)
            .order_by(t.credentials.c.id)
        ).all()
        return [_credential(row) for row in rows]

    def update_credential(self, credential_id: int, changes: Mapping[str, Any]) -> Credential:
        return _credential(self._update(t.credentials, credential_id, changes))

    # -- tickets -------------------------------------------------------------------------------

    def insert_ticket(self, values: Mapping[str, Any]) -> Ticket:
        return _ticket(self._insert(t.tickets, values))

    def update_ticket(self, ticket_id: int, changes: Mapping[str, Any]) -> Ticket:
        return _ticket(self._update(t.tickets, ticket_id, changes))

    def get_ticket(self, account_id: int, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        query = hot_queries.TICKET
        if lock and self._lock:
            query = query.with_for_update()
        params = {"ticket_id": ticket_id, "account_id": account_id}
        row = self.conn.execute(query, params).one_or_none()
        return _ticket(row) if row else None

    def get_ticket_by_uuid(self, account_id: int, uuid: str) -> Ticket | None:
        row = self.conn.execute(
            select(t.tickets).where(t.tickets.c.uuid == uuid, t.tickets.c.account_id == account_id)
        ).one_or_none()
        return _ticket(row) if row else None

    def get_tickets(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, Ticket]:
        if not ticket_ids:
            return {}
        rows = self.conn.execute(
            select(t.tickets).where(
                t.tickets.c.account_id == account_id, t.tickets.c.id.in_(ticket_ids)
            )
        ).all()
        return {row.id: _ticket(row) for row in rows}

    def find_open_ticket(
        self, account_id: int, requester_id: int, inbox_id: int | None
    ) -> Ticket | None:
        """The requester's most recent open, unmerged, unarchived ticket in that inbox."""
        open_words = [
            status.value for status in Status if status not in (Status.SOLVED, Status.CLOSED)
        ]
        row = self.conn.execute(
            select(t.tickets)
            .where(
                t.tickets.c.account_id == account_id,
                t.tickets.c.requester_id == requester_id,
                t.tickets.c.inbox_id == inbox_id
                if inbox_id is not None
                else t.tickets.c.inbox_id.is_(None),
                t.tickets.c.status.in_(open_words),
                t.tickets.c.merged_into_id.is_(None),
                t.tickets.c.archived_at.is_(None),
            )
            .order_by(t.tickets.c.latest_activity.desc(), t.tickets.c.id.desc())
            .limit(1)
        ).first()
        return _ticket(row) if row else None

    def count_tickets(self, account_id: int) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.tickets)
                .where(t.tickets.c.account_id == account_id)
            ).scalar_one()
        )

    def ticket_details(self, ticket_ids: Sequence[int]) -> dict[int, TicketDetails]:
        """Labels, tags, assignees, links and custom fields for many tickets, one query."""
        return hot_queries.ticket_details(self.conn, ticket_ids)

    def replace_values(
        self, what: str, ticket_id: int, values: Sequence[Any], *, fresh: bool = False
    ) -> None:
        """Replace a ticket's labels, tags, assignees or links with exactly `values`."""
        table, column = {
            "labels": (t.ticket_labels, "name"),
            "tags": (t.ticket_tags, "name"),
            "assignees": (t.ticket_assignees, "agent_id"),
            "links": (t.ticket_links, "linked_id"),
        }[what]
        if not fresh:
            self.conn.execute(delete(table).where(table.c.ticket_id == ticket_id))
        if values:
            self.conn.execute(
                hot_queries.insert_plain(table),
                [{"ticket_id": ticket_id, column: value} for value in values],
            )

    def add_link(self, ticket_id: int, linked_id: int) -> None:
        exists = self.conn.execute(
            select(t.ticket_links.c.ticket_id).where(
                t.ticket_links.c.ticket_id == ticket_id, t.ticket_links.c.linked_id == linked_id
            )
        ).first()
        if exists is None:
            self.conn.execute(
                insert(t.ticket_links).values(ticket_id=ticket_id, linked_id=linked_id)
            )

    def set_field_values(self, ticket_id: int, values: Mapping[int, str | None]) -> None:
        """Set custom field values by field id; None removes the value."""
        for field_id, value in values.items():
            self.conn.execute(
                delete(t.ticket_fields).where(
                    t.ticket_fields.c.ticket_id == ticket_id, t.ticket_fields.c.field_id == field_id
                )
            )
            if value is not None:
                self.conn.execute(
                    insert(t.ticket_fields).values(
                        ticket_id=ticket_id, field_id=field_id, value=value
                    )
                )

    # -- messages and attachments ---------------------------------------------------------------

    def insert_message(self, values: Mapping[str, Any]) -> Message:
        values = dict(values)
        for key in ("to", "cc", "bcc"):
            values[f"{key}_addrs"] = _join(values.pop(key, ()))
        return _message(self._insert(t.messages, values))

    def list_messages(self, ticket_id: int) -> list[Message]:
        rows = self.conn.execute(hot_queries.MESSAGES, {"ticket_id": ticket_id}).all()
        return [_message(row) for row in rows]

    def count_messages(self, ticket_id: int) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.messages)
                .where(t.messages.c.ticket_id == ticket_id)
            ).scalar_one()
        )

    def get_messages(self, account_id: int, message_ids: Sequence[int]) -> list[Message]:
        if not message_ids:
            return []
        rows = self.conn.execute(
            select(t.messages)
            .where(t.messages.c.account_id == account_id, t.messages.c.id.in_(message_ids))
            .order_by(t.messages.c.id)
        ).all()
        return [_message(row) for row in rows]

    def move_messages(self, message_ids: Sequence[int], to_ticket_id: int) -> int:
        """Move messages, and the attachments they carry, to another ticket."""
        moved = self.conn.execute(
            update(t.messages)
            .where(t.messages.c.id.in_(message_ids))
            .values(ticket_id=to_ticket_id)
        ).rowcount
        self.conn.execute(
            update(t.attachments)
            .where(t.attachments.c.message_id.in_(message_ids))
            .values(ticket_id=to_ticket_id)
        )
        return int(moved)

    def message_ids_of(self, ticket_id: int) -> list[int]:
        return list(
            self.conn.execute(
                select(t.messages.c.id)
                .where(t.messages.c.ticket_id == ticket_id)
                .order_by(t.messages.c.id)
            ).scalars()
        )

    def insert_attachment(self, values: Mapping[str, Any]) -> Attachment:
        return _attachment(self._insert(t.attachments, values))

    def get_attachment(self, account_id: int, attachment_id: int) -> Attachment | None:
        row = self._one(t.attachments, account_id, attachment_id)
        return _attachment(row) if row else None

    def get_attachments(self, account_id: int, attachment_ids: Sequence[int]) -> list[Attachment]:
        if not attachment_ids:
            return []
        rows = self.conn.execute(
            select(t.attachments).where(
                t.attachments.c.account_id == account_id, t.attachments.c.id.in_(attachment_ids)
            )
        ).all()
        return [_attachment(row) for row in rows]

    def couple_attachments(
        self, attachment_ids: Sequence[int], ticket_id: int, message_id: int
    ) -> None:
        self.conn.execute(
            update(t.attachments)
            .where(t.attachments.c.id.in_(attachment_ids), t.attachments.c.message_id.is_(None))
            .values(ticket_id=ticket_id, message_id=message_id)
        )

    def attachments_of_messages(self, message_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        if not message_ids:
            return {}
        found: dict[int, list[Attachment]] = defaultdict(list)
        params = {"message_ids": list(message_ids)}
        for row in self.conn.execute(hot_queries.ATTACHMENTS, params):
            found[row.message_id].append(_attachment(row))
        return found

    def delete_attachment(self, attachment_id: int) -> None:
        self.conn.execute(
            delete(t.attachments).where(
                and_(t.attachments.c.id == attachment_id, t.attachments.c.message_id.is_(None))
            )
        )

    def blob_in_use(self, sha256: str) -> bool:
        row = self.conn.execute(
            select(t.attachments.c.id).where(t.attachments.c.sha256 == sha256).limit(1)
        ).first()
        return row is not None

    # -- outbox --------------------------------------------------------------------------------

    def queue_mail(self, values: Mapping[str, Any]) -> int | None:
        """Insert unless the dedupe key exists; racing writers cannot both succeed."""
        upsert = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        found = self.conn.execute(
            upsert(t.outbox)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[t.outbox.c.dedupe_key])
            .returning(t.outbox.c.id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    # -- events --------------------------------------------------------------------------------

    def record_event(self, event: Event, now: int) -> None:
        self.conn.execute(
            hot_queries.insert_plain(t.events),
            {
                "account_id": event.account_id,
                "ticket_id": event.ticket_id,
                "kind": event.kind,
                "actor": event.actor,
                "data": json.dumps(event.data, default=str),
                "created": now,
            },
        )
        self.events.append(event)

    def list_events(self, account_id: int, ticket_id: int) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self.conn.execute(
            select(t.events.c.kind, t.events.c.actor, t.events.c.data)
            .where(t.events.c.account_id == account_id, t.events.c.ticket_id == ticket_id)
            .order_by(t.events.c.id)
        ).all()
        return [(kind, actor, json.loads(data)) for kind, actor, data in rows]


# -- row to record --------------------------------------------------------------------------------


def _agent_values(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "groups" in out:
        out["groups"] = ",".join(out["groups"])
    if "role" in out:
        out["role"] = Role(out["role"]).value
    return out


def _agent(row: Any, inbox_ids: tuple[int, ...]) -> Agent:
    return Agent(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        email=row.email,
        role=Role(row.role),
        picture_url=row.picture_url,
        department=row.department,
        groups=tuple(group for group in row.groups.split(",") if group),
        is_back_office=bool(row.is_back_office),
        last_active=row.last_active,
        created=row.created,
        inbox_ids=inbox_ids,
        password_hash=row.password_hash,
    )


def _inbox(row: Any) -> Inbox:
    return Inbox(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        email=row.email,
        auto_reply=row.auto_reply,
        created=row.created,
    )


def _named(row: Any) -> Named:
    return Named(id=row.id, account_id=row.account_id, name=row.name, created=row.created)


def _credential(row: Any) -> Credential:
    return Credential(
        id=row.id,
        account_id=row.account_id,
        kind=CredentialKind(row.kind),
        name=row.name,
        key_id=row.key_id,
        scopes=frozenset(Scope(word) for word in row.scopes.split()),
        contact_id=row.contact_id,
        created=row.created,
        last_used=row.last_used,
        revoked=row.revoked,
        secret_hash=row.secret_hash,
    )


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        uuid=row.uuid,
        account_id=row.account_id,
        ticket_id=row.ticket_id,
        kind=MessageKind(row.kind),
        agent_id=row.agent_id,
        contact_id=row.contact_id,
        from_email=row.from_email,
        from_name=row.from_name,
        to=_split(row.to_addrs),
        cc=_split(row.cc_addrs),
        bcc=_split(row.bcc_addrs),
        body_text=row.body_text,
        body_html=row.body_html,
        email_message_id=row.email_message_id,
        created=row.created,
    )


def _attachment(row: Any) -> Attachment:
    return Attachment(
        id=row.id,
        uuid=row.uuid,
        account_id=row.account_id,
        ticket_id=row.ticket_id,
        message_id=row.message_id,
        contact_id=row.contact_id,
        original_name=row.original_name,
        stored_name=row.stored_name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        created=row.created,
    )
