"""SQL for the e-mail channel (core.mail.ports.MailRepo): threading, receipts, outbox, IMAP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from frontdesk.core.mail.records import (
    CustomerMail,
    ImapSettings,
    InboxRelay,
    MailReceipt,
    OAuthGrant,
    OutboxMail,
)
from frontdesk.storage import tables as t
from frontdesk.storage._sql import (
    split_lines,
    upsert,
)

# Outbox rows a worker may take: waiting ones, and claimed ones whose claim ran out (the
# worker that took them died), both only once their time has come.
_CLAIMABLE = ("queued", "sending")


# Built once with bind parameters (as storage/hot_queries.py's): the ticket page reads it on
# every view, and building a statement and its cache key costs more than running it.
_TICKET_OUTBOX = (
    select(t.outbox)
    .where(
        t.outbox.c.account_id == bindparam("account_id"),
        t.outbox.c.ticket_id == bindparam("ticket_id"),
    )
    .order_by(t.outbox.c.id.desc())
    .limit(bindparam("limit"))
)


class SqlMail:
    """Threading lookups, receipts, the outbox and IMAP settings."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def ticket_by_email_message_ids(self, account_id: int, ids: Sequence[str]) -> int | None:
        """The ticket of the first id in `ids` that names a message of this account."""
        if not ids:
            return None
        msg = t.messages
        found = dict(
            self.conn.execute(
                select(msg.c.email_message_id, msg.c.ticket_id).where(
                    msg.c.account_id == account_id, msg.c.email_message_id.in_(list(ids))
                )
            ).all()
        )
        for wanted in ids:
            if wanted in found:
                return int(found[wanted])
        return None

    def ticket_id_by_number(self, account_id: int, number: int) -> int | None:
        found = self.conn.execute(
            select(t.tickets.c.id).where(
                t.tickets.c.account_id == account_id, t.tickets.c.number == number
            )
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def email_message_ids_of(self, ticket_id: int, limit: int) -> list[str]:
        """The ticket's most recent Message-IDs, oldest first."""
        msg = t.messages
        rows = self.conn.execute(
            select(msg.c.email_message_id)
            .where(msg.c.ticket_id == ticket_id, msg.c.email_message_id.is_not(None))
            .order_by(msg.c.id.desc())
            .limit(limit)
        ).scalars()
        return list(reversed([str(value) for value in rows]))

    def customer_email_message_id(self, ticket_id: int) -> str | None:
        """The Message-ID of the customer's latest mail on the ticket (a contact wrote it)."""
        msg = t.messages
        return self.conn.execute(
            select(msg.c.email_message_id)
            .where(
                msg.c.ticket_id == ticket_id,
                msg.c.email_message_id.is_not(None),
                msg.c.contact_id.is_not(None),
            )
            .order_by(msg.c.id.desc())
            .limit(1)
        ).scalar()

    def latest_customer_mail(self, ticket_id: int) -> CustomerMail | None:
        msg = t.messages
        row = self.conn.execute(
            select(msg.c.from_email, msg.c.to_addrs, msg.c.cc_addrs)
            .where(
                msg.c.ticket_id == ticket_id,
                msg.c.contact_id.is_not(None),
                msg.c.kind == "external",
            )
            .order_by(msg.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return CustomerMail(row.from_email, split_lines(row.to_addrs), split_lines(row.cc_addrs))

    def set_message_mail(
        self,
        message_id: int,
        *,
        email_message_id: str,
        to: Sequence[str],
        cc: Sequence[str],
        sender: tuple[str, str | None],
    ) -> None:
        self.conn.execute(
            update(t.messages)
            .where(t.messages.c.id == message_id)
            .values(
                email_message_id=email_message_id,
                to_addrs="\n".join(to),
                cc_addrs="\n".join(cc),
                from_email=sender[0],
                from_name=sender[1],
            )
        )

    def insert_receipt(self, values: Mapping[str, Any]) -> int | None:
        values = dict(values)
        values["recipients"] = "\n".join(values.get("recipients", ()))
        found = self.conn.execute(
            upsert(self.conn)(t.mail_receipts)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=[t.mail_receipts.c.account_id, t.mail_receipts.c.mail_key]
            )
            .returning(t.mail_receipts.c.id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def update_receipt(self, receipt_id: int, changes: Mapping[str, Any]) -> None:
        self.conn.execute(
            update(t.mail_receipts).where(t.mail_receipts.c.id == receipt_id).values(**changes)
        )

    def get_receipt(self, account_id: int, receipt_id: int) -> MailReceipt | None:
        row = self.conn.execute(
            select(t.mail_receipts).where(
                t.mail_receipts.c.id == receipt_id, t.mail_receipts.c.account_id == account_id
            )
        ).one_or_none()
        return _receipt(row) if row else None

    def list_receipts(
        self, account_id: int, status: str | None, *, after_id: int, limit: int
    ) -> list[MailReceipt]:
        rc = t.mail_receipts
        query = select(rc).where(rc.c.account_id == account_id, rc.c.id > after_id)
        if status is not None:
            query = query.where(rc.c.status == status)
        rows = self.conn.execute(query.order_by(rc.c.id).limit(limit)).all()
        return [_receipt(row) for row in rows]

    def recent_mail(
        self, account_id: int, to_addr: str, kind: str, since: int
    ) -> tuple[int, int | None]:
        ob = t.outbox
        count, latest = self.conn.execute(
            select(func.count(), func.max(ob.c.created))
            .select_from(ob)
            .where(
                ob.c.account_id == account_id,
                ob.c.to_addr == to_addr,
                ob.c.kind == kind,
                ob.c.created >= since,
            )
        ).one()
        return int(count), (int(latest) if latest is not None else None)

    def claim_outbox(self, now: int, limit: int, lease_ms: int) -> list[OutboxMail]:
        """Take due rows for one worker: marked 'sending' until `now + lease_ms`.

        PostgreSQL skips rows another worker holds (FOR UPDATE SKIP LOCKED); SQLite write
        transactions are BEGIN IMMEDIATE, so claimers there take turns.
        """
        ob = t.outbox
        query = (
            select(ob.c.id)
            .where(ob.c.status.in_(_CLAIMABLE), ob.c.next_attempt <= now)
            .order_by(ob.c.next_attempt, ob.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self.conn.execute(query).scalars())
        if not ids:
            return []
        rows = self.conn.execute(
            update(ob)
            .where(ob.c.id.in_(ids))
            .values(status="sending", attempts=ob.c.attempts + 1, next_attempt=now + lease_ms)
            .returning(ob)
        ).all()
        return sorted((_outbox(row) for row in rows), key=lambda mail: mail.id)

    def renew_outbox(self, outbox_id: int, attempts: int, until: int) -> bool:
        """Extend a claim to `until`, if the row is still this claim's (same attempt)."""
        ob = t.outbox
        renewed = self.conn.execute(
            update(ob)
            .where(ob.c.id == outbox_id, ob.c.status == "sending", ob.c.attempts == attempts)
            .values(next_attempt=until)
        ).rowcount
        return bool(renewed)

    def finish_outbox(self, outbox_id: int, attempts: int, changes: Mapping[str, Any]) -> bool:
        """Record a send's outcome, unless another worker has claimed the row since."""
        ob = t.outbox
        done = self.conn.execute(
            update(ob)
            .where(ob.c.id == outbox_id, ob.c.status == "sending", ob.c.attempts == attempts)
            .values(**changes)
        ).rowcount
        return bool(done)

    def get_outbox(self, account_id: int, outbox_id: int) -> OutboxMail | None:
        row = self.conn.execute(
            select(t.outbox).where(t.outbox.c.account_id == account_id, t.outbox.c.id == outbox_id)
        ).first()
        return _outbox(row) if row is not None else None

    def outbox_by_email_message_ids(self, account_id: int, ids: Sequence[str]) -> OutboxMail | None:
        """The account's outgoing mail with the first of `ids` that names one."""
        ob = t.outbox
        for email_message_id in ids:
            row = self.conn.execute(
                select(ob)
                .where(ob.c.account_id == account_id, ob.c.email_message_id == email_message_id)
                .order_by(ob.c.id)
                .limit(1)
            ).first()
            if row is not None:
                return _outbox(row)
        return None

    def update_outbox(self, outbox_id: int, changes: Mapping[str, Any]) -> None:
        self.conn.execute(update(t.outbox).where(t.outbox.c.id == outbox_id).values(**changes))

    def list_outbox(
        self, account_id: int, *, ticket_id: int | None, status: str | None, limit: int
    ) -> list[OutboxMail]:
        if ticket_id is not None and status is None:  # a ticket's mail: the ticket page
            params = {"account_id": account_id, "ticket_id": ticket_id, "limit": limit}
            return [_outbox(row) for row in self.conn.execute(_TICKET_OUTBOX, params)]
        ob = t.outbox
        query = select(ob).where(ob.c.account_id == account_id)
        if ticket_id is not None:
            query = query.where(ob.c.ticket_id == ticket_id)
        if status is not None:
            query = query.where(ob.c.status == status)
        rows = self.conn.execute(query.order_by(ob.c.id.desc()).limit(limit)).all()
        return [_outbox(row) for row in rows]

    def sender_outbox(
        self, account_id: int, from_addr: str, statuses: Sequence[str], limit: int
    ) -> list[OutboxMail]:
        ob = t.outbox
        query = (
            select(ob)
            .where(ob.c.account_id == account_id, ob.c.from_addr == from_addr)
            .where(ob.c.status.in_(list(statuses)))
            .order_by(ob.c.id.desc())
            .limit(limit)
        )
        return [_outbox(row) for row in self.conn.execute(query).all()]

    def count_sender_outbox(self, account_id: int, from_addr: str, statuses: Sequence[str]) -> int:
        ob = t.outbox
        query = (
            select(func.count())
            .select_from(ob)
            .where(ob.c.account_id == account_id, ob.c.from_addr == from_addr)
            .where(ob.c.status.in_(list(statuses)))
        )
        return int(self.conn.execute(query).scalar_one())

    def last_sent(self, account_id: int, from_addr: str) -> int | None:
        ob = t.outbox
        query = select(func.max(ob.c.sent)).where(
            ob.c.account_id == account_id, ob.c.from_addr == from_addr
        )
        found = self.conn.execute(query).scalar_one()
        return int(found) if found is not None else None

    def requeue_failed(self, outbox_id: int, now: int) -> bool:
        ob = t.outbox
        done = self.conn.execute(
            update(ob)
            .where(ob.c.id == outbox_id, ob.c.status == "failed")
            .values(status="queued", attempts=0, next_attempt=now, last_error=None)
        ).rowcount
        return bool(done)

    def put_imap(self, values: Mapping[str, Any]) -> ImapSettings:
        return _imap(self._put_by_inbox(t.inbox_imap, values))

    def _put_by_inbox(self, table: Table, values: Mapping[str, Any]) -> Any:
        """Insert or update the row keyed by `inbox_id` (its `created` kept on update)."""
        exists = self.conn.execute(
            select(table.c.inbox_id).where(table.c.inbox_id == values["inbox_id"])
        ).first()
        if exists is None:
            return self.conn.execute(insert(table).values(**values).returning(table)).one()
        changes = {key: value for key, value in values.items() if key != "created"}
        return self.conn.execute(
            update(table)
            .where(table.c.inbox_id == values["inbox_id"])
            .values(**changes)
            .returning(table)
        ).one()

    def get_imap(self, account_id: int, inbox_id: int) -> ImapSettings | None:
        im = t.inbox_imap
        row = self.conn.execute(
            select(im).where(im.c.inbox_id == inbox_id, im.c.account_id == account_id)
        ).one_or_none()
        return _imap(row) if row else None

    def delete_imap(self, inbox_id: int) -> None:
        self.conn.execute(delete(t.inbox_imap).where(t.inbox_imap.c.inbox_id == inbox_id))

    def list_enabled_imap(self) -> list[ImapSettings]:
        im = t.inbox_imap
        rows = self.conn.execute(
            select(im).where(im.c.enabled.is_(True)).order_by(im.c.inbox_id)
        ).all()
        return [_imap(row) for row in rows]

    def update_imap(self, inbox_id: int, changes: Mapping[str, Any]) -> None:
        self.conn.execute(
            update(t.inbox_imap).where(t.inbox_imap.c.inbox_id == inbox_id).values(**changes)
        )

    def put_oauth(self, values: Mapping[str, Any]) -> OAuthGrant:
        return _oauth(self._put_by_inbox(t.inbox_oauth, values))

    def get_oauth(self, inbox_id: int) -> OAuthGrant | None:
        row = self.conn.execute(
            select(t.inbox_oauth).where(t.inbox_oauth.c.inbox_id == inbox_id)
        ).one_or_none()
        return _oauth(row) if row else None

    def update_oauth(self, inbox_id: int, changes: Mapping[str, Any]) -> None:
        self.conn.execute(
            update(t.inbox_oauth).where(t.inbox_oauth.c.inbox_id == inbox_id).values(**changes)
        )

    def delete_oauth(self, inbox_id: int) -> None:
        self.conn.execute(delete(t.inbox_oauth).where(t.inbox_oauth.c.inbox_id == inbox_id))

    def put_relay(self, values: Mapping[str, Any]) -> InboxRelay:
        return _relay(self._put_by_inbox(t.inbox_relays, values))

    def get_relay(self, inbox_id: int) -> InboxRelay | None:
        row = self.conn.execute(
            select(t.inbox_relays).where(t.inbox_relays.c.inbox_id == inbox_id)
        ).one_or_none()
        return _relay(row) if row else None

    def delete_relay(self, inbox_id: int) -> None:
        self.conn.execute(delete(t.inbox_relays).where(t.inbox_relays.c.inbox_id == inbox_id))

    def queue_mail(self, values: Mapping[str, Any]) -> int | None:
        """Insert unless the dedupe key exists; racing writers cannot both succeed."""
        found = self.conn.execute(
            upsert(self.conn)(t.outbox)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[t.outbox.c.dedupe_key])
            .returning(t.outbox.c.id)
        ).scalar_one_or_none()
        return None if found is None else int(found)


def _receipt(row: Any) -> MailReceipt:
    m = row._mapping
    return MailReceipt(
        id=m["id"],
        account_id=m["account_id"],
        inbox_id=m["inbox_id"],
        source=m["source"],
        status=m["status"],
        email_message_id=m["email_message_id"],
        envelope_from=m["envelope_from"],
        recipients=split_lines(m["recipients"]),
        from_addr=m["from_addr"],
        subject=m["subject"],
        raw_sha256=m["raw_sha256"],
        size=m["size"],
        ticket_id=m["ticket_id"],
        message_id=m["message_id"],
        error=m["error"],
        created=m["created"],
    )


def _outbox(row: Any) -> OutboxMail:
    m = row._mapping
    return OutboxMail(
        id=m["id"],
        account_id=m["account_id"],
        ticket_id=m["ticket_id"],
        message_id=m["message_id"],
        kind=m["kind"],
        from_addr=m["from_addr"],
        to=split_lines(m["to_addrs"]) or (m["to_addr"],),
        cc=split_lines(m["cc_addrs"]),
        bcc=split_lines(m["bcc_addrs"]),
        subject=m["subject"],
        body=m["body"],
        body_html=m["body_html"],
        email_message_id=m["email_message_id"],
        in_reply_to=m["in_reply_to"],
        references=tuple(m["references"].split()),
        status=m["status"],
        attempts=m["attempts"],
        next_attempt=m["next_attempt"],
        last_error=m["last_error"],
        created=m["created"],
        sent=m["sent"],
        reply_to=m["reply_to"],
    )


def _imap(row: Any) -> ImapSettings:
    m = row._mapping
    return ImapSettings(
        inbox_id=m["inbox_id"],
        account_id=m["account_id"],
        host=m["host"],
        port=m["port"],
        tls=bool(m["tls"]),
        username=m["username"],
        folder=m["folder"],
        enabled=bool(m["enabled"]),
        last_polled=m["last_polled"],
        last_error=m["last_error"],
        created=m["created"],
        updated=m["updated"],
        password=m["password"],
        auth=m["auth"],
    )


def _oauth(row: Any) -> OAuthGrant:
    m = row._mapping
    return OAuthGrant(**{name: m[name] for name in OAuthGrant.__dataclass_fields__})


def _relay(row: Any) -> InboxRelay:
    m = row._mapping
    return InboxRelay(**{name: m[name] for name in InboxRelay.__dataclass_fields__})
