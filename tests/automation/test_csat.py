"""Satisfaction surveys (issue 19, CSAT): queued when a ticket of a surveyed inbox is
solved, rated by a signed link that works once (the same click again changes nothing),
changeable for 7 days and then not (the clock is moved, not waited for), never by a
forged link; a comment form with its CSRF token; withdrawn if the ticket reopens first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.core.automation import csat
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict
from frontdesk.services import Services
from frontdesk.storage import tables as t
from frontdesk.web import csat as web_csat
from tests.automation.conftest import set_status
from tests.conftest import Tenant
from tests.web.helpers import csrf_of

DAY_MS = 86_400_000
LINK = re.compile(r"https?://[^/\s]+(/csat/(\d+)/([0-9a-f]{32})(?:/(\w+))?)")


def _surveyed_ticket(
    client: TestClient, tenant: Tenant, *, enabled: bool = True, delay: int = 30
) -> tuple[int, int]:
    """An inbox with the survey on (or off), and a ticket of it; (inbox id, ticket id)."""
    headers = tenant.headers()
    inbox = client.post(
        "/api/v1/inboxes",
        json={"name": "Support", "email": tenant.address("support")},
        headers=headers,
    ).json()
    put = client.put(
        f"/api/v1/inboxes/{inbox['id']}/csat",
        json={"enabled": enabled, "delay_minutes": delay, "text": "Did we help?"},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    made = client.post(
        "/api/v1/tickets",
        json={
            "subject": "Broken login",
            "message": {"body": "I cannot sign in"},
            "requester_email": tenant.address("ann"),
            "inbox_id": inbox["id"],
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return inbox["id"], made.json()["id"]


def _survey_mails(services: Services, ticket_id: int) -> list[Any]:
    out = t.outbox
    with services.store.read() as uow:
        return list(
            uow.conn.execute(
                select(out).where(out.c.ticket_id == ticket_id, out.c.kind == csat.SURVEY_MAIL)
            )
        )


def _links(body: str) -> dict[str, str]:
    """The mail's links by what they do: a rating word, or "comment" for the page."""
    return {match.group(4) or "comment": match.group(1) for match in LINK.finditer(body)}


def _rated_events(services: Services, tenant: Tenant) -> list[Any]:
    ev = t.events
    with services.store.read() as uow:
        return list(
            uow.conn.execute(
                select(ev.c.data)
                .where(ev.c.account_id == tenant.id, ev.c.kind == csat.CSAT_RATED)
                .order_by(ev.c.id)
            ).scalars()
        )


def _solved_with_links(
    client: TestClient, tenant: Tenant, services: Services
) -> tuple[int, dict[str, str]]:
    _inbox, ticket_id = _surveyed_ticket(client, tenant)
    before = now_ms()
    set_status(client, tenant, ticket_id, "solved")
    (mail,) = _survey_mails(services, ticket_id)
    assert mail.to_addr == tenant.address("ann")
    assert mail.next_attempt >= before + 30 * 60_000  # sent after the inbox's delay
    assert mail.body.startswith("Did we help?")
    return ticket_id, _links(mail.body)


def test_a_solved_ticket_gets_one_survey_whose_link_rates_once(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    ticket_id, links = _solved_with_links(client, tenant, services)
    assert set(links) == {"great", "okay", "bad", "comment"}
    page = client.get(links["great"])
    assert page.status_code == 200, page.text
    assert "Thank you for your rating." in page.text
    again = client.get(links["great"])  # the same click again: one rating, one event
    assert again.status_code == 200
    events = _rated_events(services, tenant)
    assert len(events) == 1 and '"rating": "great"' in events[0] and '"score": 3' in events[0]
    shown = client.get(f"/api/v1/tickets/{ticket_id}/csat", headers=tenant.headers()).json()
    assert shown["rating"] == "great" and shown["score"] == 3
    # Solved again (reopened after the mail left, then solved): still the one survey.
    with services.store.write() as uow:
        uow.conn.execute(
            t.outbox.update().where(t.outbox.c.ticket_id == ticket_id).values(status="sent")
        )
    set_status(client, tenant, ticket_id, "reply")
    set_status(client, tenant, ticket_id, "solved")
    assert len(_survey_mails(services, ticket_id)) == 1


def test_the_rating_changes_within_7_days_and_then_stands(
    client: TestClient, tenant: Tenant, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ticket_id, links = _solved_with_links(client, tenant, services)
    first = now_ms()
    assert client.get(links["great"]).status_code == 200
    monkeypatch.setattr(web_csat, "now_ms", lambda: first + 6 * DAY_MS)
    assert client.get(links["bad"]).status_code == 200
    events = _rated_events(services, tenant)
    assert len(events) == 2 and '"before": "great"' in events[1] and '"rating": "bad"' in events[1]
    monkeypatch.setattr(web_csat, "now_ms", lambda: first + 8 * DAY_MS)
    late = client.get(links["okay"])
    assert late.status_code == 409
    assert "This rating can no longer be changed." in late.text
    assert len(_rated_events(services, tenant)) == 2
    survey_id = int(links["okay"].split("/")[2])
    with pytest.raises(Conflict), services.store.write() as uow:
        csat.rate(uow, survey_id, "okay", first + 8 * DAY_MS)


def test_a_forged_or_altered_link_fails_and_rates_nothing(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, services: Services
) -> None:
    _ticket_id, links = _solved_with_links(client, tenant, services)
    survey_id, mac = links["great"].split("/")[2:4]
    _other_ticket, other_links = _solved_with_links(client, other_tenant, services)
    other_id, other_mac = other_links["great"].split("/")[2:4]
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    for forged in (
        f"/csat/{survey_id}/{flipped}/great",  # one character changed
        f"/csat/{survey_id}/{'0' * 32}/great",
        f"/csat/{survey_id}/{other_mac}/great",  # another survey's signature
        f"/csat/{other_id}/{mac}/great",
        f"/csat/{survey_id}/{mac.upper()}/great",
        f"/csat/{survey_id}/{mac}x/great",
        f"/csat/{survey_id}/{flipped}",
    ):
        refused = client.get(forged)
        assert refused.status_code == 404, forged
        assert "text/html" in refused.headers["content-type"]
    assert _rated_events(services, tenant) == []
    assert _rated_events(services, other_tenant) == []
    bad_word = client.get(links["great"].replace("/great", "/superb"))
    assert bad_word.status_code == 422
    assert _rated_events(services, tenant) == []


def test_a_comment_needs_the_form_token_and_lands_on_the_ticket(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    ticket_id, links = _solved_with_links(client, tenant, services)
    rated = client.get(links["okay"])
    token = csrf_of(rated.text)
    comment_url = links["comment"] + "/comment"
    refused = client.post(comment_url, data={"comment": "Quick, thanks"})
    assert refused.status_code == 403
    saved = client.post(comment_url, data={"comment": "Quick, thanks", "csrf_token": token})
    assert saved.status_code == 200, saved.text
    assert "Thank you for your comment." in saved.text
    shown = client.get(f"/api/v1/tickets/{ticket_id}/csat", headers=tenant.headers()).json()
    assert shown["comment"] == "Quick, thanks" and shown["rating"] == "okay"
    with services.store.read() as uow:
        kinds = list(
            uow.conn.execute(
                select(t.events.c.kind)
                .where(t.events.c.ticket_id == ticket_id, t.events.c.kind.like("csat.%"))
                .order_by(t.events.c.id)
            ).scalars()
        )
    assert kinds == ["csat.queued", "csat.rated", "csat.commented"]


def test_reopened_before_the_mail_left_the_survey_is_withdrawn_and_off_sends_none(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, services: Services
) -> None:
    _inbox, ticket_id = _surveyed_ticket(client, tenant)
    set_status(client, tenant, ticket_id, "solved")
    assert len(_survey_mails(services, ticket_id)) == 1
    set_status(client, tenant, ticket_id, "reply")
    assert _survey_mails(services, ticket_id) == []
    set_status(client, tenant, ticket_id, "solved")
    assert len(_survey_mails(services, ticket_id)) == 1
    _inbox, quiet = _surveyed_ticket(client, other_tenant, enabled=False)
    set_status(client, other_tenant, quiet, "solved")
    assert _survey_mails(services, quiet) == []
    theirs = client.get(f"/api/v1/tickets/{ticket_id}/csat", headers=other_tenant.headers())
    assert theirs.status_code == 404
    deleted = client.delete(f"/api/v1/tickets/{ticket_id}", headers=tenant.headers())
    assert deleted.status_code == 204  # its survey goes with it
