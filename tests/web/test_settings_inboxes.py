"""Settings, Inboxes over HTTP, on both databases: add and change an inbox, set its IMAP
mailbox (the password stored sealed, never shown); form errors; role and tenancy."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Inbox
from frontdesk.core.shared.clock import now_ms
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _inboxes(desk: Desk) -> list[Inbox]:
    with desk.services.store.read() as uow:
        return accounts.list_inboxes(uow, desk.tenant.actor)


def test_an_admin_adds_and_changes_an_inbox(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/inboxes").text)
    address = desk.tenant.address("sales")
    made = admin.post("/settings/inboxes", data={"csrf_token": token, "name": "Sales",
                      "email": address}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    [sales] = [inbox for inbox in _inboxes(desk) if inbox.email == address]
    changed = admin.post(f"/settings/inboxes/{sales.id}", data={"csrf_token": token,
                         "name": "Sales team", "email": address,
                         "auto_reply": "Thanks, we will answer within a day."})  # fmt: skip
    assert changed.status_code == 200 and "Sales team" in changed.text
    [sales] = [inbox for inbox in _inboxes(desk) if inbox.id == sales.id]
    assert sales.name == "Sales team" and sales.auto_reply == "Thanks, we will answer within a day."


def test_a_taken_or_bad_address_is_a_form_error_and_changes_nothing(
    web_app: FastAPI, desk: Desk
) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/inboxes").text)
    before = _inboxes(desk)
    taken = admin.post("/settings/inboxes", data={"csrf_token": token, "name": "Again",
                       "email": desk.inbox.email})  # fmt: skip
    assert taken.status_code == 409 and "Another inbox has that address" in taken.text
    bad = admin.post(f"/settings/inboxes/{desk.inbox.id}", data={"csrf_token": token,
                     "name": "Support", "email": "nope"})  # fmt: skip
    assert bad.status_code == 422 and "not a valid e-mail address" in bad.text
    assert _inboxes(desk) == before


def test_the_mailbox_password_is_sealed_and_never_shown(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get(f"/settings/inboxes/{desk.inbox.id}").text)
    form = {"csrf_token": token, "host": "imap.example.com", "port": "993", "tls": "1",
            "username": "support", "password": "hunter2-imap", "folder": "INBOX",
            "enabled": "1"}  # fmt: skip
    saved = admin.post(f"/settings/inboxes/{desk.inbox.id}/imap", data=form)
    assert saved.status_code == 200 and "The mailbox is saved" in saved.text
    assert "hunter2-imap" not in saved.text and 'value="imap.example.com"' in saved.text
    with desk.services.store.read() as uow:
        stored = uow.mail.get_imap(desk.tenant.id, desk.inbox.id)
    assert stored is not None and "hunter2-imap" not in stored.password
    bad_port = admin.post(f"/settings/inboxes/{desk.inbox.id}/imap", data={**form, "port": "0"})
    assert bad_port.status_code == 422 and "A port is a number" in bad_port.text


def test_agents_and_other_accounts_are_kept_out(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    other = make_desk(desk.services, other_tenant)
    agent = signed_in(web_app, desk.agent.email)
    token = csrf_of(agent.get("/settings/profile").text)
    assert agent.get("/settings/inboxes").status_code == 403
    renamed = agent.post(f"/settings/inboxes/{desk.inbox.id}", data={"csrf_token": token,
                         "name": "Mine", "email": desk.inbox.email})  # fmt: skip
    assert renamed.status_code == 403
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/inboxes").text)
    assert admin.get(f"/settings/inboxes/{other.inbox.id}").status_code == 404
    foreign = admin.post(f"/settings/inboxes/{other.inbox.id}", data={"csrf_token": token,
                         "name": "Taken over", "email": other.inbox.email})  # fmt: skip
    assert foreign.status_code == 404
    assert admin.post(f"/settings/inboxes/{other.inbox.id}/imap/test",
                      data={"csrf_token": token}).status_code == 404  # fmt: skip
    assert [i.name for i in _inboxes(desk)] == ["Support"]


def _failed_mail(desk: Desk, subject: str, reason: str) -> int:
    """A mail from the desk's inbox that the relay refused for good."""
    now = now_ms()
    with desk.services.store.write() as uow:
        outbox_id = uow.mail.queue_mail({
            "account_id": desk.tenant.id, "ticket_id": None, "message_id": None,
            "kind": "notification", "from_addr": desk.inbox.email,
            "to_addr": "cora@example.com", "to_addrs": "cora@example.com",
            "subject": subject, "body": "Hello", "email_message_id": f"<{subject}@test>",
            "status": "queued", "attempts": 0, "next_attempt": now, "created": now,
            "dedupe_key": f"test:{subject}",
        })  # fmt: skip
    assert outbox_id is not None
    with desk.services.store.engine.begin() as conn:
        conn.execute(
            update(t.outbox).where(t.outbox.c.id == outbox_id)
            .values(status="failed", attempts=5, last_error=reason)
        )  # fmt: skip
    return outbox_id


def test_the_relay_status_shows_failures_with_their_reason_and_retries_one(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    failed = _failed_mail(desk, f"Invoice {desk.tenant.tag}", "550 5.1.1 No such user")
    admin = signed_in(web_app, admin_of(desk))
    page = admin.get(f"/settings/inboxes/{desk.inbox.id}")
    assert "550 5.1.1 No such user" in page.text and "Waiting to be sent: 0." in page.text
    token = csrf_of(page.text)
    retry = f"/settings/inboxes/{desk.inbox.id}/mail/{failed}/retry"
    assert admin.post(retry, data={"csrf_token": token}).status_code == 200
    with desk.services.store.read() as uow:
        mail = uow.mail.get_outbox(desk.tenant.id, failed)
    assert mail is not None and mail.status == "queued" and mail.attempts == 0
    assert "Waiting to be sent: 1." in admin.get(f"/settings/inboxes/{desk.inbox.id}").text
    assert admin.post(retry, data={"csrf_token": token}).status_code == 409  # not failed now

    other = make_desk(desk.services, other_tenant)
    theirs = _failed_mail(other, f"Theirs {other.tenant.tag}", "550 refused")
    foreign = f"/settings/inboxes/{desk.inbox.id}/mail/{theirs}/retry"
    assert admin.post(foreign, data={"csrf_token": token}).status_code == 404
    agent = signed_in(web_app, desk.agent.email)
    agent_token = csrf_of(agent.get("/settings/profile").text)
    assert agent.post(foreign, data={"csrf_token": agent_token}).status_code == 403
    with desk.services.store.read() as uow:
        assert uow.mail.get_outbox(other.tenant.id, theirs).status == "failed"  # type: ignore[union-attr]
