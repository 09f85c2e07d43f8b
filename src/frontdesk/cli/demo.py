"""A realistic demo account: two inboxes, five agents, ~200 threaded tickets.

Deterministic (fixed seed) so that screenshots and docs stay stable; everything goes
through the core's named functions, like any other client's data would.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from frontdesk.core import contacts, tickets
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Role
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.ports import BlobStore
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets import NewMessage, NewTicket, taxonomy
from frontdesk.core.tickets.attachments import Upload, upload
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import MessageKind, Priority, Status

DEMO_INBOX = "support@demo.frontdesk.test"
DEMO_AGENT = "alva@demo.frontdesk.test"
# A demo on a developer's machine: the password is printed by `frontdesk demo` and set
# again on every run, so the printed one always works.
DEMO_PASSWORD = "frontdesk-demo"  # noqa: S105 (printed on purpose)
DAY_MS = 86_400_000

AGENTS = [
    ("Alva Lindqvist", "alva@demo.frontdesk.test", Role.OWNER, "Support", ("Support",), False),
    ("Jonas Berg", "jonas@demo.frontdesk.test", Role.ADMIN, "Support", ("Support", "Sales"), False),
    ("Maja Holm", "maja@demo.frontdesk.test", Role.AGENT, "Support", ("Support",), False),
    ("Omar Haddad", "omar@demo.frontdesk.test", Role.AGENT, "Billing", ("Billing",), True),
    ("Sara Ek", "sara@demo.frontdesk.test", Role.AGENT, "Sales", ("Sales",), False),
]
CATEGORIES = ["Billing", "Bookings", "Technical", "Account", "Feedback"]
DEPARTMENTS = ["Support", "Billing", "Sales"]
LABELS = ["vip", "refund", "bug", "how-to", "urgent", "follow-up"]
TAGS = ["mobile", "web", "invoice", "login", "api", "newsletter"]
TOPICS = [
    (
        "Booking for {day} not confirmed",
        "I booked a table for {day} but never got a confirmation e-mail.",
    ),
    (
        "Invoice {num} looks wrong",
        "Invoice {num} charges us twice for the same month. Can you check?",
    ),
    (
        "Cannot log in since the update",
        "Since yesterday's update the app says my password is wrong.",
    ),
    (
        "Refund for order {num}",
        "I returned order {num} two weeks ago and have not been refunded yet.",
    ),
    ("How do I export my data?", "Is there a way to export all our tickets to a spreadsheet?"),
    (
        "API returns 429 on {day}",
        "Our integration got rate-limited all of {day}. What are the limits?",
    ),
    (
        "Change the e-mail on my account",
        "I changed jobs; please move my account to my new address.",
    ),
    (
        "Feature request: dark mode",
        "The agent screen is very bright at night. Any plans for a dark mode?",
    ),
]
REPLIES = [
    "Thanks for reaching out! I'm looking into this right now.",
    "Could you send us a screenshot of what you see?",
    "I've corrected it on our side; you should see the change within the hour.",
    "Sorry for the trouble. I have escalated this to our technical team.",
]
FOLLOW_UPS = [
    "Here is the screenshot you asked for.",
    "Thanks, that fixed it!",
    "It still does not work for me, unfortunately.",
    "Any news on this?",
]
FIRST = [
    "Anna",
    "Erik",
    "Lina",
    "Karl",
    "Elin",
    "Nils",
    "Ida",
    "Leo",
    "Ella",
    "Hugo",
    "Noah",
    "Alice",
]
LAST = ["Svensson", "Nilsson", "Larsson", "Olsson", "Persson", "Andersson", "Johansson", "Karlsson"]
DAYS = ["Monday", "Tuesday", "Friday", "Saturday", "next Sunday"]


@dataclass(frozen=True)
class DemoResult:
    account_id: int
    created: bool
    ticket_count: int
    admin_key: str
    customer_email: str
    customer_token: str
    agent_email: str = DEMO_AGENT
    agent_password: str = DEMO_PASSWORD

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_demo(uow: TicketsUnit, blobs: BlobStore, ticket_count: int = 200) -> DemoResult:
    """Create the demo account once; on later runs only issue fresh keys for it."""
    existing = uow.accounts.find_inbox_by_email(DEMO_INBOX)
    created = existing is None
    if existing is None:
        account_id = _build(uow, blobs, ticket_count, random.Random(20201101))
    else:
        account_id = existing.account_id
    actor = Actor(account_id=account_id, label="demo", scopes=ALL_SCOPES)
    admin = credentials.issue_api_key(uow, actor, "demo admin", ALL_SCOPES)
    customer = contacts.find_or_create_contact(
        uow, actor, ContactFields(email="anna.svensson@example.org")
    )
    token = credentials.issue_customer_token(uow, actor, customer.id, "demo customer")
    agent = accounts.find_agent_by_email(uow, actor, DEMO_AGENT)
    accounts.update_agent(uow, actor, agent.id, AgentFields(password=DEMO_PASSWORD))
    count = uow.tickets.count_tickets(account_id)
    return DemoResult(account_id, created, count, admin.token, customer.email, token.token)


def _build(uow: TicketsUnit, blobs: BlobStore, ticket_count: int, rng: random.Random) -> int:
    account = accounts.create_account(uow, "Demo Company AB")
    actor = Actor(account_id=account.id, label="demo", scopes=ALL_SCOPES)
    support = accounts.create_inbox(
        uow, actor, "Support", DEMO_INBOX, "Thanks, we got your message."
    )
    info = accounts.create_inbox(uow, actor, "Info", "info@demo.frontdesk.test")
    agent_ids = [
        accounts.create_agent(
            uow,
            actor,
            AgentFields(
                name=name, email=email, role=role, department=dept, groups=groups,
                is_back_office=back_office, inbox_ids=(support.id, info.id),
                picture_url=f"https://avatars.demo.frontdesk.test/{email.split('@')[0]}.png",
            ),
        ).id
        for name, email, role, dept, groups, back_office in AGENTS
    ]  # fmt: skip
    categories = [taxonomy.create_named(uow, actor, "category", name).id for name in CATEGORIES]
    departments = [taxonomy.create_named(uow, actor, "department", name).id for name in DEPARTMENTS]
    taxonomy.create_named(uow, actor, "custom_field", "Order number")
    start = now_ms() - 60 * DAY_MS
    for index in range(ticket_count):
        when = start + index * (60 * DAY_MS // ticket_count)
        _ticket(
            uow, blobs, actor, rng, when, (support.id, info.id), agent_ids, categories, departments
        )
    return account.id


def _ticket(
    uow: TicketsUnit,
    blobs: BlobStore,
    actor: Actor,
    rng: random.Random,
    when: int,
    inbox_ids: tuple[int, int],
    agent_ids: list[int],
    categories: list[int],
    departments: list[int],
) -> None:
    subject, body = rng.choice(TOPICS)
    words = {"day": rng.choice(DAYS), "num": str(rng.randint(10_000, 99_999))}
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first}.{last}@example.org".lower()
    opened = tickets.open_ticket(
        uow,
        actor,
        NewTicket(
            subject=subject.format(**words),
            message=NewMessage(body_text=f"Hi,\n\n{body.format(**words)}\n\n{first}", created=when),
            requester_email=email,
            requester_name=f"{first} {last}",
            inbox_id=rng.choice(inbox_ids),
            category_id=rng.choice(categories),
            department_id=rng.choice(departments),
            priority=rng.choice(list(Priority)),
            labels=tuple(rng.sample(LABELS, rng.randint(0, 2))),
            tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
            custom_fields={"Order number": words["num"]} if "{num}" in subject else {},
        ),
    )
    ticket_id = opened.ticket.id
    agent_id = rng.choice(agent_ids)
    if rng.random() < 0.7:
        tickets.assign(uow, actor, ticket_id, [agent_id])
    for step in range(rng.randint(0, 3)):
        at = when + (step + 1) * 3_600_000
        agent_turn = step % 2 == 0
        tickets.add_message(
            uow,
            actor,
            ticket_id,
            NewMessage(body_text=rng.choice(REPLIES), agent_id=agent_id, created=at)
            if agent_turn
            else NewMessage(body_text=rng.choice(FOLLOW_UPS), from_email=email, created=at),
        )
    if rng.random() < 0.2:
        tickets.add_message(
            uow,
            actor,
            ticket_id,
            NewMessage(
                body_text="Customer called as well; be extra kind.",
                kind=MessageKind.INTERNAL,
                agent_id=agent_id,
            ),
        )
        tickets.set_notes(uow, actor, ticket_id, "Long-time customer since 2019.")
    if rng.random() < 0.15:
        _attach_log(uow, blobs, actor, ticket_id, email, when)
    final = rng.choice([None, None, Status.PENDING, Status.SOLVED, Status.CLOSED, Status.ON_HOLD])
    if final is not None:
        tickets.set_status(uow, actor, ticket_id, final)


def _attach_log(
    uow: TicketsUnit, blobs: BlobStore, actor: Actor, ticket_id: int, email: str, when: int
) -> None:
    data = f"2020-01-01 12:00:00 ERROR login failed for {email}\n".encode() * 20
    stored = upload(uow, blobs, actor, Upload("app-log.txt", data, ticket_id), limit=1_000_000)
    tickets.add_message(
        uow,
        actor,
        ticket_id,
        NewMessage(
            body_text="Attaching the log from my phone.",
            from_email=email,
            attachment_ids=(stored.id,),
            created=when + 1,
        ),
    )
