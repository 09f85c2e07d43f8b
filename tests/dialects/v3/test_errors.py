"""Every error under /v3 uses the v3 envelope, whoever raises it; bad input is never a 500."""

from __future__ import annotations

import pytest

from tests.dialects.v3.conftest import V3, error_of


def test_unknown_paths_and_methods(v3: V3) -> None:
    assert error_of(v3.get("/v3/nothing/here"), 404)["error"] == "not_found"
    assert error_of(v3.get("/v3/"), 404)
    assert error_of(v3.client.patch("/v3/tickets", headers=v3.headers()), 405)
    assert error_of(v3.client.delete("/v3/tickets/categories", headers=v3.headers()), 405)


def test_an_oversize_body_is_a_413_in_the_envelope(v3: V3) -> None:
    limit = v3.services.settings.max_request_bytes
    response = v3.create(content="x" * (limit + 1))
    assert error_of(response, 413)["error"] == "too_large"


@pytest.mark.parametrize("raw", [b'{"title": "t"', b"not json", b"\xff\xfe", b"[1, 2]", b"null"])
def test_malformed_bodies_are_400(v3: V3, raw: bytes) -> None:
    headers = v3.headers(**{"Content-Type": "application/json"})
    for path in ("/v3/tickets", "/v3/tickets/contact", "/v3/tickets/1/reply"):
        error_of(v3.client.post(path, content=raw, headers=headers), 400)


@pytest.mark.parametrize("ticket_id", ["0", "-5", "abc", "1.5", "2147483648", "9" * 30])
def test_bad_ticket_ids_are_400(v3: V3, ticket_id: str) -> None:
    body = error_of(v3.get(f"/v3/tickets/{ticket_id}"), 400)
    assert body["field"] == "ticketId"
    error_of(v3.client.put(f"/v3/tickets/{ticket_id}/close", headers=v3.headers()), 400)


def test_errors_before_authentication_still_use_the_envelope(v3: V3) -> None:
    response = v3.client.get("/v3/tickets", headers={"PRIVATE-TOKEN": "x" * 5000})
    assert error_of(response, 401)
    assert "x" * 100 not in response.text  # the token is never echoed


def test_control_characters_in_headers_and_bodies_are_not_500s(v3: V3) -> None:
    ticket = v3.ticket()
    bodies = [
        {"title": "t\x00", "content": "c"},
        {"title": "t", "content": "c\x00"},
        {"title": "t", "content": "c", "attachmentIds": [None]},
        {"title": "t", "content": {"nested": 1}},
    ]
    for body in bodies:
        response = v3.client.post(
            f"/v3/tickets/{ticket['id']}/reply", json=body, headers=v3.headers()
        )
        error_of(response, 400)
