"""Shared fixtures: every database test runs on SQLite and on the PostgreSQL server.

PostgreSQL gets a throwaway database per test run. When the server is unreachable the
PostgreSQL half is skipped with a loud reason, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from liuke.app import create_app
from liuke.core.config import Settings
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.workspaces import service as ws_service
from tests.smtp import Server, running

PG_ADMIN_URL = os.environ.get(
    "LIUKE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("LIUKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED_DATA = Path(
    os.environ.get(
        "LIUKE_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()
PASSWORD = "correct-horse-9"
# Tests see no trained model file unless they build one: the lexicon fallback is deterministic
# on every machine (a developer's var/models must not change what the suite asserts).
# A fresh folder per test process, so a test that trains a model never leaves it to the next run.
os.environ.setdefault("LIUKE_MODEL_DIR", tempfile.mkdtemp(prefix="liuke-test-models-"))
# Test apps share databases with every other test's workspaces: an app's background report
# schedule would generate their scheduled reports in the middle of unrelated tests. The
# schedule is tested directly (tests/reports/test_service.py); an app that wants it says so.
os.environ.setdefault("LIUKE_REPORTS_IN_PROCESS", "false")


def unavailable(what: str, why: object) -> None:
    """Skip loudly outside CI; fail in CI, where the servers must be there."""
    message = f"{what} unavailable ({why}); these tests did NOT run"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _create_pg_database() -> tuple[str, Callable[[], None]]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"liuke_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@contextmanager
def empty_database_url(backend: str, directory: Path) -> Iterator[str]:
    """A new, empty (unmigrated) database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'liuke.db'}"
        return
    try:
        url, drop = _create_pg_database()
    except Exception as exc:
        unavailable("PostgreSQL at " + PG_ADMIN_URL, exc)
        raise  # unreachable: unavailable() always raises
    try:
        yield url
    finally:
        drop()


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty PostgreSQL database for this test run."""
    with empty_database_url("postgresql", tmp_path_factory.getbasetemp()) as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'liuke.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@dataclass
class WorkspaceCtx:
    id: int
    slug: str
    admin_email: str
    admin_id: int


@pytest.fixture
def make_workspace(db: Database) -> Callable[..., WorkspaceCtx]:
    def make(name: str = "Test Shop") -> WorkspaceCtx:
        slug = f"t-{uuid.uuid4().hex[:12]}"
        with db.session() as s:
            w = ws_service.create_workspace(s, slug, name)
            admin = ws_service.create_user(
                s, w.id, f"admin@{slug}.test", "管理员", PASSWORD, "admin"
            )
            return WorkspaceCtx(w.id, slug, admin.email, admin.id)

    return make


@pytest.fixture
def workspace(make_workspace: Callable[..., WorkspaceCtx]) -> WorkspaceCtx:
    return make_workspace()


@pytest.fixture
def app_settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url,
        dispatch_in_process=False,
        reports_in_process=False,
        max_body_bytes=200_000,
    )


@pytest.fixture
def client_for(db: Database, app_settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Build a logged-in TestClient for a user of a workspace."""
    clients: list[TestClient] = []
    app = create_app(app_settings, db)

    def make(ws: WorkspaceCtx, email: str | None = None, password: str = PASSWORD) -> TestClient:
        c = TestClient(app)
        clients.append(c)
        r = c.post(
            "/api/v1/auth/login",
            json={"workspace": ws.slug, "email": email or ws.admin_email, "password": password},
        )
        assert r.status_code == 200, r.text
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def client(client_for: Callable[..., TestClient], workspace: WorkspaceCtx) -> TestClient:
    return client_for(workspace)


@pytest.fixture
def anon_client(db: Database, app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings, db)) as c:
        yield c


def drain_events(db: Database) -> None:
    """Deliver every pending event (the shared test database holds other tests' events too)."""
    from liuke.core.events import dispatch_pending

    while dispatch_pending(db, batch=1000).events:
        pass


def require_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} not found; these tests did NOT run")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server for tests (database 15), flushed of liuke test keys by each user."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        unavailable("Redis at " + REDIS_URL, exc)
    return REDIS_URL


@pytest.fixture
def smtp() -> Iterator[Server]:
    """A real SMTP server on loopback (tests/smtp.py): ``.port``, ``.handler.received``."""
    yield from running()
