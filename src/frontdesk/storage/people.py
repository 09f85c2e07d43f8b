"""What the account holds about one person, across areas: merging two contacts, erasing one.

This repository alone writes across the tables of several areas (tickets, chat, mail,
identity, events), because a merge or an erasure must reach every row that names the
contact, in one transaction. It reads and writes rows; what to do is core.people's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, delete, func, or_, select, update

from frontdesk.storage import tables as t

_CHAT_PARTS = (t.chat_messages, t.chat_pages, t.chat_tags, t.chat_labels, t.chat_cards,
               t.notifications)  # fmt: skip
_ADDRESS_LISTS = ("to_addrs", "cc_addrs", "bcc_addrs")


class SqlPeople:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- reading -------------------------------------------------------------------------

    def requested_ticket_ids(
        self, account_id: int, contact_id: int, *, after_id: int = 0, limit: int | None = None
    ) -> list[int]:
        tk = t.tickets
        query = (
            select(tk.c.id)
            .where(tk.c.account_id == account_id, tk.c.requester_id == contact_id)
            .where(tk.c.id > after_id)
            .order_by(tk.c.id)
        )
        return list(self.conn.execute(query.limit(limit) if limit else query).scalars())

    def conversation_ids(self, account_id: int, contact_id: int) -> list[int]:
        cc = t.chat_conversations
        return list(
            self.conn.execute(
                select(cc.c.id).where(cc.c.account_id == account_id, cc.c.contact_id == contact_id)
            ).scalars()
        )

    def messages_naming(
        self, account_id: int, contact_id: int, email: str
    ) -> list[tuple[int, int]]:
        """(ticket id, message id) of the messages on tickets the contact did not request
        that they wrote or that were addressed to them (To, Cc, Bcc), in id order."""
        ms, tk = t.messages, t.tickets
        rows = self.conn.execute(
            select(ms.c.ticket_id, ms.c.id, ms.c.contact_id, ms.c.audience_contact_id,
                   ms.c.from_email, *(ms.c[n] for n in _ADDRESS_LISTS))
            .join(tk, tk.c.id == ms.c.ticket_id)
            .where(ms.c.account_id == account_id, _naming(contact_id, email))
            .where(or_(tk.c.requester_id.is_(None), tk.c.requester_id != contact_id))
            .order_by(ms.c.id)
        ).all()  # fmt: skip
        return [(row.ticket_id, row.id) for row in rows if _names(row, contact_id, email)]

    def mail_from(self, account_id: int, email: str) -> list[int]:
        """The receipts of the mail that came from the very address, in id order."""
        mr, wanted = t.mail_receipts, email.lower()
        sender = or_(func.lower(mr.c.from_addr) == wanted, func.lower(mr.c.envelope_from) == wanted)
        found = self.conn.execute(
            select(mr.c.id).where(mr.c.account_id == account_id, sender).order_by(mr.c.id)
        )
        return list(found.scalars())

    # -- merging -------------------------------------------------------------------------

    def move_contact(self, account_id: int, source_id: int, target_id: int) -> None:
        """Every row naming the source names the target instead (the source row stays)."""
        moves: list[tuple[Table, str]] = [
            (t.tickets, "requester_id"),
            (t.messages, "contact_id"),
            (t.messages, "audience_contact_id"),
            (t.attachments, "contact_id"),
            (t.credentials, "contact_id"),
            (t.chat_conversations, "contact_id"),
        ]
        for table, column in moves:
            self.conn.execute(
                update(table)
                .where(table.c.account_id == account_id, table.c[column] == source_id)
                .values({column: target_id})
            )

    def link_conversation(self, conversation_id: int, contact_id: int | None) -> None:
        cc = t.chat_conversations
        self.conn.execute(
            update(cc).where(cc.c.id == conversation_id).values(contact_id=contact_id)
        )

    def delete_contact(self, contact_id: int) -> None:
        self.conn.execute(delete(t.contacts).where(t.contacts.c.id == contact_id))

    # -- erasing -------------------------------------------------------------------------

    def anonymise_tickets(self, ticket_ids: Sequence[int], placeholder: str) -> list[str]:
        """Keep the tickets' shape (numbers, statuses, dates, who answered), drop every text:
        subjects, bodies, addresses, notes, field values, drafts, files and mail. The
        stored names of the files their attachments named."""
        if not ticket_ids:
            return []
        tk, ms, at = t.tickets, t.messages, t.attachments
        names = sorted(
            set(
                self.conn.execute(
                    select(at.c.stored_name).where(at.c.ticket_id.in_(ticket_ids))
                ).scalars()
            )
        )
        self.conn.execute(delete(at).where(at.c.ticket_id.in_(ticket_ids)))
        for table in (t.ticket_fields, t.drafts, t.outbox):
            self.conn.execute(delete(table).where(table.c.ticket_id.in_(ticket_ids)))
        cs = t.csat_surveys  # the rating stays (a number); the customer's words go
        self.conn.execute(update(cs).where(cs.c.ticket_id.in_(ticket_ids)).values(comment=None))
        self.conn.execute(
            update(ms)
            .where(ms.c.ticket_id.in_(ticket_ids))
            .values(
                body_text=placeholder, body_html="", from_email=None, from_name=None,
                to_addrs="", cc_addrs="", bcc_addrs="", email_message_id=None,
                contact_id=None, audience_contact_id=None,
            )
        )  # fmt: skip
        self.conn.execute(
            update(tk)
            .where(tk.c.id.in_(ticket_ids))
            .values(subject=placeholder, notes="", requester_id=None, version=tk.c.version + 1)
        )
        return names

    def forget_ticket_events(self, ticket_ids: Sequence[int]) -> None:
        """The tickets' events keep their kind, actor and time; their data (a status
        reason, a mail error naming the address) goes."""
        if ticket_ids:
            ev = t.events
            self.conn.execute(update(ev).where(ev.c.ticket_id.in_(ticket_ids)).values(data="{}"))

    def delete_conversations(self, conversation_ids: Sequence[int]) -> None:
        """The conversations with everything in them; their events keep kind, actor and
        time, not their data (which carries the messages)."""
        if not conversation_ids:
            return
        cc, ev = t.chat_conversations, t.events
        public_ids = self.conn.execute(
            select(cc.c.public_id).where(cc.c.id.in_(conversation_ids))
        ).scalars()
        naming = or_(*(ev.c.data.contains(f'"{public_id}"') for public_id in public_ids))
        self.conn.execute(update(ev).where(naming).values(data="{}"))
        for table in _CHAT_PARTS:
            self.conn.execute(delete(table).where(table.c.conversation_id.in_(conversation_ids)))
        cs = t.chat_sessions
        self.conn.execute(update(cc).where(cc.c.id.in_(conversation_ids)).values(session_id=None))
        self.conn.execute(delete(cs).where(cs.c.conversation_id.in_(conversation_ids)))
        self.conn.execute(delete(cc).where(cc.c.id.in_(conversation_ids)))

    def scrub_address(
        self, account_id: int, contact_id: int, email: str, placeholder: str
    ) -> list[str]:
        """Rows outside the contact's own tickets that name them or their address: their
        customer tokens, mail to or from them, their messages on other people's tickets
        (kept, without the address), events whose data names the address. The stored names
        of the raw mails removed with their receipts."""
        self._tokens(account_id, contact_id)
        raw = self._mail(account_id, email)
        self._messages_elsewhere(account_id, contact_id, email, placeholder)
        ev = t.events
        candidates = self.conn.execute(
            select(ev.c.id, ev.c.data).where(
                ev.c.account_id == account_id, _contains(ev.c.data, email)
            )
        ).all()
        naming = [row.id for row in candidates if _mentions(row.data, email)]
        if naming:
            self.conn.execute(update(ev).where(ev.c.id.in_(naming)).values(data="{}"))
        return raw

    def _tokens(self, account_id: int, contact_id: int) -> None:
        cr, at = t.credentials, t.attachments
        self.conn.execute(
            delete(cr).where(cr.c.account_id == account_id, cr.c.contact_id == contact_id)
        )
        self.conn.execute(
            update(at)
            .where(at.c.account_id == account_id, at.c.contact_id == contact_id)
            .values(contact_id=None)
        )

    def _mail(self, account_id: int, email: str) -> list[str]:
        """Mail to or from the address itself; the substring match only narrows the rows
        (erasing ann@ must not take joann@'s mail)."""
        ob, mr = t.outbox, t.mail_receipts
        columns = ("to_addr", *_ADDRESS_LISTS)
        addressed = or_(*(_contains(ob.c[name], email) for name in columns))
        outgoing = self.conn.execute(
            select(ob.c.id, *(ob.c[name] for name in columns)).where(
                ob.c.account_id == account_id, addressed
            )
        ).all()
        sent = [row.id for row in outgoing if _any_mentions(row, columns, email)]
        if sent:
            self.conn.execute(delete(ob).where(ob.c.id.in_(sent)))
        senders = ("from_addr", "envelope_from")
        incoming = self.conn.execute(
            select(mr.c.id, mr.c.raw_sha256, *(mr.c[name] for name in senders)).where(
                mr.c.account_id == account_id,
                or_(*(_contains(mr.c[name], email) for name in senders)),
            )
        ).all()
        theirs = [row for row in incoming if _any_mentions(row, senders, email)]
        if theirs:
            self.conn.execute(delete(mr).where(mr.c.id.in_([row.id for row in theirs])))
        return sorted({row.raw_sha256 for row in theirs})

    def _messages_elsewhere(
        self, account_id: int, contact_id: int, email: str, placeholder: str
    ) -> None:
        ms = t.messages
        rows = self.conn.execute(
            select(
                ms.c.id,
                ms.c.contact_id,
                ms.c.audience_contact_id,
                ms.c.from_email,
                *(ms.c[n] for n in _ADDRESS_LISTS),
            ).where(ms.c.account_id == account_id, _naming(contact_id, email))
        ).all()
        for row in rows:
            if not _names(row, contact_id, email):  # joann@ holds ann@: not hers
                continue
            changes: dict[str, Any] = {"contact_id": None, "audience_contact_id": None}
            if row.contact_id == contact_id:  # they wrote it: their text goes too
                changes.update(body_text=placeholder, body_html="")
            if row.from_email and row.from_email.lower() == email.lower():
                changes.update(from_email=None, from_name=None)
            for name in _ADDRESS_LISTS:
                kept = [a for a in getattr(row, name).split("\n") if a.lower() != email.lower()]
                changes[name] = "\n".join(kept)
            self.conn.execute(update(ms).where(ms.c.id == row.id).values(changes))

    def forget_search(self) -> None:
        """SQLite's full-text index keeps a deleted word in its segments until they are
        merged: merge them all now, so that no page of the file holds it."""
        if self.conn.dialect.name == "sqlite":
            self.conn.exec_driver_sql(
                "INSERT INTO ticket_search(ticket_search) VALUES ('optimize')"
            )


def _naming(contact_id: int, email: str) -> Any:
    """Messages that may name the contact: theirs, or their address anywhere in the
    addresses (a substring match, narrowed row by row where it matters: `_names`)."""
    ms = t.messages
    return or_(
        ms.c.contact_id == contact_id,
        ms.c.audience_contact_id == contact_id,
        _contains(ms.c.from_email, email),
        *(_contains(ms.c[name], email) for name in _ADDRESS_LISTS),
    )


def _names(row: Any, contact_id: int, email: str) -> bool:
    """The message is the contact's, or names their very address (not one containing it)."""
    if contact_id in (row.contact_id, row.audience_contact_id):
        return True
    wanted = email.lower()
    addresses = [row.from_email or ""]
    for name in _ADDRESS_LISTS:
        addresses += getattr(row, name).split("\n")
    return any(address.lower() == wanted for address in addresses)


def _mentions(text: str | None, email: str) -> bool:
    """The text holds this very address, not one that contains it (joann@ for ann@, or
    ann@example.org.evil for ann@example.org)."""
    pattern = rf"(?<![\w.!#$%&'*+/=?^`{{|}}~-]){re.escape(email)}(?![\w-]|\.[\w])"
    return re.search(pattern, text or "", re.IGNORECASE) is not None


def _any_mentions(row: Any, columns: tuple[str, ...], email: str) -> bool:
    return any(_mentions(getattr(row, name), email) for name in columns)


def _contains(column: Any, email: str) -> Any:
    escaped = email.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
