"""Pure parts of the InboxOps translation (api/inboxops/translate.py)."""

from __future__ import annotations

from frontdesk.api.inboxops.translate import Context


def test_an_agent_is_shown_by_uuid_and_by_id_when_the_uuid_is_not_at_hand() -> None:
    ctx = Context("ws-1", "http://frontdesk.test", users={7: "5d0c-uuid"})
    assert ctx.user(7) == "5d0c-uuid"
    assert ctx.user(8) == "8"
    assert ctx.user(None) is None
    assert ctx.attachment_url("t-1", "a-2") == (
        "http://frontdesk.test/v1/workspaces/ws-1/tickets/t-1/attachments/a-2"
    )
