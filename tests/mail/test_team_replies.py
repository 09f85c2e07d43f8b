"""`replies.post` on a real unit of work: the stale-reply check, which of a reply's parts are
stored and mailed, why a reply asked to be mailed was not, and the field each refusal names."""

from __future__ import annotations

import pytest

from frontdesk.core import mail as mail_records
from frontdesk.core import tickets
from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.mail import bounces, outbox, replies
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.mail.replies import NotMailed, TeamMessage
from frontdesk.core.shared.errors import Conflict, DomainError, Invalid, NotFound
from frontdesk.core.tickets import NewMessage, NewTicket
from frontdesk.core.tickets.attachments import Upload, upload
from frontdesk.core.tickets.listing import MAX_PAGE
from frontdesk.core.tickets.records import MessageKind, Status, Ticket
from frontdesk.mail.inbound import SMTP
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.mail.conftest import MailDesk, mail

CUSTOMER = "cora@example.org"


def _ticket(desk: MailDesk, requester: str | None = CUSTOMER) -> Ticket:
    with desk.services.store.write() as uow:
        new = NewTicket(
            subject="Printer on fire",
            message=NewMessage(body_text="It smokes"),
            requester_email=requester,
            inbox_id=desk.support.id,
        )
        return tickets.open_ticket(uow, desk.tenant.actor, new).ticket


def _post(desk: MailDesk, ticket_id: int, new: TeamMessage) -> replies.Posted:
    with desk.services.store.write() as uow:
        return replies.post(uow, desk.tenant.actor, ticket_id, new)


def _outbox(desk: MailDesk, ticket_id: int) -> list[OutboxMail]:
    with desk.services.store.read() as uow:
        return uow.mail.list_outbox(desk.tenant.id, ticket_id=ticket_id, status=None, limit=50)


def _message_count(desk: MailDesk, ticket_id: int) -> int:
    with desk.services.store.read() as uow:
        return len(uow.tickets.list_messages(ticket_id))


def _customer_wrote_at(desk: MailDesk, ticket_id: int) -> int:
    with desk.services.store.read() as uow:
        written = tickets.get_ticket(uow, desk.tenant.actor, ticket_id).client_last_replied
    assert written is not None
    return written


def test_a_reply_written_before_the_customers_latest_mail_is_refused_as_stale(
    desk: MailDesk,
) -> None:
    ticket = _ticket(desk)
    wrote = _customer_wrote_at(desk, ticket.id)
    before = _message_count(desk, ticket.id)
    with pytest.raises(Conflict) as refused:
        _post(
            desk, ticket.id, TeamMessage("Try water", send_email=True, seen_customer_at=wrote - 1)
        )
    assert refused.value.code == "stale_reply"
    assert refused.value.message == "The customer wrote again since you started this reply"
    assert _message_count(desk, ticket.id) == before
    assert _outbox(desk, ticket.id) == []


def test_a_reply_that_saw_the_customers_latest_mail_is_taken(desk: MailDesk) -> None:
    ticket = _ticket(desk)
    wrote = _customer_wrote_at(desk, ticket.id)
    posted = _post(desk, ticket.id, TeamMessage("Try water", seen_customer_at=wrote))
    assert posted.message.body_text == "Try water"


def test_a_note_is_never_stale(desk: MailDesk) -> None:
    ticket = _ticket(desk)
    wrote = _customer_wrote_at(desk, ticket.id)
    posted = _post(desk, ticket.id, TeamMessage("Hm", internal=True, seen_customer_at=wrote - 1))
    assert posted.message.kind is MessageKind.INTERNAL


def test_a_ticket_the_customer_never_wrote_to_has_no_stale_replies(desk: MailDesk) -> None:
    with desk.services.store.write() as uow:
        new = NewTicket(
            subject="Outbound",
            message=NewMessage(body_text="We noticed", by_team=True),
            requester_email=CUSTOMER,
            inbox_id=desk.support.id,
        )
        ticket = tickets.open_ticket(uow, desk.tenant.actor, new).ticket
    assert ticket.client_last_replied is None
    posted = _post(desk, ticket.id, TeamMessage("Again", seen_customer_at=0))
    assert posted.message.body_text == "Again"


def test_a_mailed_reply_stores_and_queues_its_recipients_and_sets_the_status(
    desk: MailDesk,
) -> None:
    ticket = _ticket(desk)
    wrote = _customer_wrote_at(desk, ticket.id)
    posted = _post(
        desk,
        ticket.id,
        TeamMessage(
            "Try water",
            send_email=True,
            cc=("boss@example.org",),
            bcc=("audit@example.org",),
            status=Status.PENDING,
        ),
    )
    assert posted.emailed is True and posted.not_emailed is None
    stored = posted.message
    assert (stored.kind, stored.to, stored.cc, stored.bcc) == (
        MessageKind.EXTERNAL,
        (CUSTOMER,),
        ("boss@example.org",),
        ("audit@example.org",),
    )
    assert stored.agent_id is None and stored.contact_id is None
    [queued] = _outbox(desk, ticket.id)
    assert (queued.message_id, queued.to, queued.cc) == (
        stored.id,
        (CUSTOMER,),
        ("boss@example.org",),
    )
    with desk.services.store.read() as uow:
        after = tickets.get_ticket(uow, desk.tenant.actor, ticket.id)
    assert after.status is Status.PENDING
    assert after.client_last_replied == wrote  # the team wrote it, not the customer


def test_a_reply_not_asked_to_be_mailed_is_stored_without_recipients_or_mail(
    desk: MailDesk,
) -> None:
    ticket = _ticket(desk)
    record = TeamMessage("For the record", to=("x@example.org",), bcc=("y@example.org",))
    posted = _post(desk, ticket.id, record)
    assert (posted.emailed, posted.not_emailed) == (False, None)
    assert (posted.message.to, posted.message.cc, posted.message.bcc) == ((), (), ())
    assert posted.message.kind is MessageKind.EXTERNAL
    assert _outbox(desk, ticket.id) == []


def test_a_note_asked_to_be_mailed_is_stored_and_not_mailed(desk: MailDesk) -> None:
    ticket = _ticket(desk)
    posted = _post(desk, ticket.id, TeamMessage("Internal", internal=True, send_email=True))
    assert (posted.emailed, posted.not_emailed) == (False, NotMailed.INTERNAL)
    assert posted.message.kind is MessageKind.INTERNAL
    assert posted.message.to == ()
    assert _outbox(desk, ticket.id) == []


def test_a_reply_to_a_ticket_without_requester_is_stored_and_not_mailed(desk: MailDesk) -> None:
    ticket = _ticket(desk, requester=None)
    posted = _post(desk, ticket.id, TeamMessage("Anyone?", send_email=True))
    assert (posted.emailed, posted.not_emailed) == (False, NotMailed.NO_RECIPIENT)
    assert posted.message.to == ()
    assert _outbox(desk, ticket.id) == []


@pytest.mark.parametrize(
    ("new", "field"),
    [
        (TeamMessage("x", send_email=True, to=("not an address",)), "toAddresses"),
        (TeamMessage("x", send_email=True, cc=("not an address",)), "ccAddresses"),
        (TeamMessage("x", send_email=True, bcc=("not an address",)), "bccAddresses"),
        (TeamMessage("x", attachments=("00000000-0000-0000-0000-000000000000",)), "attachmentIds"),
    ],
    ids=["to", "cc", "bcc", "attachments"],
)
def test_each_refusal_names_its_field_and_stores_nothing(
    desk: MailDesk, new: TeamMessage, field: str
) -> None:
    ticket = _ticket(desk)
    before = _message_count(desk, ticket.id)
    with pytest.raises(DomainError) as refused:
        _post(desk, ticket.id, new)
    assert refused.value.field == field
    assert _message_count(desk, ticket.id) == before


def test_a_reply_takes_a_file_uploaded_to_its_own_ticket(desk: MailDesk) -> None:
    ticket = _ticket(desk)
    with desk.services.store.write() as uow:
        uploaded = upload(
            uow, desk.services.blobs, desk.tenant.actor, Upload("a.txt", b"hi", ticket.id), 1000
        )
    posted = _post(desk, ticket.id, TeamMessage("See file", attachments=(uploaded.uuid,)))
    with desk.services.store.read() as uow:
        [stored] = uow.attachments.attachments_by_uuid(desk.tenant.id, [uploaded.uuid])
    assert stored.message_id == posted.message.id


def test_recipients_up_to_the_limit_are_taken_one_past_is_refused(desk: MailDesk) -> None:
    ticket = _ticket(desk)
    fifty = tuple(f"c{i}@example.org" for i in range(50))
    posted = _post(desk, ticket.id, TeamMessage("All", send_email=True, cc=fifty))
    assert posted.message.cc == fifty
    again = _post(desk, ticket.id, TeamMessage("Two", send_email=True, cc=(fifty[1], fifty[1])))
    assert again.message.cc == (fifty[1],)  # a duplicate dropped
    before = _message_count(desk, ticket.id)
    with pytest.raises(Invalid) as refused:
        _post(desk, ticket.id, TeamMessage("All", send_email=True, bcc=(*fifty, "x@example.org")))
    assert (refused.value.code, refused.value.field) == ("too_many", "bccAddresses")
    assert refused.value.message == "bccAddresses has more than 50 addresses"
    assert _message_count(desk, ticket.id) == before


def _receipt(desk: MailDesk, key: str, status: str) -> None:
    with desk.services.store.write() as uow:
        mail_records.record_receipt(
            uow,
            {
                "account_id": desk.tenant.id,
                "inbox_id": desk.support.id,
                "source": "smtp",
                "status": status,
                "mail_key": key,
                "envelope_from": CUSTOMER,
                "recipients": (desk.support.email,),
                "subject": key,
                "raw_sha256": "0" * 64,
                "size": 10,
                "created": 1,
            },
        )


def test_receipts_are_listed_by_status_and_up_to_the_limit(desk: MailDesk) -> None:
    for key, status in [("a", "delivered"), ("b", "quarantined"), ("c", "delivered")]:
        _receipt(desk, key, status)
    actor = desk.tenant.actor
    with desk.services.store.read() as uow:
        received = mail_records.list_receipts(uow, actor, "delivered", after_id=0, limit=5)
        first = mail_records.list_receipts(uow, actor, None, after_id=0, limit=1)
        every = mail_records.list_receipts(uow, actor, None, after_id=0, limit=MAX_PAGE)
    assert [r.subject for r in received] == ["a", "c"]
    assert len(first) == 1 and len(every) == 3


@pytest.mark.parametrize(
    ("status", "limit", "code", "field", "message"),
    [
        (
            "lost",
            5,
            "invalid_status",
            None,
            "status is one of delivered, quarantined, bounce, discarded",
        ),
        (None, 0, "invalid_limit", "limit", "limit must be between 1 and 1000"),
        (None, 1001, "invalid_limit", "limit", "limit must be between 1 and 1000"),
    ],
    ids=["status", "limit 0", "limit past the page"],
)
def test_receipt_listing_refusals(
    desk: MailDesk, status: str | None, limit: int, code: str, field: str | None, message: str
) -> None:
    with desk.services.store.read() as uow, pytest.raises(Invalid) as refused:
        mail_records.list_receipts(uow, desk.tenant.actor, status, after_id=0, limit=limit)
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        code,
        field,
        message,
    )


def test_a_note_names_agents_by_the_address_before_the_at_or_by_first_name(
    desk: MailDesk,
) -> None:
    with desk.services.store.write() as uow:
        actor = desk.tenant.actor
        maja = accounts.create_agent(
            uow, actor, AgentFields(name="Maja Berg", email=desk.tenant.address("mb"))
        )
        olle = accounts.create_agent(
            uow, actor, AgentFields(name="Olle Ek", email=desk.tenant.address("oe"))
        )
    local = maja.email.split("@")[0]
    team = [maja, olle]
    assert replies.mentioned(f"thanks @{local.upper()}.", team) == [maja]
    assert replies.mentioned("ask @olle", team) == [olle]
    assert replies.mentioned("ask @Olle and @MAJA, not @example.com", team) == [maja, olle]
    assert replies.mentioned("mail oe@example.com", team) == []


def test_the_queued_reply_carries_every_recipient_and_our_message_id(desk: MailDesk) -> None:
    ticket = _ticket(desk)
    hidden = ("audit@example.org", "legal@example.org")
    posted = _post(desk, ticket.id, TeamMessage("Try water", send_email=True, bcc=hidden))
    [queued] = _outbox(desk, ticket.id)
    domain = desk.support.email.rsplit("@", 1)[1]
    assert queued.email_message_id == f"<{posted.message.uuid}@{domain}>"
    assert (queued.bcc, queued.attempts, queued.status) == (hidden, 0, "queued")
    assert queued.subject == "Re: Printer on fire"


def test_a_message_is_queued_as_mail_once_and_only_with_a_recipient(desk: MailDesk) -> None:
    ticket = _ticket(desk)
    posted = _post(desk, ticket.id, TeamMessage("Try water", send_email=True))
    actor = desk.tenant.actor
    with pytest.raises(Invalid) as twice, desk.services.store.write() as uow:
        outbox.queue_reply(uow, actor, ticket, posted.message, to=[CUSTOMER])
    assert (twice.value.code, twice.value.message) == (
        "already_sent",
        "this message has already been queued as e-mail",
    )
    with pytest.raises(Invalid) as nobody, desk.services.store.write() as uow:
        outbox.queue_reply(uow, actor, ticket, posted.message, to=[])
    assert (nobody.value.code, nobody.value.field, nobody.value.message) == (
        "no_recipient",
        "toAddresses",
        "the e-mail has no recipient",
    )
    assert len(_outbox(desk, ticket.id)) == 1


def test_the_wait_after_a_failed_try_doubles_up_to_its_cap() -> None:
    assert [outbox.backoff_ms(n, 1000, 10**9) for n in (0, 1, 2, 3, 4)] == [
        1000,
        1000,
        2000,
        4000,
        8000,
    ]
    assert outbox.backoff_ms(5, 1000, 10_000) == 10_000
    assert outbox.backoff_ms(99, 1, 2**40) == 2**30  # the exponent stops at 30


@pytest.mark.parametrize("action", ["failed", "delayed"])
def test_a_bounce_report_is_said_on_the_ticket_with_every_recipient(
    desk: MailDesk, action: str
) -> None:
    ticket = _ticket(desk)
    _post(desk, ticket.id, TeamMessage("Hi", send_email=True, cc=("boss@example.org",)))
    [queued] = _outbox(desk, ticket.id)
    reason = "5.1.1 " + "x" * 2100
    with desk.services.store.write() as uow:
        bounces.report(uow, desk.tenant.actor, queued, action, reason, 1)
        thread = tickets.load_thread(uow, desk.tenant.actor, ticket.id)
        history = uow.events.list_events(desk.tenant.id, ticket.id)
    [after] = _outbox(desk, ticket.id)
    [logged] = [m for m in thread.messages if m.kind is MessageKind.LOG]
    line = logged.body_text
    to = f"E-mail to {CUSTOMER}, boss@example.org"
    failed = [data for kind, _, data in history if kind == "mail.failed"]
    if action == "failed":
        assert line == f"{to} bounced: {reason}"[:2000]
        assert (after.status, after.last_error) == ("failed", f"bounced: {reason}"[:2000])
        # The line's id: the notification of the failure quotes it (core/notify/derive.py).
        assert failed == [{"outbox_id": queued.id, "error": reason[:500], "message_id": logged.id}]
    else:
        assert line == f"{to} is delayed, the receiving side still tries: {reason}"[:2000]
        assert (after.status, after.last_error) == ("queued", None)
        assert failed == []


def test_ticket_notifications_quote_the_message_and_say_how_to_answer_by_mail(
    desk: MailDesk,
) -> None:
    # What the assignee copies did (FRONTDESK_MAIL_COPY_ASSIGNEES, removed) the "customer
    # replied" notification does now: the customer's words and how to answer, once per
    # agent; the author of a message hears nothing of it.
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        alva, bo, cy = (
            accounts.create_agent(
                uow, actor, AgentFields(name=name, email=desk.tenant.address(name.lower()))
            )
            for name in ("Alva", "Bo", "Cy")
        )
    raw = mail(sender=CUSTOMER, to=desk.support.email, Message_ID="<m1@example.org>")
    (first,) = desk.inbound.deliver(raw.as_bytes(), [desk.support.email], source=SMTP)
    assert first.ticket_id is not None
    with desk.services.store.write() as uow:
        tickets.assign(uow, actor, first.ticket_id, [alva.id, bo.id])
    again = mail(sender=CUSTOMER, to=desk.support.email, body="It smokes now.")
    desk.inbound.deliver(again.as_bytes(), [desk.support.email], source=SMTP)
    rows = [row for row in _outbox(desk, first.ticket_id) if row.kind == outbox.NOTIFICATION]
    replied = [row for row in rows if "The customer replied" in row.subject]
    assert sorted(row.to for row in replied) == [(alva.email,), (bo.email,)]
    body = replied[0].body
    assert f"{CUSTOMER} wrote:\n\nIt smokes now.\n" in body and replies.ANSWER_BY_MAIL in body
    assert "It is on fire." not in body  # the first mail came before anyone was assigned
    assigned = [row for row in rows if "Assigned to you" in row.subject]
    assert len(assigned) == 2 and all(replies.ANSWER_BY_MAIL in row.body for row in assigned)
    assert all(cy.email not in row.to for row in rows)
    # No row carries a reply address yet: the worker, which holds the secret, adds it.
    assert all(row.reply_to is None for row in rows)


# -- outbox.queue_reply and sender_inbox: what the queued row and the message carry ---------


def _events(desk: MailDesk, ticket_id: int, kind: str) -> list[tuple[str, dict[str, object]]]:
    with desk.services.store.read() as uow:
        return [
            (actor, data)
            for found, actor, data in uow.events.list_events(desk.tenant.id, ticket_id)
            if found == kind
        ]


def test_a_reply_to_several_people_queues_each_in_order_and_marks_the_message_sent(
    desk: MailDesk,
) -> None:
    # kills queue_reply's `to[1]`, the "XX\nXX" joins of to, cc and bcc, the message's
    # Message-ID and sender left out (`email_message_id=None`, `from_name and inbox.name`),
    # and its mail.queued event without the ticket, the outbox id or the kind
    ticket = _ticket(desk)
    to, cc, bcc = (CUSTOMER, "dan@example.org"), ("e@example.org", "f@example.org"), ("g@x.org",)
    posted = _post(desk, ticket.id, TeamMessage("Hi all", send_email=True, to=to, cc=cc, bcc=bcc))
    [queued] = _outbox(desk, ticket.id)
    assert (queued.to, queued.cc, queued.bcc) == (to, cc, bcc)
    row = next(r for r in desk.outbox() if r.id == queued.id)
    assert (row.to_addr, row.to_addrs, row.cc_addrs) == (
        CUSTOMER,
        f"{CUSTOMER}\ndan@example.org",
        "e@example.org\nf@example.org",
    )
    assert (row.kind, row.message_id, row.dedupe_key) == (
        "agent_reply",
        posted.message.id,
        f"agent_reply:{posted.message.id}",
    )
    [stored] = [m for m in desk.messages(ticket.id) if m.id == posted.message.id]
    assert stored.email_message_id == queued.email_message_id
    # No agent wrote it (an API key did): it leaves as the inbox, under the inbox's name.
    assert (stored.from_email, stored.from_name) == (desk.support.email, "Support")
    assert _events(desk, ticket.id, outbox.MAIL_QUEUED) == [
        ("test", {"outbox_id": queued.id, "kind": "agent_reply"})
    ]


def test_an_agents_reply_leaves_from_the_inbox_under_the_agents_name(desk: MailDesk) -> None:
    # kills queue_reply's `message.from_name and inbox.name` (the inbox's name instead)
    ticket = _ticket(desk)
    with desk.services.store.write() as uow:
        agnes = desk.agent(uow)
        posted = replies.post(
            uow, sessions.agent_actor(agnes), ticket.id, TeamMessage("Hi", send_email=True)
        )
    [stored] = [m for m in desk.messages(ticket.id) if m.id == posted.message.id]
    assert (stored.from_email, stored.from_name) == (desk.support.email, agnes.name)


def test_a_reply_answers_the_customers_latest_mail_and_names_the_whole_thread(
    desk: MailDesk,
) -> None:
    # kills queue_reply's earlier Message-IDs read for no ticket, `parent = None`, the
    # references joined with "XX XX" or built from nothing (each argument of _references
    # None or dropped)
    ticket = _ticket(desk)
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        for new in (
            NewMessage(body_text="More", from_email=CUSTOMER, email_message_id="<m2@ex.org>"),
            NewMessage(body_text="Ours", by_team=True, email_message_id="<ours@ex.org>"),
        ):
            tickets.add_message(uow, actor, ticket.id, new)
    _post(desk, ticket.id, TeamMessage("Answer", send_email=True))
    [queued] = _outbox(desk, ticket.id)
    assert queued.in_reply_to == "<m2@ex.org>"  # the customer's, not our own later one
    assert queued.references == ("<ours@ex.org>", "<m2@ex.org>")


def test_a_reply_on_a_ticket_without_customer_mail_answers_our_own_latest(
    desk: MailDesk,
) -> None:
    # kills queue_reply's `_parent(uow, ticket, None)`: with no mail of the customer's
    # the parent is the thread's latest Message-ID
    ticket = _ticket(desk)
    first = _post(desk, ticket.id, TeamMessage("One", send_email=True))
    _post(desk, ticket.id, TeamMessage("Two", send_email=True))
    newest, oldest = _outbox(desk, ticket.id)
    assert oldest.message_id == first.message.id
    assert oldest.email_message_id is not None
    assert newest.in_reply_to == oldest.email_message_id
    assert newest.references == (oldest.email_message_id,)


def test_a_reply_subject_is_cut_at_1000_characters(desk: MailDesk) -> None:
    # kills queue_reply's `[:1001]`
    with desk.services.store.write() as uow:
        new = NewTicket(subject="s" * 1000, message=NewMessage(body_text="x"),
                        requester_email=CUSTOMER, inbox_id=desk.support.id)  # fmt: skip
        ticket = tickets.open_ticket(uow, desk.tenant.actor, new).ticket
    _post(desk, ticket.id, TeamMessage("Hi", send_email=True))
    [queued] = _outbox(desk, ticket.id)
    assert queued.subject == ("Re: " + "s" * 1000)[:1000]


def test_a_reply_leaves_from_its_tickets_inbox_else_the_accounts_first(desk: MailDesk) -> None:
    # kills sender_inbox's `inbox_id is None`, the inbox looked up wrongly (each argument
    # None or dropped), `own is None`, `first = None` and `first is not None`
    with desk.services.store.write() as uow:
        sold = NewTicket(subject="Offer", message=NewMessage(body_text="x"),
                         requester_email=CUSTOMER, inbox_id=desk.sales.id)  # fmt: skip
        nowhere = NewTicket(subject="API", message=NewMessage(body_text="x"),
                            requester_email=CUSTOMER)  # fmt: skip
        sales_ticket = tickets.open_ticket(uow, desk.tenant.actor, sold).ticket
        bare_ticket = tickets.open_ticket(uow, desk.tenant.actor, nowhere).ticket
    assert bare_ticket.inbox_id is None
    for ticket, inbox in ((sales_ticket, desk.sales), (bare_ticket, desk.support)):
        _post(desk, ticket.id, TeamMessage("Hi", send_email=True))
        [queued] = _outbox(desk, ticket.id)
        assert queued.from_addr == inbox.email
        assert queued.email_message_id is not None
        assert queued.email_message_id.endswith("@" + inbox.email.rsplit("@", 1)[1] + ">")


def test_a_reply_in_an_account_without_an_inbox_is_refused_and_not_stored(
    services: Services, other_tenant: Tenant
) -> None:
    # kills sender_inbox's no_inbox refusal mutants (code and message None, dropped,
    # "XX..XX", upper case)
    with services.store.write() as uow:
        new = NewTicket(subject="x", message=NewMessage(body_text="x"), requester_email=CUSTOMER)
        ticket = tickets.open_ticket(uow, other_tenant.actor, new).ticket
    # The refusal leaves the transaction (raises is outside it), which rolls it back.
    with pytest.raises(Invalid) as refused, services.store.write() as uow:
        replies.post(uow, other_tenant.actor, ticket.id, TeamMessage("Hi", send_email=True))
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        "no_inbox",
        "the workspace has no inbox to send e-mail from",
        None,
    )
    with services.store.read() as uow:
        assert len(uow.tickets.list_messages(ticket.id)) == 1


def test_a_tickets_mail_is_its_own_newest_first_200_unless_asked(
    desk: MailDesk, other_tenant: Tenant
) -> None:
    # kills ticket_mail's default limit 201, the limit None, the listing for no ticket or
    # no account, and the ticket looked up for no one (`get_ticket(uow, None, ...)` etc.)
    ticket, other = _ticket(desk), _ticket(desk)
    with desk.services.store.write() as uow:
        for key in [f"{ticket.id}:{i}" for i in range(201)] + [f"{other.id}:x"]:
            uow.mail.queue_mail(
                {
                    "account_id": desk.tenant.id,
                    "ticket_id": int(key.split(":")[0]),
                    "kind": outbox.AGENT_REPLY,
                    "from_addr": desk.support.email,
                    "to_addr": CUSTOMER,
                    "subject": key,
                    "body": "x",
                    "status": outbox.QUEUED,
                    "attempts": 0,
                    "next_attempt": 1,
                    "created": 1,
                    "dedupe_key": f"test:{key}",
                }
            )
    actor = desk.tenant.actor
    with desk.services.store.read() as uow:
        default = outbox.ticket_mail(uow, actor, ticket.id)
        three = outbox.ticket_mail(uow, actor, ticket.id, limit=3)
        theirs = outbox.ticket_mail(uow, actor, other.id)
    assert len(default) == 200
    assert [m.subject for m in default[:2]] == [f"{ticket.id}:200", f"{ticket.id}:199"]
    assert [m.subject for m in three] == [f"{ticket.id}:{i}" for i in (200, 199, 198)]
    assert [m.subject for m in theirs] == [f"{other.id}:x"]
    with desk.services.store.read() as uow, pytest.raises(NotFound) as foreign:
        outbox.ticket_mail(uow, other_tenant.actor, ticket.id)
    assert foreign.value.code == "ticket_not_found"
