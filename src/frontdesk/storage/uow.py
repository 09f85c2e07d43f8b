"""The unit of work: one transaction, and each area's repositories over it.

A repository is built the first time a core function asks for it, so a request that
touches two areas builds two. The core names what it needs as small Protocols per area
(`core.<area>.ports`); this one class satisfies all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import Connection

from frontdesk.storage.automation import SqlEventFeed, SqlIdempotency, SqlWebhooks
from frontdesk.storage.chat.conversations import SqlChat
from frontdesk.storage.chat.presence import SqlPresence
from frontdesk.storage.chat.reports import SqlChatReports
from frontdesk.storage.chat.visitors import SqlVisitors
from frontdesk.storage.contacts import SqlContacts
from frontdesk.storage.csat import SqlCsat
from frontdesk.storage.events import SqlEventLog
from frontdesk.storage.identity import SqlAccounts, SqlCredentials, SqlSessions, SqlTwoFactor
from frontdesk.storage.mail import SqlMail
from frontdesk.storage.notify import SqlNotifications
from frontdesk.storage.people import SqlPeople
from frontdesk.storage.portal import SqlPortal
from frontdesk.storage.reports import SqlReports
from frontdesk.storage.rules import SqlRules
from frontdesk.storage.sla import SqlSla
from frontdesk.storage.tickets.attachments import SqlAttachments
from frontdesk.storage.tickets.canned import SqlCanned
from frontdesk.storage.tickets.listing import SqlDrafts, SqlReadMarks, SqlTicketListing
from frontdesk.storage.tickets.repo import SqlTickets
from frontdesk.storage.tickets.taxonomy import SqlTaxonomy


class SqlUnitOfWork:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Always built: the store publishes what it collected once the transaction commits.
        self.events = SqlEventLog(conn)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside rolls back its writes and forgets the
        events it recorded, and leaves the outer transaction as it was."""
        pending, recorded = len(self.events.pending), len(self.events.recorded)
        nested = self.conn.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            del self.events.pending[pending:]
            del self.events.recorded[recorded:]
            raise
        nested.commit()

    # -- identity and contacts ----------------------------------------------------------------

    @cached_property
    def accounts(self) -> SqlAccounts:
        return SqlAccounts(self.conn)

    @cached_property
    def credentials(self) -> SqlCredentials:
        return SqlCredentials(self.conn)

    @cached_property
    def sessions(self) -> SqlSessions:
        return SqlSessions(self.conn)

    @cached_property
    def two_factor(self) -> SqlTwoFactor:
        return SqlTwoFactor(self.conn)

    @cached_property
    def portal(self) -> SqlPortal:
        return SqlPortal(self.conn)

    @cached_property
    def contacts(self) -> SqlContacts:
        return SqlContacts(self.conn)

    # -- tickets ----------------------------------------------------------------------------

    @cached_property
    def tickets(self) -> SqlTickets:
        return SqlTickets(self.conn)

    @cached_property
    def attachments(self) -> SqlAttachments:
        return SqlAttachments(self.conn)

    @cached_property
    def taxonomy(self) -> SqlTaxonomy:
        return SqlTaxonomy(self.conn)

    @cached_property
    def listing(self) -> SqlTicketListing:
        return SqlTicketListing(self.conn)

    @cached_property
    def reads(self) -> SqlReadMarks:
        return SqlReadMarks(self.conn)

    @cached_property
    def drafts(self) -> SqlDrafts:
        return SqlDrafts(self.conn)

    @cached_property
    def canned(self) -> SqlCanned:
        return SqlCanned(self.conn)

    # -- mail and chat --------------------------------------------------------------------

    @cached_property
    def mail(self) -> SqlMail:
        return SqlMail(self.conn)

    @cached_property
    def chat(self) -> SqlChat:
        return SqlChat(self.conn)

    @cached_property
    def visitors(self) -> SqlVisitors:
        return SqlVisitors(self.conn)

    @cached_property
    def chat_reports(self) -> SqlChatReports:
        return SqlChatReports(self.conn)

    @cached_property
    def presence(self) -> SqlPresence:
        return SqlPresence(self.conn)

    # -- people (across areas: merging and erasing a contact) --------------------------------

    @cached_property
    def people(self) -> SqlPeople:
        return SqlPeople(self.conn)

    @cached_property
    def notify(self) -> SqlNotifications:
        return SqlNotifications(self.conn)

    # -- automation -------------------------------------------------------------------------

    @cached_property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self.conn)

    @cached_property
    def feed(self) -> SqlEventFeed:
        return SqlEventFeed(self.conn)

    @cached_property
    def idempotency(self) -> SqlIdempotency:
        return SqlIdempotency(self.conn)

    @cached_property
    def csat(self) -> SqlCsat:
        return SqlCsat(self.conn)

    # -- rules ------------------------------------------------------------------------------

    @cached_property
    def rules(self) -> SqlRules:
        return SqlRules(self.conn)

    @cached_property
    def sla(self) -> SqlSla:
        return SqlSla(self.conn)

    @cached_property
    def reports(self) -> SqlReports:
        return SqlReports(self.conn)
