"""Custom field types over the native API: definitions with `type` and `options`, values
checked when a ticket's fields are set (422 in the native error envelope), and changes a
stored value would not survive refused (409). Both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant


def _ticket(client: TestClient, tenant: Tenant, **extra: Any) -> Any:
    made = client.post(
        "/api/v1/tickets",
        json={"subject": "Seats", "message": {"body": "b"}, **extra},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    return made.json()


def test_definitions_round_trip_with_type_and_options(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    plan = client.post(
        "/api/v1/custom-fields",
        json={"name": "Plan", "type": "dropdown", "options": ["Bronze", "Silver", "Gold"]},
        headers=h,
    )
    assert plan.status_code == 201, plan.text
    plain = client.post("/api/v1/custom-fields", json={"name": "Order no"}, headers=h).json()
    assert plain["type"] == "text" and plain["options"] == []
    listed = {f["name"]: f for f in client.get("/api/v1/custom-fields", headers=h).json()}
    assert listed["Plan"]["type"] == "dropdown"
    assert listed["Plan"]["options"] == ["Bronze", "Silver", "Gold"]
    renamed = client.patch(
        f"/api/v1/custom-fields/{plan.json()['id']}",
        json={"name": "Tier", "options": ["Gold", "Platinum"]},
        headers=h,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Tier" and renamed.json()["options"] == ["Gold", "Platinum"]
    retyped = client.patch(
        f"/api/v1/custom-fields/{plain['id']}", json={"type": "number"}, headers=h
    )
    assert retyped.json()["type"] == "number" and retyped.json()["options"] == []


def test_values_are_normalised_and_bad_ones_refused(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    client.post("/api/v1/custom-fields", json={"name": "Seats", "type": "number"}, headers=h)
    client.post("/api/v1/custom-fields", json={"name": "Renewal", "type": "date"}, headers=h)
    ticket = _ticket(client, tenant, custom_fields={"Seats": "12.50", "Renewal": "2027-01-31"})
    assert ticket["custom_fields"] == {"Seats": "12.5", "Renewal": "2027-01-31"}
    refused = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"custom_fields": {"Seats": "many", "Renewal": "2027-02-01"}},
        headers=h,
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "error": {
            "code": "field_not_a_number",
            "message": "Seats takes a number such as 12 or 4.5",
            "field": "custom_fields.Seats",
        }
    }
    again = client.get(f"/api/v1/tickets/{ticket['id']}", headers=h).json()
    assert again["custom_fields"] == {"Seats": "12.5", "Renewal": "2027-01-31"}  # nothing
    opened = client.post(
        "/api/v1/tickets",
        json={"subject": "s", "message": {"body": "b"}, "custom_fields": {"Renewal": "soon"}},
        headers=h,
    )
    assert opened.status_code == 422 and opened.json()["error"]["code"] == "field_not_a_date"


def test_bad_definitions_and_unfitting_changes_are_refused(
    client: TestClient, tenant: Tenant
) -> None:
    h = tenant.headers()
    for body, code in (
        ({"name": "Plan", "type": "dropdown"}, "options_required"),
        ({"name": "Plan", "type": "number", "options": ["1"]}, "options_not_allowed"),
        ({"name": "Plan", "type": "colour"}, "invalid"),
    ):
        refused = client.post("/api/v1/custom-fields", json=body, headers=h)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code, body
    plan = client.post(
        "/api/v1/custom-fields",
        json={"name": "Plan", "type": "dropdown", "options": ["Bronze", "Gold"]},
        headers=h,
    ).json()
    _ticket(client, tenant, custom_fields={"Plan": "gold"})
    dropped = client.patch(
        f"/api/v1/custom-fields/{plan['id']}", json={"options": ["Bronze"]}, headers=h
    )
    assert dropped.status_code == 409
    assert dropped.json()["error"]["code"] == "field_option_in_use"
    retyped = client.patch(f"/api/v1/custom-fields/{plan['id']}", json={"type": "date"}, headers=h)
    assert retyped.status_code == 409
    assert retyped.json()["error"]["code"] == "field_values_do_not_fit"
    kept = client.get("/api/v1/custom-fields", headers=h).json()
    assert kept == [plan]
