"""SLA in the native API, on both databases: calendars and policies (admin), a ticket's
clocks (tickets:read), the error envelope for bad input, scopes and tenancy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant

OFFICE = {"name": "Office", "zone": "Europe/Stockholm",
          "hours": {"0": "09:00-17:00", "4": "09:00-12:00,13:00-16:00"},
          "holidays": ["2026-12-24"]}  # fmt: skip


def _policy(client: TestClient, tenant: Tenant) -> dict[str, object]:
    calendar = client.post("/api/v1/sla/calendars", json=OFFICE, headers=tenant.headers())
    assert calendar.status_code == 201, calendar.text
    body = {"name": "Standard", "calendar_id": calendar.json()["id"], "warn_minutes": 15,
            "targets": {"normal": {"first_response": 60, "resolution": 480}}}  # fmt: skip
    made = client.post("/api/v1/sla/policies", json=body, headers=tenant.headers())
    assert made.status_code == 201, made.text
    policy: dict[str, object] = made.json()
    return policy


def _ticket(client: TestClient, tenant: Tenant) -> int:
    body = {"subject": "Late parcel", "message": {"body": "Where is it?"},
            "requester_email": tenant.address("customer")}  # fmt: skip
    made = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_calendars_and_policies_round_trip(client: TestClient, tenant: Tenant) -> None:
    policy = _policy(client, tenant)
    calendars = client.get("/api/v1/sla/calendars", headers=tenant.headers()).json()
    assert calendars[0]["hours"] == {"0": "09:00-17:00", "4": "09:00-12:00,13:00-16:00"}
    assert calendars[0]["holidays"] == ["2026-12-24"]
    listed = client.get("/api/v1/sla/policies", headers=tenant.headers()).json()
    assert listed == [policy]
    assert policy["targets"] == {
        "normal": {"first_response": 60, "next_response": None, "resolution": 480}
    }
    changed = client.put(f"/api/v1/sla/policies/{policy['id']}", headers=tenant.headers(),
                         json={"name": "Gold", "targets": {}})  # fmt: skip
    assert changed.status_code == 200 and changed.json()["name"] == "Gold"
    gone = client.delete(f"/api/v1/sla/policies/{policy['id']}", headers=tenant.headers())
    assert gone.status_code == 204
    assert client.get("/api/v1/sla/policies", headers=tenant.headers()).json() == []


def test_a_tickets_clocks(client: TestClient, tenant: Tenant) -> None:
    reader = tenant.headers(tenant.key(Scope.TICKETS_READ))
    before = _ticket(client, tenant)
    none_yet = client.get(f"/api/v1/tickets/{before}/sla", headers=reader).json()
    assert none_yet == {"ticket_id": before, "policy_id": None, "due": None,
                        "breached": False, "clocks": []}  # fmt: skip
    policy = _policy(client, tenant)
    ticket_id = _ticket(client, tenant)
    answer = client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=reader)
    assert answer.status_code == 200
    sla = answer.json()
    assert sla["policy_id"] == policy["id"]
    metrics = {clock["metric"]: clock for clock in sla["clocks"]}
    assert set(metrics) == {"first_response", "resolution"}
    assert metrics["first_response"]["running"] is True
    assert sla["due"] == min(clock["due"] for clock in sla["clocks"])


def test_bad_input_is_a_422_in_the_native_envelope(client: TestClient, tenant: Tenant) -> None:
    cases = [
        ({**OFFICE, "zone": "Mars/Olympus"}, "unknown_time_zone"),
        ({**OFFICE, "hours": {"0": "9 to 5"}}, "invalid_hours"),
        ({**OFFICE, "hours": {"0": "09:00-12:00,11:00-13:00"}}, "overlapping_hours"),
        ({**OFFICE, "holidays": ["Christmas"]}, "invalid_date"),
    ]
    for body, code in cases:
        answer = client.post("/api/v1/sla/calendars", json=body, headers=tenant.headers())
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["error"]["code"] == code
    bad = {"name": "P", "targets": {"normal": {"first_response": -5}}}
    answer = client.post("/api/v1/sla/policies", json=bad, headers=tenant.headers())
    assert answer.status_code == 422
    unknown = {"name": "P", "targets": {}, "calendar_id": 999_999}
    answer = client.post("/api/v1/sla/policies", json=unknown, headers=tenant.headers())
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "calendar_not_found"
    assert client.get("/api/v1/sla/policies", headers=tenant.headers()).json() == []


def test_scopes_and_tenancy(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    policy = _policy(client, other_tenant)
    theirs = _ticket(client, other_tenant)
    assert client.get(f"/api/v1/tickets/{theirs}/sla", headers=tenant.headers()).status_code == 404
    answer = client.delete(f"/api/v1/sla/policies/{policy['id']}", headers=tenant.headers())
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "policy_not_found"
    agent_key = tenant.headers(tenant.key(Scope.TICKETS_READ, Scope.TICKETS_WRITE))
    answer = client.post("/api/v1/sla/calendars", json=OFFICE, headers=agent_key)
    assert answer.status_code == 403
    assert client.get("/api/v1/sla/policies", headers=agent_key).status_code == 403
