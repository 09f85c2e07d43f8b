"""Contacts: found or created by address, never duplicated within an account."""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.core.contacts.ports import ContactsUnit
from frontdesk.core.contacts.records import Contact
from frontdesk.core.shared import events
from frontdesk.core.shared.addresses import normalise_address
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import check_text

CONTACT_UPDATED = "contact.updated"


@dataclass(frozen=True)
class ContactFields:
    email: str
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    external_id: str | None = None


def find_or_create_contact(uow: ContactsUnit, actor: Actor, fields: ContactFields) -> Contact:
    """The account's contact with that address, created on first sight; blanks filled in.

    Race-free: two writers creating the same contact at once both end with the one row
    (the second INSERT waits for the first and yields to it).
    """
    email = normalise_address(fields.email)
    given = {
        "name": fields.name,
        "phone": fields.phone,
        "company": fields.company,
        "external_id": fields.external_id,
    }
    for key, value in given.items():
        if value:
            check_text(value, key)
    known = uow.contacts.find_contact_by_email(actor.account_id, email)
    if known is None:
        created = uow.contacts.insert_contact(
            {"account_id": actor.account_id, "email": email, "created": now_ms(), **given}
        )
        if created is not None:
            return created
        known = uow.contacts.find_contact_by_email(actor.account_id, email)
        if known is None:  # cannot happen: the INSERT yielded to a committed row
            raise Conflict("contact_conflict", "The contact changed meanwhile; try again")
    missing = {key: value for key, value in given.items() if value and not getattr(known, key)}
    return uow.contacts.update_contact(known.id, missing) if missing else known


def find_contact(uow: ContactsUnit, account_id: int, contact_id: int) -> Contact | None:
    """The account's contact with this id, or None."""
    return uow.contacts.get_contact(account_id, contact_id)


def get_contact(uow: ContactsUnit, actor: Actor, contact_id: int) -> Contact:
    contact = uow.contacts.get_contact(actor.account_id, contact_id)
    if contact is None:
        raise NotFound("contact_not_found", f"No contact {contact_id}")
    return contact


def list_contacts(uow: ContactsUnit, actor: Actor, *, after_id: int, limit: int) -> list[Contact]:
    return uow.contacts.list_contacts(actor.account_id, after_id=after_id, limit=limit)


MAX_SEARCH = 200  # characters


def search_contacts(
    uow: ContactsUnit, actor: Actor, text: str, *, after_id: int, limit: int
) -> list[Contact]:
    """Contacts whose address, name or company contains the text, in id order."""
    text = text.strip()
    if not text or len(text) > MAX_SEARCH:
        raise Invalid("invalid_search", f"q is 1 to {MAX_SEARCH} characters", field="q")
    check_text(text, "q")
    return uow.contacts.search_contacts(actor.account_id, text, after_id=after_id, limit=limit)


@dataclass(frozen=True)
class ContactChanges:
    """What an update names; None leaves a field as it is, "" clears an optional one."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    external_id: str | None = None


def update_contact(
    uow: ContactsUnit, actor: Actor, contact_id: int, changes: ContactChanges
) -> Contact:
    """Change a contact's fields; a new address must be free in the account (409)."""
    contact = get_contact(uow, actor, contact_id)
    values: dict[str, str | None] = {}
    for key in ("name", "phone", "company", "external_id"):
        value = getattr(changes, key)
        if value is not None:
            check_text(value, key)
            values[key] = value.strip() or None
    if changes.email is not None:
        email = normalise_address(changes.email)
        other = uow.contacts.find_contact_by_email(actor.account_id, email)
        if other is not None and other.id != contact.id:
            raise Conflict(
                "contact_exists", "Another contact has this address: merge them", field="email"
            )
        values["email"] = email
    if not values:
        return contact
    updated = uow.contacts.update_contact(contact.id, values)
    events.record(uow, actor, CONTACT_UPDATED, now_ms(), contact_id=contact.id,
                  fields=sorted(values))  # fmt: skip
    return updated
