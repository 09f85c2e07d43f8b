"""Merge and split keep every message exactly once and leave nothing half-done."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.shared.errors import Conflict, DomainError, Invalid, NotFound
from frontdesk.core.tickets import threads
from frontdesk.core.tickets.records import MessageKind, Status
from tests.conftest import Tenant
from tests.core.helpers import message_ids, open_ticket, reply


def _all_messages(tenant: Tenant, *ticket_ids: int) -> Counter[int]:
    return Counter(mid for ticket_id in ticket_ids for mid in message_ids(tenant, ticket_id))


def _content(tenant: Tenant, ticket_id: int) -> list[int]:
    """Ids of customer and agent messages, leaving out the log lines the operation writes."""
    with tenant.services.store.read() as uow:
        return [m.id for m in uow.tickets.list_messages(ticket_id) if m.kind is not MessageKind.LOG]


def test_merge_moves_every_message_once_and_closes_the_source(tenant: Tenant) -> None:
    source = open_ticket(tenant, labels=("refund",))
    target = open_ticket(tenant, labels=("vip",))
    reply(tenant, source.id, "second on source")
    before_source, before_target = _content(tenant, source.id), _content(tenant, target.id)
    with tenant.services.store.write() as uow:
        merged = threads.merge(uow, tenant.actor, source.id, target.id)
        after_source = tickets.get_ticket(uow, tenant.actor, source.id)
        labels = uow.tickets.ticket_details([target.id])[target.id].labels
    assert merged.moved == 2
    assert sorted(_content(tenant, target.id)) == sorted(before_source + before_target)
    assert _content(tenant, source.id) == []
    assert after_source.merged_into_id == target.id and after_source.status is Status.CLOSED
    assert labels == ("refund", "vip")
    counts = _all_messages(tenant, source.id, target.id)
    assert all(count == 1 for count in counts.values())


@pytest.mark.parametrize(
    "case", ["self", "merged source", "merged target", "cycle", "other account"]
)
def test_merge_refusals(case: str, tenant: Tenant, other_tenant: Tenant) -> None:
    a, b, c = open_ticket(tenant), open_ticket(tenant), open_ticket(tenant)
    foreign = open_ticket(other_tenant)
    pairs: dict[str, tuple[int, int, type[DomainError]]] = {
        "self": (a.id, a.id, Invalid),
        "merged source": (a.id, c.id, Conflict),
        "merged target": (c.id, a.id, Conflict),
        "cycle": (b.id, a.id, Conflict),
        "other account": (a.id, foreign.id, NotFound),
    }
    if case != "self" and case != "other account":
        with tenant.services.store.write() as uow:
            threads.merge(uow, tenant.actor, a.id, b.id)
    source_id, target_id, error = pairs[case]
    before = _all_messages(tenant, a.id, b.id, c.id)
    with pytest.raises(error), tenant.services.store.write() as uow:
        threads.merge(uow, tenant.actor, source_id, target_id)
    assert _all_messages(tenant, a.id, b.id, c.id) == before


class _FailingRepo:
    """Wraps a unit of work and fails on the Nth call of one repository method: a crash
    mid-operation. The area repository that has the method is wrapped on the way."""

    def __init__(self, uow: Any, method: str, after: int = 0, left: list[int] | None = None):
        self._repo, self._method = uow, method
        self._left = left if left is not None else [after]  # shared by the wrappers

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._repo, name)
        if name != self._method:
            if hasattr(attribute, self._method):
                return _FailingRepo(attribute, self._method, left=self._left)
            return attribute

        def failing(*args: Any, **kwargs: Any) -> Any:
            if self._left[0] == 0:
                raise RuntimeError("storage failed")
            self._left[0] -= 1
            return attribute(*args, **kwargs)

        return failing


@pytest.mark.parametrize("method", ["add_link", "insert_message", "update_ticket"])
def test_merge_failing_midway_changes_nothing(method: str, tenant: Tenant) -> None:
    source, target = open_ticket(tenant), open_ticket(tenant)
    reply(tenant, source.id, "more")
    before = {tid: message_ids(tenant, tid) for tid in (source.id, target.id)}
    with pytest.raises(RuntimeError), tenant.services.store.write() as uow:
        threads.merge(_FailingRepo(uow, method, after=1), tenant.actor, source.id, target.id)  # type: ignore[arg-type]
    assert {tid: message_ids(tenant, tid) for tid in (source.id, target.id)} == before
    with tenant.services.store.read() as uow:
        assert tickets.get_ticket(uow, tenant.actor, source.id).merged_into_id is None


def test_split_moves_chosen_messages_to_a_new_ticket(tenant: Tenant) -> None:
    ticket = open_ticket(tenant, subject="Two questions", labels=("vip",))
    second = reply(tenant, ticket.id, "second question")
    third = reply(tenant, ticket.id, "third question")
    with tenant.services.store.write() as uow:
        result = threads.split(uow, tenant.actor, ticket.id, [third, second], "Follow-up")
        details = uow.tickets.ticket_details([result.new_ticket.id])[result.new_ticket.id]
    assert result.moved == 2
    assert (
        result.new_ticket.subject == "Follow-up" and result.new_ticket.number == ticket.number + 1
    )
    assert result.new_ticket.requester_id == ticket.requester_id
    assert _content(tenant, result.new_ticket.id) == [second, third]
    assert second not in message_ids(tenant, ticket.id)
    assert details.labels == ("vip",) and details.linked_ids == (ticket.id,)
    assert all(n == 1 for n in _all_messages(tenant, ticket.id, result.new_ticket.id).values())


def test_split_refusals_leave_everything_in_place(tenant: Tenant, other_tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    other = open_ticket(tenant)
    foreign = open_ticket(other_tenant)
    extra = reply(tenant, ticket.id, "second")
    everything = message_ids(tenant, ticket.id)
    cases: list[tuple[list[int], type[DomainError]]] = [
        ([], Invalid),
        (everything, Invalid),
        ([message_ids(tenant, other.id)[0]], Invalid),
        ([message_ids(other_tenant, foreign.id)[0]], NotFound),
        ([extra, 10**9], NotFound),
    ]
    for chosen, error in cases:
        with pytest.raises(error), tenant.services.store.write() as uow:
            threads.split(uow, tenant.actor, ticket.id, chosen)
    assert message_ids(tenant, ticket.id) == everything
    with tenant.services.store.read() as uow:
        assert uow.tickets.count_tickets(tenant.id) == 2


def test_split_failing_midway_changes_nothing(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    extra = reply(tenant, ticket.id, "second")
    before = message_ids(tenant, ticket.id)
    with pytest.raises(RuntimeError), tenant.services.store.write() as uow:
        threads.split(
            _FailingRepo(uow, "insert_message", after=1), tenant.actor, ticket.id, [extra]
        )  # type: ignore[arg-type]
    assert message_ids(tenant, ticket.id) == before
    with tenant.services.store.read() as uow:
        assert uow.tickets.count_tickets(tenant.id) == 1


def test_two_merges_of_the_same_ticket_at_once_one_wins(tenant: Tenant) -> None:
    source, first, second = open_ticket(tenant), open_ticket(tenant), open_ticket(tenant)
    reply(tenant, source.id, "more")
    content = _content(tenant, source.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(target_id: int) -> None:
        barrier.wait()
        try:
            with tenant.services.store.write() as uow:
                threads.merge(uow, tenant.actor, source.id, target_id)
            outcomes.append("merged")
        except Conflict as exc:
            outcomes.append(exc.code)

    workers = [threading.Thread(target=attempt, args=(t.id,)) for t in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["already_merged", "merged"]
    moved_to = [t.id for t in (first, second) if set(content) <= set(_content(tenant, t.id))]
    assert len(moved_to) == 1
    counts = _all_messages(tenant, source.id, first.id, second.id)
    assert all(n == 1 for n in counts.values())
