"""``liuke complaints``: intake backfill, classifier training, chart detection, daily warning."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liuke.complaints import intake, spc, warning
from liuke.core.config import get_settings
from liuke.core.db import Database, utcnow
from liuke.quality.cli import workspace_id

app = typer.Typer(help="Complaint management.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
DbUrl = Annotated[str | None, typer.Option(help="defaults to LIUKE_DATABASE_URL")]
Workspace = Annotated[str, typer.Option(help="workspace slug")]


def _db(url: str | None) -> Database:
    return Database(url or get_settings().database_url)


def _day(value: str | None, db: Database, ws: int) -> date:
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            err.print(f"[red]error[/red] expected YYYY-MM-DD, got {value!r}")
            raise typer.Exit(2) from None
    from liuke.complaints.grid import zone_of

    with db.session() as s:
        return utcnow().astimezone(zone_of(s, ws)).date() - timedelta(days=1)


@app.command("backfill")
def backfill_cmd(workspace: Workspace, database_url: DbUrl = None) -> None:
    """Open cases for labelled conversations that have none."""
    db = _db(database_url)
    ws = workspace_id(db, workspace)
    with db.session() as s:
        n = intake.backfill(s, ws, intake.suggester_for(s, ws))
    console.print(f"opened {n:,} cases")


@app.command("train")
def train_cmd(workspace: Workspace, database_url: DbUrl = None) -> None:
    """Retrain the workspace's classifier on every case a person has classified."""
    db = _db(database_url)
    ws = workspace_id(db, workspace)
    with db.session() as s:
        t = intake.retrain(s, ws)
    console.print(
        f"trained on {t.examples:,} cases ({t.categories} categories, "
        f"{t.product_lines} product lines): {t.version} -> {t.path}"
    )


@app.command("import-cfpb")
def import_cfpb_cmd(
    workspace: Workspace,
    path: Annotated[Path, typer.Option(help="the CSV or its folder")] = Path(
        "../shared/data/cfpb_complaints_sample"
    ),
    database_url: DbUrl = None,
) -> None:
    """Import the public CFPB complaint sample as cases (safe to run twice)."""
    db = _db(database_url)
    ws = workspace_id(db, workspace)
    try:
        with db.session() as s:
            r = intake.import_cfpb(s, ws, path)
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    console.print(
        f"read {r.read:,} complaints: {r.created:,} new cases, {r.existing:,} already there, "
        f"{r.product_lines} product lines created"
    )


@app.command("detect")
def detect_cmd(
    workspace: Workspace,
    end: Annotated[str | None, typer.Option(help="last day judged (default yesterday)")] = None,
    days: int = spc.HISTORY_DAYS,
    database_url: DbUrl = None,
) -> None:
    """Recompute every control chart and raise, extend and escalate alerts."""
    db = _db(database_url)
    ws = workspace_id(db, workspace)
    last = _day(end, db, ws)
    with db.session() as s:
        d = spc.detect(s, ws, last, days=days)
        table = Table(title=f"alerts {d.start} .. {d.end} ({d.charts} charts)")
        for col in ("", "dimension", "cell", "days", "observed", "expected", "rules", "to"):
            table.add_column(col)
        for tag, alerts in (("new", d.raised), ("updated", d.updated)):
            for a in alerts:
                table.add_row(
                    tag,
                    a.dimension,
                    escape(str(a.cell.get("label", a.cell_key))),
                    f"{a.first_period} .. {a.last_period}",
                    str(a.evidence.get("observed")),
                    str(a.evidence.get("expected")),
                    ", ".join(a.rules),
                    escape(a.department),
                )
    console.print(table)


@app.command("weekly")
def weekly_cmd(
    workspace: Workspace,
    dimension: str = "product_line",
    start: Annotated[str | None, typer.Option(help="first day (default: first case)")] = None,
    end: Annotated[str | None, typer.Option(help="last day (default: last case)")] = None,
    phase1: Annotated[
        bool, typer.Option(help="limits from the whole span (else the 13 weeks before each)")
    ] = False,
    database_url: DbUrl = None,
) -> None:
    """Weekly control charts (c chart when no sales volume is recorded): out-of-control weeks."""
    from sqlalchemy import func, select

    from liuke.complaints.charts import ChartParams, compute_chart, to_iso_weeks
    from liuke.complaints.grid import product_lines, series, zone_of
    from liuke.complaints.models import Case

    db = _db(database_url)
    ws = workspace_id(db, workspace)
    with db.session() as s:
        zone = zone_of(s, ws)
        lo, hi = s.execute(
            select(func.min(Case.received_at), func.max(Case.received_at)).where(
                Case.workspace_id == ws
            )
        ).one()
        if lo is None:
            console.print("no cases")
            return
        first = date.fromisoformat(start) if start else lo.astimezone(zone).date()
        last = date.fromisoformat(end) if end else hi.astimezone(zone).date()
        lines = {ln.id: ln for ln in product_lines(s, ws)}
        table = Table(title=f"weekly {dimension} charts {first} .. {last}")
        for col in ("cell", "weeks", "mean/week", "alert weeks", "first alerts (rules)"):
            table.add_column(col)
        for ser in series(s, ws, dimension, first, last):
            wk = to_iso_weeks(ser.days, ser.counts, ser.exposures)
            kind = "c" if wk.exposures is None else "u"
            params = ChartParams.weekly(fixed_baseline=(0, len(wk.periods)) if phase1 else None)
            chart = compute_chart(wk.periods, wk.counts, wk.exposures, kind=kind, params=params)
            flagged = [p for p in chart.points if p.alert]
            n = [c or 0 for c in wk.counts]
            table.add_row(
                escape(spc.label_of(ser.cell, lines)),
                str(len(n)),
                f"{sum(n) / max(1, len(n)):.1f}",
                str(len(flagged)),
                escape(
                    "; ".join(f"{p.period} {p.count} ({'/'.join(p.signals)})" for p in flagged[:3])
                    or "-"
                ),
            )
    console.print(table)


@app.command("warning")
def warning_cmd(
    workspace: Workspace,
    day: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default yesterday)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the XLSX here")] = None,
    send: Annotated[bool, typer.Option(help="e-mail it to the configured recipients")] = False,
    to: Annotated[list[str] | None, typer.Option(help="recipient (repeatable)")] = None,
    locale: str = "zh_CN",
    database_url: DbUrl = None,
) -> None:
    """Print (and optionally export or e-mail) the daily complaint warning."""
    from liuke.core.errors import AppError
    from liuke.core.mail import MailError

    db = _db(database_url)
    ws = workspace_id(db, workspace)
    d = _day(day, db, ws)
    with db.session() as s:
        w = warning.build(s, ws, d)
        console.print(escape(warning.text(w, locale)))
        if out is not None:
            out.write_bytes(warning.xlsx(w, locale))
            console.print(f"wrote {out}")
        if send:
            try:
                res = warning.send(s, ws, d, get_settings(), locale=locale, recipients=to)
            except (MailError, AppError) as exc:
                detail = (
                    getattr(exc, "params", {}).get("detail") if isinstance(exc, AppError) else None
                )
                err.print(f"[red]error[/red] {escape(str(detail or exc))}")
                raise typer.Exit(1) from None
            console.print(f"sent to {', '.join(res.recipients)}; refused: {res.refused or '-'}")
