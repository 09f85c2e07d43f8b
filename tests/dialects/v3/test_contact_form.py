"""The public contact form: the spec's bounds, the form's contact, and a rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.tickets.records import Status
from tests.dialects.v3.conftest import V3, client_address, error_of


def form(**extra: Any) -> dict[str, Any]:
    return {
        "firstName": "Jane",
        "lastName": "Doe",
        "companyName": "Acme",
        "email": "jane.doe@example.com",
        "phone": "+31 20 1234567",
        "title": "Question about my invoice",
        "content": "The amount looks wrong.",
        "category": "Billing",
        **extra,
    }


def submit(v3: V3, body: dict[str, Any], token: str | None = None) -> Any:
    return v3.client.post("/v3/tickets/contact", json=body, headers=v3.headers(token))


def test_the_form_opens_a_ticket_for_the_contact_it_names(v3: V3) -> None:
    response = submit(v3, form(email=v3.tenant.address("jane")))
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert ticket["title"] == "Question about my invoice"
    assert ticket["categoryName"] == "Billing" and ticket["status"] == "open"
    assert ticket["numUserReplies"] == 1
    with v3.services.store.read() as uow:
        contact = uow.contacts.find_contact_by_email(v3.tenant.id, v3.tenant.address("jane"))
        stored = uow.tickets.get_ticket(v3.tenant.id, ticket["id"])
        messages = uow.tickets.list_messages(ticket["id"])
    assert contact is not None and stored is not None
    assert (contact.name, contact.phone, contact.company) == ("Jane Doe", "+31 20 1234567", "Acme")
    assert stored.requester_id == contact.id and stored.status is Status.NEW
    assert [m.body_text for m in messages] == ["The amount looks wrong."]
    assert messages[0].contact_id == contact.id
    # The token only named the account: its own contact does not see the form's ticket.
    error_of(v3.get(f"/v3/tickets/{ticket['id']}"), 404)
    assert v3.get("/v3/tickets").json() == []


def test_a_known_contact_is_found_not_duplicated_or_overwritten(v3: V3) -> None:
    body = form(email=v3.me.email, firstName="Somebody", lastName="Else", content=None)
    ticket = submit(v3, body).json()
    listed = v3.get("/v3/tickets").json()
    assert [item["id"] for item in listed] == [ticket["id"]]
    with v3.services.store.read() as uow:
        contact = uow.contacts.get_contact(v3.tenant.id, v3.me.contact_id)
        messages = uow.tickets.list_messages(ticket["id"])
    assert contact is not None and contact.name == "Me"
    assert [m.body_text for m in messages] == ["Question about my invoice"]  # no content


def _edge(length: int) -> str:
    return "x" * length


INSIDE = [
    ("firstName", _edge(2)),
    ("firstName", _edge(64)),
    ("lastName", _edge(2)),
    ("lastName", _edge(128)),
    ("companyName", _edge(120)),
    ("companyName", ""),
    ("companyName", None),
    ("email", "a" * 64 + "@" + "b" * 59 + ".com"),  # 128 characters
    ("phone", "12345"),
    ("phone", "+" + "1" * 14),
    ("title", _edge(2)),
    ("title", _edge(250)),
    ("content", None),
]
OUTSIDE = [
    ("firstName", _edge(1)),
    ("firstName", _edge(65)),
    ("firstName", "  J  "),  # trimmed first
    ("lastName", _edge(1)),
    ("lastName", _edge(129)),
    ("companyName", _edge(121)),
    ("email", "a" * 65 + "@" + "b" * 59 + ".com"),  # 129 characters
    ("email", "not-an-address"),
    ("phone", "1234"),
    ("phone", "1" * 16),
    ("phone", "call me maybe"),
    ("title", _edge(1)),
    ("title", _edge(251)),
    ("firstName", "Ja\nne"),
    ("category", "Unknown"),
]


@pytest.mark.parametrize(("field", "value"), INSIDE)
def test_values_just_inside_the_bounds_are_taken(v3: V3, field: str, value: Any) -> None:
    sent = form(**{field: value})
    response = submit(v3, sent)
    assert response.status_code == 200, response.text
    assert _stored(v3, response.json()["id"], sent["email"]) == {
        "name": f"{sent['firstName']} {sent['lastName']}",
        "phone": sent["phone"],
        "company": sent["companyName"] or None,
        "subject": sent["title"],
        "body": sent["content"] or sent["title"],  # no content: the title stands in
    }


def _stored(v3: V3, ticket_id: int, email: str) -> dict[str, Any]:
    """What the form left in storage, read back, in the form's terms."""
    with v3.services.store.read() as uow:
        contact = uow.contacts.find_contact_by_email(v3.tenant.id, email)
        ticket = uow.tickets.get_ticket(v3.tenant.id, ticket_id)
        messages = uow.tickets.list_messages(ticket_id)
    assert contact is not None and ticket is not None and ticket.requester_id == contact.id
    (message,) = messages
    return {
        "name": contact.name,
        "phone": contact.phone,
        "company": contact.company,
        "subject": ticket.subject,
        "body": message.body_text,
    }


@pytest.mark.parametrize(("field", "value"), OUTSIDE)
def test_values_just_outside_the_bounds_are_400(v3: V3, field: str, value: Any) -> None:
    body = error_of(submit(v3, form(**{field: value})), 400)
    assert body["field"] == field
    with v3.services.store.read() as uow:
        assert uow.tickets.count_tickets(v3.tenant.id) == 0


@pytest.mark.parametrize("field", ["firstName", "lastName", "email", "phone", "title", "category"])
def test_required_fields(v3: V3, field: str) -> None:
    body = form()
    del body[field]
    assert error_of(submit(v3, body), 400)["field"] == field


def test_the_form_needs_a_customer_token_of_the_account(v3: V3) -> None:
    assert error_of(submit(v3, form(), token=""), 401)["error"] == "invalid_credentials"
    assert error_of(submit(v3, form(), token=v3.tenant.admin_key), 401)


def test_submissions_are_limited_per_client_address(v3: V3) -> None:
    limit = v3.services.settings.contact_form_limit
    for n in range(limit - 1):
        assert submit(v3, form(title=f"Try {n}")).status_code == 200
    assert error_of(submit(v3, form(), token="wrong"), 401)  # every attempt counts
    refused = submit(v3, form())
    assert error_of(refused, 429)["error"] == "rate_limited"
    window = v3.services.settings.contact_form_window_seconds
    assert 1 <= int(refused.headers["Retry-After"]) <= window
    elsewhere = TestClient(v3.client.app, client=(client_address(), 50000))
    answer = elsewhere.post("/v3/tickets/contact", json=form(), headers=v3.headers())
    assert answer.status_code == 200
    # Other endpoints are not limited.
    assert v3.get("/v3/tickets").status_code == 200
