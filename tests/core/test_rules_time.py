"""Time rules and the scheduler on both databases, with the clock in the test's hands:
"pending for 3 days" and "unassigned for 30 minutes" fire once per ticket and state; the
scheduler runs its jobs only while it leads (PostgreSQL: one of two leads, and a lost
session hands over)."""

from __future__ import annotations

from frontdesk.core import tickets
from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Rule, RuleKind
from frontdesk.core.rules.running import run_time_rules
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.tickets.records import Status
from frontdesk.services import Services
from frontdesk.services.rules import TimeRulesJob
from frontdesk.services.scheduler import AdvisoryLockLeader, Scheduler, SoleLeader, leadership_for
from frontdesk.storage.db import is_sqlite
from frontdesk.storage.store import Store
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket
from tests.statements import counted

MINUTE = 60_000
DAY = 24 * 60 * MINUTE


def time_rule(
    tenant: Tenant, name: str, conditions: list[Condition], actions: list[Action]
) -> Rule:
    with tenant.services.store.write() as uow:
        return define.create_rule(
            uow, tenant.actor, RuleKind.TIME_RULE,
            RuleFields(name, conditions=tuple(conditions), actions=tuple(actions)),
        )  # fmt: skip


def sweep(tenant: Tenant, now: int) -> int:
    return TimeRulesJob().run(tenant.services.store, now)


def tags_of(tenant: Tenant, ticket_id: int) -> tuple[str, ...]:
    with tenant.services.store.read() as uow:
        return tickets.load_thread(uow, tenant.actor, ticket_id).details.tags


def fired(tenant: Tenant, ticket_id: int) -> int:
    with tenant.services.store.read() as uow:
        return sum(
            kind == "rule.fired" for kind, _a, _d in uow.events.list_events(tenant.id, ticket_id)
        )


def test_pending_for_3_days_fires_once_per_stretch_of_pending(tenant: Tenant) -> None:
    time_rule(
        tenant, "Nudge",
        [Condition("status", "is", "pending"),
         Condition("status_minutes", "at_least", 3 * 24 * 60)],
        [Action("add_tags", ("nudged",)), Action("note", "Waiting 3 days")],
    )  # fmt: skip
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, ticket.id, Status.PENDING)
    start = now_ms()
    sweep(tenant, start + 2 * DAY)
    assert fired(tenant, ticket.id) == 0
    sweep(tenant, start + 3 * DAY + MINUTE)
    sweep(tenant, start + 4 * DAY)  # the same stretch: not again
    assert fired(tenant, ticket.id) == 1
    assert tags_of(tenant, ticket.id) == ("nudged",)
    with tenant.services.store.write() as uow:  # the customer answers; pending again later
        tickets.set_status(uow, tenant.actor, ticket.id, Status.REPLY)
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, ticket.id, Status.PENDING)
    again = now_ms()
    sweep(tenant, again + DAY)
    assert fired(tenant, ticket.id) == 1
    sweep(tenant, again + 3 * DAY + MINUTE)
    assert fired(tenant, ticket.id) == 2


def test_unassigned_for_30_minutes_and_solved_tickets_are_left_alone(tenant: Tenant) -> None:
    lead = add_agent(tenant, "Lead")
    time_rule(
        tenant, "Escalate",
        [Condition("unassigned_minutes", "at_least", 30)],
        [Action("assign", str(lead.id))],
    )  # fmt: skip
    waiting = open_ticket(tenant)
    solved = open_ticket(tenant)
    taken = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, solved.id, Status.SOLVED)
        tickets.assign(uow, tenant.actor, taken.id, [lead.id])
    start = now_ms()
    assert sweep(tenant, start + 29 * MINUTE) == 0
    assert sweep(tenant, start + 31 * MINUTE) == 1
    with tenant.services.store.read() as uow:
        details = uow.tickets.ticket_details([waiting.id, solved.id, taken.id])
    assert details[waiting.id].assignee_ids == (lead.id,)
    assert details[solved.id].assignee_ids == ()
    assert fired(tenant, taken.id) == 0


def test_a_time_rule_of_another_account_never_touches_mine(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    time_rule(
        other_tenant,
        "Theirs",
        [Condition("age_minutes", "at_least", 0)],
        [Action("add_tags", ("x",))],
    )
    mine = open_ticket(tenant)
    theirs = open_ticket(other_tenant)
    sweep(tenant, now_ms() + MINUTE)
    assert tags_of(tenant, mine.id) == ()
    assert tags_of(other_tenant, theirs.id) == ("x",)


class Counting:
    name = "counting"
    every_seconds = 60.0

    def __init__(self) -> None:
        self.runs: list[int] = []

    def run(self, store: Store, now: int) -> None:
        self.runs.append(now)


def test_the_scheduler_runs_a_job_when_due_by_its_clock(services: Services) -> None:
    clock = [1_000_000]
    job = Counting()
    scheduler = Scheduler(services.store, [job], leadership=SoleLeader(), clock=lambda: clock[0])
    assert scheduler.tick() == ["counting"]
    clock[0] += 59_000
    assert scheduler.tick() == []
    clock[0] += 1_000
    assert scheduler.tick() == ["counting"]
    assert job.runs == [1_000_000, 1_060_000]


def test_one_of_two_schedulers_leads_and_a_lost_session_hands_over(services: Services) -> None:
    if is_sqlite(services.store.engine):  # one process per database file: it just leads
        assert isinstance(leadership_for(services.store), SoleLeader)
        assert Scheduler(services.store, [Counting()]).tick() == ["counting"]
        return
    key = 0x7E57_0000 + (now_ms() % 65_536)  # this test's own lock
    first, second = Counting(), Counting()
    one = Scheduler(services.store, [first], leadership=AdvisoryLockLeader(services.store, key))
    two = Scheduler(services.store, [second], leadership=AdvisoryLockLeader(services.store, key))
    try:
        assert one.tick() == ["counting"]
        assert two.tick() == []  # the lock is held
        leader = one.leadership
        assert isinstance(leader, AdvisoryLockLeader) and leader._conn is not None
        # The leader's session dies (as when its process is killed): its lock goes with it.
        with services.store.engine.connect() as admin:
            pid = leader._conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
            # With a timeout, PostgreSQL waits until the backend has gone (and its lock
            # with it); without one it only signals it, and the next try can still lose.
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)}, 10000)").scalar()
        assert two.tick() == ["counting"]
        assert one.tick() == []  # it notices it lost the session, and the other holds the lock
    finally:
        one.stop()
        two.stop()


def test_a_sweep_batch_reads_in_a_fixed_number_of_statements(tenant: Tenant) -> None:
    # Every kind of fact a condition can read, so that every batched read runs.
    time_rule(
        tenant, "Everything",
        [Condition("status_minutes", "at_least", 10 * 24 * 60),
         Condition("unassigned_minutes", "at_least", 1), Condition("labels", "has", ("x",)),
         Condition("requester_domain", "is", "example.org"), Condition("channel", "is", "api"),
         Condition("business_hours", "is", True), Condition("sla.breached", "is", True)],
        [Action("add_tags", ("never",))],
    )  # fmt: skip
    few = [open_ticket(tenant, subject=f"few {n}").id for n in range(3)]
    many = [open_ticket(tenant, subject=f"many {n}").id for n in range(30)]
    with tenant.services.store.write() as uow:  # the rules parsed once, then kept (cached)
        run_time_rules(uow, tenant.id, few, now_ms())
    costs = []
    for batch in (few, many):
        with tenant.services.store.write() as uow, counted(tenant.services) as cost:
            assert run_time_rules(uow, tenant.id, batch, now_ms()) == 0
        costs.append(len(cost.statements))
    assert costs[0] == costs[1]  # not one query per ticket
    assert costs[1] <= 12


def test_a_state_already_fired_is_skipped_without_a_write(tenant: Tenant) -> None:
    time_rule(
        tenant, "Tag new",
        [Condition("status", "is", "new"), Condition("status_minutes", "at_least", 0)],
        [Action("add_tags", ("seen",))],
    )  # fmt: skip
    ids = [open_ticket(tenant, subject=f"T{n}").id for n in range(5)]
    with tenant.services.store.write() as uow:
        assert run_time_rules(uow, tenant.id, ids, now_ms()) == 5
    with tenant.services.store.write() as uow, counted(tenant.services) as cost:
        assert run_time_rules(uow, tenant.id, ids, now_ms()) == 0
    assert cost.writes == []  # the batch's read of past firings answered for all five
    assert all(tags_of(tenant, ticket_id) == ("seen",) for ticket_id in ids)
