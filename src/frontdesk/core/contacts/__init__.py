"""Contacts: the customers of an account, by e-mail address."""

from frontdesk.core.contacts._contacts import (
    ContactFields,
    find_contact,
    find_or_create_contact,
    get_contact,
    list_contacts,
)

__all__ = [
    "ContactFields",
    "find_contact",
    "find_or_create_contact",
    "get_contact",
    "list_contacts",
]
