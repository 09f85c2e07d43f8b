"""Signing customers in to an account's portal: one-time links and customer sessions.

A customer has no password. They ask for a link with their address; when a contact of the
account has that address, a one-time link is issued (the mail area queues it in the same
transaction). Using the link starts a portal session, apart from agents' sessions, that
acts as that contact, like a customer token does in the v3 API.

Every request for a link counts against limits per address and per client IP (kept with
the agents' sign-in attempts, under a kind of their own), known address or not, and the
answer never says whether the address is known.

Tokens read `<public id>.<secret>` and are checked as agents' are (core/identity/sessions.py):
only a SHA-256 of the secret is stored, compared in constant time.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.core import contacts
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Account, PortalLink, PortalSession
from frontdesk.core.identity.sessions import (
    LAST_SEEN_RESOLUTION_MS,
    Client,
    Policy,
    address_key,
    alive,
    attempt_wait,
    hash_secret,
    new_token,
    verified_token,
)
from frontdesk.core.shared import events
from frontdesk.core.shared.addresses import normalise_address
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import NotFound, RateLimited, Unauthenticated
from frontdesk.core.shared.records import Actor

LINK = "portal"  # the kind of attempt: a request for a sign-in link
PORTAL_LINK_REQUESTED = "portal.link_requested"
PORTAL_SESSION_STARTED = "portal.session_started"
PORTAL_SESSION_ENDED = "portal.session_ended"


@dataclass(frozen=True)
class LinkIssued:
    contact: Contact
    token: str
    expires: int


@dataclass(frozen=True)
class CustomerStarted:
    session: PortalSession
    contact: Contact
    token: str  # for the cookie; shown once, never stored


@dataclass(frozen=True)
class CustomerSignedIn:
    """A valid portal session and its contact; `stale` when last_seen wants refreshing."""

    session: PortalSession
    contact: Contact
    stale: bool

    @property
    def actor(self) -> Actor:
        return customer_actor(self.contact)


def customer_actor(contact: Contact) -> Actor:
    """A customer in the portal: one contact, as a v3 customer token is."""
    return Actor(account_id=contact.account_id, label=f"portal:{contact.id}", contact_id=contact.id)


def request_link(
    uow: IdentityUnit, account_id: int, email: str, client: Client, policy: Policy
) -> LinkIssued | None:
    """A one-time link for the account's contact with this address; None when there is
    none. `policy.reset_ms` is how long the link lives. RateLimited when over the limits,
    which every request counts against, so the form cannot flood an inbox."""
    address, now = address_key(email), now_ms()
    wait = attempt_wait(uow, LINK, address, client.ip, policy, now)
    if wait:
        raise RateLimited(
            "too_many_links", "Too many sign-in links asked for; try again later", retry_after=wait
        )
    uow.sessions.record_attempt(LINK, address, client.ip, now)
    contact = uow.contacts.find_contact_by_email(account_id, normalise_address(email))
    if contact is None:
        return None
    public_id, secret, token = new_token()
    link = uow.portal.insert_link(
        {
            "account_id": account_id,
            "contact_id": contact.id,
            "public_id": public_id,
            "secret_hash": hash_secret(secret),
            "created": now,
            "expires": now + policy.reset_ms,
        }
    )
    events.record(uow, customer_actor(contact), PORTAL_LINK_REQUESTED, now, link_id=link.id)
    return LinkIssued(contact, token, link.expires)


def check_link(uow: IdentityUnit, account_id: int, token: str) -> PortalLink:
    """The account's link a token stands for, while it can be used; NotFound otherwise."""
    link = verified_token(token, uow.portal.find_link, _link_hash)
    if (
        link is None
        or link.account_id != account_id
        or link.used is not None
        or now_ms() >= link.expires
    ):
        raise NotFound("link_not_found", "This link has expired or was used already")
    return link


def sign_in_with_link(
    uow: IdentityUnit, account_id: int, token: str, client: Client, policy: Policy
) -> CustomerStarted:
    """Use a link, once, and start a portal session as its contact."""
    link = check_link(uow, account_id, token)
    now = now_ms()
    contact = contacts.find_contact(uow, account_id, link.contact_id)
    if contact is None or not uow.portal.use_link(link.id, now):
        raise NotFound("link_not_found", "This link has expired or was used already")
    public_id, secret, session_token = new_token()
    session = uow.portal.insert_session(
        {
            "account_id": account_id,
            "contact_id": contact.id,
            "public_id": public_id,
            "secret_hash": hash_secret(secret),
            "created": now,
            "last_seen": now,
            "expires": now + policy.absolute_ms,
        }
    )
    events.record(uow, customer_actor(contact), PORTAL_SESSION_STARTED, now, session_id=session.id)
    return CustomerStarted(session, contact, session_token)


def authenticate(
    uow: IdentityUnit, account_id: int, token: str, policy: Policy
) -> CustomerSignedIn:
    """The account's portal session a cookie stands for; Unauthenticated when not valid now
    (a session of another account's portal included)."""
    session = verified_token(token, uow.portal.find_session, _session_hash)
    now = now_ms()
    if session is None or session.account_id != account_id or not alive(session, policy, now):
        raise Unauthenticated("invalid_session", "Sign in to continue")
    contact = contacts.find_contact(uow, account_id, session.contact_id)
    if contact is None:
        raise Unauthenticated("invalid_session", "Sign in to continue")
    return CustomerSignedIn(session, contact, now - session.last_seen > LAST_SEEN_RESOLUTION_MS)


def touch(uow: IdentityUnit, session_id: int) -> None:
    """Stamp a session's last request (the idle clock); not an event."""
    uow.portal.update_session(session_id, {"last_seen": now_ms()})


def end_session(uow: IdentityUnit, signed: CustomerSignedIn) -> PortalSession:
    """Sign the customer out of this browser."""
    now = now_ms()
    events.record(uow, signed.actor, PORTAL_SESSION_ENDED, now, session_id=signed.session.id)
    return uow.portal.update_session(signed.session.id, {"revoked": now})


def _link_hash(found: PortalLink) -> str:
    return found.secret_hash


def _session_hash(found: PortalSession) -> str:
    return found.secret_hash


def portal_account(uow: IdentityUnit, public_id: str) -> Account:
    """The account whose portal lives at /portal/<public id>; NotFound for any other id."""
    account = uow.accounts.account_by_public_id(public_id) if len(public_id) <= 64 else None
    if account is None:
        raise NotFound("portal_not_found", "No such portal")
    return account


def form_actor(account: Account) -> Actor:
    """Who sends the portal's request form: nobody yet, in this account. The form names its
    contact (core.tickets.customers.submit_contact_form)."""
    return Actor(account_id=account.id, label="portal")
