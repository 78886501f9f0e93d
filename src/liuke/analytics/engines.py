"""Where the metric catalogue runs: the operational database, Parquet snapshots, or Spark.

Every engine is an Ibis backend exposing the same few tables with the same columns, so one
catalogue expression compiles to each engine's SQL. The operational database answers the web
pages by default; DuckDB over Parquet snapshots takes the heavy analysis off it; Spark runs the
same snapshots on a cluster when one machine is not enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
from ibis.backends import BaseBackend
from sqlalchemy.engine import make_url

from liuke.core.errors import BadRequest

# The columns analytics reads: nothing personal (names of customers, message bodies) leaves the
# operational database in a snapshot.
TABLES: dict[str, tuple[str, ...]] = {
    "conversations": (
        "id",
        "workspace_id",
        "channel_id",
        "customer_id",
        "assignee_id",
        "skill_group_id",
        "product_line_id",
        "status",
        "created_at",
        "first_response_at",
        "resolved_at",
        "transfer_count",
        "handled_by_bot",
        "intent",
        "timing_known",
    ),
    "messages": (
        "id",
        "workspace_id",
        "conversation_id",
        "seq",
        "sender_type",
        "sender_user_id",
        "created_at",
    ),
    "orders": (
        "id",
        "workspace_id",
        "customer_id",
        "amount",
        "status",
        "ordered_at",
        "source_conversation_id",
    ),
    "channels": ("id", "workspace_id", "kind", "name", "platform"),
    "customers": ("id", "workspace_id", "tier"),
    "users": ("id", "workspace_id", "name"),
    "skill_groups": ("id", "workspace_id", "name"),
    "product_lines": ("id", "workspace_id", "code", "name"),
}
STATS = "conversation_stats"  # written by snapshots: see liuke.analytics.snapshot
ENGINES = ("database", "duckdb", "pyspark")


@dataclass
class Engine:
    """An Ibis backend plus the name the results and errors report."""

    name: str
    backend: BaseBackend
    has_stats: bool = False  # a snapshot's materialised per-conversation message aggregates
    source: str = ""  # the database URL or snapshot folder: what cached figures were read from

    def table(self, name: str) -> ibis.Table:
        t = self.backend.table(name)
        return t.select(*TABLES[name]) if name in TABLES else t


def connect_database(url: str) -> Engine:
    """The operational database (SQLite file or PostgreSQL) as an Ibis backend."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise BadRequest(detail="analytics needs a SQLite file, not an in-memory database")
        return Engine("sqlite", ibis.sqlite.connect(u.database), source=url)
    if u.get_backend_name() == "postgresql":
        return Engine(
            "postgres",
            ibis.postgres.connect(
                host=u.host or "localhost",
                port=u.port or 5432,
                user=u.username,
                password=u.password,
                database=u.database,
            ),
            source=u.render_as_string(hide_password=True),
        )
    raise BadRequest(detail=f"analytics cannot read a {u.get_backend_name()} database")


def _require_snapshot(path: Path) -> None:
    missing = [n for n in TABLES if not (path / f"{n}.parquet").exists()]
    if missing:
        raise BadRequest(
            detail=f"{path} is not a complete analytics snapshot (missing {', '.join(missing)}); "
            "write one with `liuke analytics snapshot`"
        )


def connect_duckdb(path: Path) -> Engine:
    """DuckDB in memory over a snapshot folder's Parquet files (read in place, not loaded)."""
    _require_snapshot(path)
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    for name in TABLES:
        con.read_parquet(path / f"{name}.parquet", table_name=name)
    stats = path / f"{STATS}.parquet"
    if stats.exists():
        con.read_parquet(stats, table_name=STATS)
    return Engine("duckdb", con, stats.exists(), str(path))


def spark_session(master: str = "local[2]", **conf: str) -> Any:
    """A Spark session set up for analytics: UTC so epoch seconds match every other engine."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("liuke-analytics")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect_spark(path: Path, session: Any) -> Engine:
    """PySpark over the same snapshot folder (a local session in tests, a cluster in production)."""
    _require_snapshot(path)
    con = ibis.pyspark.connect(session)
    for name in TABLES:
        con.read_parquet(str(path / f"{name}.parquet"), table_name=name)
    stats = path / f"{STATS}.parquet"
    if stats.exists():
        con.read_parquet(str(stats), table_name=STATS)
    return Engine("pyspark", con, stats.exists(), str(path))


@contextmanager
def database_engine(url: str) -> Iterator[Engine]:
    engine = connect_database(url)
    try:
        yield engine
    finally:
        engine.backend.disconnect()
