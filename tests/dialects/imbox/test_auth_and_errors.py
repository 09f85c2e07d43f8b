"""Keys in the path: who may call what, the error envelope everywhere under /message/,
and the key never showing in an error or a log line."""

from __future__ import annotations

import logging

import pytest

from frontdesk.core.identity import credentials
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant
from tests.dialects.imbox.conftest import ImBox

READS = [
    ("listTickets", ()),
    ("listTicketsEmails", ()),
    ("grabTicket", (1,)),
]
EMAIL_WINDOW = {"startTime": "2020-01-01", "endTime": "2020-01-02"}


def _error(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["result"] == "error"
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


@pytest.mark.parametrize(("endpoint", "rest"), READS)
def test_reads_need_a_valid_key_of_that_user_with_tickets_read(
    imbox: ImBox, other_tenant: Tenant, endpoint: str, rest: tuple[int, ...]
) -> None:
    def call(key: str, user: object = None) -> object:
        params = EMAIL_WINDOW if endpoint == "listTicketsEmails" else {}
        return imbox.client.get(imbox.url(endpoint, *rest, key=key, user=user), params=params)

    _error(call("garbage"), 401, "invalid_credentials")
    _error(call(imbox.key[:-2] + "xx"), 401, "invalid_credentials")
    _error(call(imbox.write_key), 403, "missing_scope")
    _error(call(imbox.key, user=other_tenant.id), 403, "wrong_user")
    _error(call(imbox.key, user="abc"), 403, "wrong_user")
    foreign = other_tenant.key(Scope.TICKETS_READ)
    _error(call(foreign), 403, "wrong_user")
    assert call(foreign, user=other_tenant.id).status_code in (200, 404)  # type: ignore[attr-defined]


def test_a_revoked_key_or_a_customer_token_is_refused(imbox: ImBox) -> None:
    with imbox.services.store.write() as uow:
        issued = credentials.issue_api_key(uow, imbox.tenant.actor, "gone", [Scope.TICKETS_READ])
        credentials.revoke(uow, imbox.tenant.actor, CredentialKind.API_KEY, issued.credential.id)
    _error(imbox.client.get(imbox.url("listTickets", key=issued.token)), 401, "invalid_credentials")


def test_every_error_under_message_uses_the_imbox_envelope(imbox: ImBox) -> None:
    _error(imbox.client.get("/message/nothingHere"), 404, "not_found")
    _error(imbox.client.get(f"/message/listTickets/{imbox.key}"), 404, "not_found")
    _error(imbox.client.delete(imbox.url("listTickets")), 405, "method_not_allowed")
    _error(imbox.client.post(imbox.url("insertTicket"), content=b"x" * 100_000), 413, "too_large")
    # elsewhere the native envelope stays
    assert set(imbox.client.get("/api/v1/nothing").json()) == {"error"}


def test_the_key_never_appears_in_errors_or_logs(
    imbox: ImBox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses = [
        imbox.client.get(imbox.url("listTickets"), params={"limit": "x"}),
        imbox.client.get(imbox.url("listTickets", key=imbox.write_key)),
        imbox.client.get(imbox.url("grabTicket", 999_999_999)),
        imbox.client.get(imbox.url("listTicketsEmails"), params={"timezone": "x"}),
        imbox.client.post(imbox.url("insertTicket"), json={"fromEmail": 1}),
        imbox.client.post(
            imbox.url("insertTicket", key=imbox.write_key), json=imbox.body(toEmail="a@b.org")
        ),
        imbox.client.get(imbox.url("listTickets", user=0)),
        imbox.client.delete(imbox.url("listTickets")),
    ]
    secrets = {imbox.key, imbox.write_key}
    # fdk_<id>_<secret>: the secret may itself hold "_", so split from the left.
    secret_parts = {key.split("_", 2)[2] for key in secrets}
    for response in responses:
        assert response.status_code >= 400
        assert not any(part in response.text for part in secret_parts), response.text
        assert not any(part in str(response.headers) for part in secret_parts)
    # The test client logs its own request URLs; everything the server side logs counts.
    # TestClient never runs uvicorn, so its access log is not here: tests/cli/test_cli.py
    # calls a real `frontdesk serve` with the key in the path and reads both its streams.
    client_side = ("httpx", "httpx2", "httpcore")
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.split(".")[0] not in client_side
    )
    assert not any(part in logged for part in secret_parts)
