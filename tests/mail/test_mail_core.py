"""The mail area's core functions on a real unit of work (both databases), read back from
what they stored: tickets submitted as if mailed (`submissions.submit`), the inbox a
ticket's mail leaves from and its refusals (`outbox`), an inbox's IMAP settings removed and
a receipt looked up (`_receiving`), and whom a reply copies by default (`replies`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from frontdesk.core import contacts, tickets
from frontdesk.core import mail as mail_records
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail import outbox, replies
from frontdesk.core.mail.submissions import Submission, Submitted, submit
from frontdesk.core.shared.errors import Conflict, DomainError, Invalid, NotFound, TooLarge
from frontdesk.core.tickets import NewMessage, NewTicket, threads
from frontdesk.core.tickets.attachments import Upload
from frontdesk.core.tickets.records import MessageKind, Status, Ticket
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.mail.conftest import AUTO_REPLY, MailDesk

CUSTOMER = "cora@example.org"
FILE_LIMIT = 1000


def _submit(desk: MailDesk, item: Submission, file_limit: int = FILE_LIMIT) -> Submitted:
    with desk.services.store.write() as uow:
        return submit(uow, desk.services.blobs, desk.tenant.actor, item, file_limit=file_limit)


def _agent(desk: MailDesk, name: str, inbox_ids: tuple[int, ...]) -> Agent:
    with desk.services.store.write() as uow:
        return accounts.create_agent(
            uow,
            desk.tenant.actor,
            AgentFields(name=name, email=desk.tenant.address(name.lower()), inbox_ids=inbox_ids),
        )


def _ticket(desk: MailDesk, inbox_id: int | None) -> Ticket:
    """A ticket opened over the API (so without any auto reply) in `inbox_id`."""
    with desk.services.store.write() as uow:
        new = NewTicket(
            subject="Earlier",
            message=NewMessage(body_text="Before"),
            requester_email=CUSTOMER,
            inbox_id=inbox_id,
        )
        return tickets.open_ticket(uow, desk.tenant.actor, new).ticket


def _count(desk: MailDesk, table: Any) -> int:
    with desk.services.store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.account_id == desk.tenant.id)
            ).scalar_one()
        )


def _stored(desk: MailDesk) -> list[int]:
    """How many tickets, messages, attachments and outgoing mails the account has."""
    return [_count(desk, table) for table in (t.tickets, t.messages, t.attachments, t.outbox)]


def _auto_replies(desk: MailDesk) -> list[Any]:
    """The account's queued auto replies (assignees' notifications are queued too)."""
    return [row for row in desk.outbox() if row.kind == outbox.AUTO_REPLY]


# -- submissions.submit ---------------------------------------------------------------------


def test_a_submission_opens_a_ticket_with_everything_it_names(desk: MailDesk) -> None:
    # kills submit's dropped or None arguments of NewTicket and NewMessage (subject, bodies,
    # kind, sender, name, To, files, requester, inbox, status, labels, assignees), `sender
    # = None`, `Submitted(opened, None)`, and _auto_reply's `to is not None or ...` and `to
    # is None and ...` (the auto reply is queued, not only said to be)
    agnes = _agent(desk, "Agnes", (desk.support.id,))
    item = Submission(
        from_email=f" {CUSTOMER} ",
        to_email=desk.support.email,
        subject="Printer on fire",
        body_text="It smokes",
        body_html="<p>It smokes</p>",
        from_name="Cora Lind",
        status=Status.PENDING,
        labels=("printer",),
        assignee_emails=(agnes.email,),
        files=(Upload("smoke.txt", b"puff"),),
    )
    done = _submit(desk, item)
    assert done.auto_reply_queued is True and done.opened.appended is False
    with desk.services.store.read() as uow:
        thread = tickets.load_thread(uow, desk.tenant.actor, done.opened.ticket.id)
        ticket = thread.ticket
        assert ticket.requester_id is not None
        requester = contacts.find_contact(uow, desk.tenant.id, ticket.requester_id)
    assert (ticket.subject, ticket.inbox_id, ticket.status) == (
        "Printer on fire",
        desk.support.id,
        Status.PENDING,
    )
    assert requester is not None and (requester.email, requester.name) == (CUSTOMER, "Cora Lind")
    assert (thread.details.labels, thread.details.assignee_ids) == (("printer",), (agnes.id,))
    [message] = [m for m in thread.messages if m.kind is not MessageKind.LOG]
    assert (message.kind, message.from_email, message.from_name, message.to) == (
        MessageKind.EXTERNAL,
        CUSTOMER,
        "Cora Lind",
        (desk.support.email,),
    )
    assert (message.body_text, message.body_html) == ("It smokes", "<p>It smokes</p>")
    assert message.contact_id == requester.id and message.agent_id is None
    assert [(a.original_name, a.size) for a in thread.attachments[message.id]] == [("smoke.txt", 4)]
    [auto] = _auto_replies(desk)
    assert (auto.kind, auto.to_addr, auto.from_addr, auto.body) == (
        outbox.AUTO_REPLY,
        CUSTOMER,
        desk.support.email,
        AUTO_REPLY,
    )


def test_the_message_is_signed_with_the_submissions_name_whatever_the_contact_is_called(
    desk: MailDesk,
) -> None:
    # kills submit's `from_name=None` in NewMessage: the message would then take the name
    # the contact already had. (`requester_name=None` is equivalent: the message's own
    # name fills a new contact's blank name in the same call, and a known name stays.)
    with desk.services.store.write() as uow:
        contacts.find_or_create_contact(
            uow, desk.tenant.actor, contacts.ContactFields(email=CUSTOMER, name="C. Lind")
        )
    item = Submission(CUSTOMER, desk.support.email, "x", "Hi", from_name="Cora Lind")
    [stored] = desk.messages(_submit(desk, item).opened.ticket.id)
    assert stored.from_name == "Cora Lind"


def test_a_note_submitted_goes_to_no_one_and_gets_no_auto_reply(desk: MailDesk) -> None:
    # kills submit's `(inbox.email,) if ... or True` (a note is written to no one) and
    # _auto_reply's `... or not item.auto_reply and item.kind is not EXTERNAL`
    item = Submission(CUSTOMER, desk.support.email, "x", "Called them", kind=MessageKind.INTERNAL)
    done = _submit(desk, item)
    assert done.auto_reply_queued is False
    assert (done.opened.message.kind, done.opened.message.to) == (MessageKind.INTERNAL, ())
    assert _auto_replies(desk) == []


def test_no_auto_reply_when_the_submission_asks_for_none_or_the_inbox_has_none(
    desk: MailDesk,
) -> None:
    # kills _auto_reply's `to is not None or ...` (the sales inbox has no auto-reply text,
    # so nothing is queued and False is said) and `not item.auto_reply` turned around
    quiet = _submit(desk, Submission(CUSTOMER, desk.support.email, "Quiet", "x", auto_reply=False))
    sales = _submit(desk, Submission(CUSTOMER, desk.sales.email, "Sales", "x"))
    assert (quiet.auto_reply_queued, sales.auto_reply_queued) == (False, False)
    assert quiet.opened.ticket.id != sales.opened.ticket.id
    assert _auto_replies(desk) == []


def test_a_second_submission_joins_the_senders_open_ticket_unless_told_not_to(
    desk: MailDesk,
) -> None:
    # kills submit's `append_to_open=None` and the dropped `append_to_open` (NewTicket's
    # default is False; a submission's is True)
    first = _submit(desk, Submission(CUSTOMER, desk.support.email, "One", "first"))
    again = _submit(desk, Submission(CUSTOMER, desk.support.email, "Two", "second"))
    apart = _submit(
        desk, Submission(CUSTOMER, desk.support.email, "Three", "third", append_to_open=False)
    )
    assert again.opened.appended is True and again.opened.ticket.id == first.opened.ticket.id
    assert again.auto_reply_queued is False  # the ticket had its auto reply
    assert apart.opened.appended is False and apart.opened.ticket.id != first.opened.ticket.id
    assert [m.body_text for m in desk.messages(first.opened.ticket.id)] == ["first", "second"]


def test_a_submission_to_a_ticket_is_appended_and_assignees_need_the_tickets_inbox(
    desk: MailDesk,
) -> None:
    # kills submit's `target = None`, `working_inbox` taken from the submission's inbox
    # (`... and False`) or None, and _target's `merged_into_id is None`; _auto_reply's
    # `opened.appended and not item.auto_reply` (the ticket never had an auto reply, so
    # the mutant would queue one to the appended message's sender)
    target = _ticket(desk, desk.sales.id)
    seller = _agent(desk, "Sven", (desk.sales.id,))
    item = Submission(
        CUSTOMER,
        desk.support.email,
        "Ignored",
        "More smoke",
        ticket_id=target.id,
        assignee_emails=(seller.email,),
    )
    done = _submit(desk, item)
    assert done.opened.appended is True and done.opened.ticket.id == target.id
    assert done.auto_reply_queued is False
    assert [m.body_text for m in desk.messages(target.id)] == ["Before", "More smoke"]
    assert done.opened.message.to == (desk.support.email,)
    with desk.services.store.read() as uow:
        thread = tickets.load_thread(uow, desk.tenant.actor, target.id)
    assert thread.details.assignee_ids == (seller.id,)
    assert thread.ticket.inbox_id == desk.sales.id  # the ticket keeps its own inbox
    assert _auto_replies(desk) == []


def test_a_ticket_without_an_inbox_takes_assignees_of_the_submissions_inbox(
    desk: MailDesk,
) -> None:
    # kills submit's `target or target.inbox_id` (the ticket's inbox, None, is no inbox
    # an agent belongs to)
    target = _ticket(desk, None)
    supporter = _agent(desk, "Siri", (desk.support.id,))
    item = Submission(
        CUSTOMER, desk.support.email, "x", "Again", ticket_id=target.id,
        assignee_emails=(supporter.email,),
    )  # fmt: skip
    done = _submit(desk, item)
    assert done.opened.ticket.id == target.id
    with desk.services.store.read() as uow:
        assert tickets.load_thread(uow, desk.tenant.actor, target.id).details.assignee_ids == (
            supporter.id,
        )


def test_a_submission_to_a_merged_ticket_is_refused_before_its_files_are_stored(
    desk: MailDesk,
) -> None:
    # kills _target's Conflict code and message mutants (None, "XX..XX", upper case,
    # dropped)
    source, kept = _ticket(desk, desk.support.id), _ticket(desk, desk.support.id)
    with desk.services.store.write() as uow:
        threads.merge(uow, desk.tenant.actor, source.id, kept.id)
    before = _stored(desk)
    item = Submission(
        CUSTOMER, desk.support.email, "x", "Late", ticket_id=source.id,
        files=(Upload("late.txt", b"late"),),
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        _submit(desk, item)
    assert (refused.value.code, refused.value.message) == (
        "ticket_merged",
        f"Ticket {source.id} was merged into {kept.id}",
    )
    assert _stored(desk) == before


def _refused(desk: MailDesk, item: Submission, file_limit: int = FILE_LIMIT) -> DomainError:
    """The refusal of `item`, after checking that it stored nothing."""
    before = _stored(desk)
    with pytest.raises(DomainError) as refused:
        _submit(desk, item, file_limit)
    assert _stored(desk) == before
    return refused.value


def test_each_refusal_of_a_submission_says_why_names_its_field_and_stores_nothing(
    desk: MailDesk,
) -> None:
    # kills submit's invalid_kind code, message and field mutants, its fromEmail field
    # mutants, _agent_of_inbox's NotFound and agent_without_inbox arguments (None, dropped,
    # "XX..XX", other case) and `inbox_id in agent.inbox_ids`
    support, salesman = desk.support, _agent(desk, "Sune", (desk.sales.id,))
    nobody = desk.tenant.address("nobody")
    log = _refused(desk, Submission(CUSTOMER, support.email, "x", "y", kind=MessageKind.LOG))
    assert isinstance(log, Invalid)
    assert (log.code, log.field) == ("invalid_kind", "messageType")
    assert log.message == "A submission is an external message or a note"
    sender = _refused(desk, Submission("not an address", support.email, "x", "y"))
    assert (sender.code, sender.field) == ("invalid_email", "fromEmail")
    unknown = _refused(
        desk, Submission(CUSTOMER, support.email, "x", "y", assignee_emails=(nobody,))
    )
    assert isinstance(unknown, NotFound)
    assert (unknown.code, unknown.field) == ("agent_not_found", "assignAgents")
    assert unknown.message == f"No agent with e-mail {nobody!r}"
    elsewhere = _refused(
        desk, Submission(CUSTOMER, support.email, "x", "y", assignee_emails=(salesman.email,))
    )
    assert isinstance(elsewhere, Invalid)
    assert (elsewhere.code, elsewhere.field) == ("agent_without_inbox", "assignAgents")
    assert elsewhere.message == f"Agent {salesman.email} has no access to the ticket's inbox"


def test_a_submitted_file_over_the_limit_is_refused_and_one_at_it_is_taken(
    desk: MailDesk,
) -> None:
    # kills submit's file limit given as None or dropped (upload's limit is the caller's)
    over = Submission(CUSTOMER, desk.support.email, "x", "y", files=(Upload("a", b"12345"),))
    refused = _refused(desk, over, file_limit=4)
    assert isinstance(refused, TooLarge) and refused.code == "file_too_large"
    done = _submit(desk, over, file_limit=5)
    with desk.services.store.read() as uow:
        thread = tickets.load_thread(uow, desk.tenant.actor, done.opened.ticket.id)
    assert [a.size for a in thread.attachments[done.opened.message.id]] == [5]


# -- _receiving: an inbox's IMAP settings removed, a receipt looked up ------------------------


def _set_imap(desk: MailDesk, inbox_id: int, host: str) -> None:
    fields = mail_records.ImapFields(host=host, port=993, tls=True, username="u", password="p")
    with desk.services.store.write() as uow:
        mail_records.set_imap(
            uow, desk.tenant.actor, inbox_id, fields, seal=lambda s: f"sealed:{s}"
        )


def _imap_rows(desk: MailDesk) -> dict[int, str]:
    """The account's stored IMAP settings: each inbox's host."""
    with desk.services.store.engine.connect() as conn:
        rows = conn.execute(
            select(t.inbox_imap.c.inbox_id, t.inbox_imap.c.host).where(
                t.inbox_imap.c.account_id == desk.tenant.id
            )
        ).all()
    return {int(inbox_id): str(host) for inbox_id, host in rows}


def _account_events(desk: MailDesk, kind: str) -> list[tuple[str, dict[str, object]]]:
    with desk.services.store.engine.connect() as conn:
        rows = conn.execute(
            select(t.events.c.actor, t.events.c.data)
            .where(t.events.c.account_id == desk.tenant.id, t.events.c.kind == kind)
            .order_by(t.events.c.id)
        ).all()
    return [(actor, json.loads(data)) for actor, data in rows]


def test_removing_an_inboxs_imap_settings_deletes_only_them_and_records_it(
    desk: MailDesk,
) -> None:
    # kills remove_imap's settings looked up wrongly (each argument of get_imap None or
    # dropped), `delete_imap(None)`, and its event's mutants (kind, time, inbox_id, actor)
    _set_imap(desk, desk.support.id, "imap.support.example")
    _set_imap(desk, desk.sales.id, "imap.sales.example")
    with desk.services.store.write() as uow:
        mail_records.remove_imap(uow, desk.tenant.actor, desk.support.id)
    assert _imap_rows(desk) == {desk.sales.id: "imap.sales.example"}
    assert _account_events(desk, "inbox.imap_removed") == [("test", {"inbox_id": desk.support.id})]
    with desk.services.store.read() as uow, pytest.raises(NotFound) as gone:
        mail_records.get_imap(uow, desk.tenant.actor, desk.support.id)
    assert (gone.value.code, gone.value.message) == (
        "imap_not_found",
        f"Inbox {desk.support.id} has no IMAP mailbox",
    )


def test_imap_settings_are_removed_only_where_there_are_some_of_ones_own(
    desk: MailDesk, other_tenant: Tenant
) -> None:
    # kills nothing the test above leaves alive; pins remove_imap's refusals in the core
    # (another account's inbox, an inbox with no IMAP settings), which no other test reaches
    _set_imap(desk, desk.support.id, "imap.support.example")
    for actor, inbox_id, code in (
        (desk.tenant.actor, desk.sales.id, "imap_not_found"),
        (other_tenant.actor, desk.support.id, "inbox_not_found"),
    ):
        with pytest.raises(NotFound) as refused, desk.services.store.write() as uow:
            mail_records.remove_imap(uow, actor, inbox_id)
        assert refused.value.code == code
    assert _imap_rows(desk) == {desk.support.id: "imap.support.example"}
    assert _account_events(desk, "inbox.imap_removed") == []


def test_a_receipt_is_found_in_its_own_account_only(desk: MailDesk, other_tenant: Tenant) -> None:
    # kills get_receipt's lookup in no account or of no receipt, and its NotFound code and
    # message mutants
    with desk.services.store.write() as uow:
        receipt_id = mail_records.record_receipt(
            uow,
            {
                "account_id": desk.tenant.id,
                "inbox_id": desk.support.id,
                "source": "smtp",
                "status": "delivered",
                "mail_key": "k1",
                "envelope_from": CUSTOMER,
                "recipients": (desk.support.email,),
                "subject": "Kept",
                "raw_sha256": "0" * 64,
                "size": 10,
                "created": 1,
            },
        )
    assert receipt_id is not None
    with desk.services.store.read() as uow:
        found = mail_records.get_receipt(uow, desk.tenant.actor, receipt_id)
        with pytest.raises(NotFound) as refused:
            mail_records.get_receipt(uow, other_tenant.actor, receipt_id)
    assert (found.id, found.subject) == (receipt_id, "Kept")
    assert (refused.value.code, refused.value.message) == (
        "receipt_not_found",
        f"No mail receipt {receipt_id}",
    )


# -- replies.reply_all_cc ----------------------------------------------------------------------


def test_a_reply_copies_everyone_the_customers_latest_mail_named_but_the_requester(
    desk: MailDesk,
) -> None:
    # kills reply_all_cc's requester not looked up (`requester = None`, `... and False`,
    # find_contact in no account or for no contact, `_copied(..., None)`): the requester
    # would be copied on their own reply
    with desk.services.store.write() as uow:
        new = NewTicket(
            subject="Hi",
            message=NewMessage(
                body_text="See them",
                from_email=CUSTOMER,
                to=(desk.support.email, "Colleague@Example.org"),
                cc=("boss@example.org", CUSTOMER.upper()),
            ),
            requester_email=CUSTOMER,
            inbox_id=desk.support.id,
        )
        ticket = tickets.open_ticket(uow, desk.tenant.actor, new).ticket
        copied = replies.reply_all_cc(uow, desk.tenant.actor, ticket)
    assert copied == ("colleague@example.org", "boss@example.org")
