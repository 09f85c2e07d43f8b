"""Two-factor sign-in in the core, on both databases: enrolling and turning off an
authenticator app, the second step of a sign-in, recovery codes, and the owner's rule.
(tests/web/test_two_factor.py drives the same through the pages.)

The box seals a secret by prefixing it, so that a test can read what was stored. Codes are
computed with pyotp; an app is turned on with the current step's code and a later check
uses the next step's, which is newer and still accepted even when a step boundary passes
between computing a code and the core checking it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from typing import Any

import pyotp
import pytest
from sqlalchemy import select, update

from frontdesk.core.identity import accounts, passkeys, sessions, twofactor
from frontdesk.core.identity.records import Agent, Role, SignInStage, WebSession
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import add_agent, recorded

PASSWORD = "correct horse battery"
ISSUER = "Front Desk"
BOX = twofactor.Box(seal=lambda secret: f"sealed:{secret}", unseal=lambda s: s[len("sealed:") :])
POLICY = sessions.Policy(
    idle_ms=3_600_000, absolute_ms=86_400_000, failures_per_address=5, failures_per_ip=50,
    window_ms=60_000, reset_ms=3_600_000,
)  # fmt: skip


def _agent(tenant: Tenant, name: str, role: Role = Role.AGENT) -> Agent:
    return add_agent(tenant, name, password=PASSWORD, role=role)


def code_at(secret: str, steps: int) -> str:
    """The app's code `steps` 30-second steps from now (-1, 0 or 1 are accepted)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def _enrol(tenant: Tenant, agent: Agent) -> tuple[str, list[str]]:
    """The agent's app turned on: (its secret, the recovery codes)."""
    actor = sessions.agent_actor(agent)
    with tenant.services.store.write() as uow:
        setup = twofactor.begin_totp(uow, actor, BOX, ISSUER)
    with tenant.services.store.write() as uow:
        codes = twofactor.confirm_totp(uow, actor, BOX, code_at(setup.secret, 0))
    return setup.secret, codes


def _totp_row(tenant: Tenant, agent: Agent) -> Any:
    with tenant.services.store.engine.connect() as conn:
        return conn.execute(select(t.agent_totp).where(t.agent_totp.c.agent_id == agent.id)).first()


def _codes_left(tenant: Tenant, agent: Agent) -> int:
    with tenant.services.store.read() as uow:
        return uow.two_factor.recovery_codes_left(agent.id)


def _passkey(tenant: Tenant, agent: Agent) -> int:
    with tenant.services.store.write() as uow:
        key = uow.two_factor.insert_passkey(
            {
                "account_id": tenant.id, "agent_id": agent.id, "name": "Laptop",
                "credential_id": secrets.token_urlsafe(16), "public_key": "AAAA", "sign_count": 0,
                "created": 1,
            }
        )  # fmt: skip
    return key.id


def _sign_in(tenant: Tenant, agent: Agent) -> WebSession:
    with tenant.services.store.write() as uow:
        started = sessions.sign_in(uow, agent.email, PASSWORD, sessions.Client("192.0.2.7"), POLICY)
    assert isinstance(started, sessions.Started)
    return started.session


def _stage(tenant: Tenant, session: WebSession) -> str:
    with tenant.services.store.engine.connect() as conn:
        stage: str = conn.execute(
            select(t.web_sessions.c.stage).where(t.web_sessions.c.id == session.id)
        ).scalar_one()
    return stage


def _require_directly(tenant: Tenant, required: bool) -> None:
    """The owner's rule set on the row, without an owner to set it (for the agent's side)."""
    with tenant.services.store.engine.begin() as conn:
        conn.execute(
            update(t.accounts)
            .where(t.accounts.c.id == tenant.id)
            .values(require_two_factor=required)
        )


def test_beginning_stores_a_sealed_secret_and_shows_it_with_its_uri(tenant: Tenant) -> None:
    # kills begin_totp's stored values (the sealed secret, the account, last_step 0, created)
    # and _setup's URI arguments (name, issuer) and secret
    agent = _agent(tenant, "Alva")
    before = now_ms()
    with tenant.services.store.write() as uow:
        setup = twofactor.begin_totp(uow, sessions.agent_actor(agent), BOX, ISSUER)
    row = _totp_row(tenant, agent)
    assert (row.secret, row.account_id, row.last_step, row.confirmed) == (
        f"sealed:{setup.secret}",
        tenant.id,
        0,
        None,
    )
    assert before <= row.created <= now_ms()
    assert len(setup.secret) == 32 and set(setup.secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    user = agent.email.replace("@", "%40")
    assert setup.uri == (
        f"otpauth://totp/Front%20Desk:{user}?secret={setup.secret}&issuer=Front%20Desk"
    )


def test_a_second_start_replaces_the_first_until_the_app_is_on(tenant: Tenant) -> None:
    # kills begin_totp's `existing is None`, `or` and `confirmed is None` mutants and its
    # Conflict's code and message
    agent = _agent(tenant, "Alva")
    actor = sessions.agent_actor(agent)
    with tenant.services.store.write() as uow:
        first = twofactor.begin_totp(uow, actor, BOX, ISSUER)
    with tenant.services.store.write() as uow:
        second = twofactor.begin_totp(uow, actor, BOX, ISSUER)
    assert first.secret != second.secret
    assert _totp_row(tenant, agent).secret == f"sealed:{second.secret}"
    with tenant.services.store.write() as uow:
        twofactor.confirm_totp(uow, actor, BOX, code_at(second.secret, 0))
    with pytest.raises(Conflict) as refused, tenant.services.store.write() as uow:
        twofactor.begin_totp(uow, actor, BOX, ISSUER)
    assert (refused.value.code, refused.value.message) == (
        "totp_enrolled",
        "An authenticator app is already set up",
    )
    assert _totp_row(tenant, agent).secret == f"sealed:{second.secret}"


def test_confirming_needs_a_started_app_and_its_right_code(tenant: Tenant) -> None:
    # kills confirm_totp's NotFound guard (`and`, `confirmed is None`), its code and message,
    # the wrong code's Invalid code, message and field, and nothing written on a refusal
    agent = _agent(tenant, "Alva")
    actor = sessions.agent_actor(agent)
    with pytest.raises(NotFound) as not_started, tenant.services.store.write() as uow:
        twofactor.confirm_totp(uow, actor, BOX, "123456")
    assert (not_started.value.code, not_started.value.message) == (
        "totp_not_started",
        "Start setting up an authenticator app first",
    )
    with tenant.services.store.write() as uow:
        setup = twofactor.begin_totp(uow, actor, BOX, ISSUER)
    right = code_at(setup.secret, 0)
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
        twofactor.confirm_totp(uow, actor, BOX, wrong)
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        "wrong_code",
        "That code is not right. Try the newest one.",
        "code",
    )
    assert _totp_row(tenant, agent).confirmed is None and _codes_left(tenant, agent) == 0
    assert recorded(tenant, twofactor.TWO_FACTOR_ENABLED) == []
    with tenant.services.store.write() as uow:
        twofactor.confirm_totp(uow, actor, BOX, right)
    with pytest.raises(NotFound) as again, tenant.services.store.write() as uow:
        twofactor.confirm_totp(uow, actor, BOX, code_at(setup.secret, 1))
    assert again.value.code == "totp_not_started"


def test_confirming_turns_the_app_on_records_it_and_lets_held_sessions_go_on(
    tenant: Tenant,
) -> None:
    # kills confirm_totp's confirmed stamp, its event's kind and method, the recovery codes
    # stored as hashes of their letters (_code_hash), and _factor_added's stages and agent
    agent, other = _agent(tenant, "Alva"), _agent(tenant, "Jonas")
    _require_directly(tenant, True)
    held, other_held = _sign_in(tenant, agent), _sign_in(tenant, other)
    assert _stage(tenant, held) == _stage(tenant, other_held) == SignInStage.ENROL
    before = now_ms()
    _secret, codes = _enrol(tenant, agent)
    row = _totp_row(tenant, agent)
    assert before <= row.confirmed <= now_ms()
    assert (_stage(tenant, held), _stage(tenant, other_held)) == (SignInStage.DONE, "enrol")
    assert recorded(tenant, twofactor.TWO_FACTOR_ENABLED) == [
        (f"agent:{agent.id}", {"method": "totp"})
    ]
    assert len(codes) == 10 and len(set(codes)) == 10
    with tenant.services.store.engine.connect() as conn:
        hashes = set(
            conn.execute(
                select(t.agent_recovery_codes.c.code_hash).where(
                    t.agent_recovery_codes.c.agent_id == agent.id
                )
            ).scalars()
        )
    assert hashes == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}


def _verify(tenant: Tenant, session: WebSession, code: str) -> int | None:
    with tenant.services.store.write() as uow:
        return twofactor.verify(uow, session, BOX, code, sessions.Client("192.0.2.8"), POLICY)


def test_the_second_step_takes_a_spaced_app_code_or_a_recovery_code_read_to_40_characters(
    tenant: Tenant,
) -> None:
    # kills _matching_method's digits joined otherwise, "totp" and "recovery_code" in other
    # spellings, `code[:40]` cut elsewhere; and _code_hash's lower-casing, its join and its
    # "replace" for a character ASCII lacks
    agent = _agent(tenant, "Alva")
    secret, codes = _enrol(tenant, agent)
    spaced = code_at(secret, 1)
    first = _sign_in(tenant, agent)
    assert _verify(tenant, first, f" {spaced[:3]} {spaced[3:]} ") is None
    second = _sign_in(tenant, agent)
    assert _verify(tenant, second, "abcdé-fghjk") == 0  # no such code, and no error either
    assert _verify(tenant, second, codes[0].upper().ljust(40) + "tail") is None
    third = _sign_in(tenant, agent)
    assert _verify(tenant, third, codes[1].ljust(39) + "x") == 0
    assert _codes_left(tenant, agent) == 9
    methods = [data["method"] for _, data in recorded(tenant, twofactor.SESSION_VERIFIED)]
    assert methods == ["totp", "recovery_code"]
    assert (_stage(tenant, first), _stage(tenant, second), _stage(tenant, third)) == (
        "",
        "",
        "verify",
    )


def test_without_an_app_on_six_digits_are_no_code_and_a_recovery_code_still_works(
    tenant: Tenant,
) -> None:
    # kills _matching_method's app test with `or` for either `and`: digits checked against
    # no app at all, or against an app only started (its codes would sign in)
    agent = _agent(tenant, "Alva")
    _passkey(tenant, agent)
    actor = sessions.agent_actor(agent)
    with tenant.services.store.write() as uow:
        codes = twofactor.new_recovery_codes(uow, actor)
    session = _sign_in(tenant, agent)
    assert _verify(tenant, session, "123456") == 0
    with tenant.services.store.write() as uow:
        started = twofactor.begin_totp(uow, actor, BOX, ISSUER)  # never confirmed
    assert _verify(tenant, session, code_at(started.secret, 0)) == 0
    assert _verify(tenant, session, codes[4]) is None
    assert recorded(tenant, twofactor.SESSION_VERIFIED) == [
        (f"agent:{agent.id}", {"session_id": session.id, "method": "recovery_code"})
    ]


def test_only_a_session_held_at_the_second_step_names_its_waiting_agent(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # kills waiting_agent's `and` for `or`, `==` for `!=`, the lookup's account dropped, and
    # its NotFound's code and message
    agent = _agent(tenant, "Alva")
    stranger = _agent(other_tenant, "Eve")
    plain = _sign_in(tenant, agent)  # no factor yet: signed in at once
    _enrol(tenant, agent)
    held = _sign_in(tenant, agent)
    with tenant.services.store.read() as uow:
        assert twofactor.waiting_agent(uow, held) == accounts.get_agent(uow, tenant.actor, agent.id)
    elsewhere = dataclasses.replace(held, agent_id=stranger.id)  # another account's agent
    for session in (plain, elsewhere):
        with pytest.raises(NotFound) as refused, tenant.services.store.read() as uow:
            twofactor.waiting_agent(uow, session)
        assert (refused.value.code, refused.value.message) == ("session_not_found", "Sign in again")


def test_turning_the_app_off_takes_the_password_or_a_fresh_code(tenant: Tenant) -> None:
    # kills disable_totp's proof (`or` and `and` swapped, a wrong password or code taken),
    # its Invalid's code, message and field, the NotFound for no app (and for one not yet
    # confirmed), the row deleted, the recovery codes cleared, and the event
    agent = _agent(tenant, "Alva")
    actor = sessions.agent_actor(agent)

    def disable(**proof: str) -> None:
        with tenant.services.store.write() as uow:
            twofactor.disable_totp(uow, actor, BOX, **proof)

    with pytest.raises(NotFound) as missing:
        disable(password=PASSWORD)
    assert (missing.value.code, missing.value.message) == (
        "totp_not_enrolled",
        "No authenticator app is set up",
    )
    with tenant.services.store.write() as uow:
        twofactor.begin_totp(uow, actor, BOX, ISSUER)
    with pytest.raises(NotFound):
        disable(password=PASSWORD)  # started, not on
    secret, _codes = _enrol(tenant, agent)
    next_code = code_at(secret, 1)
    wrong_code = str((int(next_code) + 1) % 1_000_000).zfill(6)
    for proof in ({}, {"password": "not the password"}, {"code": wrong_code},
                  {"password": "not the password", "code": wrong_code}):  # fmt: skip
        with pytest.raises(Invalid) as refused:
            disable(**proof)
        assert (refused.value.code, refused.value.message, refused.value.field) == (
            "wrong_code",
            "Enter a current code from the app, or your password.",
            "code",
        )
    assert _totp_row(tenant, agent) is not None and _codes_left(tenant, agent) == 10
    disable(password="not the password", code=next_code)  # either proof is enough
    assert _totp_row(tenant, agent) is None and _codes_left(tenant, agent) == 0
    _enrol(tenant, agent)
    disable(password=PASSWORD)
    assert _totp_row(tenant, agent) is None
    assert (
        recorded(tenant, twofactor.TWO_FACTOR_DISABLED)
        == [(f"agent:{agent.id}", {"method": "totp"})] * 2
    )


def test_turning_the_app_off_keeps_the_recovery_codes_while_a_passkey_is_left(
    tenant: Tenant,
) -> None:
    # kills disable_totp's `if has_factor` for `if not has_factor`
    agent = _agent(tenant, "Alva")
    _enrol(tenant, agent)
    _passkey(tenant, agent)
    with tenant.services.store.write() as uow:
        twofactor.disable_totp(uow, sessions.agent_actor(agent), BOX, password=PASSWORD)
    assert _totp_row(tenant, agent) is None and _codes_left(tenant, agent) == 10


def test_where_the_rule_holds_the_last_factor_stays_and_a_second_frees_it(
    tenant: Tenant,
) -> None:
    # kills keep_a_factor's count (the app counted 1 when confirmed and 0 when only started,
    # `or` for `and`), `<= 1` moved, the rule's `and` for `or`, and its Conflict's code and
    # message; through disable_totp and passkeys.remove
    agent = _agent(tenant, "Alva")
    actor = sessions.agent_actor(agent)
    _enrol(tenant, agent)
    _require_directly(tenant, True)
    with pytest.raises(Conflict) as kept, tenant.services.store.write() as uow:
        twofactor.disable_totp(uow, actor, BOX, password=PASSWORD)
    assert (kept.value.code, kept.value.message) == (
        "two_factor_required",
        "Your team requires two-factor sign-in: add another method before removing this one.",
    )
    assert _totp_row(tenant, agent) is not None
    key = _passkey(tenant, agent)
    with tenant.services.store.write() as uow:
        twofactor.disable_totp(uow, actor, BOX, password=PASSWORD)  # the passkey is left
    with tenant.services.store.write() as uow:
        twofactor.begin_totp(uow, actor, BOX, ISSUER)  # started, not on: no factor
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        passkeys.remove(uow, actor, key)
    _require_directly(tenant, False)
    with tenant.services.store.write() as uow:
        passkeys.remove(uow, actor, key)  # without the rule the last factor may go
    with tenant.services.store.read() as uow:
        assert not uow.two_factor.has_factor(agent.id)


def test_the_owner_requires_a_second_factor_of_everyone_signed_in_and_releases_them(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # kills require_two_factor's `or` for `and` (turning the rule off needs no factor), its
    # Conflict's code and message, the stored flag, the stages set and released in the
    # owner's account, and the event's value
    owner = _agent(tenant, "Olga", Role.OWNER)
    agent, ready = _agent(tenant, "Alva"), _agent(tenant, "Ready")
    as_owner = sessions.agent_actor(owner)
    with tenant.services.store.write() as uow:
        twofactor.require_two_factor(uow, as_owner, False)  # no factor needed to turn it off
    with pytest.raises(Conflict) as refused, tenant.services.store.write() as uow:
        twofactor.require_two_factor(uow, as_owner, True)
    assert (refused.value.code, refused.value.message) == (
        "no_second_factor",
        "Set up two-factor sign-in for yourself before requiring it",
    )
    _passkey(tenant, owner)
    _passkey(tenant, ready)
    bystander = _sign_in(other_tenant, _agent(other_tenant, "Eve"))
    plain, has_key = _sign_in(tenant, agent), _sign_in(tenant, ready)
    assert (_stage(tenant, plain), _stage(tenant, has_key)) == ("", "verify")
    with tenant.services.store.write() as uow:
        twofactor.finish(uow, has_key, ready, "passkey")  # as a passkey would
    with tenant.services.store.write() as uow:
        twofactor.require_two_factor(uow, as_owner, True)
    with tenant.services.store.read() as uow:
        assert accounts.get_account(uow, tenant.id).require_two_factor is True
    stages = (_stage(tenant, plain), _stage(tenant, has_key), _stage(other_tenant, bystander))
    assert stages == ("enrol", "", "")
    with tenant.services.store.write() as uow:
        twofactor.require_two_factor(uow, as_owner, False)
    with tenant.services.store.read() as uow:
        assert accounts.get_account(uow, tenant.id).require_two_factor is False
    assert _stage(tenant, plain) == ""
    assert recorded(tenant, twofactor.TWO_FACTOR_REQUIRED) == [
        (f"agent:{owner.id}", {"required": False}),
        (f"agent:{owner.id}", {"required": True}),
        (f"agent:{owner.id}", {"required": False}),
    ]
