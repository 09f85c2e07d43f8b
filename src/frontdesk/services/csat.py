"""Satisfaction surveys at run time: the store hook that queues them, and their links.

A survey's links are capabilities: `/csat/<survey id>/<mac>/<rating>`, where the MAC (an
HMAC-SHA256 under a key derived from the installation's secret) binds the survey id, so
a link cannot be forged nor pointed at another ticket's survey. The rating is the
customer's choice and is not signed; the comment page is `/csat/<survey id>/<mac>`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from frontdesk.core.automation import csat
from frontdesk.core.shared.clock import now_ms
from frontdesk.settings import Settings
from frontdesk.storage.store import Store
from frontdesk.storage.uow import SqlUnitOfWork

_MAC = re.compile(r"^[0-9a-f]{32}$")


class SurveyLinks:
    def __init__(self, secret: str, base_url: str) -> None:
        self._key = hashlib.sha256(b"frontdesk csat link\x00" + secret.encode()).digest()
        self.base_url = base_url.rstrip("/")

    def mac(self, survey_id: int) -> str:
        return hmac.new(self._key, str(survey_id).encode(), hashlib.sha256).hexdigest()[:32]

    def valid(self, survey_id: int, mac: str) -> bool:
        """Whether `mac` is this survey's (constant time; malformed input is simply False)."""
        return bool(_MAC.match(mac)) and hmac.compare_digest(self.mac(survey_id), mac)

    def url(self, survey_id: int, what: str) -> str:
        """A rating's link, or with `what` "comment" the survey's page."""
        page = f"{self.base_url}/csat/{survey_id}/{self.mac(survey_id)}"
        return page if what == "comment" else f"{page}/{what}"


def links_of(settings: Settings) -> SurveyLinks:
    return SurveyLinks(settings.secret_key, settings.public_base_url)


def install(store: Store, settings: Settings) -> None:
    """Queue (or withdraw) surveys in the transaction that solved (or reopened) a ticket."""
    links = links_of(settings)

    def queue(uow: SqlUnitOfWork) -> None:
        solved = [event for _id, event, _now in uow.events.recorded]
        if solved:
            csat.on_events(uow, solved, links.url, now_ms())

    store.before_commit.append(queue)
