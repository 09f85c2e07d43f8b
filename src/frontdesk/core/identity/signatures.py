"""An inbox's signature: text under agents' replies mailed from it, with placeholders
that each mail fills in (`{agent_name}`, `{inbox_name}`; core/mail/outbox.py)."""

from __future__ import annotations

import re

from frontdesk.core.identity.records import Inbox
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.text import check_text

LIMIT = 2000
PLACEHOLDERS = ("agent_name", "inbox_name")
# Anything in braces is a placeholder; a lone brace is just text.
_PLACEHOLDER = re.compile(r"\{([^{}\n]*)\}")


def checked_signature(text: str) -> str | None:
    """A signature as stored: trimmed, None when empty; Invalid when too long or when it
    names a placeholder Frontdesk does not fill (a typo would reach every customer)."""
    text = check_text(text.replace("\r\n", "\n").strip(), "signature")
    if len(text) > LIMIT:
        raise Invalid(
            "signature_too_long", "A signature is at most 2000 characters", field="signature"
        )
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        raise Invalid("unknown_placeholder", f"Unknown placeholder {listed}", field="signature")
    return text or None


def signed_text(inbox: Inbox, agent_name: str) -> str:
    """The inbox's signature with its placeholders filled in; empty when it has none."""
    if not inbox.signature:
        return ""
    values = {"agent_name": agent_name, "inbox_name": inbox.name}
    # The checker's own pattern, not str.format: a spec such as {agent_name.__class__}
    # never reaches an object, and what the checker saw is exactly what is filled in.
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), inbox.signature)
