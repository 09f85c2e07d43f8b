"""Settings, Webhooks over HTTP, on both databases: a webhook added with its secret shown
once (and stored sealed), changed, switched off and on, its secret rotated, removed; the
delivery log and "Redeliver"; a private address refused on the form; role, CSRF and
tenancy."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from frontdesk.core import automation
from frontdesk.core.automation import deliveries
from frontdesk.core.automation.records import DeliveryStatus, Endpoint
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.services import sealing
from frontdesk.services.webhooks import WEBHOOK_SECRET, check_target
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of

PUBLIC = "https://93.184.215.14/hooks/frontdesk"  # a public address, no DNS needed


@pytest.fixture
def desk(services: object, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)  # type: ignore[arg-type]


def _admin(web_app: FastAPI, desk: Desk) -> tuple[TestClient, str]:
    admin = signed_in(web_app, admin_of(desk))
    return admin, csrf_of(admin.get("/settings/webhooks").text)


def _only_webhook(desk: Desk) -> Endpoint:
    with desk.services.store.read() as uow:
        [webhook] = automation.list_endpoints(uow, desk.tenant.actor)
    return webhook


def _stored_secret(desk: Desk, webhook: Endpoint) -> str:
    with desk.services.store.engine.connect() as conn:
        sealed = conn.execute(
            select(t.webhook_endpoints.c.secret).where(t.webhook_endpoints.c.id == webhook.id)
        ).scalar_one()
    return sealing.unseal(sealed, desk.services.settings.secret_key, WEBHOOK_SECRET)


def _add(admin: TestClient, token: str, **fields: object) -> str:
    data = {"csrf_token": token, "url": PUBLIC, "description": "Billing",
            "event_types": ["ticket.*", "webhook.updated"], "active": "1", **fields}  # fmt: skip
    made = admin.post("/settings/webhooks", data=data)
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret">(whsec_[^<]+)<', made.text)
    assert secret is not None
    return secret.group(1)


def test_a_webhook_is_added_with_its_secret_shown_once_and_stored_sealed(
    web_app: FastAPI, desk: Desk
) -> None:
    admin, token = _admin(web_app, desk)
    secret = _add(admin, token, inbox_id=str(desk.inbox.id))
    webhook = _only_webhook(desk)
    assert (webhook.url, webhook.description) == (PUBLIC, "Billing")
    assert webhook.event_types == ("ticket.*", "webhook.updated")
    assert webhook.inbox_id == desk.inbox.id and webhook.active
    assert _stored_secret(desk, webhook) == secret
    with desk.services.store.engine.connect() as conn:
        raw = conn.execute(
            select(t.webhook_endpoints.c.secret).where(t.webhook_endpoints.c.id == webhook.id)
        ).scalar_one()
    assert secret not in raw  # sealed, not stored as typed
    listed = admin.get("/settings/webhooks").text
    assert secret not in listed and PUBLIC in listed and "Nothing sent yet." in listed
    page = admin.get(f"/settings/webhooks/{webhook.id}").text
    assert secret not in page and "whsec_" not in page


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://[::1]/hook"]
)
def test_a_private_or_loopback_address_is_refused_on_the_form(
    web_app: FastAPI, desk: Desk, url: str
) -> None:
    admin, token = _admin(web_app, desk)
    refused = admin.post("/settings/webhooks", data={"csrf_token": token, "url": url,
                         "event_types": ["*"], "active": "1"})  # fmt: skip
    assert refused.status_code == 422
    assert "private or local network" in refused.text and "whsec_" not in refused.text
    assert f'value="{url}"' in refused.text  # what was typed is kept
    with desk.services.store.read() as uow:
        assert automation.list_endpoints(uow, desk.tenant.actor) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "ftp://example.com/x", "event_types": ["*"]}, "absolute http or https"),
        ({"url": PUBLIC}, "at least one event type"),
        ({"url": PUBLIC, "event_types": ["Not a type!"]}, "from the list"),
        ({"url": PUBLIC, "event_types": ["*"], "inbox_id": "999999"}, "inbox from the list"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(
    web_app: FastAPI, desk: Desk, data: dict[str, object], message: str
) -> None:
    admin, token = _admin(web_app, desk)
    answer = admin.post("/settings/webhooks", data={"csrf_token": token, **data})
    assert answer.status_code == 422 and message in answer.text
    with desk.services.store.read() as uow:
        assert automation.list_endpoints(uow, desk.tenant.actor) == []


def test_a_webhook_is_changed_switched_off_and_on_and_removed(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    _add(admin, token, inbox_id=str(desk.inbox.id))
    webhook = _only_webhook(desk)
    saved = admin.post(f"/settings/webhooks/{webhook.id}", data={"csrf_token": token,
                       "url": PUBLIC + "/v2", "description": "Billing v2",
                       "event_types": ["message.added", "chat.transferred"]})  # fmt: skip
    assert saved.status_code == 200 and "Saved." in saved.text
    changed = _only_webhook(desk)
    assert changed.url == PUBLIC + "/v2" and changed.description == "Billing v2"
    assert changed.event_types == ("message.added", "chat.transferred")
    assert changed.inbox_id is None and changed.active  # the edit form leaves the switch
    assert 'value="chat.transferred" checked' in saved.text  # a type off the list is kept

    bad = admin.post(f"/settings/webhooks/{webhook.id}", data={"csrf_token": token,
                     "url": "http://127.0.0.1/x", "event_types": ["*"]})  # fmt: skip
    assert bad.status_code == 422 and "private or local network" in bad.text
    assert _only_webhook(desk).url == PUBLIC + "/v2"

    off = admin.post(f"/settings/webhooks/{webhook.id}/active", data={"csrf_token": token,
                     "active": "0"})  # fmt: skip
    assert off.status_code == 200 and not _only_webhook(desk).active
    assert "Switch on" in off.text
    on = admin.post(f"/settings/webhooks/{webhook.id}/active", data={"csrf_token": token,
                    "active": "1"})  # fmt: skip
    assert on.status_code == 200 and _only_webhook(desk).active

    removed = admin.post(f"/settings/webhooks/{webhook.id}/delete", data={"csrf_token": token})
    assert removed.status_code == 200 and "Removed" in removed.text
    with desk.services.store.read() as uow:
        assert automation.list_endpoints(uow, desk.tenant.actor) == []
    assert admin.get(f"/settings/webhooks/{webhook.id}").status_code == 404


def test_a_new_secret_is_shown_once_and_replaces_the_old(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    first = _add(admin, token)
    webhook = _only_webhook(desk)
    rotated = admin.post(f"/settings/webhooks/{webhook.id}/secret", data={"csrf_token": token})
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    shown = re.search(r'id="new-secret">(whsec_[^<]+)<', rotated.text)
    assert shown is not None and shown.group(1) != first
    assert _stored_secret(desk, webhook) == shown.group(1)
    assert shown.group(1) not in admin.get(f"/settings/webhooks/{webhook.id}").text


def test_the_delivery_log_shows_each_delivery_and_redeliver_queues_it_again(
    web_app: FastAPI, desk: Desk
) -> None:
    admin, token = _admin(web_app, desk)
    _add(admin, token, event_types=["webhook.updated"])
    webhook = _only_webhook(desk)
    # Saving the webhook records webhook.updated, which it subscribed to: one delivery.
    admin.post(f"/settings/webhooks/{webhook.id}", data={"csrf_token": token, "url": PUBLIC,
               "event_types": ["webhook.updated"]})  # fmt: skip
    with desk.services.store.write() as uow:
        [(delivery, _log)] = deliveries.list_deliveries(
            uow, desk.tenant.actor, webhook.id, before_id=MAX_ROW_ID, limit=10
        )
        # As the worker leaves one that failed: its attempts used up, the answer kept.
        uow.webhooks.update_delivery(delivery.id, {
            "status": "failed", "attempts": 3, "response_code": 410, "last_error": "gone",
            "last_attempt": delivery.created,
        })  # fmt: skip
    page = admin.get(f"/settings/webhooks/{webhook.id}").text
    assert "webhook.updated" in page and "Failed" in page and "410" in page and "gone" in page
    assert "Last delivery:" in admin.get("/settings/webhooks").text

    again = admin.post(
        f"/settings/webhooks/{webhook.id}/deliveries/{delivery.id}/redeliver",
        data={"csrf_token": token},
    )
    assert again.status_code == 200 and "Queued again" in again.text
    with desk.services.store.read() as uow:
        queued = deliveries.get_delivery(uow, desk.tenant.actor, delivery.id)
    assert queued.status is DeliveryStatus.QUEUED and queued.attempts == 0
    with desk.services.store.engine.connect() as conn:
        redeliveries = conn.execute(
            select(func.count()).where(
                t.events.c.kind == "webhook.redelivery",
                t.events.c.account_id == desk.tenant.account.id,
            )
        ).scalar_one()
    assert redeliveries == 1


def test_the_delivery_log_pages_by_id(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    _add(admin, token, event_types=["webhook.updated"])
    webhook = _only_webhook(desk)
    for _round in range(21):  # one more than a page
        with desk.services.store.write() as uow:
            automation.update_endpoint(uow, desk.tenant.actor, webhook.id,
                                       automation.EndpointFields(), clear_inbox=False)  # fmt: skip
    first = admin.get(f"/settings/webhooks/{webhook.id}").text
    assert first.count("Redeliver event") == 20
    older = re.search(r'href="(/settings/webhooks/\d+\?before=\d+)" rel="next"', first)
    assert older is not None
    second = admin.get(older.group(1)).text
    assert second.count("Redeliver event") == 1 and 'rel="next"' not in second


def test_agents_csrf_and_other_accounts_are_kept_out(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    with desk.services.store.write() as uow:
        theirs = automation.create_endpoint(
            uow, other_tenant.actor,
            automation.EndpointFields(url=PUBLIC, event_types=["webhook.updated"]), "sealed",
        )  # fmt: skip
        automation.update_endpoint(uow, other_tenant.actor, theirs.id,
                                   automation.EndpointFields(), clear_inbox=False)  # fmt: skip
    with desk.services.store.read() as uow:
        their_delivery, _log = deliveries.list_deliveries(
            uow, other_tenant.actor, theirs.id, before_id=MAX_ROW_ID, limit=10
        )[0]
    agent = signed_in(web_app, desk.agent.email)
    agent_token = csrf_of(agent.get("/settings/profile").text)
    assert agent.get("/settings/webhooks").status_code == 403
    sneaky = agent.post("/settings/webhooks", data={"csrf_token": agent_token, "url": PUBLIC,
                        "event_types": ["*"]})  # fmt: skip
    assert sneaky.status_code == 403

    admin, token = _admin(web_app, desk)
    assert "Webhooks" in admin.get("/settings/account").text  # in the navigation
    no_csrf = admin.post("/settings/webhooks", data={"url": PUBLIC, "event_types": ["*"]})
    assert no_csrf.status_code == 403
    with desk.services.store.read() as uow:
        assert automation.list_endpoints(uow, desk.tenant.actor) == []

    base = f"/settings/webhooks/{theirs.id}"
    assert admin.get(base).status_code == 404
    for path in (base, f"{base}/active", f"{base}/secret", f"{base}/delete"):
        answer = admin.post(path, data={"csrf_token": token, "url": PUBLIC,
                            "event_types": ["*"], "active": "0"})  # fmt: skip
        assert answer.status_code == 404, path
    redeliver = admin.post(f"{base}/deliveries/{their_delivery.id}/redeliver",
                           data={"csrf_token": token})  # fmt: skip
    assert redeliver.status_code == 404
    with desk.services.store.read() as uow:
        still = automation.get_endpoint(uow, other_tenant.actor, theirs.id)
        untouched = deliveries.get_delivery(uow, other_tenant.actor, their_delivery.id)
    assert still.active and still.url == PUBLIC and untouched.created == their_delivery.created


def test_the_form_refuses_what_the_sender_would_refuse_and_no_more() -> None:
    """The form's check is the sender's (services.fetch.pin): every address the host
    resolves to must be public; a host that does not resolve yet is left to the log."""

    def to(*addresses: str) -> Callable[[str, int], list[str]]:
        return lambda _host, _port: list(addresses)

    def unresolved(_host: str, _port: int) -> list[str]:
        raise OSError("no such host")

    url = "https://hooks.example.org/frontdesk"

    def refused(allow_private: bool, resolver: Callable[[str, int], list[str]]) -> bool:
        try:
            check_target(url, allow_private=allow_private, resolver=resolver)
        except Invalid as error:
            return (error.code, error.field) == ("address_not_allowed", "url")
        return False

    assert refused(False, to("93.184.215.14", "10.0.0.7"))
    assert refused(False, to("::ffff:127.0.0.1"))
    assert not refused(False, to("93.184.215.14"))
    assert not refused(True, to("127.0.0.1"))
    assert not refused(False, unresolved)
