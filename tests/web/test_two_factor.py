"""Two-factor sign-in over HTTP on both databases: enrolling an authenticator app, the
sign-in's second step, recovery codes, throttling, and the owner's rule.

Codes are computed here with pyotp from the secret the page shows. A code is accepted
once (its 30-second step is remembered), and the server takes the previous, the current
and the next step: so an app is turned on with the current step's code and a later
sign-in uses the next step's, which is newer and still accepted even when a step boundary
passes between computing a code and the server checking it.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.core.identity import passkeys, sessions, twofactor
from frontdesk.core.shared.errors import Conflict, Forbidden, NotFound
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.helpers import PASSWORD, Desk, csrf_of, make_desk, make_owner, signed_in

_SECRET = re.compile(r"data-totp-secret>([A-Z2-7]+)<")
_CODE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def code_at(secret: str, steps: int) -> str:
    """The app's code `steps` 30-second steps from now (-1, 0 or 1 are accepted)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def post(client: TestClient, path: str, page: Any, **data: str) -> Any:
    return client.post(
        path, data={**data, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )


def enrol_totp(client: TestClient) -> tuple[str, list[str]]:
    """Set up the app through the security page: (its secret, the recovery codes)."""
    page = client.get("/settings/security")
    assert page.status_code == 200, page.text[:300]
    started = post(client, "/settings/security/totp", page)
    assert started.status_code == 200
    assert "<svg" in started.text and "QR code for your authenticator app" in started.text
    secret = _SECRET.search(started.text)
    assert secret, "the page shows the key to type"
    confirmed = post(
        client, "/settings/security/totp/confirm", started, code=code_at(secret.group(1), 0)
    )
    assert confirmed.status_code == 200, confirmed.text[:500]
    codes = _CODE.findall(confirmed.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert confirmed.headers["cache-control"] == "no-store"
    return secret.group(1), codes


def password_step(app: FastAPI, email: str, target: str = "") -> tuple[TestClient, Any]:
    client = TestClient(app, base_url="http://testserver")
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": target,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client, answer


def second_step(client: TestClient, code: str, target: str = "") -> Any:
    page = client.get("/login/two-factor")
    assert page.status_code == 200
    return post(client, "/login/two-factor", page, code=code, next=target)


def _rows(services: Services, table: Any, agent_id: int) -> list[Any]:
    with services.store.engine.connect() as conn:
        return list(conn.execute(select(table).where(table.c.agent_id == agent_id)))


def test_enrolling_stores_the_secret_sealed_and_the_codes_hashed(
    web_app: FastAPI, desk: Desk
) -> None:
    client = signed_in(web_app, desk.agent.email)
    secret, codes = enrol_totp(client)
    [row] = _rows(desk.services, t.agent_totp, desk.agent.id)
    assert row.confirmed is not None
    assert secret not in row.secret and row.secret.startswith("fernet:")
    stored = _rows(desk.services, t.agent_recovery_codes, desk.agent.id)
    assert len(stored) == 10
    kept = " ".join(str(tuple(row)) for row in stored)
    assert not any(code in kept or code.replace("-", "") in kept for code in codes)
    page = client.get("/settings/security")
    assert "10 unused recovery codes left." in page.text
    assert secret not in page.text and codes[0] not in page.text  # shown once only


def test_a_wrong_first_code_does_not_turn_the_app_on(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/settings/security")
    started = post(client, "/settings/security/totp", page)
    secret = _SECRET.search(started.text)
    assert secret
    wrong = str((int(code_at(secret.group(1), 0)) + 1) % 1_000_000).zfill(6)
    answer = post(client, "/settings/security/totp/confirm", started, code=wrong)
    assert answer.status_code == 422
    assert "That code is not right." in answer.text
    assert secret.group(1) in answer.text  # the same setup, to try again
    [row] = _rows(desk.services, t.agent_totp, desk.agent.id)
    assert row.confirmed is None
    assert _rows(desk.services, t.agent_recovery_codes, desk.agent.id) == []
    fresh = password_step(web_app, desk.agent.email)[1]
    assert fresh.headers["location"] == "/tickets"  # no second step yet


def test_signing_in_asks_for_the_code_and_nothing_opens_before_it(
    web_app: FastAPI, desk: Desk
) -> None:
    secret, _codes = enrol_totp(signed_in(web_app, desk.agent.email))
    client, answer = password_step(web_app, desk.agent.email, "/tickets?view=open")
    assert answer.headers["location"] == "/login/two-factor?next=%2Ftickets%3Fview%3Dopen"
    for path in ("/tickets", "/settings/security", "/settings/profile", "/chats"):
        held = client.get(path, follow_redirects=False)
        assert held.status_code == 303 and held.headers["location"] == "/login/two-factor", path
    assert (
        client.get("/login", follow_redirects=False)
        .headers["location"]
        .startswith("/login/two-factor")
    )
    wrong = second_step(client, "000000" if code_at(secret, 0) != "000000" else "111111")
    assert wrong.status_code == 401 and "That code is not right." in wrong.text
    used = code_at(secret, 1)
    done = second_step(client, used, "/tickets?view=open")
    assert done.status_code == 303 and done.headers["location"] == "/tickets?view=open"
    assert client.get("/tickets").status_code == 200
    # The same code again, in another browser: refused (each code works once). The very
    # string: a code computed again could belong to the next step by now.
    other, _ = password_step(web_app, desk.agent.email)
    assert second_step(other, used).status_code == 401
    assert other.get("/tickets", follow_redirects=False).status_code == 303


def test_a_recovery_code_works_once(web_app: FastAPI, desk: Desk) -> None:
    _secret, codes = enrol_totp(signed_in(web_app, desk.agent.email))
    first, _ = password_step(web_app, desk.agent.email)
    # a passkey prompt asked for and not used leaves a challenge, which the code then clears
    page = first.get("/login/two-factor")
    asked = first.post(
        "/login/two-factor/passkey/options", headers={"X-CSRF-Token": csrf_of(page.text)}
    )
    assert asked.status_code == 200
    assert second_step(first, codes[3].upper()).status_code == 303  # case does not matter
    assert first.get("/tickets").status_code == 200
    again, _ = password_step(web_app, desk.agent.email)
    assert second_step(again, codes[3]).status_code == 401
    assert "9 unused recovery codes left." in first.get("/settings/security").text
    # the session that passed is recorded with how (kills twofactor.finish's event mutants),
    # and its challenge is cleared (its "challenge" key in another spelling)
    (verified,) = _event_data(desk.services, desk.tenant, twofactor.SESSION_VERIFIED)
    assert verified["method"] == "recovery_code"
    with desk.services.store.engine.connect() as conn:
        row = conn.execute(
            select(t.web_sessions).where(t.web_sessions.c.id == verified["session_id"])
        ).one()
    assert (row.agent_id, row.challenge) == (desk.agent.id, None)


def test_wrong_codes_are_throttled_like_wrong_passwords(web_app: FastAPI, desk: Desk) -> None:
    secret, _codes = enrol_totp(signed_in(web_app, desk.agent.email))
    client, _ = password_step(web_app, desk.agent.email)
    for _attempt in range(5):
        assert second_step(client, "abcde-fghjk").status_code == 401
    blocked = second_step(client, code_at(secret, 0))  # even the right code waits
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Too many wrong codes. Try again in 15 minutes." in blocked.text
    assert client.get("/tickets", follow_redirects=False).status_code == 303


def test_turning_the_app_off_takes_a_code_or_the_password(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    enrol_totp(client)
    page = client.get("/settings/security")
    refused = post(client, "/settings/security/totp/disable", page, code="123")
    assert refused.status_code == 422
    assert len(_rows(desk.services, t.agent_totp, desk.agent.id)) == 1
    done = post(client, "/settings/security/totp/disable", page, password=PASSWORD)
    assert done.status_code == 303
    assert _rows(desk.services, t.agent_totp, desk.agent.id) == []
    assert _rows(desk.services, t.agent_recovery_codes, desk.agent.id) == []
    assert password_step(web_app, desk.agent.email)[1].headers["location"] == "/tickets"


def _require(client: TestClient, on: bool) -> Any:
    page = client.get("/settings/security")
    return post(client, "/settings/security/require", page, **({"required": "on"} if on else {}))


def test_the_owner_requires_two_factor_of_everyone(web_app: FastAPI, desk: Desk) -> None:
    owner = signed_in(web_app, make_owner(desk).email)
    refused = _require(owner, True)  # not before the owner has a factor
    assert refused.status_code == 409
    assert "Set up two-factor sign-in for yourself before requiring it" in refused.text
    enrol_totp(owner)
    already = signed_in(web_app, desk.colleague.email)  # signed in before the rule
    assert _require(owner, True).status_code == 303
    # The agent signed in before is held at once; a new sign-in is sent to enrol.
    held = already.get("/tickets", follow_redirects=False)
    assert held.headers["location"] == "/settings/security"
    client, answer = password_step(web_app, desk.agent.email)
    assert answer.headers["location"].startswith("/settings/security")
    page = client.get("/settings/security")
    assert page.status_code == 200
    assert "Your team requires two-factor sign-in." in page.text
    assert 'href="/tickets' not in page.text  # no workspace around it
    for path in ("/tickets", "/chats", "/settings/profile", "/notifications"):
        blocked = client.get(path, follow_redirects=False)
        assert blocked.headers["location"] == "/settings/security", path
    enrolled = post(client, "/settings/security/totp", client.get("/settings/security"))
    secret = _SECRET.search(enrolled.text)
    assert secret
    confirm = post(client, "/settings/security/totp/confirm", enrolled, code=code_at(secret[1], 0))
    assert "Your recovery codes" in confirm.text
    assert "Your team requires two-factor sign-in." not in confirm.text  # no longer held
    assert 'href="/tickets' in confirm.text  # the workspace is back around the page
    assert client.get("/tickets").status_code == 200
    # The last factor cannot be removed while the rule holds.
    page = client.get("/settings/security")
    kept = post(client, "/settings/security/totp/disable", page, password=PASSWORD)
    assert kept.status_code == 409
    assert len(_rows(desk.services, t.agent_totp, desk.agent.id)) == 1
    # Turning the rule off lets the held agent go on.
    assert _require(owner, False).status_code == 303
    assert already.get("/tickets").status_code == 200


def test_only_the_owner_sets_the_rule(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    enrol_totp(client)
    page = client.get("/settings/security")
    assert "Two-factor sign-in for everyone" not in page.text
    refused = post(client, "/settings/security/require", page, required="on")
    assert refused.status_code == 403
    with desk.services.store.engine.connect() as conn:
        required = conn.execute(
            select(t.accounts.c.require_two_factor).where(t.accounts.c.id == desk.tenant.id)
        ).scalar_one()
    assert required is False


def test_sign_out_works_while_held_at_the_second_step(web_app: FastAPI, desk: Desk) -> None:
    enrol_totp(signed_in(web_app, desk.agent.email))
    client, _ = password_step(web_app, desk.agent.email)
    page = client.get("/login/two-factor")
    out = post(client, "/logout", page)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (
        client.get("/login/two-factor", follow_redirects=False)
        .headers["location"]
        .startswith("/login?next=")
    )


def test_another_agents_passkey_is_not_found(web_app: FastAPI, desk: Desk) -> None:
    with desk.services.store.write() as uow:
        uow.two_factor.insert_passkey(
            {
                "account_id": desk.tenant.id, "agent_id": desk.colleague.id, "name": "Theirs",
                "credential_id": secrets.token_urlsafe(16), "public_key": "AAAA", "sign_count": 0,
                "created": 1,
            }
        )  # fmt: skip
    [key] = _rows(desk.services, t.agent_passkeys, desk.colleague.id)
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/settings/security")
    assert post(client, f"/settings/security/passkeys/{key.id}/remove", page).status_code == 404
    renamed = post(client, f"/settings/security/passkeys/{key.id}/rename", page, name="Mine")
    assert renamed.status_code == 404
    assert _rows(desk.services, t.agent_passkeys, desk.colleague.id)[0].name == "Theirs"


def test_the_security_page_needs_the_csrf_token(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    refused = client.post("/settings/security/totp", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert _rows(desk.services, t.agent_totp, desk.agent.id) == []


def test_a_passkey_answer_without_its_challenge_or_signature_is_refused_and_counted(
    web_app: FastAPI, desk: Desk
) -> None:
    enrol_totp(signed_in(web_app, desk.agent.email))
    key_id = secrets.token_urlsafe(16)  # credential ids are unique across the installation
    with desk.services.store.write() as uow:
        uow.two_factor.insert_passkey(
            {
                "account_id": desk.tenant.id, "agent_id": desk.agent.id, "name": "Laptop",
                "credential_id": key_id, "public_key": "AAAA", "sign_count": 0, "created": 1,
            }
        )  # fmt: skip
    client, _ = password_step(web_app, desk.agent.email)
    page = client.get("/login/two-factor")
    assert "Use a passkey" in page.text
    headers = {"X-CSRF-Token": csrf_of(page.text)}
    forged = {"credential": {"id": key_id, "rawId": key_id, "type": "public-key", "response": {}}}
    # No options asked for: there is no challenge to answer.
    early = client.post("/login/two-factor/passkey", json=forged, headers=headers)
    assert early.status_code == 401 and "error" in early.json()
    for _attempt in range(5):
        options = client.post("/login/two-factor/passkey/options", headers=headers)
        assert options.status_code == 200
        assert [c["id"] for c in options.json()["allowCredentials"]] == [key_id]
        assert options.json()["timeout"] == 120_000  # two minutes, not webauthn's default one
        refused = client.post("/login/two-factor/passkey", json=forged, headers=headers)
        assert refused.status_code == 401
    client.post("/login/two-factor/passkey/options", headers=headers)
    blocked = client.post("/login/two-factor/passkey", json=forged, headers=headers)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert client.get("/tickets", follow_redirects=False).headers["location"] == "/login/two-factor"
    # Without the CSRF header nothing is asked at all.
    assert client.post("/login/two-factor/passkey/options").status_code == 403


# -- passkeys' rename and removal in the core (core/identity's passkeys) ----------------------


def _passkey(services: Services, tenant: Tenant, agent_id: int, name: str) -> int:
    with services.store.write() as uow:
        key = uow.two_factor.insert_passkey(
            {
                "account_id": tenant.id, "agent_id": agent_id, "name": name,
                "credential_id": secrets.token_urlsafe(16), "public_key": "AAAA", "sign_count": 0,
                "created": 1,
            }
        )  # fmt: skip
    return key.id


def _event_data(services: Services, tenant: Tenant, kind: str) -> list[dict[str, Any]]:
    with services.store.engine.connect() as conn:
        rows = conn.execute(
            select(t.events.c.data)
            .where(t.events.c.account_id == tenant.id, t.events.c.kind == kind)
            .order_by(t.events.c.id)
        ).all()
    return [json.loads(row[0]) for row in rows]


def test_an_agent_renames_their_own_passkey_only(desk: Desk) -> None:
    # kills rename's and _own_key's mutants: the cleaned name stored, the event's passkey_id,
    # another agent's key not found with its code and message
    services, tenant = desk.services, desk.tenant
    mine = _passkey(services, tenant, desk.agent.id, "Laptop")
    theirs = _passkey(services, tenant, desk.colleague.id, "Theirs")
    actor = sessions.agent_actor(desk.agent)
    with services.store.write() as uow:
        renamed = passkeys.rename(uow, actor, mine, "  Work laptop  ")
    assert (renamed.id, renamed.name) == (mine, "Work laptop")
    assert [k.name for k in _listed(services, desk.agent.id)] == ["Work laptop"]
    with pytest.raises(NotFound) as missing, services.store.write() as uow:
        passkeys.rename(uow, actor, theirs, "Mine")
    assert (missing.value.code, missing.value.message) == (
        "passkey_not_found",
        f"No passkey {theirs}",
    )
    assert [k.name for k in _listed(services, desk.colleague.id)] == ["Theirs"]
    assert _event_data(services, tenant, passkeys.PASSKEY_RENAMED) == [{"passkey_id": mine}]


def _listed(services: Services, agent_id: int) -> list[Any]:
    with services.store.read() as uow:
        return uow.two_factor.list_passkeys(agent_id)


def test_removing_the_last_passkey_clears_the_recovery_codes_and_is_recorded(
    desk: Desk,
) -> None:
    # kills remove's mutants: the key deleted (not another), recovery codes cleared only when
    # no factor is left, the event's passkey_id; and the owner's rule on the last factor
    services, tenant = desk.services, desk.tenant
    first = _passkey(services, tenant, desk.agent.id, "One")
    second = _passkey(services, tenant, desk.agent.id, "Two")
    actor = sessions.agent_actor(desk.agent)
    with services.store.write() as uow:
        uow.two_factor.replace_recovery_codes(tenant.id, desk.agent.id, ["a", "b"], 1)
    with services.store.write() as uow:
        passkeys.remove(uow, actor, first)
    assert [k.id for k in _listed(services, desk.agent.id)] == [second]
    with services.store.read() as uow:
        assert uow.two_factor.recovery_codes_left(desk.agent.id) == 2  # a factor is left
    owner = sessions.agent_actor(make_owner(desk))
    _passkey(services, tenant, owner.agent_id or 0, "Owner's")
    with services.store.write() as uow:
        twofactor.require_two_factor(uow, owner, True)
    with pytest.raises(Conflict) as kept, services.store.write() as uow:
        passkeys.remove(uow, actor, second)
    assert kept.value.code == "two_factor_required"
    with services.store.write() as uow:
        twofactor.require_two_factor(uow, owner, False)
    with services.store.write() as uow:
        passkeys.remove(uow, actor, second)
    assert _listed(services, desk.agent.id) == []
    with services.store.read() as uow:
        assert uow.two_factor.recovery_codes_left(desk.agent.id) == 0
    assert _event_data(services, tenant, passkeys.PASSKEY_REMOVED) == [
        {"passkey_id": first}, {"passkey_id": second}
    ]  # fmt: skip


def test_new_recovery_codes_need_a_factor_and_replace_the_old_ones(desk: Desk) -> None:
    # kills new_recovery_codes' mutants (no tests reached it: only the browser test asks for
    # new codes): the refusal without a factor, its code and message, and the replacement
    services, tenant = desk.services, desk.tenant
    actor = sessions.agent_actor(desk.agent)
    with pytest.raises(Conflict) as refused, services.store.write() as uow:
        twofactor.new_recovery_codes(uow, actor)
    assert (refused.value.code, refused.value.message) == (
        "no_second_factor",
        "Set up an authenticator app or a passkey first",
    )
    _passkey(services, tenant, desk.agent.id, "Laptop")
    with services.store.write() as uow:
        uow.two_factor.replace_recovery_codes(tenant.id, desk.agent.id, ["old"], 1)
    with services.store.write() as uow:
        codes = twofactor.new_recovery_codes(uow, actor)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(_CODE.fullmatch(f"<li><code>{code}</code></li>") for code in codes)
    with services.store.read() as uow:
        assert uow.two_factor.recovery_codes_left(desk.agent.id) == 10  # "old" is gone
    assert len(_event_data(services, tenant, twofactor.RECOVERY_CODES_NEW)) == 1


def test_only_the_owner_may_require_two_factor_sign_in(desk: Desk) -> None:
    # kills require_two_factor's owner_only code and message mutants
    with pytest.raises(Forbidden) as refused, desk.services.store.write() as uow:
        twofactor.require_two_factor(uow, sessions.agent_actor(desk.agent), True)
    assert (refused.value.code, refused.value.message) == (
        "owner_only",
        "Only the account's owner can require two-factor sign-in",
    )
