"""Real peers on loopback for the XOAUTH2 and inbox relay tests.

`TokenServer` is a tiny OAuth 2 authorisation server over HTTP: it answers the
refresh-token grant (RFC 6749 section 6) with opaque access tokens, rotates refresh
tokens when asked (as Microsoft's does), can revoke a grant (as a user withdrawing
consent does), and introspects tokens (RFC 7662) for the servers that check them: the
private dovecot (its oauth2 passdb) and `XOAuthRelay`, an aiosmtpd relay that takes
AUTH XOAUTH2 only and checks the bearer token at the same introspection URL.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.mail.conftest import RelayPeer, free_port

CLIENT_ID = "frontdesk-test-app"
CLIENT_SECRET = "app-secret-5d1"


@dataclass
class TokenServer:
    port: int
    lifetime: int = 3600  # expires_in of issued access tokens, in seconds
    rotate: bool = False  # issue a new refresh token with each access token
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> user
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    grants_asked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def grant(self, user: str) -> str:
        """A refresh token for `user`, as the provider's consent screen would give one."""
        token = "rt-" + secrets.token_urlsafe(16)
        with self.lock:
            self.refresh_tokens[token] = user
        return token

    def revoke_all(self) -> None:
        """The user withdrew consent: every refresh and access token stops working."""
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        """Access tokens end early (the provider's choice): their holders think them fresh."""
        with self.lock:
            self.access_tokens.clear()

    def user_of(self, access_token: str) -> str | None:
        with self.lock:
            found = self.access_tokens.get(access_token)
        if found is None or found[1] < time.time():
            return None
        return found[0]

    def refresh(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        with self.lock:
            self.grants_asked += 1
            user = self.refresh_tokens.get(form.get("refresh_token", ""))
            if user is None:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            access = "at-" + secrets.token_urlsafe(16)
            self.access_tokens[access] = (user, time.time() + self.lifetime)
            answer: dict[str, Any] = {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.lifetime,
            }
            if self.rotate:
                del self.refresh_tokens[form["refresh_token"]]
                rotated = "rt-" + secrets.token_urlsafe(16)
                self.refresh_tokens[rotated] = user
                answer["refresh_token"] = rotated
        return 200, answer

    def introspect(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        user = self.user_of(form.get("token", ""))
        return 200, ({"active": True, "username": user} if user else {"active": False})


def _handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            pairs = urllib.parse.parse_qsl(self.rfile.read(length).decode())
            form = dict(pairs)
            if self.path == "/token":
                status, answer = server.refresh(form)
            elif self.path == "/introspect":
                status, answer = server.introspect(form)
            else:
                status, answer = 404, {"error": "not_found"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:  # quiet
            return

    return Handler


@contextmanager
def running_token_server() -> Iterator[TokenServer]:
    server = TokenServer(free_port())
    http = ThreadingHTTPServer(("127.0.0.1", server.port), _handler(server))
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()


@dataclass
class XOAuthRelay(RelayPeer):
    """An SMTP relay that takes mail only after AUTH XOAUTH2 with a token the token
    server says is active and belongs to the user named."""

    tokens: TokenServer | None = None
    logins: list[str] = field(default_factory=list)  # users who logged in
    refusals: int = 0

    async def auth_XOAUTH2(self, server: SmtpServer, args: list[str]) -> AuthResult:
        initial = args[1] if len(args) > 1 else ""
        user, token = _xoauth2_parts(initial)
        assert self.tokens is not None
        active = await asyncio.to_thread(_introspect, self.tokens.url, token)
        if active is None or active != user:
            self.refusals += 1
            # As Google does: a JSON challenge, then 535 once the client answers it.
            challenge = json.dumps({"status": "401", "schemes": "Bearer", "scope": "mail"})
            await server.challenge_auth(challenge)
            return AuthResult(success=False, handled=False)
        self.logins.append(user)
        return AuthResult(success=True, auth_data=user)

    def start(self) -> None:
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            auth_require_tls=False,
            auth_required=True,
            auth_exclude_mechanism=["LOGIN", "PLAIN"],
        )
        self.controller.start()


def _xoauth2_parts(initial: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(initial).decode()
    except ValueError:
        return "", ""
    fields = dict(part.split("=", 1) for part in decoded.split("\x01") if "=" in part)
    bearer = fields.get("auth", "")
    return fields.get("user", ""), bearer.removeprefix("Bearer ")


def _introspect(base: str, token: str) -> str | None:
    data = urllib.parse.urlencode({"token": token}).encode()
    with urllib.request.urlopen(f"{base}/introspect", data, timeout=5) as response:  # noqa: S310
        answer = json.loads(response.read())
    return answer.get("username") if answer.get("active") else None


@dataclass
class PasswordRelay(RelayPeer):
    """An SMTP relay that takes mail only after AUTH PLAIN / LOGIN with its one account."""

    user: str = "sales-relay"
    password: str = "relay-pass-9"

    def _check(
        self, _server: SmtpServer, _session: Session, _env: Envelope, _mech: str, data: Any
    ) -> AuthResult:
        known = LoginPassword(self.user.encode(), self.password.encode())
        return AuthResult(success=isinstance(data, LoginPassword) and data == known, handled=False)

    def start(self) -> None:
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._check,
            auth_require_tls=False,
            auth_required=True,
        )
        self.controller.start()
