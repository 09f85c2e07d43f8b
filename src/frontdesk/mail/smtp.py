"""The inbound SMTP listener (aiosmtpd): mail for any inbox of any account becomes tickets.

RCPT refuses addresses no inbox has (550) and more than MAX_RECIPIENTS (452); aiosmtpd
refuses data over the size limit (552); the 250 after DATA is given only once the tickets
are committed, and a database failure answers 451 (a full disk 452) so that the sending
MTA retries.
Database work runs in worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from frontdesk.mail.inbound import SMTP as SOURCE_SMTP
from frontdesk.mail.inbound import Inbound
from frontdesk.storage.faults import Fault, classify, describe

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 100


class MailHandler:
    """aiosmtpd hooks (names fixed by aiosmtpd)."""

    def __init__(self, inbound: Inbound) -> None:
        self.inbound = inbound

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            route = await asyncio.to_thread(self.inbound.route, address)
        except Exception as exc:
            if classify(exc) is None:
                log.exception("recipient lookup failed")
            else:
                log.warning("recipient lookup deferred: %s", describe(exc))
            return "451 4.3.0 Temporary failure, try again later"
        if route is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
        # aiosmtpd reads MAIL FROM:<> as "<>": the null sender, which vouches for nobody.
        sender = "" if envelope.mail_from in (None, "", "<>") else envelope.mail_from
        try:
            await asyncio.to_thread(
                self.inbound.deliver,
                data,
                list(envelope.rcpt_tos),
                source=SOURCE_SMTP,
                envelope_from=sender,
            )
        except Exception as exc:
            fault = classify(exc)
            if fault is Fault.FULL:
                log.warning("delivery deferred, no space left: %s", describe(exc))
                return "452 4.3.1 Insufficient system storage, try again later"
            if fault is not None:
                log.warning("delivery deferred, storage %s: %s", fault.value, describe(exc))
            else:
                log.exception("delivery failed; the sender will retry")
            return "451 4.3.0 Temporary failure, try again later"
        return "250 2.0.0 Message accepted"


async def start_listener(
    inbound: Inbound, host: str, port: int, *, max_bytes: int, hostname: str = ""
) -> asyncio.Server:
    """Listen on host:port (0 picks a free port: read it from the server's sockets)."""
    handler = MailHandler(inbound)
    name = hostname or socket.gethostname()

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=max_bytes,
            hostname=name,
            ident="Frontdesk ESMTP",
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    loop = asyncio.get_running_loop()
    return await loop.create_server(protocol, host=host, port=port)


def bound_port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])
