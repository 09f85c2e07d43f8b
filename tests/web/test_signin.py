"""Sign-in over HTTP on both databases: sessions, cookies, CSRF, throttling, resets."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from frontdesk.app import create_app
from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.mail import notices
from frontdesk.core.shared.errors import RateLimited
from frontdesk.core.tickets.records import Status
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.helpers import PASSWORD, Desk, csrf_of, make_desk, signed_in


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _login(client: TestClient, email: str, password: str, **headers: str) -> Any:
    form = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        headers=headers,
        follow_redirects=False,
    )


def _sessions(services: Services, agent_id: int) -> list[Any]:
    with services.store.engine.connect() as conn:
        return list(
            conn.execute(select(t.web_sessions).where(t.web_sessions.c.agent_id == agent_id))
        )


def test_signing_in_sets_a_session_cookie_and_lands_in_the_queue(
    web_app: FastAPI, desk: Desk
) -> None:
    client = TestClient(web_app)
    answer = _login(client, desk.agent.email.upper(), PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/tickets"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("fd_session=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here
    token = client.cookies["fd_session"]
    rows = _sessions(desk.services, desk.agent.id)
    assert len(rows) == 1
    assert token.split(".")[1] not in str(tuple(rows[0]))  # only the hash is stored
    assert client.get("/tickets").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/tickets"


def test_the_cookie_is_secure_over_https(web_app: FastAPI, desk: Desk) -> None:
    client = TestClient(web_app, base_url="https://testserver")
    answer = _login(client, desk.agent.email, PASSWORD)
    assert "Secure" in answer.headers["set-cookie"]


def test_a_client_cannot_claim_https_and_an_https_public_address_makes_it_secure(
    web_app: FastAPI, desk: Desk, services: Services
) -> None:
    """Behind a proxy that ends TLS the request's scheme is http: the header a client can
    send (X-Forwarded-Proto) changes nothing; the https public address is what counts."""
    forged = _login(TestClient(web_app), desk.agent.email, PASSWORD)
    assert "Secure" not in forged.headers["set-cookie"]
    claimed = TestClient(web_app, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in _login(claimed, desk.agent.email, PASSWORD).headers["set-cookie"]
    public = services.settings.model_copy(update={"public_base_url": "https://help.example.com"})
    behind_tls = TestClient(create_app(services=dataclasses.replace(services, settings=public)))
    # Its sign-in form's cookie is Secure although this request came over http (the
    # client here then keeps it to itself, as a browser on http would).
    assert "Secure" in behind_tls.get("/login").headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_address_read_the_same(
    web_app: FastAPI, desk: Desk
) -> None:
    client = TestClient(web_app)
    wrong = _login(client, desk.agent.email, "not the password")
    unknown = _login(client, "nobody-at-all@example.com", "not the password")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "That e-mail address and password do not match an agent." in answer.text
        assert "fd_session" not in answer.headers.get("set-cookie", "")
    assert _sessions(desk.services, desk.agent.id) == []


def test_failed_sign_ins_are_throttled_per_address(web_app: FastAPI, desk: Desk) -> None:
    client = TestClient(web_app)
    for _attempt in range(5):  # the default: 5 per address in 15 minutes
        assert _login(client, desk.colleague.email, "wrong password!").status_code == 401
    blocked = _login(client, desk.colleague.email, PASSWORD)  # even the right one waits
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins. Try again in 15 minutes." in blocked.text
    assert _sessions(desk.services, desk.colleague.id) == []
    assert _login(client, desk.agent.email, PASSWORD).status_code == 303  # another address


def test_failed_sign_ins_are_throttled_per_ip(web_app: FastAPI, services: Services) -> None:
    # 20 failures from one IP over many addresses; the TestClient's address is "testclient".
    with services.store.write() as uow:
        for index in range(20):
            uow.sessions.record_attempt("signin", f"x{index}@example.com", "192.0.2.77", 10**13)
    with services.store.engine.begin() as conn:
        conn.execute(
            update(t.signin_attempts)
            .where(t.signin_attempts.c.ip == "192.0.2.77")
            .values(created=t.signin_attempts.c.created - 10**13 + _now())
        )
    from frontdesk.core.identity import sessions
    from frontdesk.web.session import policy

    with services.store.write() as uow:
        refused = sessions.sign_in(
            uow, "someone@example.com", "pw", sessions.Client("192.0.2.77"),
            policy(services.settings),
        )  # fmt: skip
    assert isinstance(refused, sessions.Refused) and refused.retry_after


def _now() -> int:
    from frontdesk.core.shared.clock import now_ms

    return now_ms()


def test_state_changes_without_the_csrf_token_are_refused(web_app: FastAPI, desk: Desk) -> None:
    ticket = desk.ticket()
    client = signed_in(web_app, desk.agent.email)
    refused = client.post(f"/tickets/{ticket.id}/status", data={"status": "solved"})
    assert refused.status_code == 403
    assert "You do not have access to this page" in refused.text
    forged = client.post(
        f"/tickets/{ticket.id}/status",
        data={"status": "solved"},
        headers={"X-CSRF-Token": "AAAAAAAAAAAAAAAAAAAAAA.AAAA"},
    )
    assert forged.status_code == 403
    with desk.services.store.read() as uow:
        assert uow.tickets.get_ticket(desk.tenant.id, ticket.id).status is Status.NEW  # type: ignore[union-attr]
    anonymous = TestClient(web_app).post("/login", data={"email": "a@b.c", "password": "x"})
    assert anonymous.status_code == 403


def test_signing_out_ends_the_session(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    token = client.cookies["fd_session"]
    page = client.get("/tickets")
    out = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = TestClient(web_app, cookies={"fd_session": token})
    answer = replay.get("/tickets", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Ftickets"


def test_an_idle_session_ends(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    idle = 8 * 3600 * 1000 + 1000  # the default idle limit, and a second
    with desk.services.store.engine.begin() as conn:
        conn.execute(
            update(t.web_sessions)
            .where(t.web_sessions.c.agent_id == desk.agent.id)
            .values(last_seen=t.web_sessions.c.last_seen - idle)
        )
    assert client.get("/tickets", follow_redirects=False).status_code == 303


def test_an_agent_lists_and_ends_their_other_sessions(web_app: FastAPI, desk: Desk) -> None:
    laptop = signed_in(web_app, desk.agent.email)
    phone = signed_in(web_app, desk.agent.email)
    profile = laptop.get("/settings/security")
    assert profile.text.count("End session") == 1 and "This browser" in profile.text
    other = max(row.id for row in _sessions(desk.services, desk.agent.id))
    ended = laptop.post(
        f"/settings/security/sessions/{other}/end",
        data={"csrf_token": csrf_of(profile.text)},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert phone.get("/tickets", follow_redirects=False).status_code == 303
    assert laptop.get("/tickets").status_code == 200
    # Another agent's session is not found.
    colleague = signed_in(web_app, desk.colleague.email)
    theirs = max(row.id for row in _sessions(desk.services, desk.colleague.id))
    refused = laptop.post(
        f"/settings/security/sessions/{theirs}/end",
        data={"csrf_token": csrf_of(laptop.get("/tickets").text)},
    )
    assert refused.status_code == 404
    assert colleague.get("/tickets").status_code == 200


def _outbox(services: Services, address: str) -> list[Any]:
    with services.store.engine.connect() as conn:
        return list(
            conn.execute(
                select(t.outbox).where(t.outbox.c.to_addr == address).order_by(t.outbox.c.id)
            )
        )


def test_a_reset_link_is_mailed_through_the_outbox_and_works_once(
    web_app: FastAPI, desk: Desk
) -> None:
    old = signed_in(web_app, desk.agent.email)
    client = TestClient(web_app)
    form = client.get("/login/forgot")
    sent = client.post(
        "/login/forgot", data={"email": desk.agent.email, "csrf_token": csrf_of(form.text)}
    )
    assert sent.status_code == 200 and "a link to choose a new password is on its way" in sent.text
    [mail] = _outbox(desk.services, desk.agent.email)
    assert mail.kind == "password_reset" and mail.status == "queued" and mail.ticket_id is None
    assert mail.from_addr == desk.inbox.email
    link = re.search(r"http://frontdesk\.test(/login/reset/\S+)", mail.body)
    assert link is not None
    path = link.group(1)
    with desk.services.store.engine.connect() as conn:
        stored = conn.execute(select(t.password_resets.c.secret_hash)).scalars().all()
    assert path.rsplit(".", 1)[1] not in stored  # only a hash of the secret is kept
    page = client.get(path)
    assert page.status_code == 200
    weak = client.post(path, data={"password": "short", "csrf_token": csrf_of(page.text)})
    assert weak.status_code == 422
    done = client.post(
        path, data={"password": "a brand new passphrase", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
    assert client.get(path).status_code == 404  # once only
    assert old.get("/tickets", follow_redirects=False).status_code == 303  # sessions ended
    assert _login(TestClient(web_app), desk.agent.email, PASSWORD).status_code == 401
    assert (
        _login(TestClient(web_app), desk.agent.email, "a brand new passphrase").status_code == 303
    )


def test_an_unknown_address_gets_the_same_answer_and_no_mail(web_app: FastAPI, desk: Desk) -> None:
    client = TestClient(web_app)
    form = client.get("/login/forgot")
    address = desk.tenant.address("nobody")
    sent = client.post("/login/forgot", data={"email": address, "csrf_token": csrf_of(form.text)})
    assert sent.status_code == 200 and "is on its way" in sent.text
    assert _outbox(desk.services, address) == []
    assert client.get("/login/reset/0123456789abcdef." + "A" * 43).status_code == 404


def test_an_expired_reset_link_is_refused(web_app: FastAPI, desk: Desk) -> None:
    client = TestClient(web_app)
    form = client.get("/login/forgot")
    client.post(
        "/login/forgot", data={"email": desk.colleague.email, "csrf_token": csrf_of(form.text)}
    )
    [mail] = _outbox(desk.services, desk.colleague.email)
    path = re.search(r"(/login/reset/\S+)", mail.body).group(1)  # type: ignore[union-attr]
    with desk.services.store.engine.begin() as conn:
        conn.execute(
            update(t.password_resets)
            .where(t.password_resets.c.agent_id == desk.colleague.id)
            .values(expires=t.password_resets.c.created - 1)
        )
    assert client.get(path).status_code == 404


def test_another_accounts_ticket_is_a_404_page(
    web_app: FastAPI, desk: Desk, services: Services, other_tenant: Tenant
) -> None:
    theirs = make_desk(services, other_tenant).ticket("Their secret")
    client = signed_in(web_app, desk.agent.email)
    answer = client.get(f"/tickets/{theirs.id}")
    assert answer.status_code == 404 and "Page not found" in answer.text
    assert "Their secret" not in answer.text


@pytest.mark.parametrize(
    ("target", "lands"),
    [
        ("/tickets?view=mine", "/tickets?view=mine"),
        ("/tickets/7", "/tickets/7"),
        ("", "/tickets"),
        ("https://evil.example/", "/tickets"),
        ("//evil.example/", "/tickets"),
        ("/\\evil.example", "/tickets"),
        ("/\t/evil.example", "/tickets"),
        ("/\n/evil.example", "/tickets"),
    ],
)
def test_after_sign_in_only_paths_of_this_site(target: str, lands: str) -> None:
    from frontdesk.web.auth.routes import safe_next

    assert safe_next(target) == lands


def test_a_sent_reset_mail_keeps_no_copy_of_the_link(web_app: FastAPI, desk: Desk) -> None:
    from frontdesk.core.mail import outbox
    from frontdesk.core.shared.clock import now_ms

    client = TestClient(web_app)
    form = client.get("/login/forgot")
    client.post("/login/forgot", data={"email": desk.agent.email, "csrf_token": csrf_of(form.text)})
    with desk.services.store.engine.begin() as conn:  # as the worker's claim leaves it
        conn.execute(
            update(t.outbox).where(t.outbox.c.account_id == desk.tenant.id).values(status="sending")
        )
    with desk.services.store.write() as uow:
        [mail] = uow.mail.list_outbox(desk.tenant.id, ticket_id=None, status=None, limit=10)
        assert "/login/reset/" in mail.body
        assert outbox.mail_sent(uow, mail, now_ms())
    [row] = _outbox(desk.services, desk.agent.email)
    assert row.status == "sent" and "/login/reset/" not in row.body


def test_an_agent_chooses_the_language_and_time_zone(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    english = client.get("/tickets", headers={"Accept-Language": "en"})
    assert '<html lang="en"' in english.text
    saved = client.post(
        "/settings/profile",
        data={"locale": "sv", "time_zone": "America/New_York", "csrf_token": csrf_of(english.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    swedish = client.get("/tickets", headers={"Accept-Language": "en"})  # the profile wins
    assert '<html lang="sv"' in swedish.text and "Mina" in swedish.text
    with desk.services.store.read() as uow:
        stored = uow.accounts.get_agent(desk.tenant.id, desk.agent.id)
    assert stored is not None and (stored.locale, stored.time_zone) == ("sv", "America/New_York")
    for bad in ({"locale": "xx"}, {"time_zone": "Mars/Olympus_Mons"}):
        refused = client.post(
            "/settings/profile", data={**bad, "csrf_token": csrf_of(swedish.text)}
        )
        assert refused.status_code == 422
    back = client.post(
        "/settings/profile", data={"locale": "", "csrf_token": csrf_of(swedish.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert back.status_code == 303
    assert '<html lang="en"' in client.get("/tickets", headers={"Accept-Language": "en"}).text


def test_reset_requests_in_the_core_are_limited_and_recorded(desk: Desk) -> None:
    # kills request_reset's RateLimited code, message and retry_after mutants, the limits
    # read for another kind, address or IP, and its event without reset_id
    services, agent = desk.services, desk.agent
    policy = sessions.Policy(idle_ms=60_000, absolute_ms=600_000, failures_per_address=2,
                             failures_per_ip=100, window_ms=600_000, reset_ms=60_000)  # fmt: skip
    client = sessions.Client(ip=f"192.0.2.{desk.tenant.id % 250}")
    issued = []
    for _ in range(2):
        with services.store.write() as uow:
            issued += sessions.request_reset(uow, f" {agent.email.upper()} ", client, policy)
    assert len(issued) == 2
    with pytest.raises(RateLimited) as limited, services.store.write() as uow:
        sessions.request_reset(uow, agent.email, client, policy)
    assert (limited.value.code, limited.value.message) == (
        "too_many_resets",
        "Too many reset requests; try again later",
    )
    assert limited.value.retry_after > 0
    with services.store.engine.connect() as conn:
        logged = conn.execute(
            select(t.events.c.data).where(
                t.events.c.account_id == desk.tenant.id,
                t.events.c.kind == sessions.PASSWORD_RESET_REQUESTED,
            )
        ).scalars()
        assert sorted(json.loads(data)["reset_id"] for data in logged) == sorted(
            link.id for link in issued
        )


# -- the reset mail as the core queues it (core.mail.notices), read back from the outbox ---

# A base URL with a path ending in an upper-case X: `rstrip("/")` leaves `.../team-X`, a
# strip of any other characters (`"XX/XX"`, whitespace, the left end) would not.
RESET_BASE = "http://frontdesk.test/team-X/"
# Limits no test here reaches (the suite's tests share one client address).
RESET_POLICY = sessions.Policy(
    idle_ms=60_000,
    absolute_ms=600_000,
    failures_per_address=100,
    failures_per_ip=1_000_000,
    window_ms=600_000,
    reset_ms=3_600_000,
)


def _request_reset(services: Services, email: str, base_url: str = RESET_BASE) -> int:
    client = sessions.Client(ip="198.51.100.7")
    with services.store.write() as uow:
        return notices.request_password_reset(uow, email, client, RESET_POLICY, base_url)


def _account_outbox(services: Services, account_id: int) -> list[Any]:
    with services.store.engine.connect() as conn:
        return list(
            conn.execute(
                select(t.outbox).where(t.outbox.c.account_id == account_id).order_by(t.outbox.c.id)
            )
        )


def _reset_row(services: Services, agent_id: int) -> Any:
    with services.store.engine.connect() as conn:
        return conn.execute(
            select(t.password_resets).where(t.password_resets.c.agent_id == agent_id)
        ).one()


def test_the_reset_mail_is_queued_whole_from_the_accounts_first_inbox(desk: Desk) -> None:
    # kills _queue_reset_mail's subject, body, recipient and kind mutants (each argument of
    # LinkMail and _queue_link_mail dropped or None, the strings in other spellings) and
    # request_password_reset's rstrip("/") mutants (None, lstrip, "XX/XX")
    services, agent = desk.services, desk.agent
    with services.store.write() as uow:  # a later inbox: the mail still leaves from the first
        accounts.create_inbox(uow, desk.tenant.actor, "Sales", desk.tenant.address("sales"))
    assert _request_reset(services, f"  {agent.email.upper()} ") == 1
    [row] = _account_outbox(services, desk.tenant.id)
    reset = _reset_row(services, agent.id)
    prefix = "http://frontdesk.test/team-X/login/reset/"
    found = re.search(re.escape(prefix) + r"(\S+)", row.body)
    assert found is not None, row.body
    token = found.group(1)
    assert token.split(".")[0] == reset.public_id
    until = datetime.fromtimestamp(reset.expires / 1000, tz=UTC).strftime("%H:%M UTC")
    assert row.body == (
        "Hello Alva Lindqvist,\n\n"
        "someone (we hope you) asked to reset your Frontdesk password for Tenant A.\n"
        f"Choose a new password here (the link works once, until {until}):\n\n"
        f"{prefix}{token}\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    assert row.subject == "Reset your Frontdesk password"
    assert (row.kind, row.from_addr, row.to_addr, row.to_addrs) == (
        "password_reset",
        desk.inbox.email,
        agent.email,
        agent.email,
    )
    assert (row.ticket_id, row.message_id, row.status, row.attempts) == (None, None, "queued", 0)
    assert row.dedupe_key == f"password_reset:{reset.public_id}"
    assert row.email_message_id.endswith("@" + desk.inbox.email.rsplit("@", 1)[1] + ">")
    with services.store.read() as uow:  # the mailed link is the one that works
        assert sessions.check_reset(uow, token).agent_id == agent.id
    with services.store.engine.connect() as conn:
        queued = conn.execute(
            select(t.events.c.actor, t.events.c.data).where(
                t.events.c.account_id == desk.tenant.id, t.events.c.kind == "mail.queued"
            )
        ).all()
    assert [(actor, json.loads(data)) for actor, data in queued] == [
        (f"agent:{agent.id}", {"outbox_id": row.id, "kind": "password_reset"})
    ]


def test_a_reset_for_an_address_two_accounts_share_mails_each_of_its_agents(
    services: Services, tenant: Tenant, other_tenant: Tenant
) -> None:
    # kills request_password_reset's `queued = ...` and `queued -= ...` for `queued += ...`
    shared = tenant.address("shared")
    for each in (tenant, other_tenant):
        with services.store.write() as uow:
            accounts.create_inbox(uow, each.actor, "Support", each.address("support"))
            accounts.create_agent(uow, each.actor, AgentFields(name="Sam Delad", email=shared))
    assert _request_reset(services, shared, "http://frontdesk.test") == 2
    for each, name in ((tenant, "Tenant A"), (other_tenant, "Tenant B")):
        [row] = _account_outbox(services, each.id)
        assert (row.to_addr, row.from_addr) == (shared, each.address("support"))
        assert f"Frontdesk password for {name}.\n" in row.body
        assert "http://frontdesk.test/login/reset/" in row.body


def test_no_agent_or_no_inbox_queues_no_reset_mail(services: Services, tenant: Tenant) -> None:
    # kills request_password_reset's `queued = 0` mutants (None, 1): nothing queued is 0
    assert _request_reset(services, tenant.address("nobody")) == 0
    with services.store.write() as uow:  # an account with an agent and no inbox to send from
        lonely = accounts.create_agent(
            uow, tenant.actor, AgentFields(name="Lone", email=tenant.address("lone"))
        )
    assert _request_reset(services, lonely.email) == 0
    assert _account_outbox(services, tenant.id) == []
