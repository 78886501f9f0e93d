"""Engine and session behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from liuke.core.db import Database, make_engine, utcnow
from liuke.core.events import OutboxEvent

SHANGHAI = timezone(timedelta(hours=8))


def _row(**kw: object) -> OutboxEvent:
    """An outbox row already 'done', so no dispatcher in the shared database picks it up."""
    now = utcnow()
    values: dict[str, object] = {
        "workspace_id": None,
        "type": "test.db",
        "payload": {},
        "created_at": now,
        "available_at": now,
        "status": "done",
        "attempts": 0,
    }
    values.update(kw)
    return OutboxEvent(**values)


def test_sqlite_connections_have_wal_and_foreign_keys(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    for _ in range(2):  # a fresh pool connection gets them too
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        db.engine.dispose()


def test_sqlite_enforces_foreign_keys(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    from liuke.core.events import EventDelivery

    with pytest.raises(Exception, match="FOREIGN KEY"), db.session() as s:
        s.add(EventDelivery(event_id=987654321, subscriber="x", status="ok", attempts=1))
        s.flush()


def test_naive_datetime_is_rejected(db: Database) -> None:
    with pytest.raises(StatementError) as exc, db.session() as s:
        s.add(_row(created_at=datetime(2024, 1, 1, 12, 0)))
        s.flush()
    assert isinstance(exc.value.orig, ValueError)
    assert "naive datetime" in str(exc.value.orig)


def test_aware_datetimes_round_trip_as_utc(db: Database) -> None:
    local = datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=SHANGHAI)
    with db.session() as s:
        row = _row(created_at=local)
        s.add(row)
        s.flush()
        row_id = row.id
    fresh = Database(db.url)  # nothing cached: read back what the database holds
    try:
        with fresh.session() as s:
            got = s.scalar(select(OutboxEvent.created_at).where(OutboxEvent.id == row_id))
            raw = s.execute(
                text("SELECT created_at FROM outbox_events WHERE id = :id"), {"id": row_id}
            ).scalar()
            # comparing in SQL works across the UTC conversion
            hits = s.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(
                    OutboxEvent.id == row_id,
                    OutboxEvent.created_at == datetime(2024, 3, 1, 0, 30, 15, 123456, tzinfo=UTC),
                )
            )
    finally:
        fresh.dispose()
    assert got == local
    assert got is not None and got.tzinfo == UTC
    assert (got.year, got.month, got.day, got.hour, got.minute) == (2024, 3, 1, 0, 30)
    assert got.microsecond == 123456
    if db.dialect == "sqlite":
        assert str(raw).startswith("2024-03-01 00:30:15.123456")  # stored as UTC text
    else:
        assert raw.utcoffset() is not None  # timestamptz
    assert hits == 1


def test_session_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    with db.session() as s:
        kept = _row(type="test.db.kept")
        s.add(kept)
    with pytest.raises(KeyError), db.session() as s:
        lost = _row(type="test.db.lost")
        s.add(lost)
        s.flush()
        lost_id = lost.id
        raise KeyError("boom")
    with db.session() as s:
        assert s.get(OutboxEvent, kept.id) is not None
        assert s.get(OutboxEvent, lost_id) is None


def test_savepoint_rolls_back_only_the_inner_part(db: Database) -> None:
    with db.session() as s:
        outer = _row(type="test.db.outer")
        s.add(outer)
        s.flush()
        with pytest.raises(RuntimeError), s.begin_nested():
            inner = _row(type="test.db.inner")
            s.add(inner)
            s.flush()
            inner_id = inner.id
            raise RuntimeError("inner")
    with db.session() as s:
        assert s.get(OutboxEvent, outer.id) is not None
        assert s.get(OutboxEvent, inner_id) is None


def test_concurrent_read_then_write_sessions_do_not_fail(db: Database) -> None:
    """Units of work read then write; on SQLite they must queue, not fail with 'locked'."""
    errors: list[BaseException] = []
    tag = f"test.db.concurrent.{threading.get_ident()}"

    def work() -> None:
        database = Database(db.url)
        try:
            for _ in range(40):
                with database.session() as s:
                    s.scalar(select(func.count()).select_from(OutboxEvent))
                    s.add(_row(type=tag))
        except BaseException as exc:
            errors.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with db.session() as s:
        n = s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == tag))
    assert n == 160


def test_make_engine_picks_psycopg_and_creates_sqlite_folder(tmp_path: Path) -> None:
    pg = make_engine("postgresql://someone@db.invalid/liuke")  # lazy: nothing connects
    assert pg.dialect.driver == "psycopg"
    pg.dispose()
    target = tmp_path / "a" / "b" / "x.db"
    engine = make_engine(f"sqlite:///{target}")
    assert target.parent.is_dir()
    engine.dispose()


def test_a_read_session_sees_a_snapshot_and_never_blocks_writers(db: Database) -> None:
    """Long reads (reports) must not hold SQLite's write lock, nor write by mistake."""
    with db.session() as s:
        s.add(row := _row(type="test.read_session"))
        s.flush()
        row_id = row.id
    with db.read_session() as r:
        assert r.get(OutboxEvent, row_id) is not None
        # a writer commits while the read is open: no waiting, no "database is locked"
        with db.session() as w:
            w.add(_row(type="test.read_session.during"))
        if db.dialect == "sqlite":
            with pytest.raises(Exception, match=r"readonly"):
                r.add(_row(type="test.read_session.write"))
                r.flush()
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).where(OutboxEvent.type == "test.read_session.write")) == 0
        )
