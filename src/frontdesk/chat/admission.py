"""Who may put a chat in the agents' queue: flood limits, and the widget's browser proof.

Flooding (docs/chat.md): the widget id is public, so a script can open conversations and
chats as fast as it likes. Two defences, both on the visitor's socket:

- **Limits.** New conversations per client address at the hello, and new chats entering
  the queue per client address and per widget, each in a sliding window
  (`http/ratelimit.py`, shared through Redis when configured). Over a limit, the hello is
  closed with 4429, and a message that would start a chat is answered with an `error`
  frame `too_many_chats` carrying `retryAfter` (seconds); nothing is written.
- **Proof.** The `welcome` of a conversation that has not yet proven itself carries a
  challenge: `{"challenge", "bits"}`. The widget's script finds a nonce such that
  SHA-256(`challenge:nonce`) starts with `bits` zero bits (2^bits hashes on average; 16
  bits take a browser a fraction of a second) and sends `{"type": "proof", "challenge",
  "nonce"}`; the conversation is then marked verified, once. Until it is, a visitor
  message that would start a chat is refused (`proof_required`). The challenge is an HMAC
  under the server's secret of the conversation id and the time it was issued, so it
  cannot be made up, reused for another conversation, or kept for longer than
  `PROOF_TTL_MS`.

Threat model, honestly: this raises the cost of a flood; it does not stop a determined
attacker. A script can compute the proof too (the algorithm is public and in the widget),
so what it buys is work per conversation (CPU for the hashes, a round trip for a
challenge, a websocket per conversation) on top of the limits, which themselves count per
address and can be spread over many addresses by someone who has them. The per-widget
limit caps what reaches the agents' queue whatever the addresses, at the price that a
large enough flood also delays real visitors of that widget for a window. Nothing here
tells a real browser from an automated one running the widget's own script.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from frontdesk.core.chat.records import Conversation
from frontdesk.core.shared.errors import Forbidden, Invalid, RateLimited
from frontdesk.http.ratelimit import RateLimiter

PROOF_TTL_MS = 10 * 60_000
_PURPOSE = b"frontdesk/chat/browser-proof\x00"
_NONCE = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class ChatLimits:
    conversations_by_address: RateLimiter
    chats_by_address: RateLimiter
    chats_by_widget: RateLimiter
    proof_bits: int  # 0: no proof asked


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), _PURPOSE + payload.encode(), hashlib.sha256).hexdigest()[:32]


def challenge(secret: str, public_id: str, now: int) -> str:
    payload = f"{public_id}.{now}"
    return f"{payload}.{_mac(secret, payload)}"


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def solve(text: str, bits: int) -> str:
    """The nonce the widget finds (tests and clients of our own use it)."""
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{text}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def check_proof(secret: str, public_id: str, text: str, nonce: str, bits: int, now: int) -> None:
    """Invalid unless `text` is our challenge for this conversation, fresh, and solved."""
    parts = text.rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        raise Invalid("bad_proof", "Not a challenge of this server", field="challenge")
    owner, issued, mac = parts
    if not hmac.compare_digest(mac, _mac(secret, f"{owner}.{issued}")) or owner != public_id:
        raise Invalid("bad_proof", "Not a challenge of this server", field="challenge")
    if not 0 <= now - int(issued) <= PROOF_TTL_MS:
        raise Invalid("proof_expired", "The challenge has expired", field="challenge")
    if not _NONCE.fullmatch(nonce):
        raise Invalid("bad_proof", "nonce must be 1 to 20 digits", field="nonce")
    digest = hashlib.sha256(f"{text}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < bits:
        raise Invalid("bad_proof", "The nonce does not solve the challenge", field="nonce")


def admission(limits: ChatLimits, address: str, widget: str) -> Callable[[Conversation], None]:
    """What the core asks before a visitor's new chat enters the queue (nothing is written
    when it raises)."""

    def admit(conversation: Conversation) -> None:
        if limits.proof_bits and conversation.verified is None:
            raise Forbidden("proof_required", "The widget has not yet proven it runs in a browser")
        keys = ((limits.chats_by_address, f"ip:{address}"), (limits.chats_by_widget, widget))
        wait = max(counter.wait(key) for counter, key in keys)
        if wait == 0:
            wait = max(counter.attempt(key) for counter, key in keys)
        if wait > 0:
            raise RateLimited(
                "too_many_chats", "Too many new chats; try again later", retry_after=wait
            )

    return admit


def conversation_allowed(limits: ChatLimits, address: str) -> float:
    """Count a new conversation from this address: 0, else the seconds to wait."""
    return limits.conversations_by_address.attempt(f"ip:{address}")
