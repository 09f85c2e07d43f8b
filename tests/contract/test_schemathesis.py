"""schemathesis against the OpenAPI document of every dialect, on a real server, on both
databases: generated requests (valid and invalid) must never get a 500, and every answer
must match the document (its success shapes and the dialect's error envelope).

Bounded: a few examples per operation, derandomized so a run is repeatable; marked slow.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from frontdesk.app import create_app
from frontdesk.core import chat, contacts
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.tickets import taxonomy
from frontdesk.core.tickets.records import Ticket
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.core.helpers import open_ticket
from tests.live import serving

pytestmark = pytest.mark.slow


def _leaves(value: Any) -> int:
    """How many texts (keys too) a body or query holds."""
    if isinstance(value, str):
        return 1
    if isinstance(value, list):
        return sum(_leaves(item) for item in value)
    if isinstance(value, dict):
        return sum(1 + _leaves(item) for item in value.values())
    return 0


def _spoiled(value: Any, bad: str, target: list[int]) -> Any:
    """The value with `bad` appended to one text, the `target[0]`-th (counting down)."""
    if isinstance(value, str):
        target[0] -= 1
        return value + bad if target[0] == -1 else value
    if isinstance(value, list):
        return [_spoiled(item, bad, target) for item in value]
    if isinstance(value, dict):
        return {
            _spoiled(key, bad, target): _spoiled(item, bad, target) for key, item in value.items()
        }
    return value


class Spoil:
    """Text that cannot be stored, in every string of a valid request: the class of input
    that gave 500s on PostgreSQL (NUL) and on both databases (lone surrogates). Random
    generation rarely produces it, so it is forced here, once per valid example. A lone
    surrogate cannot be encoded as UTF-8, so strings carry a marker that becomes JSON's
    `\\ud800` escape in the serialised body."""

    def __init__(self, bad: str, *, query: bool) -> None:
        self.bad = bad
        self.query = query
        self.text = _MARK if bad == "\ud800" else bad

    def __call__(self, case: Any, pick: int) -> None:
        """Spoil one text of the body or the query: the `pick`-th, modulo their number (one
        at a time, so that no other field's own check refuses the request first)."""
        body = isinstance(case.body, dict | list) and case.media_type == JSON
        places = [
            ("body", _leaves(case.body) if body else 0),
            ("query", _leaves(case.query) if self.query and case.query else 0),
        ]
        total = sum(count for _, count in places)
        if not total:
            return
        pick %= total
        for place, count in places:
            if pick < count:
                setattr(case, place, _spoiled(getattr(case, place), self.text, [pick]))
                return
            pick -= count

    def finish(self, request: dict[str, Any]) -> None:
        if "json" in request:
            request["data"] = json.dumps(request.pop("json")).encode()
        if self.text == _MARK and isinstance(request.get("data"), bytes):
            request["data"] = request["data"].replace(_MARK.encode(), b"\\ud800")

    def __repr__(self) -> str:
        return f"spoiled with {self.bad!r}"


_MARK = "~lone-surrogate~"


MODES = [
    (GenerationMode.POSITIVE, None),
    (GenerationMode.NEGATIVE, None),
    (GenerationMode.POSITIVE, Spoil("\x00", query=True)),
    # A lone surrogate cannot be percent-encoded as UTF-8: bodies only (JSON escapes it).
    (GenerationMode.POSITIVE, Spoil("\ud800", query=False)),
]
JSON = "application/json"
EXAMPLES = 4  # per operation and mode: 2 x ~80 operations x 4 modes x 4, about a minute
CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass(frozen=True)
class Target:
    """A server, and an account with one of everything, so that requests reach past the
    lookups: the path ids are fixed to real objects, the rest is generated."""

    base: str  # http://host:port
    tenant: Tenant
    customer_token: str
    ticket: Ticket  # an agent's ticket
    customer_ticket: int  # the customer's
    conversation: str
    agent_id: int


@pytest.fixture(scope="module")
def target(services: Services) -> Iterator[Target]:
    # The server's own limits would soon answer every generated request with a 429.
    relaxed = services.settings.model_copy(update={"contact_form_limit": 100_000})
    tenant = Tenant(services, "Contract Co")
    with services.store.write() as uow:
        accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
        taxonomy.create_named(uow, tenant.actor, "category", "Billing")
        taxonomy.create_named(uow, tenant.actor, "department", "Support")
        contact = contacts.find_or_create_contact(
            uow, tenant.actor, ContactFields(email=tenant.address("jane"), name="Jane")
        )
        customer = credentials.issue_customer_token(uow, tenant.actor, contact.id).token
        agent = accounts.create_agent(
            uow, tenant.actor, AgentFields(name="Ann", email=tenant.address("ann"))
        )
        opened = chat.open_conversation(uow, tenant.id, VisitorInfo(), "https://example.org/")
    ticket = open_ticket(tenant)
    theirs = open_ticket(tenant, requester_email=tenant.address("jane"))
    app = create_app(services=dataclasses.replace(services, settings=relaxed))
    with serving(app) as host:
        yield Target(
            f"http://{host}",
            tenant,
            customer,
            ticket,
            theirs.id,
            opened.conversation.public_id,
            agent.id,
        )


def exercise(
    target: Target,
    document: str,
    prepare: Callable[[Target], dict[str, dict[str, Any]]],
    *,
    skip: tuple[str, ...] = (),
    last: tuple[str, ...] = (),
) -> None:
    """`last`: operations that destroy the fixed objects run after every other one."""
    schema = schemathesis.openapi.from_url(target.base + document)
    fixed = prepare(target)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    every = [result.ok() for result in schema.get_all_operations()]
    for operation in sorted(every, key=lambda op: op.label in last):
        if operation.label in skip:
            continue
        operations += 1
        names = {p.name for p in operation.path_parameters}
        path = {k: v for k, v in fixed["path"].items() if k in names} or None
        for mode, poison in MODES:
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters=path, headers=fixed["headers"] or None
            )
            try:
                _runner(target.base, strategy, poison, statuses)()
            except Unsatisfiable:
                pass  # no input of this operation can be invalid (only free-text parameters)
            except (Exception, BaseExceptionGroup) as exc:  # every operation is tried
                failures.append(f"{operation.label} ({mode.value}, {poison}): {exc}")
    print(document, dict(sorted(statuses.items())))
    assert operations >= 10, f"only {operations} operations in {document}"
    assert not failures, "\n\n".join(failures)


def _runner(
    base: str, strategy: Any, poison: Spoil | None, statuses: Counter[int]
) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, pick=st.integers(min_value=0, max_value=1000))
    def run(case: Any, pick: int) -> None:
        if poison is not None:
            poison(case, pick)
        request = case.as_transport_kwargs(base_url=base)
        if poison is not None:
            poison.finish(request)
        response = requests.request(**request, timeout=30)
        case.validate_response(response, checks=CHECKS)
        statuses[response.status_code] += 1

    return run


def test_native(target: Target) -> None:
    def fixed(t: Target) -> dict[str, dict[str, Any]]:
        return {"path": {"ticket_id": t.ticket.id}, "headers": t.tenant.headers()}

    # Revoking the key the run uses would turn the rest into 401s.
    skip = ("DELETE /api/v1/api-keys/{key_id}", "DELETE /api/v1/customer-tokens/{token_id}")
    # Deleting the fixed ticket turns what follows into 404s: it goes last.
    last = ("DELETE /api/v1/tickets/{ticket_id}", "POST /api/v1/contacts/{contact_id}/erase")
    exercise(target, "/api/v1/openapi.json", fixed, skip=skip, last=last)


def test_imbox(target: Target) -> None:
    def fixed(t: Target) -> dict[str, dict[str, Any]]:
        path = {
            "apiKey": t.tenant.admin_key,
            "userId": str(t.tenant.id),
            "ticketId": str(t.ticket.id),
            "conversationId": t.conversation,
            "agentId": str(t.agent_id),
            "fromDate": "2020-01-01",
            "toDate": "2030-12-31",
        }
        return {"path": path, "headers": {}}

    exercise(target, "/message/openapi.json", fixed)


def test_inboxops(target: Target) -> None:
    def fixed(t: Target) -> dict[str, dict[str, Any]]:
        workspace = t.tenant.account.public_id
        headers = {**t.tenant.headers(), "x-workspace-id": workspace}
        return {"path": {"workspaceId": workspace, "ticketId": t.ticket.uuid}, "headers": headers}

    exercise(target, "/v1/openapi.json", fixed)


def test_v3(target: Target) -> None:
    def fixed(t: Target) -> dict[str, dict[str, Any]]:
        path = {"ticketId": t.customer_ticket}
        return {"path": path, "headers": {"PRIVATE-TOKEN": t.customer_token}}

    exercise(target, "/v3/openapi.json", fixed)
