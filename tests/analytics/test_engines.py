"""The whole catalogue gives identical figures on every engine, on the same data.

The operational database (SQLite, and PostgreSQL in CI), DuckDB over a Parquet snapshot of it,
and Spark (local mode) over the same snapshot.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from liuke.analytics.catalogue import BY_NAME
from liuke.analytics.engines import (
    Engine,
    connect_database,
    connect_duckdb,
    connect_spark,
    spark_session,
)
from liuke.analytics.funnel import funnel
from liuke.analytics.query import Query, Result, run
from liuke.analytics.snapshot import write_snapshot
from liuke.core.db import Database
from liuke.core.errors import BadRequest
from liuke.simulate import simulate_world

END = date(2026, 11, 21)
QUERIES = (
    Query(date(2026, 11, 8), END, tuple(BY_NAME), by="channel"),
    Query(date(2026, 11, 1), END, tuple(BY_NAME), by="week", compare=False),
    Query(date(2026, 10, 25), END, ("contacts", "first_response_time_p90"), by="month"),
    Query(
        date(2026, 11, 8),
        END,
        tuple(BY_NAME),
        by="agent",
        compare=False,
        filters=(("channel_kind", ("web", "phone")),),
    ),
)


@pytest.fixture(scope="module")
def world(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    result = simulate_world(
        db,
        days=28,
        end=END,
        seed=11,
        slug=f"engines-{uuid.uuid4().hex[:8]}",
        agents=10,
        customers=800,
        conversations=3000,
    )
    engine = connect_database(db.url)
    snap = tmp_path_factory.mktemp("snapshot")
    try:
        report = write_snapshot(engine, snap, [result.workspace_id])
    finally:
        engine.backend.disconnect()
    assert report.rows["conversations"] == result.counts["conversations"]
    yield result.workspace_id, snap


def _figures(engine: Engine, ws: int) -> list[Any]:
    out: list[Any] = []
    for q in QUERIES:
        r: Result = run(engine, q, workspace_id=ws)
        out.append(
            (
                r.total.values,
                [(row.key, row.label, row.values) for row in r.rows],
                r.previous.values if r.previous else None,
                {k: asdict(v) for k, v in r.vs_previous.items()},
                [(row.key, {k: asdict(v) for k, v in row.changes.items()}) for row in r.rows],
            )
        )
    fr = funnel(engine, Query(date(2026, 11, 1), END, by="channel"), workspace_id=ws)
    out.append(asdict(fr.overall))
    out.append([asdict(s) for s in fr.sides])
    return out


@pytest.fixture(scope="module")
def reference(db: Database, world: tuple[int, Path]) -> list[Any]:
    engine = connect_database(db.url)
    try:
        return _figures(engine, world[0])
    finally:
        engine.backend.disconnect()


def test_the_reference_has_real_figures(reference: list[Any]) -> None:
    total = reference[0][0]
    assert total["contacts"] > 500 and total["receptions"] > 0
    assert all(v is not None for k, v in total.items()), total


def test_duckdb_over_a_snapshot_matches_the_database(
    world: tuple[int, Path], reference: list[Any]
) -> None:
    engine = connect_duckdb(world[1])
    assert engine.has_stats
    assert _figures(engine, world[0]) == reference


def test_spark_over_the_snapshot_matches_the_database(
    db: Database, world: tuple[int, Path], reference: list[Any]
) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("Spark is checked once, against the SQLite reference (same figures as PG)")
    if shutil.which("java") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Spark needs a Java runtime (make java installs it)")
        pytest.skip("no Java runtime: the Spark engine was NOT checked")
    session = spark_session("local[1]")
    try:
        engine = connect_spark(world[1], session)
        assert _figures(engine, world[0]) == reference
    finally:
        session.stop()


def test_a_folder_that_is_not_a_snapshot_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="not a complete analytics snapshot"):
        connect_duckdb(tmp_path)
