"""Webhooks end to end: registered through the native API, queued with the change, sent by
the worker to a real receiver on loopback, signed, retried, in order, redelivered."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.app import create_app
from frontdesk.core import chat, tickets
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.tickets import NewMessage, NewTicket
from frontdesk.services import Services
from frontdesk.services.webhooks import WebhookWorker
from frontdesk.storage import tables as t
from tests.automation.conftest import (
    drain,
    feed,
    make_worker,
    open_ticket,
    pending,
    register,
    set_status,
)
from tests.automation.receiver import receiving
from tests.conftest import Tenant


def _deliveries(client: TestClient, tenant: Tenant, hook_id: int) -> list[dict[str, Any]]:
    got = client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=tenant.headers())
    assert got.status_code == 200, got.text
    items: list[dict[str, Any]] = got.json()["items"]
    return items


def test_a_receiver_gets_every_subscribed_event_once_and_signed(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["ticket.*", "message.added"])
        ticket = open_ticket(client, tenant)
        client.post(
            f"/api/v1/tickets/{ticket['id']}/messages",
            json={"body": "Any news?"},
            headers=tenant.headers(),
        )
        set_status(client, tenant, ticket["id"], "solved")
        drain(worker, services, hook["id"])

        wanted = [
            item
            for item in feed(client, tenant)
            if item["type"].startswith("ticket.") or item["type"] == "message.added"
        ]
        assert len(wanted) >= 4
        assert receiver.event_ids() == [item["id"] for item in wanted]  # each once, in order
        for got, event in zip(receiver.received, wanted, strict=True):
            assert got.signed_by(hook["secret"])
            assert not got.signed_by(hook["secret"] + "x")
            body = got.json
            assert body["id"] == event["id"] == int(got.headers["frontdesk-event-id"])
            assert body["type"] == event["type"] == got.headers["frontdesk-event-type"]
            assert body["account"]["id"] == tenant.id
            assert body["time"] == event["time"]
        by_type = {item.json["type"]: item.json for item in receiver.received}
        assert by_type["ticket.opened"]["object"]["subject"] == "Order"
        assert by_type["message.added"]["object"]["body"] == "Any news?"
        assert by_type["ticket.status_changed"]["data"]["after"] == "solved"
        assert "contact.created" not in by_type  # not subscribed
        logged = _deliveries(client, tenant, hook["id"])
        assert {item["status"] for item in logged} == {"delivered"}
        assert all(item["log"][0]["response_code"] == 200 for item in logged)


def test_a_receiver_down_for_a_while_gets_each_event_once_in_order_per_ticket(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["ticket.*"])
        receiver.down()  # the port now refuses connections
        first = open_ticket(client, tenant, "First")
        second = open_ticket(client, tenant, "Second")
        for status in ("pending", "on-hold", "solved"):
            set_status(client, tenant, first["id"], status)
            set_status(client, tenant, second["id"], status)
        for _round in range(4):
            worker.run_once()
        assert receiver.received == []
        waiting = _deliveries(client, tenant, hook["id"])
        assert pending(services, hook["id"]) == len(waiting)
        tried = [item for item in waiting if item["attempts"] > 0]
        assert tried and all(item["log"][-1]["outcome"] == "retry" for item in tried)
        # While a ticket's first delivery waits, its later ones are not even tried.
        assert {item["ticket_id"] for item in tried} == {first["id"], second["id"]}
        assert len(tried) == 2

        receiver.script = [503, 429]  # back, but busy at first: two more retries
        receiver.up()
        drain(worker, services, hook["id"])

        events = feed(client, tenant, type="ticket.*")
        assert sorted(receiver.event_ids()) == [item["id"] for item in events]  # once each
        for ticket in (first, second):
            order = [
                item.json["id"]
                for item in receiver.received
                if item.json["ticket_id"] == ticket["id"]
            ]
            assert order == sorted(order) and len(order) == 4
        statuses = [item.json["data"].get("after") for item in receiver.received]
        assert statuses.count("solved") == 2


def test_a_rolled_back_change_sends_nothing(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["ticket.*", "message.*", "contact.*"])
        new = NewTicket(
            subject="Never",
            message=NewMessage(body_text="gone"),
            requester_email=tenant.address("bob"),
        )

        def fail_after_the_change() -> None:
            with services.store.write() as uow:
                tickets.open_ticket(uow, tenant.actor, new)
                raise RuntimeError("the change fails after the ticket was written")

        with pytest.raises(RuntimeError):
            fail_after_the_change()
        drain(worker, services, hook["id"])
        worker.run_once()
        assert receiver.received == []
        assert _deliveries(client, tenant, hook["id"]) == []
        assert not any(item["type"] == "ticket.opened" for item in feed(client, tenant))
        # The same change committed is delivered: the test above could not pass by accident.
        open_ticket(client, tenant)
        drain(worker, services, hook["id"])
        assert "ticket.opened" in {item.json["type"] for item in receiver.received}


def test_chat_events_carry_the_conversation_as_the_chat_endpoints_show_it(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    h = tenant.headers()
    agent = client.post(
        "/api/v1/agents", json={"name": "Agnes", "email": tenant.address("agnes")}, headers=h
    ).json()
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["chat.*"])
        with services.store.write() as uow:
            opened = chat.open_conversation(uow, tenant.id, VisitorInfo(city="Oslo"), None)
            public_id = opened.conversation.public_id
            visitor = chat.visitor_actor(opened.conversation)
            chat.post_visitor_message(uow, visitor, public_id, "Hello there")
        base = f"/api/v1/chat/conversations/{public_id}"
        for step in ("join", "close"):
            done = client.post(f"{base}/{step}", json={"agent_id": agent["id"]}, headers=h)
            assert done.status_code == 200, done.text
        client.put(f"{base}/tags", json={"tags": ["vip"]}, headers=h).raise_for_status()
        ann = client.post(
            "/api/v1/contacts", json={"email": tenant.address("ann")}, headers=h
        ).json()
        linked = client.put(f"{base}/contact", json={"contact_id": ann["id"]}, headers=h)
        assert linked.status_code == 200, linked.text
        client.post(
            "/api/v1/chat/page-filters",
            json={"search_name": "Shop", "search_filter": "shop"},
            headers=h,
        ).raise_for_status()
        drain(worker, services, hook["id"])

        bodies = [item.json for item in receiver.received]
        assert receiver.event_ids() == [e["id"] for e in feed(client, tenant, type="chat.*")]
        about = [body for body in bodies if body["type"] != "chat.page_filter"]
        assert {
            "chat.opened", "chat.message", "chat.changed", "chat.visitor", "chat.contact_set"
        } <= {body["type"] for body in about}  # fmt: skip
        for body in about:
            shown = body["object"]
            assert shown["conversation_id"] == public_id, body["type"]
            assert shown["visitor"]["city"] == "Oslo"
            assert "messages" not in shown  # as a ticket's body leaves out its thread
        said = next(
            body for body in about
            if body["type"] == "chat.message" and body["data"]["message"]["sender"] == "visitor"
        )  # fmt: skip
        assert said["data"]["message"]["body"] == "Hello there"
        assert said["object"]["status"] == "closed"  # rendered when first tried: after the close
        changes = [body for body in about if body["type"] == "chat.changed"]
        assert [body["data"]["status"] for body in changes] == ["waiting", "active", "closed"]
        assert changes[-1]["object"]["agent_id"] == agent["id"]
        assert changes[-1]["object"]["tags"] == ["vip"]
        # What the native API shows, field for field (its transcript aside).
        shown_now = client.get(base, headers=h).json()
        shown_now.pop("messages")
        assert changes[-1]["object"] == shown_now
        (filtered,) = [body for body in bodies if body["type"] == "chat.page_filter"]
        assert filtered["object"] is None  # about no conversation


def test_a_private_address_is_refused_unless_the_operator_allows_it(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    strict = make_worker(services, allow_private_webhooks=False)
    try:
        with receiving() as receiver:
            hook = register(client, tenant, receiver.url, ["ticket.opened"])
            open_ticket(client, tenant)
            drain(strict, services, hook["id"])
            assert receiver.received == []
            [refused] = _deliveries(client, tenant, hook["id"])
            assert refused["status"] == "failed"
            assert "address_not_allowed" in refused["last_error"]
            assert refused["log"][0]["outcome"] == "failed"

            # Allowed, the same delivery goes through when redelivered.
            allowed = make_worker(services)
            again = client.post(
                f"/api/v1/webhooks/deliveries/{refused['id']}/redeliver", headers=tenant.headers()
            )
            assert again.status_code == 200 and again.json()["status"] == "queued"
            drain(allowed, services, hook["id"])
            allowed.stop()
            assert len(receiver.received) == 1
    finally:
        strict.stop()


def test_registration_refuses_a_private_address_by_default(
    services: Services, tenant: Tenant
) -> None:
    """The native API checks the address as the settings screen does (services.webhooks
    .check_target): an endpoint on loopback is refused when it is registered or moved there,
    in the native error shape, and nothing is stored."""
    strict = TestClient(create_app(services=services))  # the suite's settings: not allowed
    assert services.settings.allow_private_webhooks is False
    refused = strict.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["ticket.opened"]},
        headers=tenant.headers(),
    )
    assert refused.status_code == 422, refused.text
    assert "address_not_allowed" in refused.text
    assert strict.get("/api/v1/webhooks", headers=tenant.headers()).json() == []
    made = strict.post(
        "/api/v1/webhooks",
        json={"url": "https://93.184.215.14/hook", "event_types": ["ticket.opened"]},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    moved = strict.patch(
        f"/api/v1/webhooks/{made.json()['id']}",
        json={"url": "http://[::1]:9/hook"},
        headers=tenant.headers(),
    )
    assert moved.status_code == 422 and "address_not_allowed" in moved.text
    kept = strict.get(f"/api/v1/webhooks/{made.json()['id']}", headers=tenant.headers())
    assert kept.json()["url"] == "https://93.184.215.14/hook"


def test_redelivery_sends_the_same_event_again(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["ticket.opened"])
        open_ticket(client, tenant)
        drain(worker, services, hook["id"])
        [delivered] = _deliveries(client, tenant, hook["id"])
        assert delivered["status"] == "delivered"
        again = client.post(
            f"/api/v1/webhooks/deliveries/{delivered['id']}/redeliver", headers=tenant.headers()
        )
        assert again.status_code == 200
        drain(worker, services, hook["id"])
        first, second = receiver.received
        assert first.body == second.body  # the same bytes, so the same event id
        assert first.headers["frontdesk-event-id"] == second.headers["frontdesk-event-id"]
        assert second.signed_by(hook["secret"])
        [logged] = _deliveries(client, tenant, hook["id"])
        assert logged["status"] == "delivered" and len(logged["log"]) == 2


def test_a_refusal_fails_at_once_and_an_inbox_filter_holds(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    inbox = client.post(
        "/api/v1/inboxes",
        json={"name": "Sales", "email": tenant.address("sales")},
        headers=tenant.headers(),
    ).json()
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["ticket.opened"], inbox_id=inbox["id"])
        open_ticket(client, tenant, "No inbox")
        made = client.post(
            "/api/v1/tickets",
            json={
                "subject": "Sales",
                "message": {"body": "hi"},
                "requester_email": tenant.address("cy"),
                "inbox_id": inbox["id"],
            },
            headers=tenant.headers(),
        )
        assert made.status_code == 201
        receiver.script = [410]
        drain(worker, services, hook["id"])
        [only] = _deliveries(client, tenant, hook["id"])
        assert only["ticket_id"] == made.json()["id"]
        assert only["status"] == "failed" and only["response_code"] == 410
        assert len(only["log"]) == 1  # a 4xx is not retried
        assert receiver.received == []


def test_an_endpoint_failing_for_a_day_is_switched_off_and_admins_are_told(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    client.post(
        "/api/v1/inboxes",
        json={"name": "Support", "email": tenant.address("support")},
        headers=tenant.headers(),
    )
    owner = client.post(
        "/api/v1/agents",
        json={"name": "Olga", "email": tenant.address("olga"), "role": "owner"},
        headers=tenant.headers(),
    ).json()
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["ticket.opened"])
        receiver.script = [500, 500]
        open_ticket(client, tenant)
        worker.run_once()  # the first failure starts the clock
        we = t.webhook_endpoints
        with services.store.write() as uow:
            uow.conn.execute(we.update().where(we.c.id == hook["id"]).values(failing_since=1_000))
        for _round in range(50):
            if worker.run_once():
                break
        got = client.get(f"/api/v1/webhooks/{hook['id']}", headers=tenant.headers()).json()
        assert got["active"] is False and "failed" in got["disabled_reason"]
        assert [item["type"] for item in feed(client, tenant, type="webhook.disabled")] == [
            "webhook.disabled"
        ]
        ob = t.outbox
        with services.store.read() as uow:
            mails = uow.conn.execute(
                select(ob.c.to_addr, ob.c.subject).where(ob.c.account_id == tenant.id)
            ).all()
        assert [(row.to_addr, receiver.url in row.subject) for row in mails] == [
            (owner["email"], True)
        ]
        # Off, nothing is claimed; switched back on, the waiting delivery goes out at once,
        # not after the backoff it was waiting out.
        assert worker.run_once() == 0 or receiver.received == []
        wd = t.webhook_deliveries
        with services.store.write() as uow:
            uow.conn.execute(
                wd.update().where(wd.c.endpoint_id == hook["id"]).values(next_attempt=2**60)
            )
        on = client.patch(
            f"/api/v1/webhooks/{hook['id']}", json={"active": True}, headers=tenant.headers()
        )
        assert on.json()["active"] is True and on.json()["failing_since"] is None
        drain(worker, services, hook["id"])
        assert len(receiver.received) == 1
