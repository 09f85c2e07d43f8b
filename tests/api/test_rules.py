"""Rules and macros in the native API, on both databases: define, order, check, apply a
macro (its reply e-mailed with placeholders filled), scopes and tenancy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from frontdesk.core.identity import accounts
from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant

RULES = "/api/v1/rules"


def make(client: TestClient, tenant: Tenant, body: dict[str, object]) -> dict[str, object]:
    answer = client.post(RULES, json=body, headers=tenant.headers())
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def ticket(client: TestClient, tenant: Tenant, subject: str, **extra: object) -> dict[str, object]:
    body = {"subject": subject, "message": {"body": "hi"},
            "requester_email": tenant.address("ann"), **extra}  # fmt: skip
    answer = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def test_a_trigger_defined_over_the_api_runs_on_the_next_ticket(
    client: TestClient, tenant: Tenant
) -> None:
    rule = make(client, tenant, {
        "kind": "trigger", "name": "Refunds",
        "conditions": [{"subject": "event", "operator": "is", "value": "ticket.opened"},
                       {"subject": "subject", "operator": "contains", "value": ["refund"]}],
        "actions": [{"kind": "add_labels", "value": ["billing"]},
                    {"kind": "set_priority", "value": "high"}],
    })  # fmt: skip
    assert rule["conditions"][1] == {
        "subject": "subject",
        "operator": "contains",
        "value": ["refund"],
    }  # type: ignore[index]
    made = ticket(client, tenant, "Refund please")
    got = client.get(f"/api/v1/tickets/{made['id']}", headers=tenant.headers()).json()
    assert (got["labels"], got["priority"]) == (["billing"], "high")
    listed = client.get(RULES, params={"kind": "trigger"}, headers=tenant.headers()).json()
    assert [item["name"] for item in listed] == ["Refunds"]


def test_order_update_delete_and_bad_rules(client: TestClient, tenant: Tenant) -> None:
    simple = {"conditions": [], "actions": [{"kind": "add_tags", "value": ["x"]}]}
    one = make(client, tenant, {"name": "One", **simple})
    two = make(client, tenant, {"name": "Two", **simple})
    ordered = client.put(f"{RULES}/order", json={"kind": "trigger", "ids": [two["id"], one["id"]]},
                         headers=tenant.headers())  # fmt: skip
    assert [item["name"] for item in ordered.json()] == ["Two", "One"]
    bad_order = client.put(f"{RULES}/order", json={"kind": "trigger", "ids": [two["id"]]},
                           headers=tenant.headers())  # fmt: skip
    assert bad_order.status_code == 422
    changed = client.put(f"{RULES}/{one['id']}", json={"name": "Uno", **simple, "active": False},
                         headers=tenant.headers())  # fmt: skip
    assert (changed.json()["name"], changed.json()["active"]) == ("Uno", False)
    bad = client.post(RULES, json={"name": "Bad", "conditions": [
        {"subject": "colour", "operator": "is", "value": "red"}], "actions": simple["actions"]},
        headers=tenant.headers())  # fmt: skip
    assert bad.status_code == 422
    assert "colour" in bad.text
    assert client.delete(f"{RULES}/{two['id']}", headers=tenant.headers()).status_code == 204
    assert client.get(f"{RULES}/{two['id']}", headers=tenant.headers()).status_code == 404


def test_applying_a_macro_changes_the_ticket_and_mails_the_reply(
    client: TestClient, tenant: Tenant
) -> None:
    with tenant.services.store.write() as uow:
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
    macro = make(client, tenant, {
        "kind": "macro", "name": "Refund done",
        "actions": [{"kind": "add_tags", "value": ["refunded"]}],
        "reply": "Hi {{requester.email}}, ticket #{{ticket.number}} is refunded.",
    })  # fmt: skip
    made = ticket(client, tenant, "Money back", inbox_id=inbox.id)
    writer = tenant.headers(tenant.key(Scope.TICKETS_READ, Scope.TICKETS_WRITE))
    assert [m["name"] for m in client.get("/api/v1/macros", headers=writer).json()] == [
        "Refund done"
    ]
    applied = client.post(f"/api/v1/tickets/{made['id']}/macros/{macro['id']}", headers=writer)
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "pending"
    got = client.get(f"/api/v1/tickets/{made['id']}", headers=writer).json()
    assert got["tags"] == ["refunded"]
    replies = [(m["body"], m["to"]) for m in got["messages"] if m["kind"] == "external"][1:]
    wanted = f"Hi {tenant.address('ann')}, ticket #{made['number']} is refunded."
    assert replies == [(wanted, [tenant.address("ann")])]


def test_scopes_and_tenancy(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    macro = make(client, tenant, {"kind": "macro", "name": "M", "actions": [
        {"kind": "add_tags", "value": ["m"]}]})  # fmt: skip
    reader = tenant.headers(tenant.key(Scope.TICKETS_READ))
    writer = tenant.headers(tenant.key(Scope.TICKETS_READ, Scope.TICKETS_WRITE))
    assert client.post(RULES, json={"name": "x", "actions": []}, headers=writer).status_code == 403
    assert client.get(RULES, headers=writer).status_code == 403
    mine = ticket(client, tenant, "Mine")
    assert client.post(f"/api/v1/tickets/{mine['id']}/macros/{macro['id']}",
                       headers=reader).status_code == 403  # fmt: skip
    theirs = ticket(client, other_tenant, "Theirs")
    foreign = client.post(f"/api/v1/tickets/{theirs['id']}/macros/{macro['id']}", headers=writer)
    assert foreign.status_code == 404
    other_macro = client.post(
        f"/api/v1/tickets/{theirs['id']}/macros/{macro['id']}", headers=other_tenant.headers()
    )
    assert other_macro.status_code == 404
    assert client.get(f"{RULES}/{macro['id']}", headers=other_tenant.headers()).status_code == 404
