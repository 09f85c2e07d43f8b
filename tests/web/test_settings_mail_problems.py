"""Settings, Mail problems over HTTP, on both databases: mail that went through the real
inbound pipeline and could not become a ticket is listed with its reason, paged, and
downloaded byte for byte as an attachment; agents and other accounts are kept out."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from frontdesk.core import mail
from frontdesk.mail.inbound import Inbound
from frontdesk.services import Services
from frontdesk.storage import tables as t
from frontdesk.web.settings import mail_problems
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _anonymous(desk: Desk, subject: str) -> bytes:
    """A mail with no sender at all: nobody to open a ticket for, so it is quarantined."""
    message_id = f"<{subject.replace(' ', '-')}@example.org>"
    head = f"To: {desk.inbox.email}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
    return (head + "\r\nwho am I?\r\n").encode()


def _quarantine(desk: Desk, *subjects: str) -> list[int]:
    inbound = Inbound(desk.services.store, desk.services.blobs, desk.services.settings)
    ids = []
    for subject in subjects:
        [outcome] = inbound.deliver(
            _anonymous(desk, subject), [desk.inbox.email], source="smtp", envelope_from=""
        )
        assert outcome.status == "quarantined" and outcome.receipt_id is not None
        ids.append(outcome.receipt_id)
    return ids


def test_quarantined_mail_is_listed_with_its_reason_and_downloaded(
    web_app: FastAPI, desk: Desk
) -> None:
    [receipt] = _quarantine(desk, "who <sent> this")
    admin = signed_in(web_app, admin_of(desk))
    page = admin.get("/settings/mail-problems")
    assert page.status_code == 200
    assert "who &lt;sent&gt; this" in page.text and "<sent>" not in page.text  # escaped
    assert "sender" in page.text  # the pipeline's reason
    assert f'href="/settings/mail-problems/{receipt}.eml"' in page.text

    raw = admin.get(f"/settings/mail-problems/{receipt}.eml")
    assert raw.status_code == 200 and raw.content == _anonymous(desk, "who <sent> this")
    assert raw.headers["content-type"].startswith("message/rfc822")
    assert raw.headers["content-disposition"] == f'attachment; filename="mail-{receipt}.eml"'
    assert raw.headers["x-content-type-options"] == "nosniff"


def test_an_empty_quarantine_says_so(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    assert "No mail problems" in admin.get("/settings/mail-problems").text


def test_a_large_quarantine_is_paged(
    web_app: FastAPI, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_problems, "PAGE", 2)
    ids = _quarantine(desk, "one", "two", "three")
    admin = signed_in(web_app, admin_of(desk))
    first = admin.get("/settings/mail-problems").text
    assert _listed(first) == ids[:2]
    newer = re.search(r'href="(/settings/mail-problems\?after=\d+)" rel="next"', first)
    assert newer is not None
    second = admin.get(newer.group(1)).text
    assert _listed(second) == ids[2:] and 'rel="next"' not in second
    assert "Back to the oldest" in second
    assert admin.get("/settings/mail-problems?after=-1").status_code == 422
    assert admin.get("/settings/mail-problems?after=x").status_code == 422


def test_a_discarded_mail_leaves_the_list_and_stays_stored(web_app: FastAPI, desk: Desk) -> None:
    first, second = _quarantine(desk, "spam one", "spam two")
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/mail-problems").text)
    done = admin.post(f"/settings/mail-problems/{first}/discard", data={"csrf_token": token})
    assert done.status_code == 200 and "The mail is discarded" in done.text
    assert _listed(done.text) == [second]
    with desk.services.store.read() as uow:
        kept = mail.get_receipt(uow, desk.tenant.actor, first)
    with desk.services.store.engine.connect() as conn:
        recorded = conn.execute(select(t.events.c.data).where(
            t.events.c.account_id == desk.tenant.id, t.events.c.kind == "mail.discarded",
        )).scalars().all()  # fmt: skip
    assert kept.status == "discarded" and [json.loads(data) for data in recorded] == [
        {"receipt_id": first}
    ]
    assert admin.get(f"/settings/mail-problems/{first}.eml").status_code == 200  # still there
    again = admin.post(f"/settings/mail-problems/{first}/discard", data={"csrf_token": token})
    assert again.status_code == 409
    forged = admin.post(f"/settings/mail-problems/{second}/discard", data={"csrf_token": "x"})
    assert forged.status_code == 403
    with desk.services.store.read() as uow:
        assert mail.get_receipt(uow, desk.tenant.actor, second).status == "quarantined"


def test_agents_and_other_accounts_are_kept_out(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant, services: Services
) -> None:
    [mine] = _quarantine(desk, "mine")
    other = make_desk(services, other_tenant)
    [theirs] = _quarantine(other, "theirs")
    agent = signed_in(web_app, desk.agent.email)
    agent_token = csrf_of(agent.get("/settings/profile").text)
    assert agent.get("/settings/mail-problems").status_code == 403
    assert agent.get(f"/settings/mail-problems/{mine}.eml").status_code == 403
    refused = agent.post(
        f"/settings/mail-problems/{mine}/discard", data={"csrf_token": agent_token}
    )
    assert refused.status_code == 403
    admin = signed_in(web_app, admin_of(desk))
    listed = admin.get("/settings/mail-problems").text
    assert _listed(listed) == [mine] and "theirs" not in listed
    assert admin.get(f"/settings/mail-problems/{theirs}.eml").status_code == 404
    token = csrf_of(listed)
    gone = admin.post(f"/settings/mail-problems/{theirs}/discard", data={"csrf_token": token})
    assert gone.status_code == 404
    with desk.services.store.read() as uow:
        assert mail.get_receipt(uow, desk.tenant.actor, mine).status == "quarantined"
        assert mail.get_receipt(uow, other_tenant.actor, theirs).status == "quarantined"


def _listed(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/settings/mail-problems/(\d+)\.eml"', page)]
