"""Canned responses in the native API, on both databases: create, read, search, update,
delete; shortcuts unique per account; scopes; tenancy; and the placeholders."""

from __future__ import annotations

from fastapi.testclient import TestClient

from frontdesk.core.shared.records import Scope
from frontdesk.core.tickets import canned
from tests.conftest import Tenant

URL = "/api/v1/canned-responses"


def _make(client: TestClient, tenant: Tenant, shortcut: str, body: str) -> dict[str, object]:
    answer = client.post(URL, json={"shortcut": shortcut, "body": body}, headers=tenant.headers())
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def test_create_read_search_update_delete(client: TestClient, tenant: Tenant) -> None:
    refund = _make(client, tenant, "/Refund", "Hi {visitor_name}, the refund is on its way.")
    assert refund["shortcut"] == "refund"  # one word, lower case, the slash dropped
    _make(client, tenant, "hello", "Hello! I am {agent_name}. 100% here for you.")
    reader = tenant.headers(tenant.key(Scope.TICKETS_READ))
    listed = client.get(URL, headers=reader).json()
    assert [item["shortcut"] for item in listed] == ["hello", "refund"]
    assert [i["shortcut"] for i in client.get(URL, params={"q": "REFUND"}, headers=reader).json()]\
        == ["refund"]  # fmt: skip
    by_text = client.get(URL, params={"q": "on its way"}, headers=reader).json()
    assert [item["shortcut"] for item in by_text] == ["refund"]
    percent = client.get(URL, params={"q": "0%"}, headers=reader).json()
    assert [item["shortcut"] for item in percent] == ["hello"]  # % is a character, not a wildcard
    assert client.get(URL, params={"q": "%"}, headers=reader).json()[0]["shortcut"] == "hello"

    changed = client.put(
        f"{URL}/{refund['id']}", json={"shortcut": "refunded", "body": "Done."},
        headers=tenant.headers(),
    )  # fmt: skip
    assert changed.status_code == 200
    again = client.get(f"{URL}/{refund['id']}", headers=reader).json()
    assert (again["shortcut"], again["body"]) == ("refunded", "Done.")
    assert client.delete(f"{URL}/{refund['id']}", headers=tenant.headers()).status_code == 204
    assert client.get(f"{URL}/{refund['id']}", headers=reader).status_code == 404
    assert [item["shortcut"] for item in client.get(URL, headers=reader).json()] == ["hello"]


def test_a_shortcut_is_one_word_and_unique_in_the_account(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    _make(client, tenant, "refund", "One.")
    taken = client.post(URL, json={"shortcut": "Refund", "body": "Two."}, headers=tenant.headers())
    assert taken.status_code == 409
    for bad in ("two words", "", "ä", "x" * 31, "-dash"):
        answer = client.post(URL, json={"shortcut": bad, "body": "x"}, headers=tenant.headers())
        assert answer.status_code in (400, 422), (bad, answer.text)
    too_long = client.post(URL, json={"shortcut": "long", "body": "x" * 5001},
                           headers=tenant.headers())  # fmt: skip
    assert too_long.status_code in (400, 422)
    assert client.post(URL, json={"shortcut": "long", "body": "x" * 5000},
                       headers=tenant.headers()).status_code == 201  # fmt: skip
    listed = client.get(URL, headers=tenant.headers()).json()
    assert [item["shortcut"] for item in listed] == ["long", "refund"]
    assert len(listed[0]["body"]) == 5000
    # Another account may use the same word; neither sees the other's.
    _make(client, other_tenant, "refund", "Theirs.")
    mine = client.get(URL, headers=tenant.headers()).json()
    assert "Theirs." not in [item["body"] for item in mine]
    theirs = client.get(URL, headers=other_tenant.headers()).json()
    assert client.get(f"{URL}/{theirs[0]['id']}", headers=tenant.headers()).status_code == 404
    deleted = client.delete(f"{URL}/{theirs[0]['id']}", headers=tenant.headers())
    assert deleted.status_code == 404
    assert len(client.get(URL, headers=other_tenant.headers()).json()) == 1


def test_changing_needs_the_admin_scope(client: TestClient, tenant: Tenant) -> None:
    writer = tenant.headers(tenant.key(Scope.TICKETS_READ, Scope.TICKETS_WRITE))
    answer = client.post(URL, json={"shortcut": "x", "body": "y"}, headers=writer)
    assert answer.status_code == 403
    assert client.get(URL, headers=writer).json() == []
    assert client.get(URL, headers=tenant.headers(tenant.key(Scope.CHAT_READ))).status_code == 403


def test_placeholders_are_filled_and_other_braces_stay() -> None:
    body = "Hi {visitor_name}, {agent_name} here. {unknown} {{visitor_name}}"
    filled = canned.fill(body, visitor_name="Ada", agent_name="Alva")
    assert filled == "Hi Ada, Alva here. {unknown} {Ada}"
