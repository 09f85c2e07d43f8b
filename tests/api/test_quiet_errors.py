"""A failed SQL statement is logged without the values it carried.

To make a statement fail for real, the test adds a unique index of its own (only over its
own account's rows) that a second contact with the same phone number violates; the API
then fails with a 500, whose log record must name neither the address nor the number. On
PostgreSQL the error's own DETAIL line repeats the key's values too; it is dropped.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from frontdesk.services import Services
from tests.conftest import Tenant


@pytest.fixture
def phones_unique(services: Services, tenant: Tenant) -> Iterator[None]:
    name = f"ix_test_phone_{secrets.token_hex(4)}"
    with services.store.engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE UNIQUE INDEX {name} ON contacts (phone) "
                f"WHERE account_id = {int(tenant.id)}"
            )
        )
    yield
    with services.store.engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {name}"))


def test_a_failed_statement_is_logged_without_its_values(
    client: TestClient, tenant: Tenant, phones_unique: None, caplog: pytest.LogCaptureFixture
) -> None:
    phone = f"+46 70 {secrets.randbelow(10**7):07d}"
    first = {"email": tenant.address("first"), "phone": phone}
    assert client.post("/api/v1/contacts", json=first, headers=tenant.headers()).status_code in (
        200,
        201,
    )
    secret_address = tenant.address("private-person")
    second = {"email": secret_address, "phone": phone}
    with caplog.at_level(logging.DEBUG):
        failed = client.post("/api/v1/contacts", json=second, headers=tenant.headers())
    assert failed.status_code == 500
    assert failed.json() == {"error": {"code": "internal_error", "message": "Internal error"}}
    formatter = logging.Formatter("%(name)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "unhandled error" in logged and "INSERT INTO contacts" in logged  # it was logged
    assert "parameters hidden" in logged  # SQLAlchemy says so instead of printing them
    assert secret_address not in logged and phone not in logged
    assert secret_address.split("@")[0] not in logged
