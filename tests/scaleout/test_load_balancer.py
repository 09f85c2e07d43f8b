"""Issue 20's load-balancer test: HAProxy in front of three `frontdesk serve` processes on
one PostgreSQL database, one Redis and moto's S3 server (tests/scaleout/cluster.py).

A steady mix runs through HAProxy: InboxOps API writes (tickets, replies that are mailed
to the customer) and reads, mail over SMTP to the listeners (HAProxy's TCP frontend),
and chats between visitors and agents whose sockets sit on different processes. Midway
the process holding the most chat sockets is killed (SIGKILL) and later started again.
Promised (docs/deploy.md, "Tested behind HAProxy"):

- every request answered 2xx is stored; a 2xx read shows everything answered before it;
  during the kill a request may fail (502/503/504, a dropped connection), never with a
  wrong 2xx, and nothing fails before it;
- chat sockets reconnect through HAProxy and resume: every socket sees each message of
  its conversation once, in order, and the visitor's resent messages are stored once;
- every mail answered 250 became a ticket exactly once;
- the outbox sends each mail once (the relay counts them by Message-ID).

With Redis configured, failed authentications spread over the processes are limited at
the same total as on one; failed web sign-ins (counted in the database) too.

The figures are printed (run with `-s`) and recorded in docs/deploy.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import smtplib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import make_msgid
from functools import partial
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Connection

from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.services import build_services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from frontdesk.storage.db import normalise_url
from tests.conftest import _pg_database, unavailable
from tests.live import free_port
from tests.mail.conftest import RelayPeer, mail
from tests.s3 import location
from tests.scaleout.chatpeers import Peer, agent_hello, visitor_hello
from tests.scaleout.cluster import Balancer, Server, haproxy_config, served_by
from tests.web.helpers import csrf_of

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "a long and correct horse battery"
INBOX = "support@lb.example.com"
STEADY, DOWN, AFTER = 8.0, 5.0, 5.0  # seconds: before the kill, killed, after the restart
ALLOWED_FAILURES = {502, 503, 504}  # what a client may see while a process dies
AUTH_FAILURES_PER_KEY = 10  # the default of FRONTDESK_AUTH_FAILURES_PER_KEY, written out
SIGNIN_FAILURES_PER_ADDRESS = 5  # the default of FRONTDESK_SIGNIN_FAILURES_PER_ADDRESS


@dataclass
class Desk:
    """The seeded account, and the deployment in front of it."""

    lb: Balancer
    servers: list[Server]
    relay: RelayPeer
    database_url: str
    workspace: str  # the account's public id: InboxOps workspace, chat widget id
    key: str
    agents: list[tuple[int, str]]  # (id, email); every one has PASSWORD

    @property
    def names(self) -> set[str]:
        return {server.name for server in self.servers}

    def server(self, name: str) -> Server:
        return next(server for server in self.servers if server.name == name)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, s3_server: str) -> Iterator[Desk]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {REDIS_URL}: {exc}")
    tmp = tmp_path_factory.mktemp("scaleout")
    relay = RelayPeer(free_port())
    relay.start()
    for pg_url in _pg_database():
        secret = secrets.token_urlsafe(48)
        workspace, key, agents = _seed(tmp, pg_url, secret)
        bucket = location(s3_server)
        http_port, smtp_port = free_port(), free_port()
        env = {
            "FRONTDESK_DATABASE_URL": pg_url,
            "FRONTDESK_DB_POOL_SIZE": "3",
            "FRONTDESK_SECRET_KEY": secret,
            "FRONTDESK_REDIS_URL": REDIS_URL,
            # Its own prefix: the chat channel, presence and the rate-limit keys in Redis.
            "FRONTDESK_CHAT_CHANNEL_PREFIX": f"fdlb-{secrets.token_hex(6)}",
            "FRONTDESK_PUBLIC_BASE_URL": f"http://127.0.0.1:{http_port}",
            "FRONTDESK_BLOB_STORE": "s3",
            "FRONTDESK_S3_BUCKET": bucket.bucket,
            "FRONTDESK_S3_ENDPOINT_URL": bucket.endpoint_url or "",
            "FRONTDESK_S3_REGION": bucket.region or "",
            "FRONTDESK_S3_ACCESS_KEY_ID": bucket.access_key_id or "",
            "FRONTDESK_S3_SECRET_ACCESS_KEY": bucket.secret_access_key or "",
            "FRONTDESK_RELAY_HOST": "127.0.0.1",
            "FRONTDESK_RELAY_PORT": str(relay.port),
            "FRONTDESK_RELAY_TIMEOUT_SECONDS": "10",
            "FRONTDESK_RELAY_DATA_TIMEOUT_SECONDS": "20",
            "FRONTDESK_CHAT_PROOF_BITS": "0",  # the widget's proof of work: CPU for nothing here
        }
        servers = [Server(f"app{n}", env, tmp) for n in (1, 2, 3)]
        config = tmp / "haproxy.cfg"
        config.write_text(haproxy_config(http_port, smtp_port, servers))
        lb = Balancer(config, tmp / "haproxy.log", http_port, smtp_port)
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()
            lb.start()
            found = Desk(lb, servers, relay, pg_url, workspace, key, agents)
            lb.wait_all_up(found.names)
            yield found
        finally:
            lb.stop()
            for server in servers:
                server.terminate()  # all at once: each takes seconds to shut down
            for server in servers:
                server.stop()
            relay.stop()
    for server in servers:
        assert "Traceback" not in server.log(), server.log()[-3000:]


def _seed(tmp: Path, pg_url: str, secret: str) -> tuple[str, str, list[tuple[int, str]]]:
    """Migrate the fresh database once, then an account, its inbox, agents and a key."""
    settings = Settings(data_dir=tmp / "seed", database_url=pg_url, secret_key=secret)
    services = build_services(settings)
    try:
        with services.store.write() as uow:
            account = accounts.create_account(uow, "Balanced Co")
            actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
            key = credentials.issue_api_key(uow, actor, "load", ALL_SCOPES).token
            accounts.create_inbox(uow, actor, "Support", INBOX, auto_reply="We have your mail.")
            agents = [
                accounts.create_agent(
                    uow,
                    actor,
                    AgentFields(name=name, email=f"{name}@lb.example.com", password=PASSWORD),
                )
                for name in ("ann", "bob", "cat", "dan")
            ]
    finally:
        services.close()
    return account.public_id, key, [(agent.id, agent.email) for agent in agents]


# -- what the clients saw ---------------------------------------------------------------------


@dataclass
class Seen:
    lock: threading.Lock = field(default_factory=threading.Lock)
    created: dict[str, str] = field(default_factory=dict)  # ticket uuid -> subject (201)
    replies: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)  # never allowed
    dropped: list[tuple[float, str]] = field(default_factory=list)  # allowed, while killed
    served: Counter[str] = field(default_factory=Counter)  # 2xx answers per process
    reads: int = 0
    mails: list[str] = field(default_factory=list)  # Message-IDs answered 250
    mail_retries: int = 0

    def failed(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)


def _call(seen: Seen, send: Callable[[], httpx2.Response], what: str) -> httpx2.Response | None:
    """One request: its answer when 2xx; None (written down) when it failed."""
    try:
        answer = send()
    except httpx2.TransportError as exc:
        with seen.lock:
            seen.dropped.append((time.monotonic(), f"{what}: {type(exc).__name__}"))
        return None
    if answer.is_success:
        with seen.lock:
            seen.served[served_by(answer.headers)] += 1
        return answer
    with seen.lock:
        if answer.status_code in ALLOWED_FAILURES:
            seen.dropped.append((time.monotonic(), f"{what}: {answer.status_code}"))
        else:
            seen.failures.append(f"{what}: {answer.status_code} {answer.text[:300]}")
    return None


def _writer(desk: Desk, seen: Seen, stop: threading.Event, n: int) -> None:
    """Tickets, and replies mailed to their customers, through the InboxOps dialect."""
    headers = {"Authorization": f"Bearer {desk.key}", "x-workspace-id": desk.workspace}
    base = f"{desk.lb.base}/v1/workspaces/{desk.workspace}/tickets"
    mine: list[str] = []
    with httpx2.Client(headers=headers, timeout=60) as client:
        for i in range(1_000_000):
            if stop.is_set():
                return
            subject = f"lb {n}-{i}"
            body = {"subject": subject, "body": "steady", "requesterEmail": f"c{n}-{i}@lb.test"}
            answer = _call(seen, partial(client.post, base, json=body), "create")
            if answer is not None:
                if answer.status_code != 201 or answer.json()["subject"] != subject:
                    seen.failed(f"create answered {answer.status_code}: {answer.text[:300]}")
                else:
                    mine.append(answer.json()["id"])
                    with seen.lock:
                        seen.created[mine[-1]] = subject
            if mine:
                _reply(client, seen, f"{base}/{random.choice(mine)}", f"reply {n}-{i}")
            time.sleep(0.05)


def _reply(client: httpx2.Client, seen: Seen, ticket_url: str, text: str) -> None:
    body = {"body": text, "sendEmail": True}
    answer = _call(seen, lambda: client.post(f"{ticket_url}/messages", json=body), "reply")
    if answer is None:
        return
    posted = answer.json()
    if answer.status_code != 201 or posted["body"] != text or not posted["emailSent"]:
        seen.failed(f"reply answered {answer.status_code}: {answer.text[:300]}")
        return
    with seen.lock:
        seen.replies[ticket_url.rsplit("/", 1)[1]].append(posted["id"])


def _reader(desk: Desk, seen: Seen, stop: threading.Event) -> None:
    """One ticket at a time: a 2xx must show every reply answered 201 before it was asked."""
    headers = {"Authorization": f"Bearer {desk.key}", "x-workspace-id": desk.workspace}
    base = f"{desk.lb.base}/v1/workspaces/{desk.workspace}/tickets"
    with httpx2.Client(headers=headers, timeout=60) as client:
        while not stop.is_set():
            with seen.lock:
                if not seen.created:
                    ticket = subject = None
                else:
                    ticket, subject = random.choice(list(seen.created.items()))
                    expected = set(seen.replies.get(ticket, []))
            if ticket is None:
                time.sleep(0.1)
                continue
            answer = _call(seen, partial(client.get, f"{base}/{ticket}"), "read")
            if answer is not None:
                got = answer.json()
                missing = expected - {message["id"] for message in got["messages"]}
                if got["subject"] != subject or missing:
                    seen.failed(f"read of {ticket}: {got['subject']!r}, missing {missing}")
                with seen.lock:
                    seen.reads += 1
            if random.random() < 0.2:
                _call(seen, lambda: client.get(base), "list")
            time.sleep(0.05)


def _mailer(desk: Desk, seen: Seen, stop: threading.Event) -> None:
    """Mail to the listeners through HAProxy's TCP frontend, sent until answered 250, as
    an MTA retries; each from its own customer, so each opens its own ticket."""
    for i in range(1_000_000):
        if stop.is_set():
            return
        sender = f"mailer{i}@customers.test"
        message = mail(
            sender=sender,
            to=INBOX,
            subject=f"mail {i}",
            Message_ID=make_msgid(domain="customers.test"),
        )
        while not _smtp(desk, sender, message.as_bytes()):
            with seen.lock:
                seen.mail_retries += 1
            if stop.is_set():
                return  # never taken: promised nothing
            time.sleep(0.5)
        with seen.lock:
            seen.mails.append(str(message["Message-ID"]))
        time.sleep(0.2)


def _smtp(desk: Desk, sender: str, data: bytes) -> bool:
    """One SMTP session through the balancer: True when the mail was answered 250."""
    try:
        with smtplib.SMTP("127.0.0.1", desk.lb.smtp_port, timeout=60) as client:
            client.sendmail(sender, [INBOX], data)
    except (smtplib.SMTPException, OSError):
        return False
    return True


# -- chat ------------------------------------------------------------------------------------


@dataclass
class Chats:
    agents: list[Peer]
    visitors: list[Peer]
    agent_of: dict[str, Peer]  # conversation -> the agent who joined it
    visitor_refs: set[str] = field(default_factory=set)  # acknowledged
    agent_texts: dict[str, bool] = field(default_factory=dict)  # text -> acknowledged

    @property
    def peers(self) -> list[Peer]:
        return [*self.agents, *self.visitors]


async def _chat(
    desk: Desk, stop: threading.Event, ready: threading.Event, out: list[Chats]
) -> None:
    host = desk.lb.host
    agents = [
        Peer(host, "agent", agent_hello(desk.key, agent_id)) for agent_id, _ in desk.agents[:2]
    ]
    visitors = [Peer(host, "visitor", visitor_hello(desk.workspace)) for _ in range(3)]
    chats = Chats(agents, visitors, {})
    out.append(chats)
    tasks = [asyncio.create_task(peer.run()) for peer in chats.peers]
    for peer in chats.peers:
        await asyncio.wait_for(peer.connected.wait(), 60)
    for k, visitor in enumerate(visitors):
        assert await visitor.send_acked(
            {"type": "message", "text": f"v{k}-0"}, f"v{k}-0", resend=True
        )
        chats.visitor_refs.add(f"v{k}-0")
        agent = agents[k % 2]
        conversation = visitor.conversation
        assert conversation is not None
        join = {"type": "join", "conversationId": conversation, "lastId": 0}
        assert await agent.send_acked(join, f"join-{k}", resend=False)
        chats.agent_of[conversation] = agent
    ready.set()
    await asyncio.gather(*(_talk(chats, k, stop) for k in range(len(visitors))))
    for peer in chats.peers:
        await asyncio.wait_for(peer.connected.wait(), 60)
    await _caught_up(desk, chats)
    for peer in chats.peers:
        await peer.close()
    await asyncio.gather(*tasks)


async def _talk(chats: Chats, k: int, stop: threading.Event) -> None:
    """A visitor and their agent take turns until `stop`."""
    visitor = chats.visitors[k]
    conversation = visitor.conversation
    assert conversation is not None
    agent = chats.agent_of[conversation]
    i = 0
    while not stop.is_set():
        i += 1
        ref = f"v{k}-{i}"
        await visitor.send_acked({"type": "message", "text": ref}, ref, resend=True)
        chats.visitor_refs.add(ref)
        # The agent's message has no ref the server keeps: after a drop before its ack it
        # is not sent again (it may or may not be stored; checked below).
        text = f"a{k}-{i}"
        frame = {"type": "message", "conversationId": conversation, "text": text}
        chats.agent_texts[text] = await agent.send_acked(frame, f"m-{text}", resend=False)
        await asyncio.sleep(0.3)


async def _caught_up(desk: Desk, chats: Chats, timeout: float = 60) -> None:
    """Until each socket has seen the last stored message of its conversation."""
    deadline = asyncio.get_running_loop().time() + timeout
    engine = create_engine(normalise_url(desk.database_url))
    try:
        with engine.connect() as conn:
            last = _last_ids(conn)
        for conversation, agent in chats.agent_of.items():
            visitor = next(v for v in chats.visitors if v.conversation == conversation)
            for peer in (agent, visitor):
                while peer.last_id(conversation) < last[conversation]:
                    assert asyncio.get_running_loop().time() < deadline, "a socket lags behind"
                    await asyncio.sleep(0.05)
    finally:
        engine.dispose()


def _last_ids(conn: Connection) -> dict[str, int]:
    cm, cc = t.chat_messages, t.chat_conversations
    rows = conn.execute(
        select(cc.c.public_id, func.max(cm.c.id).label("last"))
        .join(cc, cc.c.id == cm.c.conversation_id)
        .group_by(cc.c.public_id)
    )
    return {row.public_id: row.last for row in rows}


# -- the test ---------------------------------------------------------------------------------


def test_a_killed_process_loses_and_doubles_nothing(desk: Desk) -> None:
    seen, stop, chat_ready = Seen(), threading.Event(), threading.Event()
    chat_out: list[Chats] = []
    chat_errors: list[BaseException] = []

    def chat_thread() -> None:
        try:
            asyncio.run(_chat(desk, stop, chat_ready, chat_out))
        except BaseException as exc:  # collected and asserted below
            chat_errors.append(exc)
            chat_ready.set()

    clients = [
        threading.Thread(target=chat_thread),
        threading.Thread(target=_writer, args=(desk, seen, stop, 1)),
        threading.Thread(target=_writer, args=(desk, seen, stop, 2)),
        threading.Thread(target=_reader, args=(desk, seen, stop)),
        threading.Thread(target=_mailer, args=(desk, seen, stop)),
    ]
    for client in clients:
        client.start()
    assert chat_ready.wait(90), "the chats did not start"
    assert not chat_errors, chat_errors
    time.sleep(STEADY)
    chats = chat_out[0]
    # The process with the most chat sockets: its sockets must move to the others.
    victim = desk.server(Counter(peer.servers[-1] for peer in chats.peers).most_common(1)[0][0])
    on_victim = [peer for peer in chats.peers if peer.servers[-1] == victim.name]
    killed_at = time.monotonic()
    victim.kill()
    time.sleep(DOWN)
    victim.start()
    victim.wait_ready()
    desk.lb.wait_all_up(desk.names)
    time.sleep(AFTER)
    stop.set()
    for client in clients:
        client.join(timeout=120)
    assert not any(client.is_alive() for client in clients), "a client hung"
    assert not chat_errors, chat_errors

    figures = _check(desk, seen, chats, killed_at)
    figures["killed"] = victim.name
    figures["chat_sockets_on_killed"] = len(on_victim)
    print("load-balancer test figures:", json.dumps(figures, indent=2))

    assert seen.failures == []
    # Nothing failed before the kill; every process served, the restarted one included.
    assert all(at >= killed_at for at, _ in seen.dropped), seen.dropped
    assert set(seen.served) == desk.names, seen.served
    assert on_victim and all(len(peer.servers) >= 2 for peer in on_victim)
    assert all(peer.servers[-1] != victim.name or len(peer.servers) > 2 for peer in on_victim)
    assert len({peer.servers[0] for peer in chats.peers}) >= 2  # chat across processes


def _check(desk: Desk, seen: Seen, chats: Chats, killed_at: float) -> dict[str, Any]:
    engine = create_engine(normalise_url(desk.database_url))
    try:
        with engine.connect() as conn:
            _check_api(conn, seen)
            _check_mail_in(conn, seen)
            _check_chats(conn, chats)
            outbox = _check_outbox(engine, desk)
    finally:
        engine.dispose()
    return {
        "api_answers_2xx_by_process": dict(sorted(seen.served.items())),
        "tickets_created": len(seen.created),
        "replies_posted": sum(len(ids) for ids in seen.replies.values()),
        "reads": seen.reads,
        "requests_failed_while_killed": len(seen.dropped),
        "failed_how": dict(Counter(what.split(": ", 1)[1] for _, what in seen.dropped)),
        "failures_within_seconds_of_kill": round(
            max((at - killed_at for at, _ in seen.dropped), default=0.0), 1
        ),
        "mails_accepted": len(seen.mails),
        "smtp_retries": seen.mail_retries,
        "chat_messages_visitor": len(chats.visitor_refs),
        "chat_messages_agent": len(chats.agent_texts),
        "chat_reconnects": sum(len(peer.servers) - 1 for peer in chats.peers),
        **outbox,
    }


def _check_api(conn: Connection, seen: Seen) -> None:
    """Every ticket and reply answered 201 is stored (a 201 is never a wrong answer)."""
    stored = dict(conn.execute(select(t.tickets.c.uuid, t.tickets.c.subject)).all())
    lost = {uuid for uuid, subject in seen.created.items() if stored.get(uuid) != subject}
    assert not lost, f"answered 201, not stored: {sorted(lost)}"
    replies = {uuid for ids in seen.replies.values() for uuid in ids}
    found = set(
        conn.execute(select(t.messages.c.uuid).where(t.messages.c.uuid.in_(replies))).scalars()
    )
    assert replies <= found, f"replies answered 201, not stored: {sorted(replies - found)}"


def _check_mail_in(conn: Connection, seen: Seen) -> None:
    """Every mail answered 250 opened exactly one ticket."""
    assert seen.mails, "no mail was accepted"
    m = t.messages
    rows = conn.execute(
        select(m.c.email_message_id, func.count(func.distinct(m.c.ticket_id)), func.count())
        .where(m.c.email_message_id.in_(seen.mails))
        .group_by(m.c.email_message_id)
    ).all()
    counts = {mid: (tickets, messages) for mid, tickets, messages in rows}
    wrong = {mid: counts.get(mid) for mid in seen.mails if counts.get(mid) != (1, 1)}
    assert not wrong, f"mail answered 250 without exactly one ticket: {wrong}"


def _check_chats(conn: Connection, chats: Chats) -> None:
    """Each socket saw its conversation's messages once each, in order, none missing; each
    visitor message (resent after a reconnect) stored once; each acknowledged agent
    message stored, none twice."""
    problems = [f"{peer.side}: {p}" for peer in chats.peers for p in peer.problems]
    assert problems == []
    cm, cc = t.chat_messages, t.chat_conversations
    for conversation, agent in chats.agent_of.items():
        visitor = next(v for v in chats.visitors if v.conversation == conversation)
        stored = list(
            conn.execute(
                select(cm.c.id)
                .join(cc, cc.c.id == cm.c.conversation_id)
                .where(cc.c.public_id == conversation)
                .order_by(cm.c.id)
            ).scalars()
        )
        for peer in (visitor, agent):
            got = peer.seen[conversation]
            assert got == [i for i in stored if i >= got[0]], (peer.side, got, stored)
        assert visitor.seen[conversation][0] == stored[0]  # the visitor saw all of it
    refs = Counter(
        conn.execute(select(cm.c.client_ref).where(cm.c.client_ref.isnot(None))).scalars()
    )
    assert {ref: refs[ref] for ref in chats.visitor_refs} == dict.fromkeys(chats.visitor_refs, 1)
    bodies = Counter(conn.execute(select(cm.c.body).where(cm.c.sender == "agent")).scalars())
    for text, acked in chats.agent_texts.items():
        assert bodies[text] == 1 if acked else bodies[text] <= 1, (text, bodies[text])


def _check_outbox(engine: Any, desk: Desk, timeout: float = 60) -> dict[str, Any]:
    """The outbox sends each mail once: every row sent reached the relay once, and no
    Message-ID reached it twice. Rows the killed process had claimed stay 'sending' until
    their lease ends (minutes): counted, not waited for."""
    ob = t.outbox
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(ob.c.email_message_id, ob.c.status)).all()
        waiting = [mid for mid, status in rows if status == "queued"]
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not waiting, f"{len(waiting)} mails still queued"
    with desk.relay.lock:
        received = Counter(str(item.message["Message-ID"]) for item in desk.relay.received)
    statuses = Counter(status for _, status in rows)
    sent = {mid for mid, status in rows if status == "sent"}
    assert set(statuses) <= {"sent", "sending"}, statuses
    doubled = {mid: n for mid, n in received.items() if n > 1}
    assert not doubled, f"sent more than once: {doubled}"
    assert sent <= set(received), f"sent but never received: {sorted(sent - set(received))}"
    assert set(received) <= {mid for mid, _ in rows}, "the relay got mail the outbox never had"
    assert statuses["sending"] <= 20  # at most one claimed batch, the killed process's
    return {
        "outbox_rows": len(rows),
        "outbox_sent": len(sent),
        "outbox_held_by_killed_claim": statuses["sending"],
    }


# -- limits shared through Redis and the database ---------------------------------------------


def test_failed_authentications_are_limited_across_processes_as_on_one(desk: Desk) -> None:
    desk.lb.wait_all_up(desk.names)
    token = f"fdk_{secrets.token_hex(8)}_{secrets.token_urlsafe(24)}"  # a key id, no key
    where: Counter[str] = Counter()
    url = f"{desk.lb.base}/v1/workspaces/{desk.workspace}/tickets"
    headers = {"Authorization": f"Bearer {token}", "x-workspace-id": desk.workspace}
    with httpx2.Client(headers=headers, timeout=30) as client:
        answers = []
        for _ in range(AUTH_FAILURES_PER_KEY + 3):
            answer = client.get(url)
            answers.append(answer.status_code)
            where[served_by(answer.headers)] += 1
    assert answers == [401] * AUTH_FAILURES_PER_KEY + [429] * 3, (answers, where)
    assert set(where) == desk.names  # spread over all three, counted as one


def test_failed_sign_ins_are_limited_across_processes_as_on_one(desk: Desk) -> None:
    desk.lb.wait_all_up(desk.names)
    _, locked = desk.agents[2]
    _, other = desk.agents[3]
    where: Counter[str] = Counter()
    answers = [
        _sign_in(desk, locked, "wrong password", where) for _ in range(SIGNIN_FAILURES_PER_ADDRESS)
    ]
    answers.append(_sign_in(desk, locked, PASSWORD, where))  # right, but too late
    assert answers == [401] * SIGNIN_FAILURES_PER_ADDRESS + [429], (answers, where)
    assert len(where) >= 2, where
    with httpx2.Client(base_url=desk.lb.base, timeout=30) as client:
        assert _sign_in(desk, other, PASSWORD, where, client) == 303
        # The session is in the database: every process knows it.
        pages = [client.get("/tickets") for _ in range(6)]
    assert [page.status_code for page in pages] == [200] * 6
    assert {served_by(page.headers) for page in pages} == desk.names


def _sign_in(
    desk: Desk, email: str, password: str, where: Counter[str], client: httpx2.Client | None = None
) -> int:
    """The form as a browser sends it: the page (its CSRF token), then the post; each may be
    served by another process."""
    own = client or httpx2.Client(base_url=desk.lb.base, timeout=30)
    try:
        form = own.get("/login")
        assert form.status_code == 200, form.text[:300]
        answer = own.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        where[served_by(answer.headers)] += 1
        return answer.status_code
    finally:
        if client is None:
            own.close()
