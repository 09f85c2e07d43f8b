"""Inbound mail to tickets: route, keep the raw bytes, parse, thread, record, auto-reply.

Whatever the channel (SMTP listener, IMAP poller, import), a mail goes through `deliver`:

1. its raw bytes go to the blob store first, so nothing that was accepted is ever lost;
2. per account it was addressed to, one transaction writes the receipt (unique per
   Message-ID, so a redelivered mail is a no-op), the ticket or reply, its attachments
   and the auto reply, and commits;
3. a mail that cannot become a ticket (no sender, refused by the core, a parser bug) is
   kept as a 'quarantined' receipt with the reason, for admins.

A failure of the database or the disk is raised instead (a unique key a concurrent mail
took first is tried once more): the caller answers 451, or 452 when the disk is full
(SMTP), or leaves the mail unseen (IMAP), and the sender tries again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import SQLAlchemyError

from frontdesk.core import mail as mail_records
from frontdesk.core import tickets
from frontdesk.core.identity.records import Inbox
from frontdesk.core.mail import bounces, inline, outbox
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import BOUNCE, QUARANTINED, RECEIVED
from frontdesk.core.shared.addresses import is_address, normalise_address
from frontdesk.core.shared.clock import iso_ms, now_ms
from frontdesk.core.shared.ports import BlobStore
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import MAX_BODY, NewMessage, NewTicket, Opened, attachments
from frontdesk.mail import agent_replies, senders
from frontdesk.mail.agent_replies import AgentReplyTokens
from frontdesk.mail.bounces import Report, read_report
from frontdesk.mail.loops import looks_automated, why_no_auto_reply
from frontdesk.mail.parse import MailPart, ParsedMail, parse
from frontdesk.mail.subjects import strip_prefixes
from frontdesk.mail.threading import thread_of
from frontdesk.mail.tokens import BounceTokens, TicketTokens, split_plus, strip_tag
from frontdesk.settings import Settings
from frontdesk.storage.faults import classify, is_unique_race
from frontdesk.storage.store import Store

log = logging.getLogger(__name__)

SMTP = "smtp"
IMAP = "imap"
IMPORT = "import"
DUPLICATE = "duplicate"
MAX_ADDRESSES = 50  # per To / Cc kept on the message
NO_SUBJECT = "(no subject)"
NO_TEXT = "(no text)"
UNIQUE_RACE_ATTEMPTS = 2
# Mail that may have waited in a mailbox keeps its own Date; over SMTP it arrives now.
_OWN_DATES = frozenset({IMAP, IMPORT})


class Unparseable(Exception):
    """The mail cannot become a ticket; the reason goes on its quarantined receipt."""


@dataclass(frozen=True)
class Route:
    inbox: Inbox
    token: str | None  # from a plus address: support+<token>@...


@dataclass(frozen=True)
class Outcome:
    account_id: int
    status: str  # delivered | duplicate | quarantined
    ticket_id: int | None = None
    receipt_id: int | None = None
    appended: bool = False
    auto_reply: bool = False
    error: str | None = None


@dataclass(frozen=True)
class _Mail:
    raw_sha256: str
    size: int
    parsed: ParsedMail | None
    parse_error: str | None
    source: str
    envelope_from: str | None  # None: unknown (IMAP, imports), or the null sender (<>)
    null_sender: bool  # the SMTP envelope said MAIL FROM:<> (a bounce, an auto reply)
    recipients: tuple[str, ...]
    raw: bytes = field(default=b"", repr=False)
    backlog: bool = False  # found by a mailbox's first poll: imported, no auto reply

    @property
    def key(self) -> str:
        """What makes two deliveries the same mail: its Message-ID, else its bytes."""
        if self.parsed is not None and self.parsed.message_id:
            return self.parsed.message_id
        return f"sha256:{self.raw_sha256}"


class Inbound:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        settings: Settings,
        *,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.settings = settings
        self.tokens = TicketTokens(settings.secret_key)
        self.bounce_tokens = BounceTokens(settings.secret_key)
        self.agent_tokens = AgentReplyTokens(settings.secret_key)
        self.cap = outbox.ReplyCap(
            settings.auto_reply_cap,
            settings.auto_reply_window_seconds * 1000,
            settings.auto_reply_repeat_seconds * 1000,
        )
        self._on_queued = on_queued

    def route(self, address: str) -> Route | None:
        """The inbox an envelope recipient names (plus-address tokens allowed), if any."""
        base, token = split_plus(address)
        if not is_address(base):
            return None
        with self.store.read() as uow:
            inbox = uow.accounts.find_inbox_by_email(base)
        return Route(inbox, token) if inbox is not None else None

    def deliver(
        self,
        raw: bytes,
        recipients: Sequence[str],
        *,
        source: str,
        envelope_from: str | None = None,
        backlog: bool = False,
    ) -> list[Outcome]:
        """Deliver one mail to every account one of `recipients` names (once per account).

        `envelope_from` is the SMTP envelope sender: None when there is none (IMAP, an
        import), "" for the null sender. `backlog`: mail a mailbox held before Frontdesk
        first polled it, taken like an import (no auto reply).
        """
        routes = self._routes(recipients)
        if not routes:
            return []
        mail = replace(self._keep(raw, source, envelope_from, recipients), backlog=backlog)
        outcomes = [self._deliver_to(mail, route) for route in routes]
        if any(outcome.auto_reply for outcome in outcomes) and self._on_queued:
            self._on_queued()
        return outcomes

    def _routes(self, recipients: Sequence[str]) -> list[Route]:
        """One route per account: a mail to two inboxes of one account is one ticket."""
        chosen: dict[int, Route] = {}
        for address in recipients:
            found = self.route(address)
            if found is not None:
                chosen.setdefault(found.inbox.account_id, found)
        return list(chosen.values())

    def _keep(
        self, raw: bytes, source: str, envelope_from: str | None, recipients: Sequence[str]
    ) -> _Mail:
        digest = self.blobs.put(raw)
        try:
            parsed: ParsedMail | None = parse(raw)
            error = None
        except Exception as exc:  # parse() is built not to raise; if it does, keep the mail
            log.exception("parser failed on mail %s", digest)
            parsed, error = None, f"parser failed: {type(exc).__name__}"
        sender = (envelope_from or "").strip()[:320] or None
        null_sender = envelope_from is not None and sender is None
        return _Mail(
            digest,
            len(raw),
            parsed,
            error,
            source,
            sender,
            null_sender,
            tuple(r[:320] for r in recipients),
            raw,
        )

    def _deliver_to(self, mail: _Mail, route: Route) -> Outcome:
        actor = Actor(account_id=route.inbox.account_id, label=f"mail:{mail.source}")
        for attempt in range(1, UNIQUE_RACE_ATTEMPTS + 1):
            try:
                with self.store.write() as uow:
                    return self._accept(uow, actor, mail, route)
            except Exception as exc:
                if is_unique_race(exc) and attempt < UNIQUE_RACE_ATTEMPTS:
                    continue  # a concurrent mail took a key first: the next try finds it
                if _transient(exc):
                    raise  # the sender must try again later (SMTP 451, IMAP: left unseen)
                if not isinstance(exc, Unparseable):
                    log.warning("mail %s quarantined", mail.raw_sha256, exc_info=True)
                return self._quarantine(actor, mail, route, _reason(exc))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _receipt(self, actor: Actor, mail: _Mail, route: Route, status: str) -> dict[str, object]:
        parsed = mail.parsed
        return {
            "account_id": actor.account_id,
            "inbox_id": route.inbox.id,
            "source": mail.source,
            "status": status,
            "mail_key": mail.key[:998],
            "email_message_id": parsed.message_id if parsed else None,
            "envelope_from": mail.envelope_from,
            "recipients": mail.recipients[:MAX_ADDRESSES],
            "from_addr": parsed.from_address if parsed else None,
            "subject": _clean(parsed.subject if parsed else "")[:1000],
            "raw_sha256": mail.raw_sha256,
            "size": mail.size,
            "created": now_ms(),
        }

    def _accept(self, uow: MailUnit, actor: Actor, mail: _Mail, route: Route) -> Outcome:
        receipt_id = mail_records.record_receipt(uow, self._receipt(actor, mail, route, RECEIVED))
        if receipt_id is None:
            return Outcome(actor.account_id, DUPLICATE)
        if mail.parsed is None:
            raise Unparseable(mail.parse_error or "unparseable")
        report = self._report(mail, route)
        if report is not None:
            return self._file_bounce(uow, actor, route, receipt_id, report)
        known = mail.parsed.message_id and uow.mail.ticket_by_email_message_ids(
            actor.account_id, [mail.parsed.message_id]
        )
        if known:
            # A mail already on a ticket (Frontdesk sent it and an agent copied the inbox,
            # or it was imported before): recorded, not added twice.
            mail_records.file_receipt(
                uow, receipt_id, ticket_id=known, note="already on the ticket"
            )
            return Outcome(actor.account_id, DUPLICATE, ticket_id=known, receipt_id=receipt_id)
        if agent_replies.is_agent_token(route.token):
            return self._agent_reply(uow, actor, mail, route, receipt_id)
        opened = self._ticket(uow, actor, mail, route)
        mail_records.file_receipt(
            uow, receipt_id, ticket_id=opened.ticket.id, message_id=opened.message.id
        )
        # (An unverified sender gets no auto reply either: _auto_reply says so on the ticket.)
        queued = not opened.appended and self._auto_reply(uow, actor, mail, route, opened)
        return Outcome(
            actor.account_id,
            RECEIVED,
            ticket_id=opened.ticket.id,
            receipt_id=receipt_id,
            appended=opened.appended,
            auto_reply=queued,
        )

    def _report(self, mail: _Mail, route: Route) -> Report | None:
        """The delivery report this mail is, if it is one (read only for likely ones)."""
        parsed = mail.parsed
        assert parsed is not None
        verp = self.bounce_tokens.outbox_id(route.token) is not None
        head = mail.raw[:16_384].lower()
        robot = (parsed.from_address or "").lower().startswith(("mailer-daemon", "postmaster"))
        likely = verp or mail.null_sender or robot or b"multipart/report" in head
        if not likely and parsed.headers.get("return-path", "").strip() != "<>":
            return None
        # An out-of-office answer to a VERP return path is an answer, not a report.
        answer = "auto-submitted" in parsed.headers and verp
        return read_report(mail.raw, parsed, null_sender=mail.null_sender, verp=verp and not answer)

    def _file_bounce(
        self, uow: MailUnit, actor: Actor, route: Route, receipt_id: int, report: Report
    ) -> Outcome:
        """Mark the outbox row the report is on; a bounce never becomes a ticket."""
        verp_id = self.bounce_tokens.outbox_id(route.token)
        row = uow.mail.get_outbox(actor.account_id, verp_id) if verp_id is not None else None
        row = row or uow.mail.outbox_by_email_message_ids(actor.account_id, report.message_ids)
        if row is None:
            raise Unparseable(f"a delivery report on no mail of this account: {report.reason}")
        bounces.report(uow, actor, row, report.action, report.reason, now_ms())
        note = f"{report.action}: {report.reason}"[:2000]
        uow.mail.update_receipt(
            receipt_id, {"status": BOUNCE, "ticket_id": row.ticket_id, "error": note}
        )
        return Outcome(actor.account_id, BOUNCE, ticket_id=row.ticket_id, receipt_id=receipt_id)

    def _agent_reply(
        self, uow: MailUnit, actor: Actor, mail: _Mail, route: Route, receipt_id: int
    ) -> Outcome:
        """Mail to an agent's signed reply address: that agent's reply or note, or refused."""
        assert mail.parsed is not None
        assert route.token is not None
        sender = mail.parsed.from_address
        if sender is not None and is_address(sender) and not self._verified(mail, sender):
            # The reply address is in every copy the agent forwards: an impersonated From
            # with it must not pass for the agent (see "Forged senders").
            raise Unparseable("agent reply whose sender is not verified (forged From?)")
        try:
            taken = agent_replies.take(
                uow, actor.account_id, route.token, mail.parsed, self.agent_tokens
            )
        except agent_replies.Refused as exc:
            raise Unparseable(str(exc)) from exc
        mail_records.file_receipt(
            uow, receipt_id, ticket_id=taken.ticket_id, message_id=taken.message_id
        )
        return Outcome(actor.account_id, RECEIVED, ticket_id=taken.ticket_id, receipt_id=receipt_id)

    def _ticket(self, uow: MailUnit, actor: Actor, mail: _Mail, route: Route) -> Opened:
        parsed = mail.parsed
        assert parsed is not None
        sender = _sender(parsed, mail.envelope_from)
        trusted = self._verified(mail, sender)
        files = self._files(uow, actor, parsed.attachments)
        message = replace(_message(parsed, sender, files, mail), unverified=not trusted)
        target = thread_of(
            uow, actor.account_id, parsed, self.tokens, route.token, signed_only=not trusted
        )
        # A new ticket is about the matter, not the mail: "Re: Fwd: Printer" is "Printer".
        subject = _clean(strip_prefixes(strip_tag(parsed.subject))) or NO_SUBJECT
        new = NewTicket(
            subject=subject,
            message=message,
            requester_email=sender,
            requester_name=_clean(parsed.from_name or "") or None,
            inbox_id=route.inbox.id,
            # An unverified sender's mail never joins a ticket by its address alone.
            append_to_open=trusted,
        )
        if target is not None:
            if mail.source == IMAP:
                # Joining a live ticket: dated on arrival, so its activity never goes back.
                new = replace(new, message=replace(new.message, created=None))
            if _auto_submitted(parsed):
                # An out-of-office or other automatic answer to our mail is recorded, but
                # never reopens a solved ticket nor changes its status.
                new = replace(new, status=target.status)
            return tickets.append(uow, actor, target.id, new)
        return tickets.open_ticket(uow, actor, new)

    def _verified(self, mail: _Mail, sender: str) -> bool:
        """Whether the sender is backed by the envelope or the operator MTA's results."""
        assert mail.parsed is not None
        results = senders.trusted_results(mail.parsed.auth_results, self.settings.mail_authserv_id)
        envelope = "" if mail.null_sender else mail.envelope_from
        return senders.verified(sender, envelope, results)

    def _files(self, uow: MailUnit, actor: Actor, parts: Sequence[MailPart]) -> _Files:
        """Attachments and inline images stored; one over the size limit is left out and
        named in the text (the raw mail keeps it)."""
        limit = self.settings.max_attachment_bytes
        ids: list[int] = []
        skipped: list[str] = []
        by_content_id: dict[str, int] = {}
        for part in parts:
            if len(part.data) > limit:
                skipped.append(attachments.safe_name(part.filename))
                continue
            upload = attachments.Upload(filename=part.filename, data=part.data)
            ids.append(attachments.upload(uow, self.blobs, actor, upload, limit).id)
            if part.content_id:
                by_content_id.setdefault(inline.content_key(part.content_id), ids[-1])
        return _Files(tuple(ids), tuple(skipped), limit, by_content_id)

    def _auto_reply(
        self, uow: MailUnit, actor: Actor, mail: _Mail, route: Route, opened: Opened
    ) -> bool:
        """Queue the inbox's auto reply to a new ticket's sender; when the inbox has one and
        it is not sent, a line on the ticket says why."""
        parsed, to = mail.parsed, opened.message.from_email
        if (
            mail.source == IMPORT
            or mail.backlog
            or parsed is None
            or to is None
            or not (route.inbox.auto_reply or "").strip()
        ):
            return False
        why = why_no_auto_reply(parsed, null_sender=mail.null_sender) or self._stale(parsed)
        if why is None and opened.message.unverified:
            why = "the sender could not be verified (it would go to whoever was impersonated)"
        if why is not None:
            outbox.skip_auto_reply(uow, actor, opened.ticket, why, now_ms())
            return False
        return outbox.queue_auto_reply(
            uow,
            actor,
            opened.ticket,
            route.inbox,
            to,
            in_reply_to=parsed.message_id,
            cap=replace(self.cap, automated=looks_automated(parsed)),
        )

    def _stale(self, parsed: ParsedMail) -> str | None:
        """Why a mail is too old for an auto reply (an old unread mail fetched late)."""
        limit_ms = self.settings.auto_reply_max_age_seconds * 1000
        if parsed.date_ms is None or now_ms() - parsed.date_ms <= limit_ms:
            return None
        hours = limit_ms / 3_600_000
        return f"the mail is older than {hours:g} h (dated {iso_ms(parsed.date_ms)})"

    def _quarantine(self, actor: Actor, mail: _Mail, route: Route, reason: str) -> Outcome:
        values = {**self._receipt(actor, mail, route, QUARANTINED), "error": reason}
        with self.store.write() as uow:
            receipt_id = mail_records.record_receipt(uow, values)
        status = QUARANTINED if receipt_id is not None else DUPLICATE
        return Outcome(actor.account_id, status, receipt_id=receipt_id, error=reason)


@dataclass(frozen=True)
class _Files:
    ids: tuple[int, ...]
    skipped: tuple[str, ...]
    limit: int
    by_content_id: dict[str, int]  # inline images: content_key -> attachment id


def _auto_submitted(parsed: ParsedMail) -> bool:
    """RFC 3834: any Auto-Submitted value but `no` marks mail a program sent."""
    value = parsed.headers.get("auto-submitted", "").split(";")[0].strip().lower()
    return bool(value) and value != "no"


def _transient(exc: Exception) -> bool:
    """A failure of the database or the disk rather than of this mail: never quarantined."""
    return (
        isinstance(exc, SQLAlchemyError | OSError)
        or classify(exc) is not None
        or is_unique_race(exc)
    )


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return _clean(str(message))[:2000]


def _clean(text: str) -> str:
    """Text the database takes: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "").strip()


def _sender(parsed: ParsedMail, envelope_from: str | None) -> str:
    for candidate in (parsed.from_address, envelope_from):
        if candidate and is_address(candidate):
            return normalise_address(candidate)
    raise Unparseable("the mail has no valid sender address")


def _addresses(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(normalise_address(value) for value in values if is_address(value))[:MAX_ADDRESSES]


def _message(parsed: ParsedMail, sender: str, files: _Files, mail: _Mail) -> NewMessage:
    text = _clean(parsed.text)
    if files.skipped:
        names = ", ".join(files.skipped)
        text += f"\n\n[Left out, larger than {files.limit} bytes: {names}]"
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - 40] + "\n[... cut: the raw mail has it all]"
    html = _clean(inline.rewrite(parsed.html or "", files.by_content_id)) or None
    if html is not None and len(html) > MAX_BODY:
        html = None  # the text stands in; the raw mail keeps the rest
    if not text.strip() and not files.ids:
        text = NO_TEXT
    created = None
    if mail.source in _OWN_DATES and parsed.date_ms is not None and 0 < parsed.date_ms <= now_ms():
        created = parsed.date_ms  # an archive or a polled mailbox keeps its mail's own times
    return NewMessage(
        body_text=text,
        body_html=html,
        from_email=sender,
        from_name=_clean(parsed.from_name or "") or None,
        to=_addresses(parsed.to),
        cc=_addresses(parsed.cc),
        email_message_id=parsed.message_id,
        attachment_ids=files.ids,
        created=created,
    )
