"""Engine and session handling for SQLite (embedded default) and PostgreSQL.

The schema is owned by Alembic migrations; nothing here creates tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; liuke stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so SAVEPOINTs work, and
        # begin IMMEDIATE (see _emit_begin).
        event.listen(engine, "connect", _disable_pysqlite_autobegin)
        event.listen(engine, "begin", _emit_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_read_only(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def _emit_deferred_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def _disable_pysqlite_autobegin(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _emit_begin(conn: Any) -> None:
    """Take SQLite's write lock when a transaction begins, not at its first write.

    A deferred transaction that reads and then writes cannot wait for the lock: if another
    connection committed in between, SQLite answers "database is locked" at once, whatever
    busy_timeout says (its snapshot is stale). Nearly every unit of work here reads and then
    writes, so concurrent writers (request threads, the dispatcher) failed. ``BEGIN IMMEDIATE``
    makes them queue on busy_timeout instead. The price: sessions (read-only ones too) take turns,
    so keep them short; SQLite has one writer at a time anyway, and WAL readers that are not in a
    session (analytics connections) are not blocked.
    """
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine plus its session factory; one per process (or per test backend)."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine: Engine | None = None
        self._reader: sessionmaker[Session] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back everything on any error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A long read (a report, an export) that never holds SQLite's write lock.

        ``session()`` begins IMMEDIATE, so on SQLite even a read-only unit of work makes every
        writer wait; a report that reads for half a minute would lock the service out. Here
        SQLite gets a deferred transaction on a query-only connection: one consistent WAL
        snapshot that writers neither wait for nor disturb, and any write fails loudly. On
        PostgreSQL it is a plain session (MVCC readers never block writers). Always rolled back.
        """
        factory = self._read_sessionmaker()
        with factory() as session:
            try:
                yield session
            finally:
                session.rollback()

    def _read_sessionmaker(self) -> sessionmaker[Session]:
        if self.dialect != "sqlite":
            return self.sessionmaker
        if self._reader is None:
            engine = create_engine(self.url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "connect", _sqlite_read_only)
            event.listen(engine, "connect", _disable_pysqlite_autobegin)
            event.listen(engine, "begin", _emit_deferred_begin)
            self._read_engine = engine
            self._reader = sessionmaker(engine, expire_on_commit=False)
        return self._reader

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()


T = TypeVar("T")


def add_or_existing(s: Session, obj: T, find: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert ``obj`` in a savepoint; if a concurrent transaction committed the same unique key
    first, return that row instead (``created`` False). Other integrity errors propagate."""
    try:
        with s.begin_nested():
            s.add(obj)
            s.flush()
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False
    return obj, True


def retry_on_conflict(s: Session, work: Callable[[], T], retries: int) -> T:
    """Run ``work`` in a savepoint, again after a unique-key race: the retry sees the winner's row."""
    for attempt in range(retries + 1):
        try:
            with s.begin_nested():
                return work()
        except IntegrityError:
            if attempt == retries:
                raise
    raise AssertionError("unreachable")
