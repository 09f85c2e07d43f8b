"""Shared fixtures: every storage-touching test runs on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (FRONTDESK_TEST_PG_URL to change it); the run
creates its own database and drops it at the end. In strict mode (see `strict`) an
unreachable server is a failure, elsewhere a skip with the reason; the same holds for
every other service a test needs (Redis, dovecot, chromium).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import alembic
import psycopg
import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.shared.records import ALL_SCOPES, Actor, Scope
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.storage import migrations
from frontdesk.storage.migrate import upgrade

# pytester: tests of the suite's own rules (tests/unit/test_suite_rules.py); tests.s3: moto's
# S3 server, started once per run for the tests that ask for it (docs/storage.md)
pytest_plugins = ["pytester", "tests.s3"]

PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]
# .ci/run sets the first; many CI runners export the second as 1 or true.
STRICT_VARIABLES = ("FRONTDESK_TEST_STRICT", "CI")
TRUTHY = frozenset({"1", "true", "yes"})


def strict() -> bool:
    """Whether a missing service fails the run instead of skipping its tests."""
    return any(os.environ.get(name, "").strip().lower() in TRUTHY for name in STRICT_VARIABLES)


def unavailable(reason: str) -> NoReturn:
    """A service a test needs is missing: a failure in strict mode, a skip elsewhere."""
    if strict():
        pytest.fail(f"{reason} (strict mode: {' or '.join(STRICT_VARIABLES)} is set)")
    pytest.skip(reason)


def _pg_database() -> Iterator[str]:
    name = f"frontdesk_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class BusErrors(logging.Handler):
    """ERROR records of the event bus: a subscriber raised (frontdesk/services/bus.py)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        """For a test that makes a subscriber fail on purpose: its records, then none."""
        taken, self.records = self.records, []
        return taken


# Where a broken listener is only logged: the bus's subscribers, the fan-out's listeners.
LISTENER_LOGGERS = ("frontdesk.services.bus", "frontdesk.services.fanout")


@pytest.fixture(autouse=True)
def bus_errors() -> Iterator[BusErrors]:
    """Fails the test if an event subscriber or a fan-out listener raised during it: in
    production they are only logged (the change is committed), so without this a broken
    listener stays green."""
    handler = BusErrors()
    loggers = [logging.getLogger(name) for name in LISTENER_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    if handler.records:
        lines = "\n".join(handler.format(record) for record in handler.records)
        pytest.fail(f"an event subscriber raised during this test:\n{lines}")


def _migrated_sqlite() -> Path:
    """A SQLite file with every migration applied, made once per set of migrations and
    copied by each session: migrating a new file costs about 0.6 s, which a mutation run
    (docs/testing.md, "Mutation score") pays once per mutant, as each mutant is a pytest
    session of its own. The name holds a hash of the migrations and of the alembic and
    SQLAlchemy versions, so a changed migration makes a new file; the session's
    `build_services` still runs the upgrade, which finds the file at head. The migrations
    themselves are tested on new files in tests/storage."""
    folder = Path(migrations.__file__).parent
    digest = hashlib.sha256(f"{alembic.__version__} {sqlalchemy.__version__}".encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".mako", ".ini"}:
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    cache = Path(tempfile.gettempdir()) / f"frontdesk-test-templates-{os.getuid()}"
    cache.mkdir(exist_ok=True)
    template = cache / f"migrated-{digest.hexdigest()[:20]}.db"
    if not template.exists():
        scratch = cache / f"{template.name}.{os.getpid()}.{secrets.token_hex(3)}"
        engine = sqlalchemy.create_engine(f"sqlite:///{scratch}")
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        os.replace(scratch, template)  # whole or not at all, when two sessions race
    return template


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "frontdesk.db"
        # private, as the store makes its own file (tests/storage/test_disk.py)
        with (
            _migrated_sqlite().open("rb") as source,
            os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as copy,
        ):
            shutil.copyfileobj(source, copy)
        yield f"sqlite:///{path}"
    else:
        yield from _pg_database()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_base_url="http://frontdesk.test",
        max_request_bytes=64 * 1024,
        max_attachment_bytes=256 * 1024,
        # The suite's many bad-key tests share one client address; the limits themselves
        # are tested with apps of their own (tests/api/test_abuse_limits.py).
        auth_failures_per_address=1_000_000,
        auth_failures_per_key=1_000_000,
        # Likewise the chat flood limits (tests/chat/test_flooding.py has its own), and a
        # cheap browser proof: the chat helpers solve it for every visitor they open.
        chat_new_conversations_per_address=1_000_000,
        chat_new_chats_per_address=1_000_000,
        chat_new_chats_per_widget=1_000_000,
        chat_proof_bits=8,
    )


@pytest.fixture(scope="session")
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture(scope="session")
def client(services: Services) -> TestClient:
    return TestClient(create_app(services=services))


class Tenant:
    """A fresh account for one test: tests never share rows, so nothing needs cleaning."""

    def __init__(self, services: Services, name: str) -> None:
        self.services = services
        with services.store.write() as uow:
            self.account = accounts.create_account(uow, name)
            self.actor = Actor(account_id=self.account.id, label="test", scopes=ALL_SCOPES)
            self.admin_key = credentials.issue_api_key(uow, self.actor, "admin", ALL_SCOPES).token
        self.tag = secrets.token_hex(4)

    @property
    def id(self) -> int:
        return self.account.id

    def key(self, *scopes: Scope) -> str:
        with self.services.store.write() as uow:
            return credentials.issue_api_key(uow, self.actor, "test", scopes).token

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin_key}"}

    def address(self, local: str) -> str:
        """A globally unique address: inbox addresses are unique across accounts."""
        return f"{local}-{self.tag}@example.com"


@pytest.fixture
def tenant(services: Services) -> Tenant:
    return Tenant(services, "Tenant A")


@pytest.fixture
def other_tenant(services: Services) -> Tenant:
    return Tenant(services, "Tenant B")
