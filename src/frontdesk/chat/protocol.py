"""The chat websocket protocol: JSON text frames, close codes, and the per-connection limits.

Every frame is a JSON object with a `type`. The first frame a client sends is `hello`;
everything else is refused until then. A frame the server cannot use after the hello
(bad JSON, unknown type, a bad value) is answered with an `error` frame and the
connection stays open; only the limits below close it. docs/chat.md has the full list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from frontdesk.core.chat import sender_number
from frontdesk.core.shared.clock import iso_ms
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.core.shared.text import check_tree

HELLO_TIMEOUT_SECONDS = 10.0


class Close(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # the server is shutting down: reconnect
    TOO_BIG = 1009  # a frame over the size limit
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013  # the client read too slowly and fell too far behind: reconnect
    BAD_HELLO = 4400  # the first frame was not a usable hello
    UNAUTHENTICATED = 4401  # agent key unknown or revoked
    FORBIDDEN = 4403  # agent key without the chat scopes, or an agent of another account
    UNKNOWN_WIDGET = 4404  # no account has this widget id
    HELLO_TIMEOUT = 4408  # no hello in time
    RATE_LIMITED = 4429  # more frames than the rate limit allows


class ClosedBy(Exception):
    """Raised inside a connection handler to close the socket with a code and reason."""

    def __init__(self, code: Close, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a close reason must fit in a control frame


class TokenBucket:
    """`rate` frames a second on average, bursts of up to `burst`."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.stamp = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def parse_frame(raw: str) -> dict[str, Any]:
    """One frame, every text in it storable (core.shared.text), or Invalid."""
    try:
        frame = json.loads(raw)
    except ValueError:
        raise Invalid("bad_frame", "A frame is one JSON object") from None
    except RecursionError:  # thousands of nested brackets still fit in one frame
        raise Invalid("bad_frame", "A frame is nested too deeply") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise Invalid("bad_frame", 'A frame is a JSON object with a "type"')
    check_tree(frame)
    return frame


def text(frame: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = frame.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Invalid("bad_frame", f"{name} must be a string", field=name)
    return value


def integer(frame: dict[str, Any], name: str, *, default: int = 0) -> int:
    value = frame.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ROW_ID:
        raise Invalid("bad_frame", f"{name} must be a whole number from 0 to {MAX_ROW_ID}")
    return value


def ref_of(frame: dict[str, Any]) -> str | int | None:
    """The client's own tag for a frame, echoed in the answer to it (strings up to 64)."""
    ref = frame.get("ref")
    if isinstance(ref, str):
        return ref[:64]
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref
    return None


def message_frame(public_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A `message` frame from core.chat.message_payload: the grabConversation fields."""
    return {
        "type": "message",
        "conversationId": public_id,
        "id": payload["id"],
        "from": payload["from"],
        "message": payload["body"],
        "date": iso_ms(payload["created"]),
        "agentID": sender_number(payload["sender"], payload["agent_id"]),
        # The widget's own tag of a visitor message: it matches the bubble it shows as
        # pending, whether this frame or the ack arrives first.
        "clientRef": payload.get("client_ref"),
    }


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
