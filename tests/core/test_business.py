"""An account's time zone, business language and logo; an inbox's signature: what the
core accepts, what it refuses with which code, and that a refusal writes nothing."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import text

from frontdesk.core.identity import accounts, business, signatures
from frontdesk.core.identity.business import LOGO_LIMIT, BusinessFields
from frontdesk.core.identity.records import Account, Inbox
from frontdesk.core.shared import events
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound, TooLarge
from frontdesk.core.shared.records import Actor, Scope
from tests.conftest import Tenant
from tests.images import JPEG_START, WEBP_START, png

# A real PNG, and the first bytes of the other formats, which is all the check reads.
SAMPLES = {"PNG": png(), "JPEG": JPEG_START, "WEBP": WEBP_START}


def image(kind: str) -> bytes:
    return SAMPLES[kind]


def _account(tenant: Tenant) -> Account:
    with tenant.services.store.read() as uow:
        return accounts.get_account(uow, tenant.id)


def _update(tenant: Tenant, fields: BusinessFields) -> Account:
    with tenant.services.store.write() as uow:
        return business.update_business(uow, tenant.actor, fields)


def test_a_time_zone_and_a_language_are_stored_trimmed(tenant: Tenant) -> None:
    _update(tenant, BusinessFields(time_zone=" America/New_York ", language="sv"))
    stored = _account(tenant)
    assert (stored.time_zone, stored.language) == ("America/New_York", "sv")
    _update(tenant, BusinessFields(time_zone="", language=""))  # back to the defaults
    stored = _account(tenant)
    assert (stored.time_zone, stored.language) == ("", "")


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        (BusinessFields(time_zone="Mars/Olympus_Mons"), "invalid_time_zone", "time_zone"),
        (BusinessFields(time_zone="../../etc/passwd"), "invalid_time_zone", "time_zone"),
        (BusinessFields(language="de"), "invalid_language", "language"),
        (
            BusinessFields(time_zone="Europe/Oslo", language="klingon"),
            "invalid_language",
            "language",
        ),
    ],
)
def test_an_unknown_zone_or_language_is_refused_and_nothing_changes(
    tenant: Tenant, fields: BusinessFields, code: str, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        _update(tenant, fields)
    assert (refused.value.code, refused.value.field) == (code, field)
    stored = _account(tenant)
    assert (stored.time_zone, stored.language) == ("", "")


def test_only_admins_change_the_business_settings(tenant: Tenant) -> None:
    agent = Actor(account_id=tenant.id, label="agent:1", scopes=frozenset({Scope.TICKETS_WRITE}))
    with pytest.raises(Forbidden), tenant.services.store.write() as uow:
        business.update_business(uow, agent, BusinessFields(language="sv"))
    with pytest.raises(Forbidden), tenant.services.store.write() as uow:
        business.set_logo(uow, tenant.services.blobs, agent, image("PNG"))
    assert _account(tenant).language == ""
    assert _account(tenant).logo_blob is None


@pytest.mark.parametrize(
    ("kind", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_a_logo_is_stored_with_the_type_its_bytes_show(
    tenant: Tenant, kind: str, media_type: str
) -> None:
    data = image(kind)
    blobs = tenant.services.blobs
    with tenant.services.store.write() as uow:
        business.set_logo(uow, blobs, tenant.actor, data)
    stored = _account(tenant)
    assert stored.logo_type == media_type
    assert business.logo_of(blobs, stored) == (data, media_type)


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a" + b"\x00" * 20,
        b"%PDF-1.7 not an image",
        b"",
    ],
    ids=["svg", "gif", "pdf", "empty"],
)
def test_a_logo_that_is_not_png_jpeg_or_webp_is_refused(tenant: Tenant, data: bytes) -> None:
    with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
        business.set_logo(uow, tenant.services.blobs, tenant.actor, data)
    assert (refused.value.code, refused.value.field) == ("invalid_logo", "logo")
    assert _account(tenant).logo_blob is None


def test_a_logo_over_512_kb_is_refused_before_it_is_stored(tenant: Tenant) -> None:
    data = image("PNG") + b"\x00" * LOGO_LIMIT  # a PNG's first bytes, but too large
    with pytest.raises(TooLarge) as refused, tenant.services.store.write() as uow:
        business.set_logo(uow, tenant.services.blobs, tenant.actor, data)
    assert (refused.value.code, refused.value.field) == ("logo_too_large", "logo")
    assert _account(tenant).logo_blob is None
    exactly = image("PNG") + b"\x00" * (LOGO_LIMIT - len(image("PNG")))
    with tenant.services.store.write() as uow:
        business.set_logo(uow, tenant.services.blobs, tenant.actor, exactly)
    assert _account(tenant).logo_type == "image/png"


def test_a_removed_logo_is_not_found_and_its_file_may_be_swept(tenant: Tenant) -> None:
    blobs = tenant.services.blobs
    with tenant.services.store.write() as uow:
        business.set_logo(uow, blobs, tenant.actor, png(9, 9))
    name = _account(tenant).logo_blob
    assert name is not None
    with tenant.services.store.read() as uow:
        assert uow.attachments.names_in_use([name]) == {name}  # the sweep keeps it
    with tenant.services.store.write() as uow:
        business.remove_logo(uow, tenant.actor)
    with pytest.raises(NotFound):
        business.logo_of(blobs, _account(tenant))
    with tenant.services.store.read() as uow:
        assert uow.attachments.names_in_use([name]) == set()


def _inbox(tenant: Tenant, signature: str | None = None) -> Inbox:
    with tenant.services.store.write() as uow:
        address = tenant.address(f"help{len(accounts.inboxes_of(uow, tenant.id))}")
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", address)
        if signature is not None:
            inbox = accounts.update_inbox(uow, tenant.actor, inbox.id, signature=signature)
        return inbox


def test_a_signature_is_stored_and_filled_in(tenant: Tenant) -> None:
    inbox = _inbox(tenant, "  Best regards,\r\n{agent_name}, {inbox_name} team  \n")
    with tenant.services.store.read() as uow:
        stored = accounts.get_inbox(uow, tenant.actor, inbox.id)
    assert stored.signature == "Best regards,\n{agent_name}, {inbox_name} team"
    assert signatures.signed_text(stored, "Agnes") == "Best regards,\nAgnes, Support team"
    emptied = _inbox(tenant, "")
    assert emptied.signature is None and signatures.signed_text(emptied, "Agnes") == ""


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Regards, {agent}", "unknown_placeholder"),
        ("{agent_name.__class__}", "unknown_placeholder"),
        ("{ inbox_name }", "unknown_placeholder"),
        ("x" * (signatures.LIMIT + 1), "signature_too_long"),
        ("Bad\x00byte", "invalid_text"),
    ],
)
def test_a_bad_signature_is_refused_and_the_old_one_stays(
    tenant: Tenant, text: str, code: str
) -> None:
    inbox = _inbox(tenant, "Kept, {agent_name}")
    with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
        accounts.update_inbox(uow, tenant.actor, inbox.id, name="Renamed", signature=text)
    assert (refused.value.code, refused.value.field) == (code, "signature")
    with tenant.services.store.read() as uow:
        stored = accounts.get_inbox(uow, tenant.actor, inbox.id)
    assert (stored.name, stored.signature) == ("Support", "Kept, {agent_name}")


def test_the_refusal_names_the_unknown_placeholders(tenant: Tenant) -> None:
    with pytest.raises(Invalid) as refused:
        signatures.checked_signature("{team} and {agent_name} and {Name}")
    assert refused.value.message == "Unknown placeholder {Name}, {team}"
    assert signatures.checked_signature("A lone { stays text") == "A lone { stays text"


def test_another_accounts_inbox_signature_is_not_found(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _inbox(other_tenant, "Theirs")
    with pytest.raises(NotFound), tenant.services.store.write() as uow:
        accounts.update_inbox(uow, tenant.actor, theirs.id, signature="Mine")
    with other_tenant.services.store.read() as uow:
        assert accounts.get_inbox(uow, other_tenant.actor, theirs.id).signature == "Theirs"


def test_the_languages_are_the_shipped_catalogs() -> None:
    from frontdesk.web import i18n

    assert business.LANGUAGES == i18n.LOCALES


def test_a_language_frontdesk_does_not_speak_is_refused_in_so_many_words() -> None:
    # kills checked_language's message mutants
    with pytest.raises(Invalid) as refused:
        business.checked_language(" xx ")
    assert refused.value.message == "Not a language Frontdesk speaks"
    assert business.checked_language("  ") == ""


def test_removing_the_logo_forgets_its_type_and_records_it(tenant: Tenant) -> None:
    # kills remove_logo's "logo_type" key in other spellings and the event without `logo`
    with tenant.services.store.write() as uow:
        business.set_logo(uow, tenant.services.blobs, tenant.actor, png(9, 9))
    assert _account(tenant).logo_type == "image/png"
    with tenant.services.store.write() as uow:
        removed = business.remove_logo(uow, tenant.actor)
    assert (removed.logo_blob, removed.logo_type) == (None, None)
    assert (_account(tenant).logo_blob, _account(tenant).logo_type) == (None, None)
    with tenant.services.store.read() as uow:
        logged = uow.conn.execute(
            text("SELECT data FROM events WHERE account_id = :a AND kind = :k ORDER BY id"),
            {"a": tenant.id, "k": events.SETTINGS_CHANGED},
        ).scalars()
        assert json.loads(list(logged)[-1]) == {"logo": None}


def test_a_signature_of_2000_characters_is_taken_and_one_more_is_refused() -> None:
    # kills checked_signature's `len(text) >= LIMIT` and its message mutants
    assert signatures.checked_signature("s" * 2000) == "s" * 2000
    with pytest.raises(Invalid) as refused:
        signatures.checked_signature("s" * 2001)
    assert refused.value.message == "A signature is at most 2000 characters"


@pytest.mark.parametrize(
    "data",
    [
        b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32,  # RIFF, but sound
        b"RIFX\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32,  # WEBP where it sits, not after RIFF
    ],
    ids=["riff-wave", "not-riff"],
)
def test_webp_is_told_by_both_of_its_marks_and_the_refusal_says_what_a_logo_is(
    data: bytes,
) -> None:
    # kills logo_type's `or` for `and` between the RIFF and WEBP marks, and its message
    with pytest.raises(Invalid) as refused:
        business.logo_type(data)
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        "invalid_logo",
        "A logo is a PNG, JPEG or WebP image",
        "logo",
    )


def test_a_stored_logo_is_named_in_the_row_and_the_event_and_read_back(tenant: Tenant) -> None:
    # kills set_logo's stored name and type, its event's `logo`, and its TooLarge message
    blobs = tenant.services.blobs
    with tenant.services.store.write() as uow:
        answered = business.set_logo(uow, blobs, tenant.actor, image("JPEG"))
    stored = _account(tenant)
    assert stored == answered and stored.logo_blob is not None
    assert blobs.open(stored.logo_blob) == image("JPEG")
    with tenant.services.store.read() as uow:
        logged = uow.conn.execute(
            text("SELECT data FROM events WHERE account_id = :a AND kind = :k ORDER BY id"),
            {"a": tenant.id, "k": events.SETTINGS_CHANGED},
        ).scalars()
        assert json.loads(list(logged)[-1]) == {"logo": stored.logo_blob}
    with pytest.raises(TooLarge) as refused, tenant.services.store.write() as uow:
        business.set_logo(uow, blobs, tenant.actor, image("PNG") + b"\x00" * LOGO_LIMIT)
    assert refused.value.message == "A logo is at most 512 KB"


def test_a_logo_without_its_file_name_or_its_type_is_not_found(tenant: Tenant) -> None:
    # kills logo_of's `and` for `or` (either part missing means no logo) and its NotFound's
    # code and message
    blobs = tenant.services.blobs
    with tenant.services.store.write() as uow:
        business.set_logo(uow, blobs, tenant.actor, image("PNG"))
    stored = _account(tenant)
    for partial in (
        dataclasses.replace(stored, logo_type=None),
        dataclasses.replace(stored, logo_blob=None),
    ):
        with pytest.raises(NotFound) as missing:
            business.logo_of(blobs, partial)
        assert (missing.value.code, missing.value.message) == (
            "logo_not_found",
            "The account has no logo",
        )
