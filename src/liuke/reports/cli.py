"""``liuke report``: generate, archive, save and send reports; run the due schedule (cron)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liuke.core.config import Settings, get_settings
from liuke.core.db import Database
from liuke.core.errors import AppError
from liuke.core.i18n import error_text

app = typer.Typer(help="Management reports: daily, ten-day, weekly, monthly.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
DbUrl = Annotated[str | None, typer.Option(help="defaults to LIUKE_DATABASE_URL")]
Workspace = Annotated[str, typer.Option(help="workspace slug")]
Out = Annotated[Path | None, typer.Option("--out", help="write the PDF here")]
Xlsx = Annotated[Path | None, typer.Option("--xlsx", help="write the XLSX here")]
Html = Annotated[Path | None, typer.Option("--html", help="write the printable HTML here")]
Locale = Annotated[str | None, typer.Option(help="zh_CN or en; default: the template's")]
Send = Annotated[bool, typer.Option("--send", help="e-mail it to the template's recipients")]
To = Annotated[list[str] | None, typer.Option("--to", help="e-mail it to this address (repeat)")]


def _db(url: str | None) -> Database:
    return Database(url or get_settings().database_url)


def _settings(url: str | None) -> Settings:
    """The settings with ``--database-url`` in them: the report's figures are read through
    ``settings.database_url`` (the analytics engine), so it must be the database asked for."""
    settings = get_settings()
    return settings.model_copy(update={"database_url": url}) if url else settings


def _fail(exc: AppError, code: int = 1) -> None:
    err.print(f"[red]error[/red] {escape(error_text(exc, 'en'))}")
    raise typer.Exit(code)


def _run(
    kind: str,
    period: str | None,
    workspace: str,
    database_url: str | None,
    out: Path | None,
    xlsx: Path | None,
    html: Path | None,
    locale: str | None,
    send: bool,
    to: list[str] | None,
) -> None:
    from liuke.core.errors import BadRequest
    from liuke.quality.cli import workspace_id
    from liuke.reports import render, service
    from liuke.reports.periods import last_complete, parse
    from liuke.workspaces.clock import local_today

    settings = _settings(database_url)
    db = _db(database_url)
    ws = workspace_id(db, workspace)
    try:
        with db.session() as s:
            chosen = parse(kind, period) if period else last_complete(kind, local_today(s, ws))
    except BadRequest as exc:
        _fail(exc, 2)
    try:
        run_id = service.generate(
            db,
            settings,
            ws,
            chosen,
            trigger="cli",
            locale=locale,
            with_pdf=out is not None or send or bool(to),
        )
        with db.session() as s:
            run = service.get_run(s, ws, run_id, files=True)
            doc = service.document_of(run)
            if out is not None:
                out.write_bytes(service.pdf_of(s, settings, run))
            if xlsx is not None:
                xlsx.write_bytes(service.xlsx_of(run))
            if html is not None:
                html.write_text(render.print_html(doc), encoding="utf-8")
    except AppError as exc:
        _fail(exc)
    console.print(
        f"[bold]{escape(doc.title)}[/bold]  (report {run_id}, {chosen.start} – {chosen.end})"
    )
    for line in doc.headline:
        console.print(f"· {escape(line)}")
    if doc.recommendations:
        table = Table("#", "problem", "action", "expected effect")
        for r in doc.recommendations:
            table.add_row(str(r.rank), escape(r.title), escape(r.action), escape(r.effect_text))
        console.print(table)
    for path in (out, xlsx, html):
        if path is not None:
            console.print(f"wrote {path} ({path.stat().st_size:,} bytes)", soft_wrap=True)
    if send or to:
        failed: AppError | None = None
        with db.session() as s:
            try:
                result = service.send(s, settings, ws, run_id, recipients=to or None)
            except AppError as exc:  # committed: the failure the service recorded on the run
                failed = exc
        if failed is not None:
            _fail(failed)
        console.print(f"sent to {', '.join(result.recipients)}")
        for addr, why in result.refused.items():
            err.print(f"[yellow]refused[/yellow] {escape(addr)}: {escape(why)}")


@app.command("monthly")
def monthly(
    workspace: Workspace = "demo",
    month: Annotated[str | None, typer.Option(help="YYYY-MM; default: last month")] = None,
    out: Out = None, xlsx: Xlsx = None, html: Html = None, locale: Locale = None,
    send: Send = False, to: To = None, database_url: DbUrl = None,
) -> None:  # fmt: skip
    """The monthly management report: where the service lost customers, what to do first."""
    _run("monthly", month, workspace, database_url, out, xlsx, html, locale, send, to)


@app.command("weekly")
def weekly(
    workspace: Workspace = "demo",
    week: Annotated[str | None, typer.Option(help="YYYY-Www or a date in it; default: last week")] = None,
    out: Out = None, xlsx: Xlsx = None, html: Html = None, locale: Locale = None,
    send: Send = False, to: To = None, database_url: DbUrl = None,
) -> None:  # fmt: skip
    """The weekly service quality report."""
    _run("weekly", week, workspace, database_url, out, xlsx, html, locale, send, to)


@app.command("tenday")
def tenday(
    workspace: Workspace = "demo",
    period: Annotated[str | None, typer.Option(help="YYYY-MM-1|2|3 (上/中/下旬); default: the last")] = None,
    out: Out = None, xlsx: Xlsx = None, html: Html = None, locale: Locale = None,
    send: Send = False, to: To = None, database_url: DbUrl = None,
) -> None:  # fmt: skip
    """The ten-day service bulletin (旬报)."""
    _run("tenday", period, workspace, database_url, out, xlsx, html, locale, send, to)


@app.command("daily")
def daily(
    workspace: Workspace = "demo",
    day: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default: yesterday")] = None,
    out: Out = None, xlsx: Xlsx = None, html: Html = None, locale: Locale = None,
    send: Send = False, to: To = None, database_url: DbUrl = None,
) -> None:  # fmt: skip
    """The daily complaint warning as a report."""
    _run("daily", day, workspace, database_url, out, xlsx, html, locale, send, to)


@app.command("run-due")
def run_due_cmd(database_url: DbUrl = None) -> None:
    """Generate and send every scheduled report that is due (for cron; `liuke serve` also does
    this every minute unless LIUKE_REPORTS_IN_PROCESS=false)."""
    from liuke.reports.scheduler import run_due

    outcomes = run_due(_db(database_url), _settings(database_url))
    if not outcomes:
        console.print("nothing due")
    for o in outcomes:
        line = f"{o.kind} {o.period} (workspace {o.workspace_id}): {o.status}"
        if o.sent_to:
            line += f", sent to {', '.join(o.sent_to)}"
        if o.error:
            line += f" [yellow]{escape(o.error)}[/yellow]"
        console.print(line)
