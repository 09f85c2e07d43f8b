"""The unit of work: one transaction, and each area's repositories over it.

A repository is built the first time a core function asks for it, so a request that
touches two areas builds two. The core names what it needs as small Protocols per area
(`core.<area>.ports`); this one class satisfies all of them.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Connection

from frontdesk.storage.chat.conversations import SqlChat
from frontdesk.storage.chat.reports import SqlChatReports
from frontdesk.storage.chat.visitors import SqlVisitors
from frontdesk.storage.contacts import SqlContacts
from frontdesk.storage.events import SqlEventLog
from frontdesk.storage.identity import SqlAccounts, SqlCredentials, SqlSessions
from frontdesk.storage.mail import SqlMail
from frontdesk.storage.notify import SqlNotifications
from frontdesk.storage.people import SqlPeople
from frontdesk.storage.tickets.attachments import SqlAttachments
from frontdesk.storage.tickets.listing import SqlDrafts, SqlReadMarks, SqlTicketListing
from frontdesk.storage.tickets.repo import SqlTickets
from frontdesk.storage.tickets.taxonomy import SqlTaxonomy


class SqlUnitOfWork:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Always built: the store publishes what it collected once the transaction commits.
        self.events = SqlEventLog(conn)

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

    # -- people (across areas: merging and erasing a contact) --------------------------------

    @cached_property
    def people(self) -> SqlPeople:
        return SqlPeople(self.conn)

    @cached_property
    def notify(self) -> SqlNotifications:
        return SqlNotifications(self.conn)
