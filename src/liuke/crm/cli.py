"""``liuke retention``: the nightly job, and its steps one at a time for operators."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liuke.core.config import get_settings
from liuke.core.db import Database, utcnow
from liuke.core.errors import AppError
from liuke.core.i18n import error_text
from liuke.quality.cli import workspace_id

app = typer.Typer(help="Retention: scores, segments, follow-ups, churn.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
DbUrl = Annotated[str | None, typer.Option(help="defaults to LIUKE_DATABASE_URL")]
Workspace = Annotated[str, typer.Option(help="workspace slug")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (UTC midnight); default now")]


def _db(url: str | None) -> Database:
    return Database(url or get_settings().database_url)


def _as_of(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        err.print(f"[red]error[/red] expected YYYY-MM-DD, got {value!r}")
        raise typer.Exit(2) from None


def _fail(exc: AppError) -> None:
    err.print(f"[red]error[/red] {escape(error_text(exc, 'en'))}")
    raise typer.Exit(1)


@app.command("daily")
def daily_cmd(
    workspace: Workspace,
    database_url: DbUrl = None,
    as_of: AsOf = None,
    train: Annotated[
        bool | None, typer.Option("--train/--no-train", help="default: when stale")
    ] = None,
) -> None:
    """Churn labels, profiles and grades, the churn model, segments and follow-up rules."""
    from liuke.crm.jobs import run_daily

    db = _db(database_url)
    ws = workspace_id(db, workspace)
    report = run_daily(db, ws, _as_of(as_of), train=train)
    table = Table("step", "result", "seconds")
    table.add_row("churn labels", json.dumps(report.churn), str(report.seconds.get("churn_labels")))
    table.add_row("profiles", f"{report.profiles:,}", str(report.seconds.get("profiles")))
    if report.trained is not None:
        table.add_row("train", json.dumps(report.trained), str(report.seconds.get("train")))
    table.add_row("scored", f"{report.scored:,}", str(report.seconds.get("score")))
    table.add_row("segments", json.dumps(report.segments), str(report.seconds.get("segments")))
    table.add_row(
        "follow-ups", json.dumps(report.follow_ups), str(report.seconds.get("follow_ups"))
    )
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]note[/yellow] {escape(note)}")


@app.command("train")
def train_cmd(workspace: Workspace, database_url: DbUrl = None, as_of: AsOf = None) -> None:
    """Fit the workspace's churn model on its churn records; prints CV AUC and drivers."""
    from liuke.crm import labels, risk

    db = _db(database_url)
    ws = workspace_id(db, workspace)
    when = _as_of(as_of)
    with db.session() as s:
        labels.sync_churn_records(s, ws, when)
    try:
        with db.session() as s:
            r = risk.train(s, ws, when)
    except AppError as exc:
        _fail(exc)
        return
    console.print(
        f"model {r.model_version}: {r.customers:,} customers, {r.churned:,} churned; "
        f"{r.cv_folds}-fold CV ROC-AUC {r.cv_auc:.4f} ± {r.cv_auc_sd:.4f}, "
        f"Brier {r.brier:.4f}, ECE {r.ece:.4f}"
    )
    table = Table("reason group", "share of the model's influence")
    for g in r.groups:
        table.add_row(str(g.get("label_en") or g.get("group")), f"{float(g['share']):.1%}")
    console.print(table)


@app.command("risk")
def risk_cmd(
    workspace: Workspace,
    database_url: DbUrl = None,
    top: Annotated[int, typer.Option(min=1, max=1000)] = 20,
) -> None:
    """The risk list: the customers most likely to leave, with their top reasons."""
    from liuke.crm import profiles

    db = _db(database_url)
    ws = workspace_id(db, workspace)
    with db.session() as s:
        rows = list(
            s.scalars(
                profiles.score_query(ws, profiles.ScoreFilter())
                .order_by(*profiles.RISK_ORDER)
                .limit(top)
            )
        )
    if not rows or rows[0].churn_probability is None:
        err.print("no scores yet: run `liuke retention daily` first")
        raise typer.Exit(1)
    table = Table("customer", "probability", "grade", "top reasons")
    for r in rows:
        reasons = "; ".join(
            f"{x.get('label_en')}={x.get('value_en')}"
            for x in r.churn_reasons[:3]
            if x.get("contribution", 0) > 0
        )
        table.add_row(str(r.customer_id), f"{(r.churn_probability or 0):.1%}", r.grade, reasons)
    console.print(table)
