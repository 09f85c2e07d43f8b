"""What an account tells customers about the business: its time zone, its language and its
logo (docs/admin.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.core.identity import accounts
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Account
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound, TooLarge
from frontdesk.core.shared.ports import BlobStore
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import clean_name

# The languages Frontdesk ships catalogs for (web/translations; a test keeps them equal).
LANGUAGES = ("en", "sv")
LOGO_LIMIT = 512 * 1024

# Raster formats only, told by their first bytes, never by the name or the browser's word
# for it: SVG can carry script, so it is refused rather than served under a tight CSP.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class BusinessFields:
    """What the account page sets; None leaves a field as it is."""

    time_zone: str | None = None  # "" is the installation's default
    language: str | None = None  # "" is English
    name: str | None = None


def update_business(uow: IdentityUnit, actor: Actor, fields: BusinessFields) -> Account:
    """Change the account's name, time zone and language (admins only), recorded as one
    `settings.changed` event naming what was set."""
    accounts.require_admin(actor)
    changes: dict[str, Any] = {}  # Any: the event takes them as its data
    if fields.name is not None:
        changes["name"] = clean_name(fields.name)
    if fields.time_zone is not None:
        changes["time_zone"] = accounts.checked_time_zone(fields.time_zone)
    if fields.language is not None:
        changes["language"] = checked_language(fields.language)
    account = accounts.get_account(uow, actor.account_id)
    if changes:
        account = uow.accounts.update_account(actor.account_id, changes)
        events.record(uow, actor, events.SETTINGS_CHANGED, now_ms(), **changes)
    return account


def checked_language(tag: str) -> str:
    tag = tag.strip()
    if tag and tag not in LANGUAGES:
        raise Invalid("invalid_language", "Not a language Frontdesk speaks", field="language")
    return tag


def logo_type(data: bytes) -> str:
    """The media type of a logo's bytes; Invalid unless PNG, JPEG or WebP."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise Invalid("invalid_logo", "A logo is a PNG, JPEG or WebP image", field="logo")


def set_logo(uow: IdentityUnit, blobs: BlobStore, actor: Actor, data: bytes) -> Account:
    """Store the account's logo (admins only); the bytes are checked before anything is
    written, and the file is in the store before the row names it."""
    accounts.require_admin(actor)
    if len(data) > LOGO_LIMIT:
        raise TooLarge("logo_too_large", "A logo is at most 512 KB", field="logo")
    media_type = logo_type(data)
    name = blobs.put(data)
    account = uow.accounts.update_account(
        actor.account_id, {"logo_blob": name, "logo_type": media_type}
    )
    events.record(uow, actor, events.SETTINGS_CHANGED, now_ms(), logo=name)
    return account


def remove_logo(uow: IdentityUnit, actor: Actor) -> Account:
    """Forget the logo (admins only); the sweep removes its file once nothing names it."""
    accounts.require_admin(actor)
    account = uow.accounts.update_account(actor.account_id, {"logo_blob": None, "logo_type": None})
    events.record(uow, actor, events.SETTINGS_CHANGED, now_ms(), logo=None)
    return account


def logo_path(account: Account) -> str | None:
    """Where the portal serves the logo (web/portal); the file's name in the query, so a
    new logo is a new address and the old one may be cached for good."""
    if account.logo_blob is None:
        return None
    return f"/portal/{account.public_id}/logo?v={account.logo_blob[:16]}"


def logo_of(blobs: BlobStore, account: Account) -> tuple[bytes, str]:
    """The account's logo bytes and media type; NotFound when it has none."""
    if account.logo_blob is None or account.logo_type is None:
        raise NotFound("logo_not_found", "The account has no logo")
    return blobs.open(account.logo_blob), account.logo_type
