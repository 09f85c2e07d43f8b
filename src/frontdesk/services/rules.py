"""Rules at run time: the time rules' sweep and the SLA sweep as jobs of the scheduler.

A sweep walks each account that has active time rules, a batch of open tickets at a time,
each batch in its own short write transaction (core.rules.running.run_time_rules).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from frontdesk.core.automation import service_levels
from frontdesk.core.rules.running import (
    open_tickets,
    run_time_rules,
    run_triggers,
    time_rule_accounts,
)
from frontdesk.storage.store import Store
from frontdesk.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


def install(store: Store) -> None:
    """Run triggers at the end of every write transaction, inside it. Registered before
    the notification and webhook hooks, so that they see what the triggers did."""

    def fire(uow: SqlUnitOfWork) -> None:
        run_triggers(uow)

    store.before_commit.append(fire)


@dataclass
class TimeRulesJob:
    """The scheduler's job that fires time rules on open tickets."""

    every_seconds: float = 60.0
    name: str = "time_rules"

    def run(self, store: Store, now: int) -> int:
        with store.read() as uow:
            account_ids = time_rule_accounts(uow)
        fired = 0
        for account_id in account_ids:
            fired += self._sweep(store, account_id, now)
        if fired:
            log.info("time rules: %d fired", fired)
        return fired

    def _sweep(self, store: Store, account_id: int, now: int) -> int:
        fired, after = 0, 0
        while True:
            with store.read() as uow:
                batch = open_tickets(uow, account_id, after)
            if not batch:
                return fired
            with store.write() as uow:
                fired += run_time_rules(uow, account_id, batch, now)
            after = batch[-1]


@dataclass
class SlaSweepJob:
    """The scheduler's job that records SLA warnings and breaches as their moments come
    (core.automation.service_levels.sweep): a batch a transaction, until none is due, so
    triggers, notifications and webhooks hear of them from the one leading process."""

    every_seconds: float = 30.0
    name: str = "sla_sweep"
    batch: int = service_levels.BATCH

    def run(self, store: Store, now: int) -> int:
        looked = 0
        while True:
            with store.write() as uow:
                seen = service_levels.sweep(uow, now, limit=self.batch)
            looked += seen
            if seen < self.batch:
                return looked
