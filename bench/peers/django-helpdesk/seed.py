"""Seed django-helpdesk with the same tickets Frontdesk gets, and log a staff user in.

Runs inside the peer's own virtualenv (setup.sh), from this directory:

    PEER_DATA_DIR=/tmp/peer .venv/bin/python seed.py --tickets 100000 --messages 3

Migrates the SQLite database, creates four queues (Frontdesk's inboxes), eight staff
agents and a staff superuser, then N tickets with M follow-ups each through Django's
`bulk_create` (API calls would take hours). The text comes from bench/text.py, the same
prose and rare words Frontdesk's seeder uses. The first follow-up carries the ticket's
description, as django-helpdesk's own ticket form writes it.

Then, as Frontdesk's seeder does for its web ticket page (bench/seed.py, WEB_THREADS),
`--threads` more tickets with `--thread-messages` follow-ups each (20 and 10): the
staff ticket page is measured on those, so that both pages show ten messages. They are
the newest tickets and come after the N, so the other operations (the list sorted by
creation, the random "one ticket" ids among the N) read the same data as before.

Prints JSON: the session cookie and CSRF token for the load driver, ticket ids, the
seconds it took.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[2]))  # the repository root, for bench/text.py
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

from bench.text import Prose  # noqa: E402

# Frontdesk's six statuses folded onto django-helpdesk's (Open, Reopened, Resolved, Closed)
STATUS_OF = [1, 2, 1, 1, 3, 4]
BATCH = 5000


def _staff(username: str, email: str, *, superuser: bool = False) -> User:
    user = User.objects.create_user(username, email, secrets.token_urlsafe(16))
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    return user


def _session(user: User) -> str:
    """A logged-in session, as django.contrib.auth.login would store it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _tickets(
    first_id: int,
    indexes: range,
    total: int,
    messages: int,
    queues: list[Queue],
    agents: list[User],
    rng: random.Random,
    prose: Prose,
    start: datetime,
    span: timedelta,
    *,
    rare: bool,
) -> tuple[list[Ticket], list[FollowUp]]:
    """Tickets `indexes` of `total` (id `first_id` + index), created evenly over `span`
    from `start`, with `messages` follow-ups each; `rare` puts the index's rare word in
    the description (bench/text.py)."""
    made, follow_ups = [], []
    now = datetime.now(UTC)
    for i in indexes:
        created = start + span * i / max(total, 1)
        modified = min(now, created + timedelta(seconds=rng.randrange(0, 5 * 86_400)))
        requester = rng.randrange(max(1, total // 4))
        name, email = f"Customer {requester}", f"customer{requester}@example.org"
        first_body = prose.customer_body(name, prose.rare_sentence(i) if rare else "")
        made.append(
            Ticket(
                id=first_id + i,
                title=prose.subject(),
                queue=queues[i % len(queues)],
                created=created,
                modified=modified,
                submitter_email=email,
                assigned_to=agents[i % len(agents)] if i % 10 < 7 else None,
                status=STATUS_OF[rng.randrange(len(STATUS_OF))],
                description=first_body,
                priority=rng.choice([1, 2, 3, 3, 3, 4, 5]),
            )
        )
        for j in range(messages):
            agent = agents[(i + j) % len(agents)]
            body = first_body if j == 0 else prose.customer_body(name)
            if j % 2:
                body = prose.agent_body(agent.username)
            at = created + (modified - created) * j / max(messages - 1, 1)
            follow_ups.append(
                FollowUp(
                    ticket_id=first_id + i,
                    date=at,
                    title="Ticket Opened" if j == 0 else "Comment",
                    comment=body,
                    public=True,
                    user=agent if j % 2 else None,
                )
            )
    return made, follow_ups


def seed(
    tickets: int, messages: int, threads: int, thread_messages: int, rng_seed: int = 7
) -> dict[str, object]:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    suffix = secrets.token_hex(4)
    admin = _staff(f"bench-{suffix}", f"bench-{suffix}@bench.example", superuser=True)
    agents = [_staff(f"agent{i}-{suffix}", f"agent{i}-{suffix}@bench.example") for i in range(8)]
    queues = [
        Queue.objects.create(title=name, slug=f"{name.lower()}-{suffix}")
        for name in ("Support", "Billing", "Sales", "Partners")
    ]
    rng = random.Random(rng_seed)
    prose = Prose(rng)
    now = datetime.now(UTC)
    span = timedelta(days=365)
    first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    written_tickets = written_messages = 0
    for start in range(0, tickets, BATCH):
        made, follow_ups = _tickets(
            first_id, range(start, min(tickets, start + BATCH)), tickets, messages, queues,
            agents, rng, prose, now - span, span, rare=True,
        )  # fmt: skip
        Ticket.objects.bulk_create(made)
        FollowUp.objects.bulk_create(follow_ups)
        written_tickets += len(made)
        written_messages += len(follow_ups)
    thread_first = first_id + written_tickets
    made, follow_ups = _tickets(
        thread_first, range(threads), threads, thread_messages, queues, agents, rng, prose,
        now - timedelta(days=1), timedelta(days=1), rare=False,
    )  # fmt: skip
    Ticket.objects.bulk_create(made)
    FollowUp.objects.bulk_create(follow_ups)
    return {
        "session": _session(admin),
        "csrf": secrets.token_hex(16),  # 32 characters: Django accepts it unmasked
        "queue_id": queues[0].id,
        "first_ticket_id": first_id,
        "last_ticket_id": first_id + written_tickets - 1,
        "tickets": written_tickets,
        "messages": written_messages,
        "thread_ticket_ids": [ticket.id for ticket in made],
        "thread_messages": len(follow_ups),
        "seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--thread-messages", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(seed(args.tickets, args.messages, args.threads, args.thread_messages)))


if __name__ == "__main__":
    main()
