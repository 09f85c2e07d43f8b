"""mail_failed_notifications: the notification of a reply that failed, on for agents who
saved their notification settings before this kind existed (as it is for everyone else)

Revision ID: 0079
Revises: 0078
Create Date: 2026-11-24 20:30:00.000000

As 0077 did for the SLA's kinds: a saved row lists the kinds that are on, so without this
an agent who ever saved would have the new kind off without having chosen it. In the bell
it is on; by mail only for an agent who gets some notification mail already (one who
turned every mail off keeps it so). Data only: no table changes.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0079"
down_revision = "0078"
branch_labels = None
depends_on = None

NEW = ("mail_failed",)
settings = sa.table(
    "notification_settings",
    sa.column("agent_id", sa.Integer),
    sa.column("web", sa.Text),
    sa.column("email", sa.Text),
)


def _with(text: str) -> str:
    return ",".join(sorted({*filter(None, text.split(",")), *NEW}))


def _with_if_any(text: str) -> str:
    return _with(text) if text else text


def _without(text: str) -> str:
    return ",".join(kind for kind in text.split(",") if kind and kind not in NEW)


def _rewrite(web_change: Callable[[str], str], email_change: Callable[[str], str]) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(settings.c.agent_id, settings.c.web, settings.c.email))
    for agent_id, web, email in rows.all():
        conn.execute(
            settings.update()
            .where(settings.c.agent_id == agent_id)
            .values(web=web_change(web), email=email_change(email))
        )


def upgrade() -> None:
    _rewrite(_with, _with_if_any)


def downgrade() -> None:
    _rewrite(_without, _without)
