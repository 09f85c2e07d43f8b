"""Failed authentication is counted per client address and per key id, limited with a 429
and Retry-After in each dialect's envelope (4429 on the agent socket), and logged with the
key id only; X-Forwarded-For counts only from configured proxies."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from frontdesk.app import create_app
from frontdesk.chat.protocol import Close
from frontdesk.core.shared.records import Scope
from frontdesk.services import Services
from tests.conftest import Tenant


def app_with(services: Services, **settings: Any) -> Any:
    """An app over the session's database with its own limits (and so its own counters)."""
    changed = services.settings.model_copy(update=settings)
    return create_app(services=dataclasses.replace(services, settings=changed))


def client_at(app: Any, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def wrong(token: str) -> str:
    """The same key id with a wrong secret."""
    return token[: len("fdk_") + 16 + 1] + "x" * 43


def test_failures_from_one_address_are_limited_then_429_with_retry_after(
    services: Services, tenant: Tenant
) -> None:
    app = app_with(services, auth_failures_per_address=3, auth_failures_per_key=1000)
    attacker, bystander = client_at(app, "198.51.100.7"), client_at(app, "198.51.100.8")
    for n in range(3):
        bad = f"fdk_{n:016x}_{'y' * 43}"
        response = attacker.get("/api/v1/account", headers=tenant.headers(bad))
        assert response.status_code == 401, response.text
    refused = attacker.get("/api/v1/account", headers=tenant.headers("fdk_nonsense"))
    assert refused.status_code == 429, refused.text
    assert refused.json() == {
        "error": {
            "code": "too_many_failures",
            "message": "Too many failed authentications; try again later",
        }
    }
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    # Refused before the key is looked at: even the right key, from that address.
    assert attacker.get("/api/v1/account", headers=tenant.headers()).status_code == 429
    assert bystander.get("/api/v1/account", headers=tenant.headers()).status_code == 200


def test_failures_against_one_key_id_are_limited_from_any_address(
    services: Services, tenant: Tenant
) -> None:
    app = app_with(services, auth_failures_per_address=1000, auth_failures_per_key=2)
    target = tenant.key(Scope.TICKETS_READ)
    for n in range(2):
        response = client_at(app, f"192.0.2.{n + 1}").get(
            "/api/v1/account", headers=tenant.headers(wrong(target))
        )
        assert response.status_code == 401
    fresh = client_at(app, "192.0.2.99")
    assert fresh.get("/api/v1/account", headers=tenant.headers(wrong(target))).status_code == 429
    # Other keys are not affected.
    assert fresh.get("/api/v1/account", headers=tenant.headers()).status_code == 200


def test_every_credential_path_answers_429_in_its_own_envelope(
    services: Services, tenant: Tenant
) -> None:
    app = app_with(services, auth_failures_per_address=1, auth_failures_per_key=1000)
    workspace = tenant.account.public_id
    bad = "fdk_0123456789abcdef_" + "z" * 43
    paths: list[tuple[str, dict[str, str], str]] = [
        (f"/message/listTickets/{bad}/{tenant.id}", {}, "imbox"),
        (
            f"/v1/workspaces/{workspace}/tickets",
            {"Authorization": f"Bearer {bad}", "x-workspace-id": workspace},
            "inboxops",
        ),
        ("/v3/tickets", {"PRIVATE-TOKEN": "fdc_0123456789abcdef_" + "z" * 43}, "v3"),
    ]
    for index, (path, headers, dialect) in enumerate(paths):
        client = client_at(app, f"203.0.113.{index + 1}")
        assert client.get(path, headers=headers).status_code == 401
        response = client.get(path, headers=headers)
        assert response.status_code == 429, (dialect, response.text)
        assert int(response.headers["Retry-After"]) >= 1
        body = response.json()
        if dialect == "imbox":
            assert body["result"] == "error" and body["code"] == "too_many_failures"
        elif dialect == "inboxops":
            assert body["statusCode"] == 429 and body["code"] == "too_many_failures"
        else:
            assert body["code"] == 429 and body["error"] == "too_many_failures"


def test_the_agent_socket_is_closed_4429_past_the_limit(services: Services, tenant: Tenant) -> None:
    app = app_with(services, auth_failures_per_address=1, auth_failures_per_key=1000)
    client = client_at(app, "203.0.113.50")

    def hello(token: str) -> int:
        with client.websocket_connect("/chat/ws/agent") as ws:
            ws.send_json({"type": "hello", "token": token, "agentId": 1})
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        return closed.value.code

    assert hello("fdk_0123456789abcdef_" + "q" * 43) == Close.UNAUTHENTICATED
    assert hello(tenant.admin_key) == Close.RATE_LIMITED


def test_failures_are_logged_with_the_key_id_never_the_secret(
    services: Services, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with(services)
    token = wrong(tenant.key(Scope.TICKETS_READ))
    key_id = token.split("_")[1]
    secret = token[len("fdk_") + 17 :]
    caplog.set_level(logging.DEBUG)
    client_at(app, "198.51.100.77").get(f"/message/listTickets/{token}/{tenant.id}")
    # The server's records (the test client itself logs the URLs it requests).
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert f"authentication failed: api_key key id {key_id} from 198.51.100.77" in lines
    assert not any(secret in line or token in line for line in lines)


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    services: Services, tenant: Tenant
) -> None:
    app = app_with(
        services,
        trusted_proxies="10.1.2.3",
        auth_failures_per_address=2,
        auth_failures_per_key=1000,
    )
    bad = {"Authorization": "Bearer fdk_" + "0" * 16 + "_" + "w" * 43}
    # An untrusted peer cannot spread its failures over made-up addresses.
    spoofer = client_at(app, "198.51.100.200")
    codes = [
        spoofer.get(
            "/api/v1/account", headers={**bad, "X-Forwarded-For": f"192.0.2.{n}"}
        ).status_code
        for n in range(3)
    ]
    assert codes == [401, 401, 429]
    # Behind the trusted proxy, each forwarded client has its own count.
    proxy = client_at(app, "10.1.2.3")
    for client_ip in ("192.0.2.10", "192.0.2.11"):
        headers = {**bad, "X-Forwarded-For": f"6.6.6.6, {client_ip}"}
        assert [proxy.get("/api/v1/account", headers=headers).status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]
