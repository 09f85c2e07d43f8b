"""Customer satisfaction (CSAT): a survey mail when a ticket is solved, rated in one click.

Per inbox, an admin switches the survey on, with a delay and a text. When a ticket of that
inbox is solved, one survey row and its mail (through the outbox, due after the delay) are
queued in the same transaction; a ticket gets one survey, ever, unless it is reopened
while the mail still waits (then the mail is withdrawn, and the next solve queues anew).
The mail carries one signed link per rating (services/csat.py signs them); following one
rates the ticket, and another link of the same mail changes the rating for 7 days from
the first rating, after which it stands. A comment may be added in the same 7 days.
Every rating and comment is recorded as an event (`csat.rated`, `csat.commented`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import CsatSettings, Satisfaction, Survey
from frontdesk.core.identity import accounts
from frontdesk.core.mail.outbox import MAIL_QUEUED, QUEUED, new_message_id
from frontdesk.core.shared import events
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.records import Actor, Event
from frontdesk.core.shared.text import check_text

RATINGS = ("great", "okay", "bad")
SCORES = {"great": 3, "okay": 2, "bad": 1}  # what a report averages
CHANGEABLE_MS = 7 * 86_400_000
MAX_DELAY_MINUTES = 30 * 24 * 60
MAX_COMMENT = 5000
SURVEY_MAIL = "csat_survey"
CSAT_SET = "inbox.csat_set"
CSAT_QUEUED = "csat.queued"
CSAT_WITHDRAWN = "csat.withdrawn"
CSAT_RATED = "csat.rated"
CSAT_COMMENTED = "csat.commented"
DEFAULT_TEXT = "Your request has been solved. How did we do? One click is enough:"
WORDS = {"great": "Great", "okay": "Okay", "bad": "Not good"}
# The survey's links: (survey id, rating or "comment") -> an absolute, signed URL.
Links = Callable[[int, str], str]


def settings_of(uow: AutomationUnit, actor: Actor, inbox_id: int) -> CsatSettings:
    inbox = accounts.get_inbox(uow, actor, inbox_id)
    found = uow.csat.get_settings(actor.account_id, inbox.id)
    return found or CsatSettings(inbox.id, False, 60, DEFAULT_TEXT, 0)


def set_settings(
    uow: AutomationUnit, actor: Actor, inbox_id: int, wanted: CsatSettings, now: int
) -> CsatSettings:
    inbox = accounts.get_inbox(uow, actor, inbox_id)
    if not 0 <= wanted.delay_minutes <= MAX_DELAY_MINUTES:
        raise Invalid(
            "invalid", f"delay_minutes must be 0 to {MAX_DELAY_MINUTES}", field="delay_minutes"
        )
    text = checked_text(wanted.text.strip(), "text", 2000) or DEFAULT_TEXT
    saved = CsatSettings(inbox.id, wanted.enabled, wanted.delay_minutes, text, now)
    uow.csat.put_settings(actor.account_id, saved)
    events.record(
        uow, actor, CSAT_SET, now, inbox_id=inbox.id, enabled=saved.enabled,
        delay_minutes=saved.delay_minutes,
    )  # fmt: skip
    return saved


def on_events(uow: AutomationUnit, recorded: Sequence[Event], links: Links, now: int) -> None:
    """The store's hook: queue a survey for each ticket solved in this transaction, and
    withdraw a waiting one when its ticket is reopened."""
    for event in recorded:
        if event.kind != events.STATUS_CHANGED or event.ticket_id is None:
            continue
        before, after = event.data.get("before"), event.data.get("after")
        if after == "solved" and before != "closed":
            _queue(uow, event.account_id, event.ticket_id, links, now)
        elif before in ("solved", "closed") and after not in ("solved", "closed"):
            _withdraw(uow, event.account_id, event.ticket_id, now)


def checked_text(value: str, what: str, limit: int) -> str:
    if len(value) > limit:
        raise Invalid("too_long", f"{what} is longer than {limit} characters", field=what)
    return check_text(value, what)


def _system(account_id: int) -> Actor:
    return Actor(account_id=account_id, label="csat")


def _queue(uow: AutomationUnit, account_id: int, ticket_id: int, links: Links, now: int) -> None:
    ticket = uow.tickets.get_ticket(account_id, ticket_id)
    if ticket is None or ticket.inbox_id is None or ticket.requester_id is None:
        return
    settings = uow.csat.get_settings(account_id, ticket.inbox_id)
    inbox = accounts.find_inbox(uow, account_id, ticket.inbox_id)
    contact = uow.contacts.get_contact(account_id, ticket.requester_id)
    if settings is None or not settings.enabled or inbox is None or contact is None:
        return
    if not contact.email or accounts.inbox_with_address(uow, contact.email) is not None:
        return  # no address, or one of our own inboxes: nobody to ask
    assignees = uow.tickets.tags_and_assignees([ticket.id]).get(ticket.id)
    agent_id = min(assignees.assignee_ids) if assignees and assignees.assignee_ids else None
    survey_id = uow.csat.add_survey(account_id, ticket.id, inbox.id, agent_id, now)
    if survey_id is None:
        return  # this ticket had its survey
    lines = [settings.text, ""]
    lines += [f"{WORDS[rating]}: {links(survey_id, rating)}" for rating in RATINGS]
    lines += ["", f"Tell us more: {links(survey_id, 'comment')}", ""]
    outbox_id = uow.mail.queue_mail(
        {
            "account_id": account_id,
            "ticket_id": ticket.id,
            "message_id": None,
            "kind": SURVEY_MAIL,
            "from_addr": inbox.email,
            "to_addr": contact.email,
            "to_addrs": contact.email,
            "subject": f"How did we do? Re: {ticket.subject}"[:1000],
            "body": "\n".join(lines),
            "email_message_id": new_message_id(inbox.email),
            "status": QUEUED,
            "attempts": 0,
            "next_attempt": now + settings.delay_minutes * 60_000,
            "created": now,
            "dedupe_key": f"{SURVEY_MAIL}:{survey_id}",
        }
    )
    uow.csat.set_outbox(survey_id, outbox_id)
    actor = _system(account_id)
    events.record(uow, actor, CSAT_QUEUED, now, ticket_id=ticket.id, survey_id=survey_id)
    if outbox_id is not None:
        events.record(
            uow, actor, MAIL_QUEUED, now, ticket_id=ticket.id, outbox_id=outbox_id,
            kind=SURVEY_MAIL,
        )  # fmt: skip


def _withdraw(uow: AutomationUnit, account_id: int, ticket_id: int, now: int) -> None:
    survey = uow.csat.survey_of_ticket(account_id, ticket_id)
    if survey is None or survey.rating is not None:
        return
    if uow.csat.withdraw_survey(survey.id, survey.outbox_id):
        events.record(
            uow, _system(account_id), CSAT_WITHDRAWN, now, ticket_id=ticket_id,
            survey_id=survey.id,
        )  # fmt: skip


def find_survey(uow: AutomationUnit, survey_id: int) -> Survey:
    """The survey a signed link names (the caller checked the signature)."""
    survey = uow.csat.get_survey(survey_id)
    if survey is None:
        raise NotFound("survey_not_found", "This survey link is not valid")
    return survey


def rate(uow: AutomationUnit, survey_id: int, rating: str, now: int) -> Survey:
    """Rate, or change the rating within 7 days of the first; the same rating again is
    a no-op (a mail client's link check must not count twice)."""
    if rating not in RATINGS:
        raise Invalid("invalid_rating", "Choose great, okay or bad", field="rating")
    survey = uow.csat.get_survey(survey_id, lock=True)
    if survey is None:
        raise NotFound("survey_not_found", "This survey link is not valid")
    _still_open(survey, now)
    if survey.rating == rating:
        return survey
    changes = {"rating": rating, "rated": now, "first_rated": survey.first_rated or now}
    saved = uow.csat.update_survey(survey.id, changes)
    events.record(
        uow, _system(survey.account_id), CSAT_RATED, now, ticket_id=survey.ticket_id,
        survey_id=survey.id, rating=rating, score=SCORES[rating], before=survey.rating,
        agent_id=survey.agent_id, inbox_id=survey.inbox_id,
    )  # fmt: skip
    return saved


def comment(uow: AutomationUnit, survey_id: int, text: str, now: int) -> Survey:
    survey = uow.csat.get_survey(survey_id, lock=True)
    if survey is None:
        raise NotFound("survey_not_found", "This survey link is not valid")
    if survey.rating is None:
        raise Conflict("not_rated", "Choose a rating first", field="rating")
    _still_open(survey, now)
    words = checked_text(text.strip(), "comment", MAX_COMMENT)
    saved = uow.csat.update_survey(survey.id, {"comment": words or None})
    events.record(
        uow, _system(survey.account_id), CSAT_COMMENTED, now, ticket_id=survey.ticket_id,
        survey_id=survey.id, length=len(words),
    )  # fmt: skip
    return saved


def changeable(survey: Survey, now: int) -> bool:
    """May the customer still rate (or re-rate, or comment)? Until a week after the first
    rating."""
    return survey.first_rated is None or now - survey.first_rated <= CHANGEABLE_MS


def _still_open(survey: Survey, now: int) -> None:
    if not changeable(survey, now):
        raise Conflict("survey_closed", "This rating can no longer be changed")


def survey_of_ticket(uow: AutomationUnit, actor: Actor, ticket_id: int) -> Survey | None:
    """The ticket's survey (the caller already read the ticket, as the actor)."""
    return uow.csat.survey_of_ticket(actor.account_id, ticket_id)


def satisfaction(
    uow: AutomationUnit, actor: Actor, ticket_id: int, requester_id: int | None
) -> Satisfaction:
    """The ticket's survey and its requester's latest chat rating, for the ticket page."""
    survey, chat_rating = uow.csat.satisfaction(actor.account_id, ticket_id, requester_id)
    return Satisfaction(survey, chat_rating)
