"""A split's new ticket is a created ticket in the event log, on both databases: its
`ticket.opened` (saying which ticket it came from), its inherited labels and status, and so
reports, triggers, SLA clocks, the event feed and webhooks see it (docs/inboxops.md,
"Merge and split"; docs/automation.md)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from frontdesk.core import tickets
from frontdesk.core.automation import reports
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.reports import ReportQuery
from frontdesk.core.automation.sla import Targets
from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Match, RuleKind
from frontdesk.core.tickets import threads
from frontdesk.core.tickets.records import MessageKind, Priority, Status
from frontdesk.services import Services
from frontdesk.services.webhooks import WebhookWorker
from tests.automation.conftest import Clock, drain, feed, open_ticket, register
from tests.automation.receiver import receiving
from tests.conftest import Tenant
from tests.core import helpers
from tests.unit.test_calendars import utc

MINUTE = 60_000


def _events(tenant: Tenant, ticket_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    with tenant.services.store.read() as uow:
        return uow.events.list_events(tenant.id, ticket_id)


def _split(tenant: Tenant, ticket_id: int, message_ids: list[int]) -> tickets.Ticket:
    with tenant.services.store.write() as uow:
        return threads.split(
            uow, tenant.actor, ticket_id, message_ids, "Second question"
        ).new_ticket


def test_the_new_ticket_records_its_opening_labels_and_status(tenant: Tenant) -> None:
    agent = helpers.add_agent(tenant, "Maja")
    source = helpers.open_ticket(tenant, labels=("vip",), tags=("eu",))
    question = helpers.reply(tenant, source.id, "And my invoice?")
    helpers.reply(tenant, source.id, "Looking into it", agent_id=agent.id)  # source: pending

    new = _split(tenant, source.id, [question])

    recorded = _events(tenant, new.id)
    kinds = [kind for kind, _actor, _data in recorded]
    assert kinds[0] == "ticket.opened"
    _, actor, data = recorded[0]
    assert actor == tenant.actor.label  # opened by whoever split
    assert data == {
        "number": new.number, "split_from": source.id, "split_from_number": source.number,
    }  # fmt: skip
    assert ("ticket.labels_set", {"values": ["vip"]}) in [(k, d) for k, _, d in recorded]
    assert ("ticket.tags_set", {"values": ["eu"]}) in [(k, d) for k, _, d in recorded]
    assert helpers.status_changes(tenant, new.id) == [("new", "pending")]
    assert new.status is Status.PENDING
    split = [d for k, _, d in _events(tenant, source.id) if k == "ticket.split"]
    assert split == [{"new_ticket_id": new.id, "moved": 1}]


def test_a_split_from_a_new_ticket_records_no_status_change(tenant: Tenant) -> None:
    source = helpers.open_ticket(tenant)
    question = helpers.reply(tenant, source.id, "And my invoice?")
    new = _split(tenant, source.id, [question])
    assert new.status is Status.NEW
    assert helpers.status_changes(tenant, new.id) == []  # as a ticket a customer opened
    assert next(kind for kind, _, _ in _events(tenant, new.id)) == "ticket.opened"


def test_reports_count_the_new_ticket_from_the_split(tenant: Tenant, clock: Clock) -> None:
    """T1 opened 09:00, answered 09:30. The customer asks again at 10:00, answered 10:10;
    at 10:20 both are split off into T2, answered there 10:40, solved 11:20. T2: created at
    the split, first response 20 min (the 10:10 reply is older than T2 and answered T1),
    resolution 60 min. First responses [20, 30]: median 20, p90 30."""
    agent = helpers.add_agent(tenant, "Maja")

    def answer(ticket_id: int) -> int:
        return helpers.reply(tenant, ticket_id, "On it", agent_id=agent.id)

    clock.at("2026-11-23 09:00")
    t1 = helpers.open_ticket(tenant).id
    clock.at("2026-11-23 09:30")
    answer(t1)
    clock.at("2026-11-23 10:00")
    question = helpers.reply(tenant, t1, "And my invoice?")
    clock.at("2026-11-23 10:10")
    early = answer(t1)
    clock.at("2026-11-23 10:20")
    t2 = _split(tenant, t1, [question, early]).id
    clock.at("2026-11-23 10:40")
    answer(t2)
    clock.at("2026-11-23 11:20")
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, t2, Status.SOLVED)

    day = ReportQuery(start=utc("2026-11-23 00:00"), end=utc("2026-11-24 00:00"))
    with tenant.services.store.read() as uow:
        figures = reports.report(uow, tenant.actor, day)
    assert figures.created == 2
    assert figures.solved == 1
    assert (figures.first_response.count, figures.first_response.median) == (2, 20 * MINUTE)
    assert figures.first_response.p90 == 30 * MINUTE
    assert (figures.resolution.count, figures.resolution.median) == (1, 60 * MINUTE)


def test_the_new_tickets_sla_clocks_start_at_the_split(tenant: Tenant, clock: Clock) -> None:
    with tenant.services.store.write() as uow:
        targets = {Priority.NORMAL: Targets(first_response=60)}
        sl.create_policy(uow, tenant.actor, sl.PolicyFields("Standard", targets))
    clock.at("2026-11-23 09:00")
    source = helpers.open_ticket(tenant)
    question = helpers.reply(tenant, source.id, "And my invoice?")
    clock.at("2026-11-23 10:00")
    new = _split(tenant, source.id, [question])
    with tenant.services.store.read() as uow:
        clocks = uow.sla.ticket_states([new.id])
    assert new.id in clocks
    assert clocks[new.id].due == utc("2026-11-23 11:00")


def test_ticket_created_triggers_fire_for_the_new_ticket(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        fields = RuleFields(
            "Welcome", Match.ALL, (Condition("event", "is", "ticket.opened"),),
            (Action("add_labels", ("triaged",)),),
        )  # fmt: skip
        define.create_rule(uow, tenant.actor, RuleKind.TRIGGER, fields)
    source = helpers.open_ticket(tenant)
    question = helpers.reply(tenant, source.id, "And my invoice?")
    with tenant.services.store.write() as uow:  # so that the new ticket cannot inherit it
        tickets.set_labels(uow, tenant.actor, source.id, [])
    new = _split(tenant, source.id, [question])
    with tenant.services.store.read() as uow:
        labels = uow.tickets.ticket_details([source.id, new.id])
    assert labels[new.id].labels == ("triaged",)
    assert labels[source.id].labels == ()
    fired = [d["rule"] for k, _, d in _events(tenant, new.id) if k == "rule.fired"]
    assert fired == ["Welcome"]


def test_the_feed_and_webhooks_tell_of_the_new_ticket(
    client: TestClient, tenant: Tenant, services: Services, worker: WebhookWorker
) -> None:
    with receiving() as receiver:
        hook = register(client, tenant, receiver.url, ["ticket.opened"])
        source = open_ticket(client, tenant)
        added = client.post(
            f"/api/v1/tickets/{source['id']}/messages",
            json={"body": "And my invoice?"},
            headers=tenant.headers(),
        )
        assert added.status_code == 201, added.text
        with services.store.read() as uow:
            thread = uow.tickets.list_messages(source["id"])
        question = [m.id for m in thread if m.kind is not MessageKind.LOG][-1]
        made = client.post(
            f"/api/v1/tickets/{source['id']}/split",
            json={"message_ids": [question], "subject": "Invoice"},
            headers=tenant.headers(),
        )
        assert made.status_code == 201, made.text
        new_id = made.json()["ticket"]["id"]
        drain(worker, services, hook["id"])

        opened = feed(client, tenant, type="ticket.opened")
        assert [item["ticket_id"] for item in opened] == [source["id"], new_id]
        assert opened[1]["data"]["split_from"] == source["id"]
        assert opened[1]["data"]["split_from_number"] == source["number"]
        sent = [got.json for got in receiver.received]
        assert [body["ticket_id"] for body in sent] == [source["id"], new_id]
        assert sent[1]["data"]["split_from"] == source["id"]
        assert sent[1]["object"]["subject"] == "Invoice"
