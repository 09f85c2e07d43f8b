"""Contacts: the customers of an account, by e-mail address."""

from frontdesk.core.contacts._contacts import (
    CONTACT_UPDATED,
    ContactChanges,
    ContactFields,
    find_contact,
    find_or_create_contact,
    get_contact,
    list_contacts,
    search_contacts,
    update_contact,
)

__all__ = [
    "CONTACT_UPDATED",
    "ContactChanges",
    "ContactFields",
    "find_contact",
    "find_or_create_contact",
    "get_contact",
    "list_contacts",
    "search_contacts",
    "update_contact",
]
