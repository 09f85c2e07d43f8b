"""RFC 3834 loop safety: when an automatic reply must not be sent."""

from __future__ import annotations

from frontdesk.mail.parse import ParsedMail

_BULK = frozenset({"bulk", "junk", "list"})
_ROBOT_LOCALS = (
    "mailer-daemon",
    "postmaster",
    "no-reply",
    "noreply",
    "do-not-reply",
    "donotreply",
    "bounce",
)


def why_no_auto_reply(mail: ParsedMail, *, null_sender: bool = False) -> str | None:
    """The reason this mail gets no auto-reply, or None when one may be sent.

    `null_sender`: the SMTP envelope said `MAIL FROM:<>` (RFC 5321 4.5.5: bounces and
    other automatic mail), whatever the headers claim.
    """
    if null_sender:
        return "null envelope sender (MAIL FROM:<>)"
    headers = mail.headers
    auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if headers.get("precedence", "").strip().lower() in _BULK:
        return "Precedence: bulk, junk or list"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "mailing list"
    if "x-loop" in headers:
        return "X-Loop"
    if any(name in headers for name in ("x-autoreply", "x-autorespond")):
        return "auto-responder header"
    if "return-path" in headers and headers["return-path"].strip() in ("<>", ""):
        return "empty Return-Path (a bounce)"
    if mail.from_address is None:
        return "no sender address"
    local = mail.from_address.split("@", 1)[0].lower()
    if local.startswith(_ROBOT_LOCALS):
        return "sender is a robot address"
    return None
