"""The v3 ticket endpoints, from the spec's examples: a customer sees only their tickets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, update

from frontdesk.api.v3 import translate as out
from frontdesk.core.identity import credentials
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.tickets import threads
from frontdesk.core.tickets.records import MessageKind, Status
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import status_changes
from tests.dialects.v3.conftest import V3, error_of, make_customer

TICKET_FIELDS = {
    "id",
    "hash",
    "readHash",
    "title",
    "categoryName",
    "priorityName",
    "createdAt",
    "updatedAt",
    "clientLastRepliedAt",
    "clientLastReadAt",
    "status",
    "numUserReplies",
}


def test_categories_are_the_accounts_names(v3: V3) -> None:
    response = v3.get("/v3/tickets/categories")
    assert response.status_code == 200
    assert response.json() == ["Billing", "Technical"]


def test_create_answers_the_spec_fields_only(v3: V3) -> None:
    before = int(time.time())
    ticket = v3.ticket(emailCc="boss@example.com, Team@Example.ORG")
    assert set(ticket) == TICKET_FIELDS
    assert ticket["title"] == "Cannot log in"
    assert ticket["categoryName"] == "Billing"
    assert ticket["priorityName"] == "Normal"
    assert ticket["status"] == "open"
    assert ticket["numUserReplies"] == 1
    assert before <= ticket["createdAt"] <= int(time.time())
    assert before <= ticket["updatedAt"] <= int(time.time())
    assert ticket["clientLastRepliedAt"] == ticket["createdAt"]
    assert ticket["clientLastReadAt"] is None
    assert len(ticket["hash"]) == 32 and len(ticket["readHash"]) == 32
    assert ticket["hash"] != ticket["readHash"]
    with v3.services.store.read() as uow:
        stored = uow.tickets.get_ticket(v3.tenant.id, ticket["id"])
        assert stored is not None
        first = uow.tickets.list_messages(stored.id)[0]
    assert stored.requester_id == v3.me.contact_id
    assert stored.inbox_id == v3.inbox.id  # emailTo named the account's inbox
    assert first.to == (v3.inbox.email,)
    assert first.cc == ("boss@example.com", "Team@example.org")
    secret = v3.services.settings.secret_key
    assert ticket["hash"] == out.ticket_hash(secret, stored.uuid)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"category": "Nope"}, "unknown_category", "category"),
        ({"department": "Sales"}, "unknown_department", "department"),
        ({"emailTo": "support@example.com, not-an-address"}, "invalid_email", "emailTo"),
        ({"emailCc": "a@b"}, "invalid_email", "emailCc"),
        ({"title": "   "}, "invalid", "title"),
        ({"title": "x" * 251}, "invalid", "title"),
        ({"title": "a\nb"}, "invalid", "title"),
        ({"content": "   "}, "required", "content"),  # named "message" before
        ({"content": "a\x00b"}, "invalid_text", "content"),
        ({"attachmentIds": [0]}, "invalid", "attachmentIds.0"),
        ({"attachmentIds": "1"}, "invalid", "attachmentIds"),
        ({"title": 5}, "invalid", "title"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(
    v3: V3, change: dict[str, Any], code: str, field: str
) -> None:
    body = error_of(v3.create(**change), 400)
    assert (body["error"], body.get("field")) == (code, field)
    with v3.services.store.read() as uow:
        assert uow.tickets.count_tickets(v3.tenant.id) == 0


@pytest.mark.parametrize("missing", ["title", "content", "category", "department", "emailTo"])
def test_create_requires_the_spec_fields(v3: V3, missing: str) -> None:
    body = v3.body()
    del body[missing]
    response = v3.client.post("/v3/tickets", json=body, headers=v3.headers())
    assert error_of(response, 400)["field"] == missing


def test_list_shows_only_my_tickets_newest_first_with_a_range_header(v3: V3) -> None:
    mine = [v3.ticket(title=f"Mine {n}")["id"] for n in range(3)]
    v3.ticket(token=v3.other.token, title="Theirs")
    response = v3.get("/v3/tickets")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == mine[::-1]
    assert all(set(item) == TICKET_FIELDS for item in response.json())
    assert response.headers["RANGED-DATA"] == "start=0,results=3,total=3"


def test_ranged_data_pages_through(v3: V3) -> None:
    ids = [v3.ticket(title=f"T{n}")["id"] for n in range(5)][::-1]
    pages = []
    for start in (0, 2, 4, 6):
        response = v3.get("/v3/tickets", **{"RANGED-DATA": f"start={start},results=2"})
        assert response.status_code == 200
        shown = len(response.json())
        assert response.headers["RANGED-DATA"] == f"start={start},results={shown},total=5"
        pages.append([item["id"] for item in response.json()])
    assert pages == [ids[0:2], ids[2:4], ids[4:5], []]


@pytest.mark.parametrize(
    "header", ["start=0;results=25", "results=101", "start=-1", "start=abc", "results=0"]
)
def test_malformed_ranged_data_is_a_400(v3: V3, header: str) -> None:
    for path in ("/v3/tickets", "/v3/tickets/openOrUnread"):
        body = error_of(v3.get(path, **{"RANGED-DATA": header}), 400)
        assert body["error"] == "invalid_range" and body["field"] == "RANGED-DATA"


def test_open_or_unread(v3: V3) -> None:
    still_open = v3.ticket(title="open")["id"]
    closed_read = v3.ticket(title="closed, read")["id"]
    closed_unread = v3.ticket(title="closed, answer unread")["id"]
    closed_noted = v3.ticket(title="closed, only an internal note")["id"]
    v3.agent_writes(closed_read, "Fixed.")
    assert v3.get(f"/v3/tickets/{closed_read}").status_code == 200  # reads it
    v3.agent_writes(closed_unread, "Fixed too.")
    v3.agent_writes(closed_noted, "customer is grumpy", kind=MessageKind.INTERNAL)
    for ticket_id in (closed_read, closed_unread, closed_noted):
        v3.set_status(ticket_id, Status.CLOSED)
    response = v3.get("/v3/tickets/openOrUnread")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [closed_unread, still_open]
    assert response.headers["RANGED-DATA"] == "start=0,results=2,total=2"
    # Reading the answer takes the ticket off the list.
    v3.get(f"/v3/tickets/{closed_unread}")
    assert [item["id"] for item in v3.get("/v3/tickets/openOrUnread").json()] == [still_open]


def test_one_ticket_with_its_conversation_and_never_internal_messages(v3: V3) -> None:
    ticket = v3.ticket()
    v3.agent_writes(ticket["id"], "secret note about the customer", kind=MessageKind.INTERNAL)
    answer = v3.agent_writes(ticket["id"], "Try resetting it.")
    v3.set_status(ticket["id"], Status.ON_HOLD)  # writes a log line
    response = v3.get(f"/v3/tickets/{ticket['id']}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {*TICKET_FIELDS, "replies"}
    assert [(r["author"], r["content"]) for r in body["replies"]] == [
        ("customer", "Since this morning my password is refused."),
        ("agent", "Try resetting it."),
    ]
    assert body["replies"][1]["id"] == answer
    assert body["replies"][1]["authorName"] == "Ann Agent"
    assert set(body["replies"][0]) == {
        "id", "content", "createdAt", "author", "authorName", "attachments"
    }  # fmt: skip
    assert "secret note" not in response.text and "Status changed" not in response.text
    assert body["status"] == "open" and body["numUserReplies"] == 1
    assert body["clientLastReadAt"] is not None
    assert body["clientLastReadAt"] >= body["createdAt"]


def test_reply_counts_and_stamps(v3: V3) -> None:
    ticket = v3.ticket()
    v3.agent_writes(ticket["id"], "Which browser?")
    with v3.services.store.engine.begin() as conn:  # an old stamp, to see the reply move it
        conn.execute(
            update(t.tickets).where(t.tickets.c.id == ticket["id"]).values(client_last_replied=1000)
        )
    response = v3.client.post(
        f"/v3/tickets/{ticket['id']}/reply",
        json={"title": "Re: Cannot log in", "content": "Firefox."},
        headers=v3.headers(),
    )
    assert response.status_code == 200, response.text
    replied = response.json()
    assert set(replied) == TICKET_FIELDS
    assert replied["numUserReplies"] == 2
    assert replied["clientLastRepliedAt"] >= ticket["createdAt"] > 1
    listed = v3.get("/v3/tickets").json()[0]
    assert listed["numUserReplies"] == 2
    assert listed["clientLastRepliedAt"] == replied["clientLastRepliedAt"]
    with v3.services.store.read() as uow:
        stored = uow.tickets.get_ticket(v3.tenant.id, ticket["id"])
    assert stored is not None and stored.status is Status.REPLY


@pytest.mark.parametrize(
    "body",
    [
        {"content": "no title"},
        {"title": "t"},
        {"title": "t", "content": "   "},
        {"title": "t", "content": "x", "attachmentIds": [2_147_483_648]},
    ],
)
def test_bad_replies_are_400(v3: V3, body: dict[str, object]) -> None:
    ticket = v3.ticket()
    before = _stored_thread(v3, ticket["id"])
    response = v3.client.post(f"/v3/tickets/{ticket['id']}/reply", json=body, headers=v3.headers())
    error_of(response, 400)
    assert _stored_thread(v3, ticket["id"]) == before


def test_a_reply_with_an_unknown_attachment_writes_nothing(v3: V3) -> None:
    # Refused by the core after the message row is inserted: the transaction must roll back.
    ticket = v3.ticket()
    before = _stored_thread(v3, ticket["id"])
    body = {"title": "t", "content": "see attached", "attachmentIds": [2_000_000_000]}
    response = v3.client.post(f"/v3/tickets/{ticket['id']}/reply", json=body, headers=v3.headers())
    assert error_of(response, 404)["error"] == "attachment_not_found"
    assert _stored_thread(v3, ticket["id"]) == before


def _stored_thread(v3: V3, ticket_id: int) -> tuple[object, list[object]]:
    with v3.services.store.read() as uow:
        return uow.tickets.get_ticket(v3.tenant.id, ticket_id), uow.tickets.list_messages(ticket_id)


def test_close_and_open(v3: V3) -> None:
    ticket_id = v3.ticket()["id"]
    put = v3.client.put
    assert put(f"/v3/tickets/{ticket_id}/close", headers=v3.headers()).status_code == 204
    assert v3.get("/v3/tickets").json()[0]["status"] == "closed"
    assert put(f"/v3/tickets/{ticket_id}/close", headers=v3.headers()).status_code == 204
    response = put(f"/v3/tickets/{ticket_id}/open", headers=v3.headers())
    assert response.status_code == 204 and response.content == b""
    assert v3.get("/v3/tickets").json()[0]["status"] == "open"
    with v3.services.store.read() as uow:
        stored = uow.tickets.get_ticket(v3.tenant.id, ticket_id)
    assert stored is not None and stored.status is Status.REPLY
    # Opening an open ticket leaves its status alone (an agent's answer still awaits me).
    v3.agent_writes(ticket_id, "Done?")
    assert put(f"/v3/tickets/{ticket_id}/open", headers=v3.headers()).status_code == 204
    with v3.services.store.read() as uow:
        stored = uow.tickets.get_ticket(v3.tenant.id, ticket_id)
    assert stored is not None and stored.status is Status.PENDING


def test_a_force_closed_ticket_cannot_be_opened_or_answered(v3: V3) -> None:
    ticket_id = v3.ticket()["id"]
    v3.set_status(ticket_id, Status.CLOSED, force=True)
    assert v3.get("/v3/tickets").json()[0]["status"] == "force-closed"
    body = error_of(v3.client.put(f"/v3/tickets/{ticket_id}/open", headers=v3.headers()), 409)
    assert body["error"] == "force_closed"
    reply = v3.client.post(
        f"/v3/tickets/{ticket_id}/reply", json={"title": "t", "content": "x"}, headers=v3.headers()
    )
    assert error_of(reply, 409)["error"] == "force_closed"
    assert v3.client.put(f"/v3/tickets/{ticket_id}/close", headers=v3.headers()).status_code == 204
    assert v3.get("/v3/tickets").json()[0]["status"] == "force-closed"


def test_another_customers_tickets_are_404_everywhere(v3: V3) -> None:
    theirs = v3.ticket(token=v3.other.token)["id"]
    attempts = [
        v3.client.get(f"/v3/tickets/{theirs}", headers=v3.headers()),
        v3.client.post(
            f"/v3/tickets/{theirs}/reply", json={"title": "t", "content": "x"}, headers=v3.headers()
        ),
        v3.client.put(f"/v3/tickets/{theirs}/open", headers=v3.headers()),
        v3.client.put(f"/v3/tickets/{theirs}/close", headers=v3.headers()),
        v3.client.get(f"/v3/tickets/{theirs}/attachment/1", headers=v3.headers()),
        v3.client.get("/v3/tickets/2147483647", headers=v3.headers()),
    ]
    for response in attempts:
        assert error_of(response, 404)["error"] == "ticket_not_found"
    with v3.services.store.read() as uow:
        stored = uow.tickets.get_ticket(v3.tenant.id, theirs)
        assert uow.tickets.count_messages(theirs) == 1
    assert stored is not None and stored.status is Status.NEW
    assert stored.client_last_read is None
    assert v3.get("/v3/tickets").json() == []


def test_another_accounts_customer_sees_nothing(v3: V3, other_tenant: Tenant) -> None:
    stranger = make_customer(other_tenant, "stranger")
    mine = v3.ticket()["id"]
    assert error_of(v3.get(f"/v3/tickets/{mine}", token=stranger.token), 404)
    assert v3.get("/v3/tickets/categories", token=stranger.token).json() == []
    refused = v3.create(token=stranger.token)  # this account's category is unknown there
    assert error_of(refused, 400)["error"] == "unknown_category"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "nonsense",
        "fdc_0123456789abcdef_wrong",
        "fdk_0123456789abcdef_wrong",
    ],
)
def test_missing_or_wrong_tokens_are_401(v3: V3, token: str) -> None:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    for method, path in [
        ("GET", "/v3/tickets"),
        ("GET", "/v3/tickets/categories"),
        ("GET", "/v3/tickets/openOrUnread"),
        ("GET", "/v3/tickets/1"),
        ("PUT", "/v3/tickets/1/open"),
        ("DELETE", "/v3/tickets/attachment/1"),
    ]:
        response = v3.client.request(method, path, headers=headers)
        assert error_of(response, 401)["error"] == "invalid_credentials"


def test_api_keys_and_revoked_tokens_are_not_customer_tokens(v3: V3) -> None:
    api_key = v3.tenant.admin_key
    assert error_of(v3.get("/v3/tickets", token=api_key), 401)
    with v3.services.store.write() as uow:
        found = credentials.authenticate(uow, v3.me.token, CredentialKind.CUSTOMER)[0]
        assert found.credential_id is not None
        credentials.revoke(uow, v3.tenant.actor, CredentialKind.CUSTOMER, found.credential_id)
    assert error_of(v3.get("/v3/tickets"), 401)
    assert v3.get("/v3/tickets", token=v3.other.token).status_code == 200


@contextmanager
def counted(v3: V3) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = v3.services.store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_list_page_is_a_fixed_number_of_statements(v3: V3) -> None:
    for n in range(12):
        ticket_id = v3.ticket(title=f"T{n}")["id"]
        v3.agent_writes(ticket_id, "answer")
    sizes = {}
    for results in (1, 12):
        for path in ("/v3/tickets", "/v3/tickets/openOrUnread"):
            v3.get(path)  # the token's last_used stamp is written at most once a minute
            with counted(v3) as statements:
                response = v3.get(path, **{"RANGED-DATA": f"results={results}"})
            assert len(response.json()) == results
            sizes[(path, results)] = len(statements)
    assert sizes[("/v3/tickets", 1)] == sizes[("/v3/tickets", 12)]
    assert sizes[("/v3/tickets/openOrUnread", 1)] == sizes[("/v3/tickets/openOrUnread", 12)]
    assert max(sizes.values()) <= 6  # token, page, reply counts, total (+ SQLite's BEGINs)


def test_a_reply_reopens_a_closed_ticket(v3: V3) -> None:
    ticket_id = v3.ticket()["id"]
    v3.set_status(ticket_id, Status.SOLVED)
    assert v3.get("/v3/tickets").json()[0]["status"] == "closed"
    response = v3.client.post(
        f"/v3/tickets/{ticket_id}/reply",
        json={"title": "t", "content": "still broken"},
        headers=v3.headers(),
    )
    assert response.status_code == 200 and response.json()["status"] == "open"


def test_a_reply_that_reopens_records_the_status_change_once(v3: V3) -> None:
    ticket_id = v3.ticket()["id"]
    v3.set_status(ticket_id, Status.SOLVED)
    for text in ("still broken", "really"):  # the second reply finds it open already
        response = v3.client.post(
            f"/v3/tickets/{ticket_id}/reply",
            json={"title": "t", "content": text},
            headers=v3.headers(),
        )
        assert response.status_code == 200
    assert status_changes(v3.tenant, ticket_id) == [("new", "solved"), ("solved", "reply")]


def test_unknown_body_fields_are_ignored(v3: V3) -> None:
    ticket = v3.ticket(priority="urgent", colour="red")
    assert ticket["priorityName"] == "Normal"


def test_merged_tickets_are_left_out_of_lists(v3: V3) -> None:
    source = v3.ticket(title="first")["id"]
    target = v3.ticket(title="second")["id"]
    with v3.services.store.write() as uow:
        threads.merge(uow, v3.tenant.actor, source, target)
    listed = v3.get("/v3/tickets")
    assert [item["id"] for item in listed.json()] == [target]
    assert listed.headers["RANGED-DATA"] == "start=0,results=1,total=1"
    merged = v3.get(f"/v3/tickets/{target}").json()
    assert merged["numUserReplies"] == 2 and len(merged["replies"]) == 2
