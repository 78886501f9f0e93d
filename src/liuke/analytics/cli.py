"""``liuke analytics``: snapshots for DuckDB/Spark, and the catalogue from the command line.

The web pages read the operational database; these commands are how the same figures are taken
off it (a Parquet snapshot), and how they are computed on DuckDB or on a Spark cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from liuke.analytics import export
from liuke.analytics.catalogue import BY_NAME, OVERVIEW
from liuke.analytics.engines import Engine, connect_database, connect_duckdb, connect_spark
from liuke.analytics.query import Query, Result
from liuke.analytics.service import (
    Context,
    context,
    csv_metrics,
    diagnosis_of,
    funnel_of,
    query,
)
from liuke.analytics.snapshot import write_snapshot
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.errors import BadRequest

T = TypeVar("T")
app = typer.Typer(help="Service metrics: snapshots, queries, funnels, diagnosis.")
console = Console()
err = Console(stderr=True)
DbUrl = Annotated[str | None, typer.Option(help="defaults to LIUKE_DATABASE_URL")]
EngineOpt = Annotated[
    Literal["database", "duckdb", "pyspark"],
    typer.Option(help="database: the operational DB; duckdb/pyspark: a snapshot folder"),
]
SnapshotOpt = Annotated[
    Path | None, typer.Option(help="snapshot folder (default LIUKE_ANALYTICS_SNAPSHOT_DIR)")
]
Workspace = Annotated[str, typer.Option(help="workspace slug")]
Start = Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD (default: 30 days ago)")]
End = Annotated[str | None, typer.Option(help="last day, YYYY-MM-DD (default: today)")]
Output = Annotated[
    Path | None, typer.Option("--out", help="write .csv, .xlsx or .json instead of a table")
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error[/red] {message}")
    return typer.Exit(2)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _context(url: str, slug: str) -> Context:
    from liuke.workspaces.service import get_workspace_by_slug

    db = Database(url)
    try:
        with db.session() as s:
            ws = get_workspace_by_slug(s, slug)
            if ws is None:
                raise _fail(f"no workspace {slug!r}")
            return context(s, ws.id)
    finally:
        db.dispose()


@contextmanager
def _engine(
    name: str, url: str, snapshot: Path | None, spark_master: str | None
) -> Iterator[Engine]:
    settings = get_settings()
    folder = snapshot or settings.analytics_snapshot_dir
    session = None
    try:
        if name == "database":
            engine = connect_database(url)
        elif folder is None:
            raise _fail(f"--engine {name} needs --snapshot (or LIUKE_ANALYTICS_SNAPSHOT_DIR)")
        elif name == "duckdb":
            engine = connect_duckdb(Path(folder))
        else:
            from liuke.analytics.engines import spark_session

            session = spark_session(spark_master or settings.spark_master)
            engine = connect_spark(Path(folder), session)
    except BadRequest as e:
        raise _fail(str(e.params.get("detail", e.message_key))) from None
    try:
        yield engine
    finally:
        if session is not None:
            session.stop()
        else:
            engine.backend.disconnect()


def _compute(
    workspace: str,
    start: str | None,
    end: str | None,
    engine: str,
    snapshot_dir: Path | None,
    spark_master: str | None,
    database_url: str | None,
    compute: Callable[[Engine, Context, date, date], T],
) -> T:
    """Resolve the workspace and range, open the engine, compute; errors exit 2 with a message."""
    url = database_url or get_settings().database_url
    ctx = _context(url, workspace)
    first, last = ctx.default_range(_day(start), _day(end))
    try:
        with _engine(engine, url, snapshot_dir, spark_master) as e:
            return compute(e, ctx, first, last)
    except BadRequest as exc:
        raise _fail(str(exc.params.get("detail", exc.message_key))) from None


def _emit(table: export.Table, out: Path | None, data: Any) -> None:
    if out is None:
        t = Table(title=table.title)
        for h in table.headers:
            t.add_column(str(h))
        for row in table.rows:
            t.add_row(
                *("" if v is None else f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row)
            )
        console.print(t)
        return
    suffix = out.suffix.lstrip(".")
    if suffix == "json":
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    elif suffix in export.FORMATS:
        out.write_bytes(export.render(table, suffix))
    else:
        raise _fail(f"--out must end in .csv, .xlsx or .json, not {out.name!r}")
    console.print(f"wrote {out}")


@app.command()
def snapshot(
    out: Annotated[Path, typer.Option(help="folder to write the Parquet files to")],
    workspace: Annotated[
        list[str] | None, typer.Option(help="only these workspace slugs (default: all)")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Write a Parquet snapshot of the analytics tables (no message bodies, no names)."""
    url = database_url or get_settings().database_url
    ids = [_context(url, slug).workspace_id for slug in workspace] if workspace else None
    engine = connect_database(url)
    try:
        report = write_snapshot(engine, out, ids)
    finally:
        engine.backend.disconnect()
    for name, n in report.rows.items():
        console.print(f"{name:>20}: {n:,} rows")
    console.print(f"snapshot written to {report.path} in {report.seconds:.1f} s")


@app.command("query")
def query_cmd(
    workspace: Workspace,
    metrics: Annotated[str | None, typer.Option(help="comma-separated metric names")] = None,
    by: Annotated[
        str | None, typer.Option(help="breakdown: day, week, agent, channel, ...")
    ] = None,
    start: Start = None,
    end: End = None,
    engine: EngineOpt = "database",
    snapshot_dir: SnapshotOpt = None,
    spark_master: Annotated[str | None, typer.Option(help="Spark master URL")] = None,
    compare: Annotated[bool, typer.Option("--compare/--no-compare")] = True,
    locale: str = "zh_CN",
    out: Output = None,
    database_url: DbUrl = None,
) -> None:
    """Compute catalogue metrics (``liuke analytics metrics`` lists them)."""

    def compute(e: Engine, ctx: Context, first: date, last: date) -> Result:
        q = Query(first, last, csv_metrics(metrics, OVERVIEW), by, compare=compare)
        q.validate()
        return query(e, ctx, q)

    result = _compute(
        workspace, start, end, engine, snapshot_dir, spark_master, database_url, compute
    )
    data = {
        "engine": result.engine,
        "total": result.total.values,
        "rows": [{"key": r.key, "label": r.label, **r.values} for r in result.rows],
        "vs_previous": {k: asdict(v) for k, v in result.vs_previous.items()},
    }
    _emit(export.query_table(result, locale), out, data)


@app.command("funnel")
def funnel_cmd(
    workspace: Workspace,
    by: Annotated[str | None, typer.Option(help="channel, platform, agent, ...")] = "channel",
    start: Start = None,
    end: End = None,
    engine: EngineOpt = "database",
    snapshot_dir: SnapshotOpt = None,
    locale: str = "zh_CN",
    out: Output = None,
    database_url: DbUrl = None,
) -> None:
    """The service funnel, per ``--by`` side by side, with each side's weakest step."""
    result = _compute(
        workspace,
        start,
        end,
        engine,
        snapshot_dir,
        None,
        database_url,
        lambda e, ctx, first, last: funnel_of(e, ctx, Query(first, last, by=by)),
    )
    _emit(export.funnel_table(result, locale), out, asdict(result))


@app.command("diagnose")
def diagnose_cmd(
    workspace: Workspace,
    start: Start = None,
    end: End = None,
    engine: EngineOpt = "database",
    snapshot_dir: SnapshotOpt = None,
    locale: str = "zh_CN",
    out: Output = None,
    database_url: DbUrl = None,
) -> None:
    """Where the service loses customers: rows materially and significantly worse than peers."""
    findings = _compute(
        workspace, start, end, engine, snapshot_dir, None, database_url, diagnosis_of
    )
    _emit(export.diagnosis_table(findings, locale), out, [asdict(f) for f in findings])


@app.command("metrics")
def metrics_cmd(locale: str = "zh_CN") -> None:
    """List the metric catalogue: name, label, unit, which direction is good, definition."""
    t = Table(title="metric catalogue")
    for col in ("name", "label", "unit", "good", "definition"):
        t.add_column(col)
    for m in BY_NAME.values():
        t.add_row(m.name, m.label(locale), m.unit, m.good, m.definition(locale))
    console.print(t)
