"""Alembic migrations on fresh, empty databases: up, down, up again, and no drift from models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from liuke.core.db import make_engine
from liuke.core.migrate import alembic_config, downgrade, upgrade
from liuke.models import Base
from tests.conftest import empty_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with empty_database_url(request.param, tmp_path_factory.mktemp("mig")) as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _version(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def _script(url: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(url))


def test_single_head_and_linear_history() -> None:
    script = _script("sqlite://")
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert revisions[-1].down_revision is None
    for rev in revisions:
        assert isinstance(rev.down_revision, str | None)  # no merge points
        assert callable(rev.module.upgrade) and callable(rev.module.downgrade)


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    model_tables = set(Base.metadata.tables)
    head = _script(empty_url).get_current_head()
    assert _tables(empty_url) == set()

    upgrade(empty_url)
    assert _tables(empty_url) == model_tables | {"alembic_version"}
    assert _version(empty_url) == [head]

    downgrade(empty_url, "base")
    assert _tables(empty_url) == {"alembic_version"}
    assert _version(empty_url) == []

    upgrade(empty_url)
    assert _tables(empty_url) == model_tables | {"alembic_version"}
    assert _version(empty_url) == [head]


def test_every_step_goes_down_and_up(empty_url: str) -> None:
    """One revision at a time, so each downgrade() is exercised against its own upgrade()."""
    revisions = [r.revision for r in reversed(list(_script(empty_url).walk_revisions()))]
    for rev in revisions:
        upgrade(empty_url, rev)
        assert _version(empty_url) == [rev]
    for expected in [*reversed(revisions[:-1]), None]:
        downgrade(empty_url, "-1")
        assert _version(empty_url) == ([expected] if expected else [])
    assert _tables(empty_url) == {"alembic_version"}


def test_models_and_migrations_agree(empty_url: str) -> None:
    """Autogenerate against the migrated schema finds nothing to add, drop or alter.

    Types and server defaults are compared too (as env.py does). Nothing is filtered out:
    on SQLite and PostgreSQL the comparison is clean, so any difference is a real one.
    """
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], diff
