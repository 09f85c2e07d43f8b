"""Ticket tokens: `[#<number>-<hmac8>]` in subjects and `support+<number>-<hmac8>@...`.

The HMAC binds the number to its account under the server's secret, so a token cannot be
forged, nor carried from one account's mail into another's ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_IN_SUBJECT = re.compile(r"\[#(\d{1,9})-([0-9a-f]{8})\]")
_TOKEN = re.compile(r"^(\d{1,9})-([0-9a-f]{8})$")
_BOUNCE = re.compile(r"^b(\d{1,15})-([0-9a-f]{12})$")


class TicketTokens:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"frontdesk ticket token\x00" + secret.encode()).digest()

    def _mac(self, account_id: int, number: int) -> str:
        data = f"{account_id}:{number}".encode()
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()[:8]

    def token(self, account_id: int, number: int) -> str:
        return f"{number}-{self._mac(account_id, number)}"

    def tag(self, account_id: int, number: int) -> str:
        """What outgoing subjects carry."""
        return f"[#{self.token(account_id, number)}]"

    def _valid(self, account_id: int, number: str, mac: str) -> int | None:
        found = int(number)
        return found if hmac.compare_digest(self._mac(account_id, found), mac) else None

    def number_in_subject(self, account_id: int, subject: str) -> int | None:
        """The ticket number of the first valid tag in `subject`, for this account."""
        for number, mac in _IN_SUBJECT.findall(subject):
            found = self._valid(account_id, number, mac)
            if found is not None:
                return found
        return None

    def number_in_token(self, account_id: int, token: str | None) -> int | None:
        """The ticket number a plus-address token names, for this account."""
        match = _TOKEN.match(token or "")
        return self._valid(account_id, *match.groups()) if match else None


class BounceTokens:
    """VERP return paths: `support+b<outbox id>-<hmac12>@...` is the envelope sender of
    one outbox row, so a bounce names the row it reports on, whatever it quotes. The HMAC
    (under the server's secret) stops anyone from failing a row by mailing that address."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"frontdesk bounce token\x00" + secret.encode()).digest()

    def _mac(self, outbox_id: int) -> str:
        return hmac.new(self._key, str(outbox_id).encode(), hashlib.sha256).hexdigest()[:12]

    def return_path(self, sender: str, outbox_id: int) -> str:
        """The envelope sender for the row: the inbox address with the token after a plus."""
        local, _, domain = sender.rpartition("@")
        return f"{local}+b{outbox_id}-{self._mac(outbox_id)}@{domain}"

    def outbox_id(self, token: str | None) -> int | None:
        """The outbox row a plus-address token names, if it is a valid bounce token."""
        match = _BOUNCE.match(token or "")
        if match is None:
            return None
        found = int(match.group(1))
        return found if hmac.compare_digest(self._mac(found), match.group(2)) else None


def strip_tag(subject: str) -> str:
    """The subject without ticket tags, for a new ticket opened from a tagged mail."""
    return re.sub(r"\s{2,}", " ", _IN_SUBJECT.sub("", subject)).strip()


def split_plus(address: str) -> tuple[str, str | None]:
    """`support+tok@x` -> (`support@x`, `tok`); an address without a plus is unchanged."""
    local, at, domain = address.strip().rpartition("@")
    if not at or "+" not in local:
        return address.strip(), None
    base, _, token = local.partition("+")
    return f"{base}@{domain}", token or None
