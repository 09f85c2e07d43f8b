"""Idempotency-Key: the same key and request within the window answer what the first did.

A key is the client's, per account. Its first request reserves it (a row committed at
once, so a concurrent twin finds it), runs, and stores its answer; a twin waits for that
answer and replays it. The same key with another request is a conflict. Only successes
are kept: a refused request frees its key, so the client can correct it and retry.
No event is recorded: this is bookkeeping about requests, not a change of the account.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import StoredAnswer
from frontdesk.core.shared.errors import Conflict, Invalid
from frontdesk.core.shared.records import Actor

PENDING, DONE = "pending", "done"
WINDOW_MS = 24 * 3_600_000
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


@dataclass(frozen=True, slots=True)
class Claim:
    """What a request with a key should do: run (`answer` None, `waiting` False), replay
    `answer`, or wait for its twin to finish (`waiting`)."""

    answer: StoredAnswer | None = None
    waiting: bool = False


def checked_key(key: str) -> str:
    if not _KEY.match(key):
        raise Invalid(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
            field="Idempotency-Key",
        )
    return key


def owned_key(actor: Actor, key: str) -> str:
    """The key as stored. An account's API keys share its keys; a customer token's are its
    contact's own, so two customers who pick the same key never get each other's answer."""
    if actor.contact_id is None:
        return key
    return f"contact:{actor.contact_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def claim(uow: AutomationUnit, actor: Actor, key: str, fingerprint: str, now: int) -> Claim:
    key = owned_key(actor, checked_key(key))
    uow.idempotency.drop_expired_key(actor.account_id, key, now)
    reserved = uow.idempotency.reserve_key(
        {
            "account_id": actor.account_id,
            "key": key,
            "fingerprint": fingerprint,
            "status": PENDING,
            "created": now,
            "expires": now + WINDOW_MS,
        }
    )
    if reserved:
        return Claim()
    found = uow.idempotency.find_key(actor.account_id, key)
    if found is None:  # expired and dropped by a twin just now: the caller tries again
        return Claim(waiting=True)
    if found.fingerprint != fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request in the last 24 hours",
            field="Idempotency-Key",
        )
    return Claim(answer=found) if found.finished else Claim(waiting=True)


def finish(
    uow: AutomationUnit,
    actor: Actor,
    key: str,
    status_code: int,
    body: str,
    headers: Mapping[str, str],
) -> None:
    """Keep a success to replay; free the key after anything else."""
    key = owned_key(actor, key)
    if not 200 <= status_code < 300:
        uow.idempotency.drop_key(actor.account_id, key)
        return
    uow.idempotency.finish_key(
        actor.account_id,
        key,
        {
            "status": DONE,
            "response_code": status_code,
            "response_body": body,
            "response_headers": json.dumps(dict(headers)),
        },
    )


def release(uow: AutomationUnit, actor: Actor, key: str) -> None:
    """The request failed without an answer (an exception): its key is free again."""
    uow.idempotency.drop_key(actor.account_id, owned_key(actor, key))


def sweep(uow: AutomationUnit, now: int) -> int:
    """Forget every key whose window ended (the worker does this hourly)."""
    return uow.idempotency.drop_expired_keys(now)
