"""The ``liuke`` command line: serve, demo, migrate, simulate, import, user, events."""

from __future__ import annotations

import getpass
import json
import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from liuke.analytics.cli import app as analytics_app
from liuke.complaints.cli import app as complaints_app
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.errors import AppError
from liuke.core.i18n import translate
from liuke.crm.cli import app as retention_app
from liuke.quality.cli import app as quality_app
from liuke.quality.cli import backfill as quality_backfill
from liuke.reports.cli import app as report_app
from liuke.surveys.cli import app as surveys_app

app = typer.Typer(help="liuke 留客 — customer service that keeps customers.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
workspace_app = typer.Typer(help="Manage workspaces.", no_args_is_help=True)
events_app = typer.Typer(help="Domain events (outbox).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(workspace_app, name="workspace")
app.add_typer(events_app, name="events")
app.add_typer(quality_app, name="quality")
app.add_typer(analytics_app, name="analytics")
app.add_typer(complaints_app, name="complaints")
app.add_typer(surveys_app, name="surveys")
app.add_typer(retention_app, name="retention")
app.add_typer(report_app, name="report")
console = Console()
err = Console(stderr=True)

DbUrl = Annotated[str | None, typer.Option("--database-url", envvar="LIUKE_DATABASE_URL")]


def _db(url: str | None) -> Database:
    return Database(url or get_settings().database_url)


def _fail(exc: AppError) -> None:
    err.print(f"[red]error[/red] {exc.code}: {translate(exc.message_key, 'en', **exc.params)}")
    raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@app.command()
def migrate(database_url: DbUrl = None, revision: str = "head") -> None:
    """Bring the database schema up to date (the only way tables are created)."""
    from liuke.core.migrate import upgrade

    url = database_url or get_settings().database_url
    upgrade(url, revision)
    console.print(f"schema at {revision}: {url.split('@')[-1]}")


@workspace_app.command("create")
def workspace_create(
    slug: str, name: str, database_url: DbUrl = None, locale: str = "zh_CN"
) -> None:
    """Create a workspace (tenant) with the built-in roles and channels."""
    from liuke.workspaces.service import create_workspace

    try:
        with _db(database_url).session() as s:
            ws = create_workspace(s, slug, name, default_locale=locale)
            console.print(f"workspace {ws.slug} (id {ws.id}) created")
    except AppError as exc:
        _fail(exc)


@user_app.command("create")
def user_create(
    workspace: Annotated[str, typer.Option(help="workspace slug")],
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="admin, manager, agent or a custom role")] = "agent",
    password: Annotated[
        str | None, typer.Option(help="omit to be asked (not echoed)", envvar="LIUKE_NEW_PASSWORD")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Create a user in a workspace."""
    from liuke.workspaces.service import create_user, get_workspace_by_slug

    pw = password or getpass.getpass("password: ")
    try:
        with _db(database_url).session() as s:
            ws = get_workspace_by_slug(s, workspace)
            if ws is None:
                err.print(f"[red]error[/red] no workspace {workspace!r}")
                raise typer.Exit(2)
            user = create_user(s, ws.id, email, name, pw, role=role)
            console.print(f"user {user.email} ({role}) created in {ws.slug}")
    except AppError as exc:
        _fail(exc)


@events_app.command("dispatch")
def events_dispatch(
    database_url: DbUrl = None,
    loop: Annotated[bool, typer.Option(help="keep running")] = False,
    interval: float = 1.0,
) -> None:
    """Deliver pending domain events to their subscribers (at least once)."""
    import time

    import liuke.complaints.events
    import liuke.quality.events  # noqa: F401  (registers the quality subscribers)
    from liuke.core.events import dispatch_pending

    db = _db(database_url)
    while True:
        report = dispatch_pending(db)
        if report.events:
            console.print(
                f"events {report.events}: delivered {report.delivered}, "
                f"failed {report.failed}, dead {report.dead}"
            )
            continue
        if not loop:
            break
        time.sleep(interval)


@events_app.command("retry-dead")
def events_retry_dead(database_url: DbUrl = None) -> None:
    """Requeue events parked after repeated subscriber failures."""
    from liuke.core.events import retry_dead

    console.print(f"requeued {retry_dead(_db(database_url))} events")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    database_url: DbUrl = None,
) -> None:
    """Serve the web app and API."""
    import os

    import uvicorn

    if database_url:
        os.environ["LIUKE_DATABASE_URL"] = database_url
        get_settings.cache_clear()
    logging.basicConfig(level=logging.INFO)
    uvicorn.run("liuke.app:create_app", factory=True, host=host, port=port, workers=workers)


@app.command()
def simulate(
    days: int = 90,
    seed: int = 42,
    slug: str = "demo",
    agents: int = 40,
    customers: int = 20_000,
    conversations: int = 150_000,
    end: Annotated[
        str | None, typer.Option(help="last simulated day, YYYY-MM-DD (default: yesterday)")
    ] = None,
    replace: Annotated[bool, typer.Option(help="replace an existing workspace")] = False,
    ground_truth: Annotated[Path, typer.Option()] = Path("var/ground_truth.json"),
    database_url: DbUrl = None,
) -> None:
    """Build a simulated shop with planted service signals and a ground-truth file."""
    from datetime import date

    from liuke.simulate import simulate_world

    try:
        end_day = date.fromisoformat(end) if end else None
    except ValueError:
        err.print(f"[red]error[/red] --end must be YYYY-MM-DD, got {end!r}")
        raise typer.Exit(2) from None
    db = _db(database_url)
    with _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        result = simulate_world(
            db,
            days=days,
            seed=seed,
            slug=slug,
            agents=agents,
            customers=customers,
            conversations=conversations,
            ground_truth_path=ground_truth,
            progress=report,
            replace=replace,
            end=end_day,
        )
    _print_simulation(result, ground_truth)


def _print_simulation(result: object, ground_truth: Path) -> None:
    table = Table(title=f"simulated workspace {getattr(result, 'slug', '')}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in getattr(result, "counts", {}).items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"ground truth: {ground_truth}  ({getattr(result, 'elapsed_s', 0):.1f} s)")
    logins = Table(title="demo logins")
    for col in ("workspace", "email", "password", "role"):
        logins.add_column(col)
    rows = list(getattr(result, "logins", []))
    for email, password, role in rows[:4]:
        logins.add_row(getattr(result, "slug", ""), email, password, role)
    console.print(logins)
    if len(rows) > 4:
        console.print(f"... and {len(rows) - 4} more agents (agentNN@..., same password)")


@app.command("import")
def import_cmd(
    fmt: Annotated[str, typer.Argument(help="twcs | jddc")],
    path: Annotated[Path, typer.Argument(exists=False)],
    workspace: Annotated[str, typer.Option(help="workspace slug")],
    database_url: DbUrl = None,
    report_json: Annotated[Path | None, typer.Option(help="write the import report here")] = None,
) -> None:
    """Import a conversation export idempotently (a second run adds nothing)."""
    from liuke.imports import IMPORTERS, run_import
    from liuke.workspaces.service import get_workspace_by_slug

    if fmt not in IMPORTERS:
        err.print(f"[red]error[/red] unknown format {fmt!r}; known: {', '.join(sorted(IMPORTERS))}")
        raise typer.Exit(2)
    db = _db(database_url)
    with db.session() as s:
        ws = get_workspace_by_slug(s, workspace)
        if ws is None:
            err.print(f"[red]error[/red] no workspace {workspace!r}")
            raise typer.Exit(2)
        ws_id = ws.id
    try:
        with _progress() as progress:
            task = progress.add_task(f"import {fmt}", total=None)

            def report(done: int, total: int | None) -> None:
                progress.update(task, completed=done, total=total)

            result = run_import(db, ws_id, fmt, path, progress=report)
    except AppError as exc:
        _fail(exc)
        return
    console.print(result.summary())
    if report_json is not None:
        report_json.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    days: int = 90,
    seed: int = 42,
    database_url: DbUrl = None,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Migrate, simulate a demo shop (once) and serve it."""
    from liuke.core.migrate import upgrade
    from liuke.workspaces.service import get_workspace_by_slug

    url = database_url or get_settings().database_url
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        exists = get_workspace_by_slug(s, "demo") is not None
    if exists:
        console.print("demo workspace exists; reusing it (delete var/liuke.db to rebuild)")
        from liuke.simulate import DEMO_LOGINS

        _print_logins(DEMO_LOGINS[:4])
    else:
        simulate(
            days=days,
            seed=seed,
            slug="demo",
            agents=40,
            customers=20_000,
            conversations=150_000,
            end=None,
            replace=False,
            ground_truth=Path("var/ground_truth.json"),
            database_url=url,
        )
        _demo_quality(db)
        _demo_complaints(db)
        _demo_retention(db)
        _demo_reports(db)
    db.dispose()
    if serve_after:
        # the dashboard's first view is computed while the server starts, not when it is opened
        os.environ.setdefault("LIUKE_ANALYTICS_WARM", "true")
        get_settings.cache_clear()
        console.print(f"open http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
        serve(host=host, port=port, database_url=url)


DEMO_INSPECT_DAYS = 30


def _demo_quality(db: Database) -> None:
    """Train the emotion model when the public data is there, then inspect the last month of
    the demo history (about 2 minutes; `liuke quality inspect --workspace demo` does the rest)."""
    from liuke.quality.cli import train_emotion, workspace_id
    from liuke.quality.customer_emotion import MODEL_FILE
    from liuke.web.vendor import REPO_ROOT

    data = next(
        (p for p in (Path("../shared/data"), REPO_ROOT.parent / "shared" / "data") if p.exists()),
        None,
    )
    if not (get_settings().model_dir / MODEL_FILE).exists() and data is not None:
        train_emotion(data=data, out=None, workspace=None, database_url=None)
    n = quality_backfill(db, workspace_id(db, "demo"), since_days=DEMO_INSPECT_DAYS)
    console.print(
        f"quality: inspected {n:,} demo conversations of the last {DEMO_INSPECT_DAYS} days "
        "(`liuke quality inspect --workspace demo` inspects the rest)"
    )


def _demo_complaints(db: Database) -> None:
    """The demo shop's complaint desk: cases from its complaint conversations, classified,
    resolved with recovery actions, the classifier trained, and the control charts judged."""
    from liuke.quality.cli import workspace_id
    from liuke.simulate.casework import work_cases

    with console.status("complaints: opening, classifying and charting cases"):
        r = work_cases(db, workspace_id(db, "demo"))
    console.print(
        f"complaints: {r.cases:,} cases, {r.confirmed:,} classified by agents "
        f"({r.corrected:,} corrected the classifier), {r.recoveries:,} recovery records, "
        f"{r.alerts} chart alerts escalated"
    )


def _demo_retention(db: Database) -> None:
    """The demo shop's retention desk: surveys answered, the nightly retention job (profiles,
    churn model, risk scores, segments, follow-ups) and the lost-customer research calls."""
    from liuke.quality.cli import workspace_id
    from liuke.simulate.retention import work_retention

    with console.status("retention: surveys, churn model, segments and follow-ups"):
        r = work_retention(db, workspace_id(db, "demo"))
    trained = r.daily.trained or {}
    console.print(
        f"retention: {r.surveys.responses:,} survey answers, {r.daily.scored:,} customers scored "
        f"(churn model CV ROC-AUC {trained.get('cv_auc', float('nan')):.3f}), "
        f"{sum(r.daily.follow_ups.values()):,} follow-ups, {r.researched:,} churn reasons recorded"
    )
    for note in r.daily.notes:
        console.print(f"retention note: {note}")


def _demo_reports(db: Database) -> None:
    """The shop's management reports on schedule: each kind's last complete period generated and
    archived now (the PDF needs Chromium; `make demo` installs it), the next ones by the server."""
    from liuke.quality.cli import workspace_id
    from liuke.reports import service
    from liuke.reports.builder import SECTIONS
    from liuke.reports.periods import KINDS, last_complete
    from liuke.reports.scheduler import Outcome, run_due
    from liuke.workspaces.clock import local_today

    ws = workspace_id(db, "demo")
    with db.session() as s:
        for kind in KINDS:
            service.save_template(
                s, ws, kind, sections=list(SECTIONS[kind]), thresholds={}, recipients=[],
                locale="zh_CN", scheduled=True, send_hour=8, actor_id=None,
            )  # fmt: skip
    settings = get_settings()
    with console.status("reports: daily, ten-day, weekly and monthly"):
        outcomes = run_due(db, settings)
        # before the send hour a kind is not due yet: its last period is generated by hand
        for kind in sorted(set(KINDS) - {o.kind for o in outcomes}):
            with db.session() as s:
                period = last_complete(kind, local_today(s, ws))
            run_id = service.generate(db, settings, ws, period, trigger="manual")
            with db.session() as s:
                run = service.get_run(s, ws, run_id)
                outcomes.append(Outcome(ws, kind, period.key, run_id, run.status, error=run.error))
    for o in outcomes:
        console.print(f"report: {o.kind} {o.period} {o.status} {o.error}".rstrip())
    monthly = next((o for o in outcomes if o.kind == "monthly" and o.run_id), None)
    if monthly is not None and monthly.run_id is not None:
        with db.session() as s:
            doc = service.document_of(service.get_run(s, ws, monthly.run_id))
        console.print(f"[bold]{doc.title}[/bold] (/reports/{monthly.run_id})")
        for r in doc.recommendations[:5]:
            console.print(f"  {r.rank}. {r.title}: {r.action} ({r.effect_text})")


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    table = Table(title="demo logins (workspace: demo)")
    for col in ("email", "password", "role"):
        table.add_column(col)
    for row in logins:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    app()
