"""Body limits before authentication, against a real server over raw sockets.

The issue: claiming `multipart/form-data` raised the body limit to the attachment limit on
any route, and an upload's body was received whole before a wrong key was told 401. Here a
request sends its headers and none of the body it announces; an answer that arrives all
the same shows the server refused without reading (before, it waited for the body).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.live import serving

BOUNDARY = "frontdesk-test-boundary"
ANSWER_WITHIN_SECONDS = 10


@pytest.fixture(scope="module")
def server(services: Services) -> Iterator[str]:
    with serving(create_app(services=services)) as host:
        yield host


def _status_without_body(host: str, path: str, length: int, headers: dict[str, str]) -> int:
    """Send the request's head announcing `length` bytes, none of them; the answer's status."""
    address, port = host.split(":")
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with socket.create_connection((address, int(port)), timeout=ANSWER_WITHIN_SECONDS) as sock:
        sock.sendall(head)
        try:
            first = sock.recv(4096)
        except TimeoutError:
            pytest.fail(
                f"no answer within {ANSWER_WITHIN_SECONDS} s: the server waits for the body"
            )
    return int(first.split(b" ", 2)[1])


def _between_limits(services: Services) -> int:
    """Over the JSON limit, under the attachment limit."""
    settings = services.settings
    assert settings.max_request_bytes < settings.max_attachment_bytes
    return (settings.max_request_bytes + settings.max_attachment_bytes) // 2


def test_a_multipart_claim_on_a_json_route_keeps_the_json_limit(
    server: str, services: Services, tenant: Tenant
) -> None:
    length = _between_limits(services)
    status = _status_without_body(server, "/api/v1/tickets", length, tenant.headers())
    assert status == 413


@pytest.mark.parametrize("credential", ["none", "wrong"])
def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(
    server: str, services: Services, tenant: Tenant, credential: str
) -> None:
    with services.store.read() as uow:
        workspace = uow.accounts.get_account(tenant.id).public_id  # type: ignore[union-attr]
    wrong = "fdk_0000000000000000_" + "x" * 43
    uploads = {
        "/api/v1/attachments": {"Authorization": f"Bearer {wrong}"},
        "/v3/tickets/attachment": {"PRIVATE-TOKEN": "fdc_0000000000000000_" + "x" * 43},
        f"/v1/workspaces/{workspace}/tickets/{'0' * 8}-0000-4000-8000-{'0' * 12}/attachments": {
            "Authorization": f"Bearer {wrong}",
            "x-workspace-id": workspace,
        },
    }
    length = _between_limits(services)
    for path, headers in uploads.items():
        sent = headers if credential == "wrong" else {}
        assert _status_without_body(server, path, length, sent) == 401, path


def test_an_upload_route_still_takes_a_file_over_the_json_limit(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    data = b"x" * _between_limits(services)
    made = client.post(
        "/api/v1/attachments", files={"attachment": ("big.bin", data)}, headers=tenant.headers()
    )
    assert made.status_code == 201, made.text
    assert made.json()["size"] == len(data)
    too_much = client.post(
        "/api/v1/tickets",
        files={"attachment": ("big.bin", data)},
        headers=tenant.headers(),
    )
    assert too_much.status_code == 413 and too_much.json()["error"]["code"] == "too_large"
