"""Satisfaction surveys: each inbox's settings, and one survey per ticket."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, false, literal, select, update

from frontdesk.core.automation.records import CsatSettings, Survey
from frontdesk.storage import tables as t
from frontdesk.storage._sql import locks_rows, update_row, upsert

QUEUED = "queued"  # the outbox's status of a mail not yet sent


@cache
def _satisfaction(has_contact: bool) -> Select[Any]:
    """A ticket's survey and its requester's latest chat rating, one row, built once per
    shape (with or without a requester): the ticket page reads it on every view."""
    sv, ss, cc = t.csat_surveys, t.chat_sessions, t.chat_conversations
    chat = (
        select(ss.c.rating)
        .join(cc, cc.c.id == ss.c.conversation_id)
        .where(
            cc.c.account_id == bindparam("account_id"),
            # no requester, no chat rating: never `contact_id IS NULL` (anyone's chat)
            cc.c.contact_id == bindparam("contact_id") if has_contact else false(),
            ss.c.rating.is_not(None),
        )
        .order_by(ss.c.started.desc(), ss.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    one = select(literal(1).label("one")).subquery("one")
    mine = and_(
        sv.c.account_id == bindparam("account_id"), sv.c.ticket_id == bindparam("ticket_id")
    )
    return select(chat.label("chat_rating"), *sv.c).select_from(one.outerjoin(sv, mine))


class SqlCsat:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_settings(self, account_id: int, inbox_id: int) -> CsatSettings | None:
        cs = t.csat_settings
        row = self.conn.execute(
            select(cs).where(cs.c.account_id == account_id, cs.c.inbox_id == inbox_id)
        ).one_or_none()
        if row is None:
            return None
        return CsatSettings(row.inbox_id, row.enabled, row.delay_minutes, row.text, row.updated)

    def put_settings(self, account_id: int, settings: CsatSettings) -> None:
        cs = t.csat_settings
        values = {
            "enabled": settings.enabled,
            "delay_minutes": settings.delay_minutes,
            "text": settings.text,
            "updated": settings.updated,
        }
        self.conn.execute(
            upsert(self.conn)(cs)
            .values(inbox_id=settings.inbox_id, account_id=account_id, **values)
            .on_conflict_do_update(index_elements=[cs.c.inbox_id], set_=values)
        )

    def add_survey(
        self, account_id: int, ticket_id: int, inbox_id: int, agent_id: int | None, now: int
    ) -> int | None:
        cs = t.csat_surveys
        found = self.conn.execute(
            upsert(self.conn)(cs)
            .values(
                account_id=account_id,
                ticket_id=ticket_id,
                inbox_id=inbox_id,
                agent_id=agent_id,
                created=now,
            )
            .on_conflict_do_nothing(index_elements=[cs.c.ticket_id])
            .returning(cs.c.id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def set_outbox(self, survey_id: int, outbox_id: int | None) -> None:
        cs = t.csat_surveys
        self.conn.execute(update(cs).where(cs.c.id == survey_id).values(outbox_id=outbox_id))

    def withdraw_survey(self, survey_id: int, outbox_id: int | None) -> bool:
        out = t.outbox
        if outbox_id is not None:
            gone = self.conn.execute(
                delete(out).where(out.c.id == outbox_id, out.c.status == QUEUED)
            ).rowcount
            if not gone:
                return False  # already sent (or being sent): the survey stands
        self.conn.execute(delete(t.csat_surveys).where(t.csat_surveys.c.id == survey_id))
        return True

    def get_survey(self, survey_id: int, *, lock: bool = False) -> Survey | None:
        query = select(t.csat_surveys).where(t.csat_surveys.c.id == survey_id)
        if lock and locks_rows(self.conn):
            query = query.with_for_update()
        row = self.conn.execute(query).one_or_none()
        return _survey(row) if row else None

    def survey_of_ticket(self, account_id: int, ticket_id: int) -> Survey | None:
        cs = t.csat_surveys
        row = self.conn.execute(
            select(cs).where(cs.c.account_id == account_id, cs.c.ticket_id == ticket_id)
        ).one_or_none()
        return _survey(row) if row else None

    def satisfaction(
        self, account_id: int, ticket_id: int, contact_id: int | None
    ) -> tuple[Survey | None, int | None]:
        """The ticket's survey and the contact's latest chat rating, in one read (the
        ticket page counts its reads)."""
        params = {"account_id": account_id, "ticket_id": ticket_id, "contact_id": contact_id}
        row = self.conn.execute(_satisfaction(contact_id is not None), params).one()
        survey = _survey(row) if row.id is not None else None
        return survey, None if row.chat_rating is None else int(row.chat_rating)

    def update_survey(self, survey_id: int, changes: Mapping[str, Any]) -> Survey:
        return _survey(update_row(self.conn, t.csat_surveys, survey_id, changes))


def _survey(row: Any) -> Survey:
    return Survey(
        id=row.id,
        account_id=row.account_id,
        ticket_id=row.ticket_id,
        inbox_id=row.inbox_id,
        agent_id=row.agent_id,
        outbox_id=row.outbox_id,
        rating=row.rating,
        comment=row.comment,
        first_rated=row.first_rated,
        rated=row.rated,
        created=row.created,
    )
