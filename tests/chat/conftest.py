"""Chat fixtures: a real uvicorn server per backend and a fresh chat account per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontdesk.app import create_app
from frontdesk.services import Services
from tests.chat.helpers import ChatAccount, seed, serving


@pytest.fixture(scope="session")
def live(services: Services) -> Iterator[str]:
    """host:port of a real server sharing the session's services (and database)."""
    with serving(create_app(services=services)) as host:
        yield host


@pytest.fixture
def chat_account(services: Services) -> ChatAccount:
    return seed(services)
