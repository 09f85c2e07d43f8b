"""Bearer key, x-workspace-id and the path: which mistake gets which answer, in the
dialect's own error body, and never another workspace's data."""

from __future__ import annotations

from frontdesk.core import contacts
from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant
from tests.dialects.inboxops.conftest import Ops, error_of


def test_no_key_or_a_bad_key_is_401(ops: Ops) -> None:
    for headers in (
        {"x-workspace-id": ops.workspace},
        {"x-workspace-id": ops.workspace, "Authorization": "Bearer nope"},
        {"x-workspace-id": ops.workspace, "Authorization": f"Basic {ops.token}"},
    ):
        error_of(ops.client.get(ops.base, headers=headers), 401, "invalid_credentials")


def test_a_customer_token_is_not_a_key(ops: Ops) -> None:
    from frontdesk.core.contacts import ContactFields
    from frontdesk.core.identity import credentials

    with ops.services.store.write() as uow:
        contact = contacts.find_or_create_contact(
            uow, ops.tenant.actor, ContactFields(email=ops.tenant.address("c"))
        )
        token = credentials.issue_customer_token(uow, ops.tenant.actor, contact.id).token
    error_of(ops.client.get(ops.base, headers=ops.headers(token)), 401)


def test_header_missing_or_naming_another_workspace_is_400(ops: Ops) -> None:
    headers = {"Authorization": f"Bearer {ops.token}"}
    found = error_of(ops.client.get(ops.base, headers=headers), 400, "missing_workspace")
    assert found["field"] == "x-workspace-id"
    found = error_of(
        ops.client.get(ops.base, headers=ops.headers(workspace="ws-123")), 400, "workspace_mismatch"
    )
    assert found["field"] == "x-workspace-id"


def test_another_workspace_in_path_and_header_is_404(ops: Ops, other_tenant: Tenant) -> None:
    theirs = other_tenant.account.public_id
    path = f"/v1/workspaces/{theirs}/tickets"
    error_of(
        ops.client.get(path, headers=ops.headers(workspace=theirs)), 404, "workspace_not_found"
    )
    body = {"subject": "x", "body": "y"}
    created = ops.client.post(path, json=body, headers=ops.headers(workspace=theirs))
    error_of(created, 404, "workspace_not_found")
    with ops.services.store.read() as uow:
        assert uow.tickets.count_tickets(other_tenant.id) == 0


def test_another_workspaces_ticket_ids_are_404(ops: Ops, other_tenant: Tenant) -> None:
    theirs = Ops(
        other_tenant, ops.client, other_tenant.key(Scope.TICKETS_READ, Scope.TICKETS_WRITE),
        ops.inbox, ops.agent, ops.other_agent,
    )  # fmt: skip
    foreign = theirs.create(subject="Secret")
    mine = ops.create()
    error_of(ops.get(f"/{foreign['id']}"), 404, "ticket_not_found")
    error_of(ops.patch(f"/{foreign['id']}", {"priority": "high"}), 404)
    error_of(ops.post(f"/{foreign['id']}/messages", {"body": "x"}), 404)
    error_of(ops.post(f"/{foreign['id']}/status", {"toStatus": "closed"}), 404)
    error_of(ops.post(f"/{foreign['id']}/archive"), 404)
    found = error_of(ops.post(f"/{mine['id']}/merge", {"targetTicketId": foreign["id"]}), 404)
    assert found["field"] == "targetTicketId"
    message_id = theirs.ticket(foreign["id"])["messages"][0]["id"]
    found = error_of(ops.post(f"/{mine['id']}/split", {"messageIds": [message_id]}), 404)
    assert found["code"] == "message_not_found" and found["field"] == "messageIds"
    upload = theirs.upload(foreign["id"])
    error_of(ops.get(f"/{foreign['id']}/attachments/{upload['id']}"), 404)
    found = error_of(
        ops.post(f"/{mine['id']}/messages", {"body": "x", "attachmentIds": [upload["id"]]}), 404
    )
    assert found["code"] == "attachment_not_found"
    assert [t["id"] for t in ops.get().json()] == [mine["id"]]
    assert ops.get(search="Secret").json() == []
    unchanged = theirs.ticket(foreign["id"])
    assert unchanged["priority"] == "normal" and unchanged["status"] == "open"
    assert len(unchanged["messages"]) == 1 and unchanged["archivedAt"] is None


def test_scopes(ops: Ops) -> None:
    reader = ops.tenant.key(Scope.TICKETS_READ)
    chat_only = ops.tenant.key(Scope.CHAT_READ)
    assert ops.client.get(ops.base, headers=ops.headers(reader)).status_code == 200
    error_of(ops.client.get(ops.base, headers=ops.headers(chat_only)), 403, "missing_scope")
    body = {"subject": "x", "body": "y"}
    error_of(ops.client.post(ops.base, json=body, headers=ops.headers(reader)), 403)


def test_framework_errors_use_the_dialect_body(ops: Ops) -> None:
    error_of(ops.client.delete(ops.base, headers=ops.headers()), 405)
    error_of(ops.client.get(f"/v1/workspaces/{ops.workspace}/nothing", headers=ops.headers()), 404)
    limit = ops.services.settings.max_request_bytes
    huge = {"subject": "x", "body": "y" * (limit + 10)}
    error_of(ops.client.post(ops.base, json=huge, headers=ops.headers()), 413)
