"""Sign-in limits under simultaneous attempts: real threads, each in its own transaction
on the real database, as requests spread over processes behind a load balancer arrive.

Counting the failures and recording one used to be two steps that other transactions
could run between: on PostgreSQL twenty wrong passwords sent at once were all evaluated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from frontdesk.core.identity import accounts, portal, sessions
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import RateLimited
from frontdesk.services import Services
from tests.conftest import Tenant

PASSWORD = "correct horse battery staple"  # a test agent's
ATTEMPTS = 20
Answer = TypeVar("Answer")
POLICY = sessions.Policy(
    idle_ms=3_600_000,
    absolute_ms=86_400_000,
    failures_per_address=5,
    failures_per_ip=20,
    window_ms=900_000,
    reset_ms=3_600_000,
)


def _at_once(services: Services, attempt: Callable[[int], Answer]) -> list[Answer]:
    """Run `attempt(i)` in ATTEMPTS threads released together; their answers (or errors)."""
    start = threading.Barrier(ATTEMPTS)
    answers: list[Answer] = []

    def run(number: int) -> None:
        start.wait(timeout=30)
        answers.append(attempt(number))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == ATTEMPTS, "an attempt raised or hung"
    return answers


def _sign_in(services: Services, email: str, password: str, ip: str) -> object:
    with services.store.write() as uow:
        return sessions.sign_in(uow, email, password, sessions.Client(ip), POLICY)


def _ip(tenant: Tenant, number: int) -> str:
    """An address of the test's own (the database is shared by the session's tests)."""
    return f"2001:db8:{tenant.tag[:4]}::{number}"


def _agent_email(tenant: Tenant) -> str:
    email = tenant.address("racer")
    with tenant.services.store.write() as uow:
        fields = AgentFields(name="Rita Racer", email=email, password=PASSWORD)
        accounts.create_agent(uow, tenant.actor, fields)
    return email


def test_simultaneous_wrong_passwords_evaluate_at_most_the_limit(tenant: Tenant) -> None:
    services, email = tenant.services, _agent_email(tenant)
    answers = _at_once(
        services, lambda n: _sign_in(services, email, "wrong password!", _ip(tenant, n))
    )
    refused = [answer for answer in answers if isinstance(answer, sessions.Refused)]
    assert len(refused) == ATTEMPTS
    wrong = [answer for answer in refused if answer.retry_after is None]
    assert len(wrong) == POLICY.failures_per_address
    assert all(answer.retry_after for answer in refused if answer not in wrong)
    throttled = _sign_in(services, email, PASSWORD, _ip(tenant, 200))
    assert isinstance(throttled, sessions.Refused) and throttled.retry_after


def test_simultaneous_wrong_passwords_from_one_ip_evaluate_at_most_its_limit(
    tenant: Tenant,
) -> None:
    services, email, ip = tenant.services, _agent_email(tenant), _ip(tenant, 9)
    earlier = POLICY.failures_per_ip - 5
    with services.store.write() as uow:
        for number in range(earlier):
            address = tenant.address(f"earlier{number}")
            uow.sessions.record_attempt(sessions.SIGNIN, address, ip, now_ms())
    answers = _at_once(
        services, lambda n: _sign_in(services, tenant.address(f"nobody{n}"), "wrong", ip)
    )
    evaluated = [a for a in answers if isinstance(a, sessions.Refused) and not a.retry_after]
    assert len(evaluated) == POLICY.failures_per_ip - earlier
    refused = _sign_in(services, email, PASSWORD, ip)
    assert isinstance(refused, sessions.Refused) and refused.retry_after


def test_under_the_limit_the_right_password_still_signs_in(tenant: Tenant) -> None:
    services, email = tenant.services, _agent_email(tenant)
    for _wrong in range(POLICY.failures_per_address - 1):
        assert isinstance(_sign_in(services, email, "nope", _ip(tenant, 5)), sessions.Refused)
    assert isinstance(_sign_in(services, email, PASSWORD, _ip(tenant, 5)), sessions.Started)


def test_simultaneous_portal_link_requests_issue_at_most_the_limit(tenant: Tenant) -> None:
    services = tenant.services

    def request(number: int) -> str:
        try:
            with services.store.write() as uow:
                client = sessions.Client(_ip(tenant, number))
                portal.request_link(uow, tenant.account.id, tenant.address("who"), client, POLICY)
        except RateLimited:
            return "throttled"
        return "asked"

    answers = _at_once(services, request)
    assert answers.count("asked") == POLICY.failures_per_address
    assert answers.count("throttled") == ATTEMPTS - POLICY.failures_per_address
