"""sla_notifications: the SLA warning and breach notifications, on for agents who saved
their notification settings before these kinds existed (as they are for everyone else)

Revision ID: 0077
Revises: 0073
Create Date: 2026-11-24 14:30:00.000000

A saved row lists the kinds that are on; without this, an agent who ever saved would have
the new kinds off without having chosen it. In the bell they are on; by mail only for an
agent who gets some notification mail already (one who turned every mail off keeps it
so). Data only: no table changes.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0077"
down_revision = "0073"
branch_labels = None
depends_on = None

NEW = ("sla_breach", "sla_warning")
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
