"""The customer portal over HTTP, on both databases: the request form, sign-in by a mailed
link, the customer's own tickets, and what is refused (docs/portal.md)."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from frontdesk.app import create_app
from frontdesk.core.identity import portal as identity_portal
from frontdesk.core.shared.errors import NotFound, Unauthenticated
from frontdesk.core.tickets import set_status
from frontdesk.core.tickets.records import Status
from frontdesk.services import Services
from frontdesk.storage import tables as t
from frontdesk.web.portal.session import policy as session_policy
from tests.conftest import Tenant
from tests.web.helpers import csrf_of, make_desk
from tests.web.portal_helpers import Portal, ask_for_link, client_at, setup_portal, sign_in


@pytest.fixture
def portal(services: Services, tenant: Tenant) -> Portal:
    return setup_portal(make_desk(services, tenant))


def _form(portal: Portal, **changes: str) -> dict[str, str]:
    return {
        "first_name": "Cora",
        "last_name": "Customer",
        "email": portal.desk.tenant.address("cora"),
        "phone": "+46 70 123 45",
        "title": "My printer says PC LOAD LETTER",
        "content": "What does it mean?",
        "category": "Technical",
        "department": "Sales",
        **changes,
    }


def _tickets_of(services: Services, account_id: int) -> list[object]:
    with services.store.engine.connect() as conn:
        return list(conn.execute(select(t.tickets).where(t.tickets.c.account_id == account_id)))


def test_the_form_shows_the_account_and_its_choices_without_agent_chrome(
    web_app: FastAPI, portal: Portal
) -> None:
    page = client_at(web_app).get(portal.base)
    assert page.status_code == 200
    assert "<title>Contact support · Tenant A</title>" in page.text
    assert 'value="Billing"' in page.text and 'value="Sales"' in page.text
    assert "/tickets" not in page.text.replace(portal.base + "/tickets", "")  # no agent links
    assert "/api/v1/docs" not in page.text
    assert "fd_portal_anon=" in page.headers["set-cookie"]


def test_an_unknown_portal_is_a_404_page(web_app: FastAPI) -> None:
    answer = client_at(web_app).get("/portal/wdoesnotexist")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")


def test_the_form_opens_a_ticket_with_its_files_for_the_contact_it_names(
    web_app: FastAPI, portal: Portal
) -> None:
    client = client_at(web_app)
    page = client.get(portal.base)
    answer = client.post(
        portal.base,
        data={**_form(portal), "csrf_token": csrf_of(page.text)},
        # Larger than a plain request may be (64 KiB here), within the attachment limit.
        files=[("files", ("screen.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100_000, "image/png"))],
    )
    assert answer.status_code == 200, answer.text
    assert "we have your request" in answer.text
    [row] = _tickets_of(portal.services, portal.desk.tenant.id)
    assert row.subject == "My printer says PC LOAD LETTER"  # type: ignore[attr-defined]
    assert f"Your request number is {row.number}" in answer.text  # type: ignore[attr-defined]
    with portal.services.store.engine.connect() as conn:
        contact = conn.execute(
            select(t.contacts).where(t.contacts.c.id == row.requester_id)  # type: ignore[attr-defined]
        ).one()
        [file] = conn.execute(
            select(t.attachments).where(t.attachments.c.ticket_id == row.id)  # type: ignore[attr-defined]
        ).all()
        department = conn.execute(
            select(t.departments.c.name).where(t.departments.c.id == row.department_id)  # type: ignore[attr-defined]
        ).scalar()
    assert contact.email == portal.desk.tenant.address("cora") and contact.name == "Cora Customer"
    assert file.original_name == "screen.png" and file.content_type == "image/png"
    assert department == "Sales"
    # the form acts as "portal" in the ticket's log (core/identity's form_actor label)
    with portal.desk.services.store.engine.connect() as conn:
        actors = conn.execute(
            select(t.events.c.actor).where(
                t.events.c.account_id == portal.desk.tenant.id, t.events.c.kind == "ticket.opened"
            )
        ).scalars()
        assert list(actors) == ["portal:contact-form"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_name": "C"}, "first_name"),
        ({"phone": "call me"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"title": "x" * 251}, "title"),
        ({"category": "Gardening"}, "category"),
        ({"department": "Nowhere"}, "department"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(
    web_app: FastAPI, portal: Portal, change: dict[str, str], field: str
) -> None:
    client = client_at(web_app)
    page = client.get(portal.base)
    answer = client.post(
        portal.base, data={**_form(portal, **change), "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 422
    assert f'id="field-{field}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="Cora"' in answer.text or field == "first_name"  # what was typed stays
    assert _tickets_of(portal.services, portal.desk.tenant.id) == []


def test_a_file_over_the_limit_is_refused_and_writes_nothing(
    web_app: FastAPI, portal: Portal
) -> None:
    client = client_at(web_app)
    page = client.get(portal.base)
    big = b"x" * (portal.services.settings.max_attachment_bytes + 1)
    answer = client.post(
        portal.base,
        data={**_form(portal), "csrf_token": csrf_of(page.text)},
        files=[("files", ("big.txt", big, "text/plain"))],
    )
    assert answer.status_code == 413 and "too large" in answer.text
    assert _tickets_of(portal.services, portal.desk.tenant.id) == []


def test_a_post_without_the_csrf_token_is_refused(web_app: FastAPI, portal: Portal) -> None:
    client = client_at(web_app)
    client.get(portal.base)
    answer = client.post(portal.base, data=_form(portal))
    assert answer.status_code == 403
    forged = client.post(portal.base, data={**_form(portal), "csrf_token": "AAAA.BBBB"})
    assert forged.status_code == 403
    assert _tickets_of(portal.services, portal.desk.tenant.id) == []


def test_the_form_is_rate_limited_per_client_address(services: Services, tenant: Tenant) -> None:
    app = create_app(services=services)
    app.state.contact_form_limiter = type(app.state.contact_form_limiter)(2, 3600)
    portal = setup_portal(make_desk(services, tenant))
    client = client_at(app)
    token = csrf_of(client.get(portal.base).text)
    answers = [
        client.post(portal.base, data={**_form(portal, title=f"Try {n}"), "csrf_token": token})
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Retry-After" in answers[2].headers and "Try again in" in answers[2].text
    assert len(_tickets_of(services, tenant.id)) == 2


def test_a_known_address_gets_a_link_and_an_unknown_one_the_same_answer(
    web_app: FastAPI, portal: Portal
) -> None:
    known = portal.desk.tenant.address("known")
    portal.ticket_for(known)
    unknown = portal.desk.tenant.address("stranger")
    client = client_at(web_app)
    one, other = ask_for_link(client, portal, known), ask_for_link(client, portal, unknown)
    assert one.status_code == other.status_code == 200

    def strip(html: str) -> str:
        return html.replace(known, "@").replace(unknown, "@")

    assert strip(one.text).split("<main")[1] == strip(other.text).split("<main")[1]
    assert len(portal.links_to(known)) == 1 and portal.links_to(unknown) == []


def test_a_link_signs_in_once_with_a_portal_cookie(web_app: FastAPI, portal: Portal) -> None:
    email = portal.desk.tenant.address("once")
    portal.ticket_for(email)
    client = client_at(web_app)
    ask_for_link(client, portal, email)
    [link] = portal.links_to(email)
    shown = client.get(link)
    assert shown.status_code == 200 and "Sign in" in shown.text
    assert client.get(link).status_code == 200  # looking (a mail scanner) uses nothing up
    answer = client.post(link, data={"csrf_token": csrf_of(shown.text)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == portal.base + "/tickets"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("fd_portal=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/portal" in cookie
    assert client.get(portal.base + "/tickets").status_code == 200
    again = client_at(web_app)
    page = again.get(link)
    assert page.status_code == 404 and "expired" in page.text


def test_an_expired_link_and_another_portals_link_are_refused(
    web_app: FastAPI, portal: Portal, other_tenant: Tenant
) -> None:
    email = portal.desk.tenant.address("late")
    portal.ticket_for(email)
    ask_for_link(client_at(web_app), portal, email)
    ask_for_link(client_at(web_app), portal, email)
    first, second = portal.links_to(email)
    with portal.services.store.engine.begin() as conn:
        conn.execute(
            update(t.portal_links)
            .where(t.portal_links.c.public_id == first.rsplit("/", 1)[1].split(".")[0])
            .values(expires=0)
        )
    assert client_at(web_app).get(first).status_code == 404
    elsewhere = second.replace(portal.base, f"/portal/{other_tenant.account.public_id}")
    assert client_at(web_app).get(elsewhere).status_code == 404


def test_link_requests_are_throttled_per_address(web_app: FastAPI, portal: Portal) -> None:
    email = portal.desk.tenant.address("eager")
    portal.ticket_for(email)
    limit = portal.services.settings.portal_links_per_address
    answers = [ask_for_link(client_at(web_app), portal, email) for _ in range(limit + 1)]
    assert [a.status_code for a in answers] == [200] * limit + [429]
    assert "Retry-After" in answers[-1].headers
    assert len(portal.links_to(email)) == limit


def test_link_requests_are_throttled_per_ip(web_app: FastAPI, portal: Portal) -> None:
    client = client_at(web_app)
    limit = portal.services.settings.portal_links_per_ip
    codes = [
        ask_for_link(client, portal, portal.desk.tenant.address(f"n{n}")).status_code
        for n in range(limit + 1)
    ]
    assert codes == [200] * limit + [429]


def test_the_customer_sees_their_thread_but_never_internal_notes(
    web_app: FastAPI, portal: Portal
) -> None:
    email = portal.desk.tenant.address("reader")
    ticket = portal.ticket_for(email)
    client = sign_in(web_app, portal, email)
    listing = client.get(portal.base + "/tickets")
    assert "Invoice is wrong" in listing.text and f"#{ticket.number}" in listing.text
    page = client.get(f"{portal.base}/tickets/{ticket.id}")
    assert page.status_code == 200
    assert "The total is twice" in page.text and "We refunded the difference" in page.text
    assert "SECRET NOTE" not in page.text
    assert "Sign out" in page.text


def test_another_customers_ticket_is_a_404_page(web_app: FastAPI, portal: Portal) -> None:
    mine = portal.ticket_for(portal.desk.tenant.address("me"))
    theirs = portal.ticket_for(portal.desk.tenant.address("them"), subject="Their private thing")
    client = sign_in(web_app, portal, portal.desk.tenant.address("me"))
    assert client.get(f"{portal.base}/tickets/{mine.id}").status_code == 200
    answer = client.get(f"{portal.base}/tickets/{theirs.id}")
    assert answer.status_code == 404 and "Their private thing" not in answer.text
    token = csrf_of(answer.text)
    reply = client.post(
        f"{portal.base}/tickets/{theirs.id}/reply", data={"content": "hi", "csrf_token": token}
    )
    assert reply.status_code == 404
    close = client.post(f"{portal.base}/tickets/{theirs.id}/close", data={"csrf_token": token})
    assert close.status_code == 404


def test_another_accounts_session_does_not_open_this_portal(
    web_app: FastAPI, portal: Portal, services: Services, other_tenant: Tenant
) -> None:
    email = portal.desk.tenant.address("wanderer")
    portal.ticket_for(email)
    client = sign_in(web_app, portal, email)
    other = f"/portal/{other_tenant.account.public_id}/tickets"
    answer = client.get(other, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("/signin")


def test_the_customer_replies_with_a_file_closes_and_reopens(
    web_app: FastAPI, portal: Portal
) -> None:
    email = portal.desk.tenant.address("writer")
    ticket = portal.ticket_for(email)
    client = sign_in(web_app, portal, email)
    url = f"{portal.base}/tickets/{ticket.id}"
    token = csrf_of(client.get(url).text)
    answer = client.post(
        url + "/reply",
        data={"content": "Thanks, it arrived.", "csrf_token": token},
        files=[("files", ("receipt.txt", b"paid in full" * 10_000, "text/plain"))],
    )
    assert answer.status_code == 200 and "Thanks, it arrived." in answer.text
    assert "receipt.txt" in answer.text
    [download] = [part.split('"')[0] for part in answer.text.split('href="') if "/files/" in part]
    got = client.get(download)
    assert got.content == b"paid in full" * 10_000
    assert got.headers["content-disposition"].startswith("attachment")
    closed = client.post(url + "/close", data={"csrf_token": token})
    assert "Reopen this request" in closed.text
    reopened = client.post(url + "/reopen", data={"csrf_token": token})
    assert "Close this request" in reopened.text
    with portal.services.store.engine.connect() as conn:
        status = conn.execute(
            select(t.tickets.c.status).where(t.tickets.c.id == ticket.id)
        ).scalar()
    assert status == Status.REPLY.value


def test_a_force_closed_ticket_cannot_be_reopened_or_answered(
    web_app: FastAPI, portal: Portal
) -> None:
    email = portal.desk.tenant.address("closed")
    ticket = portal.ticket_for(email)
    with portal.services.store.write() as uow:
        set_status(uow, portal.desk.tenant.actor, ticket.id, Status.CLOSED, force=True)
    client = sign_in(web_app, portal, email)
    url = f"{portal.base}/tickets/{ticket.id}"
    page = client.get(url)
    assert "closed this request for good" in page.text and "Reopen" not in page.text
    refused = client.post(url + "/reply", data={"content": "but", "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409 and "closed this request for good" in refused.text


def test_signing_out_ends_the_session(web_app: FastAPI, portal: Portal) -> None:
    email = portal.desk.tenant.address("leaver")
    portal.ticket_for(email)
    client = sign_in(web_app, portal, email)
    token = csrf_of(client.get(portal.base + "/tickets").text)
    cookie = client.cookies["fd_portal"]
    out = client.post(portal.base + "/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    stale = client_at(web_app)
    stale.cookies.set("fd_portal", cookie, path="/portal")
    answer = stale.get(portal.base + "/tickets", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("/signin")
    # in the core (core/identity's portal.authenticate and end_session): the ended session's
    # cookie is refused with its code and message, and the event names the session
    services, account_id = portal.desk.services, portal.desk.tenant.id
    with services.store.read() as uow, pytest.raises(Unauthenticated) as refused:
        identity_portal.authenticate(uow, account_id, cookie, session_policy(services.settings))
    assert (refused.value.code, refused.value.message) == ("invalid_session", "Sign in to continue")
    with services.store.engine.connect() as conn:
        (session_id,) = conn.execute(
            select(t.portal_sessions.c.id).where(t.portal_sessions.c.account_id == account_id)
        ).scalars()
        for kind in (identity_portal.PORTAL_SESSION_ENDED, identity_portal.PORTAL_SESSION_STARTED):
            logged = conn.execute(
                select(t.events.c.data).where(
                    t.events.c.account_id == account_id, t.events.c.kind == kind
                )
            ).scalars()
            assert [json.loads(data) for data in logged] == [{"session_id": session_id}], kind


def test_a_link_that_is_no_link_is_not_found_in_the_core(portal: Portal) -> None:
    # kills check_link's NotFound code and message mutants
    services, account_id = portal.desk.services, portal.desk.tenant.id
    with services.store.read() as uow, pytest.raises(NotFound) as refused:
        identity_portal.check_link(uow, account_id, "not-a-link")
    assert (refused.value.code, refused.value.message) == (
        "link_not_found",
        "This link has expired or was used already",
    )


def test_the_portal_speaks_the_browsers_language_or_the_chosen_one(
    web_app: FastAPI, portal: Portal
) -> None:
    client = client_at(web_app)
    swedish = client.get(portal.base, headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert '<html lang="sv"' in swedish.text and "Kontakta support" in swedish.text
    chosen = client.get(portal.base + "?lang=sv")
    assert "fd_portal_lang=sv" in chosen.headers["set-cookie"]
    assert '<html lang="sv"' in client.get(portal.base).text  # the cookie keeps it
    assert '<html lang="en"' in client.get(portal.base + "?lang=en").text


def test_the_sign_in_mail_comes_in_the_language_the_customer_asked_in(
    web_app: FastAPI, portal: Portal
) -> None:
    swedish, english = (portal.desk.tenant.address(who) for who in ("svensk", "english"))
    portal.ticket_for(swedish)
    portal.ticket_for(english)
    in_swedish = client_at(web_app)
    in_swedish.get(portal.base + "?lang=sv")  # the choice is kept in a cookie
    assert ask_for_link(in_swedish, portal, swedish).status_code == 200
    assert ask_for_link(client_at(web_app), portal, english).status_code == 200
    with portal.services.store.engine.connect() as conn:
        mails = dict(
            conn.execute(
                select(t.outbox.c.to_addr, t.outbox.c.subject).where(
                    t.outbox.c.to_addr.in_([swedish, english])
                )
            ).all()
        )
    assert mails[swedish].startswith("Din inloggningslänk till supporten för ")
    assert mails[english].startswith("Your sign-in link to ")
    # The link itself works whatever the mail's language.
    assert len(portal.links_to(swedish)) == 1 and len(portal.links_to(english)) == 1
