"""Triggers on a real unit of work, both databases: conditions, order, no loops, failures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from sqlalchemy import text

from frontdesk.core import tickets
from frontdesk.core.automation.webhooks import EndpointFields, create_endpoint
from frontdesk.core.identity import accounts
from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Match, Rule, RuleKind
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.records import MessageKind, Priority, Status
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket
from tests.statements import counted


def trigger(tenant: Tenant, name: str, conditions: list[Condition], actions: list[Action],
            match: Match = Match.ALL) -> Rule:  # fmt: skip
    with tenant.services.store.write() as uow:
        fields = RuleFields(name, match, tuple(conditions), tuple(actions))
        return define.create_rule(uow, tenant.actor, RuleKind.TRIGGER, fields)


def state(tenant: Tenant, ticket_id: int) -> tuple[tickets.Ticket, tickets.Thread]:
    with tenant.services.store.read() as uow:
        thread = tickets.load_thread(uow, tenant.actor, ticket_id)
        return thread.ticket, thread


def logs(thread: tickets.Thread) -> list[str]:
    return [m.body_text for m in thread.messages if m.kind is MessageKind.LOG]


def fired(tenant: Tenant, ticket_id: int) -> list[str]:
    with tenant.services.store.read() as uow:
        return [
            str(data["rule"])
            for kind, _actor, data in uow.events.list_events(tenant.id, ticket_id)
            if kind == "rule.fired"
        ]


OPENED = Condition("event", "is", "ticket.opened")


def test_billing_mail_gets_its_label_and_goes_to_maja(tenant: Tenant) -> None:
    maja = add_agent(tenant, "Maja")
    trigger(
        tenant,
        "Billing to Maja",
        [OPENED, Condition("subject", "contains", ("invoice", "refund"))],
        [Action("add_labels", ("billing",)), Action("assign", str(maja.id)),
         Action("set_priority", "high")],
    )  # fmt: skip
    billing = open_ticket(tenant, subject="Question about my INVOICE")
    other = open_ticket(tenant, subject="Password reset")
    ticket, thread = state(tenant, billing.id)
    assert thread.details.labels == ("billing",)
    assert thread.details.assignee_ids == (maja.id,)
    assert ticket.priority is Priority.HIGH
    assert "Rule “Billing to Maja” ran" in logs(thread)
    _, untouched = state(tenant, other.id)
    assert untouched.details.labels == ()
    assert untouched.details.assignee_ids == ()


def test_chained_triggers_fire_each_once_and_never_loop(tenant: Tenant) -> None:
    # A sets "vip"; B reacts to "vip" and sets "escalated"; C reacts to "escalated" and
    # sets "vip" again (a cycle A -> B -> C -> ...). Each fires once, in order.
    trigger(tenant, "A", [OPENED], [Action("add_labels", ("vip",))])
    trigger(
        tenant, "B", [Condition("labels", "has", ("vip",))], [Action("add_labels", ("escalated",))]
    )
    trigger(tenant, "C", [Condition("labels", "has", ("escalated",))],
            [Action("remove_labels", ("vip",)), Action("add_tags", ("seen-by-c",))])  # fmt: skip
    ticket = open_ticket(tenant)
    assert fired(tenant, ticket.id) == ["A", "B", "C"]
    _, thread = state(tenant, ticket.id)
    assert thread.details.labels == ("escalated",)  # C removed vip, and A did not run again
    assert thread.details.tags == ("seen-by-c",)


def test_triggers_run_in_their_position_order(tenant: Tenant) -> None:
    first = trigger(tenant, "Set low", [OPENED], [Action("set_priority", "low")])
    second = trigger(tenant, "Set urgent", [OPENED], [Action("set_priority", "urgent")])
    ticket = open_ticket(tenant)
    assert state(tenant, ticket.id)[0].priority is Priority.URGENT  # the later one wins
    with tenant.services.store.write() as uow:
        define.reorder(uow, tenant.actor, RuleKind.TRIGGER, [second.id, first.id])
    ticket = open_ticket(tenant)
    assert fired(tenant, ticket.id) == ["Set urgent", "Set low"]
    assert state(tenant, ticket.id)[0].priority is Priority.LOW


def test_any_matches_one_condition_all_needs_every_one(tenant: Tenant) -> None:
    either = [
        Condition("requester_domain", "is", "acme.test"),
        Condition("subject", "contains", "urgent"),
    ]
    trigger(tenant, "Any", [OPENED, *either][1:], [Action("add_tags", ("any",))], Match.ANY)
    trigger(tenant, "All", either, [Action("add_tags", ("all",))], Match.ALL)
    only_domain = open_ticket(tenant, subject="Hello", requester_email="bo@ACME.test")
    both = open_ticket(tenant, subject="Urgent!", requester_email="al@acme.test")
    neither = open_ticket(tenant, subject="Hello", requester_email="x@other.test")
    assert state(tenant, only_domain.id)[1].details.tags == ("any",)
    assert set(state(tenant, both.id)[1].details.tags) == {"any", "all"}
    assert state(tenant, neither.id)[1].details.tags == ()


def test_body_field_status_and_channel_conditions(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        tickets.taxonomy.create_named(uow, tenant.actor, "custom_field", "Plan")
    trigger(
        tenant,
        "Enterprise reply",
        [Condition("event", "is", "message.added"), Condition("body", "contains", "cancel"),
         Condition("field:Plan", "is", "enterprise"), Condition("channel", "is", "api"),
         Condition("status", "is_not", ("solved", "closed"))],
        [Action("note", "Careful: {{requester.email}} may cancel #{{ticket.number}}")],
    )  # fmt: skip
    ticket = open_ticket(tenant, body="hello")
    with tenant.services.store.write() as uow:
        tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Plan": "Enterprise"})
    with tenant.services.store.write() as uow:
        tickets.add_message(uow, tenant.actor, ticket.id, tickets.NewMessage("I want to CANCEL"))
    _, thread = state(tenant, ticket.id)
    notes = [m.body_text for m in thread.messages if m.kind is MessageKind.INTERNAL]
    assert notes == [f"Careful: {tenant.address('customer')} may cancel #{ticket.number}"]


def test_business_hours_default_calendar_is_always_open(tenant: Tenant) -> None:
    trigger(
        tenant,
        "Open",
        [OPENED, Condition("business_hours", "is", True)],
        [Action("add_tags", ("in",))],
    )
    trigger(
        tenant,
        "Closed",
        [OPENED, Condition("business_hours", "is", False)],
        [Action("add_tags", ("out",))],
    )
    ticket = open_ticket(tenant)
    assert state(tenant, ticket.id)[1].details.tags == ("in",)


def test_a_refused_action_undoes_only_its_trigger(tenant: Tenant) -> None:
    # The custom field "Gone" is deleted after the rule was written (saving the rule checks
    # that the field exists).
    with tenant.services.store.write() as uow:
        gone = tickets.taxonomy.create_named(uow, tenant.actor, "custom_field", "Gone")
    trigger(tenant, "Tag first", [OPENED], [Action("add_tags", ("kept",))])
    trigger(tenant, "Broken", [OPENED],
            [Action("add_labels", ("undone",)), Action("set_field", ("Gone", "x"))])  # fmt: skip
    with tenant.services.store.write() as uow:
        tickets.taxonomy.delete_named(uow, tenant.actor, "custom_field", gone.id)
    ticket = open_ticket(tenant)
    _, thread = state(tenant, ticket.id)
    assert thread.details.tags == ("kept",)
    assert thread.details.labels == ()  # the broken trigger's first action was undone too
    assert "Rule “Broken” could not run: No custom field named 'Gone'" in logs(thread)
    assert fired(tenant, ticket.id) == ["Tag first"]


def test_webhook_action_queues_the_rule_event_for_that_endpoint(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        endpoint = create_endpoint(
            uow, tenant.actor,
            EndpointFields(url="https://hooks.example.com/x", event_types=("chat.*",)), "sealed",
        )  # fmt: skip
    trigger(tenant, "Hook", [OPENED], [Action("webhook", str(endpoint.id))])
    ticket = open_ticket(tenant)
    with tenant.services.store.read() as uow:
        deliveries = uow.webhooks.list_deliveries(
            tenant.id, endpoint.id, before_id=2**31 - 1, limit=10
        )
    assert [(d.kind, d.ticket_id) for d in deliveries] == [("rule.fired", ticket.id)]


def test_notify_action_tells_the_named_agents(tenant: Tenant) -> None:
    lead = add_agent(tenant, "Lead")
    trigger(tenant, "Tell lead", [OPENED, Condition("priority", "is", "urgent")],
            [Action("notify", (str(lead.id),))])  # fmt: skip
    ticket = open_ticket(tenant, priority=Priority.URGENT)
    open_ticket(tenant, priority=Priority.LOW)  # no rule notification for this one
    with tenant.services.store.read() as uow:
        shown = uow.notify.shown(lead.id, after_id=None, limit=10)
    told = [s.notification.ticket_id for s in shown if s.notification.kind.value == "rule"]
    assert told == [ticket.id]


def test_reply_action_mails_the_requester_through_the_outbox(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
    trigger(
        tenant,
        "Ack",
        [OPENED],
        [Action("reply", "Hi {{requester.email}}, we got #{{ticket.number}}.")],
    )
    ticket = open_ticket(tenant, inbox_id=inbox.id)
    ticket_now, thread = state(tenant, ticket.id)
    replies = [
        m for m in thread.messages if m.kind is MessageKind.EXTERNAL and m.contact_id is None
    ]
    assert [m.body_text for m in replies] == [
        f"Hi {tenant.address('customer')}, we got #{ticket.number}."
    ]
    assert replies[0].to == (tenant.address("customer"),)
    assert ticket_now.status is Status.PENDING
    with tenant.services.store.read() as uow:
        queued = (
            uow.conn.execute(
                text("SELECT to_addr FROM outbox WHERE ticket_id = :t"), {"t": ticket.id}
            )
            .scalars()
            .all()
        )
    assert queued == [tenant.address("customer")]


def test_rules_are_checked_when_saved_and_scoped_to_the_account(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant.services.store.write() as uow:
        with pytest.raises(Invalid) as bad:
            define.create_rule(
                uow,
                tenant.actor,
                RuleKind.TRIGGER,
                RuleFields(
                    "x",
                    conditions=(Condition("colour", "is", "red"),),
                    actions=(Action("add_tags", "a"),),
                ),
            )
        assert bad.value.code == "unknown_condition"
        with pytest.raises(Invalid) as bad:
            define.create_rule(
                uow,
                tenant.actor,
                RuleKind.TRIGGER,
                RuleFields("x", actions=(Action("set_status", "done"),)),
            )
        assert bad.value.code == "invalid_value"
        with pytest.raises(Invalid) as bad:
            define.create_rule(
                uow,
                tenant.actor,
                RuleKind.TIME_RULE,
                RuleFields("x", actions=(Action("add_tags", "a"),)),
            )
        assert bad.value.code == "no_time_condition"
    other_agent = add_agent(other_tenant, "Theirs")
    rule = trigger(tenant, "Mine", [OPENED], [Action("add_tags", ("a",))])
    with pytest.raises(NotFound), other_tenant.services.store.write() as uow:
        define.get_rule(uow, other_tenant.actor, rule.id)
    with tenant.services.store.write() as uow:
        with pytest.raises(NotFound):  # another account's agent is no agent here
            define.create_rule(
                uow,
                tenant.actor,
                RuleKind.TRIGGER,
                RuleFields("x", actions=(Action("assign", str(other_agent.id)),)),
            )
        agent_only = Actor(account_id=tenant.id, label="agent", scopes=frozenset())
        with pytest.raises(Forbidden):
            define.delete_rule(uow, agent_only, rule.id)


def test_another_area_adds_a_condition_and_its_facts(tenant: Tenant) -> None:
    # What part B does for SLA due times: a subject with its test, and the facts it reads.
    from frontdesk.core.rules import conditions, facts

    def score(
        uow: object, batch: Sequence[tickets.Ticket], now: int
    ) -> dict[int, Mapping[str, object]]:  # a batch at once (a time rules' sweep asks so)
        return {ticket.id: {"test.score": 10 if "VIP" in ticket.subject else 0} for ticket in batch}

    conditions.register(
        "test.score", ("at_least",), lambda f, _o, v: int(str(f.extra["test.score"])) >= int(str(v))
    )
    facts.register_facts("test.", score)
    trigger(tenant, "VIP", [OPENED, Condition("test.score", "at_least", 5)],
            [Action("add_tags", ("vip",))])  # fmt: skip
    vip = open_ticket(tenant, subject="VIP: help")
    plain = open_ticket(tenant, subject="help")
    assert state(tenant, vip.id)[1].details.tags == ("vip",)
    assert state(tenant, plain.id)[1].details.tags == ()


def test_a_changed_rule_applies_at_once_though_parsed_rules_are_kept(tenant: Tenant) -> None:
    rule = trigger(tenant, "Tag", [OPENED], [Action("add_tags", ("one",))])
    first = open_ticket(tenant)  # the account's parsed triggers are kept from here
    for word in ("two", "three"):  # changes within the same millisecond still show
        with tenant.services.store.write() as uow:
            define.update_rule(uow, tenant.actor, rule.id,
                               RuleFields("Tag", conditions=(OPENED,),
                                          actions=(Action("add_tags", (word,)),)))  # fmt: skip
    second = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        define.delete_rule(uow, tenant.actor, rule.id)
    third = open_ticket(tenant)
    tags = [state(tenant, t.id)[1].details.tags for t in (first, second, third)]
    assert tags == [("one",), ("three",), ()]


def test_triggers_read_the_ticket_once_whatever_their_number(tenant: Tenant) -> None:
    """A create's triggers cost one statement (the ticket with its requester's address),
    however many there are and whichever of their conditions get tested."""
    made = 0
    costs = []
    for count in (0, 1, 20):
        while made < count:  # none matches; half test the requester's domain first
            subject = Condition("subject", "contains", f"zz{made}")
            domain = Condition("requester_domain", "is", "nowhere.test")
            pair = [subject, domain] if made % 2 else [domain, subject]
            trigger(tenant, f"T{made}", [OPENED, *pair], [Action("add_tags", ("t",))])
            made += 1
        open_ticket(tenant)  # the rules parsed and compiled
        with counted(tenant.services) as cost:
            open_ticket(tenant)
        costs.append(len(cost.statements))
    assert costs[1] == costs[0] + 1
    assert costs[2] == costs[1]
