"""``liuke surveys``: send periodic surveys, print results, response rates and the IPA."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from liuke.core.config import get_settings
from liuke.core.db import Database, utcnow
from liuke.surveys import service

app = typer.Typer(help="Surveys: CSAT, NPS, effort.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
DbUrl = Annotated[str | None, typer.Option(help="defaults to LIUKE_DATABASE_URL")]
Workspace = Annotated[str, typer.Option(help="workspace slug")]
Start = Annotated[str | None, typer.Option(help="first local day, YYYY-MM-DD")]
End = Annotated[str | None, typer.Option(help="last local day, YYYY-MM-DD (default today)")]
Days = Annotated[int, typer.Option(help="window length when --start is not given")]


def _db(url: str | None) -> Database:
    return Database(url or get_settings().database_url)


def _workspace(db: Database, slug: str) -> int:
    from liuke.workspaces.service import get_workspace_by_slug

    with db.session() as s:
        ws = get_workspace_by_slug(s, slug)
        if ws is None:
            err.print(f"[red]error[/red] no workspace {slug!r}")
            raise typer.Exit(2)
        return ws.id


def _window(
    db: Database, ws: int, start: str | None, end: str | None, days: int
) -> tuple[date, date]:
    try:
        last = date.fromisoformat(end) if end else None
        first = date.fromisoformat(start) if start else None
    except ValueError as exc:
        err.print(f"[red]error[/red] expected YYYY-MM-DD ({exc})")
        raise typer.Exit(2) from None
    if last is None:
        with db.session() as s:
            last = utcnow().astimezone(service.zone_of(s, ws)).date()
    return first or last - timedelta(days=days - 1), last


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None, places: int = 2) -> str:
    return "—" if x is None else f"{x:.{places}f}"


@app.command("send-periodic")
def send_periodic_cmd(workspace: Workspace, database_url: DbUrl = None) -> None:
    """Invite to NPS the customers with recent activity not asked within the interval."""
    db = _db(database_url)
    ws = _workspace(db, workspace)
    with db.session() as s:
        n = service.send_periodic(s, ws, settings=get_settings())
    console.print(f"invited {n:,} customers to the NPS survey")


@app.command("results")
def results_cmd(
    workspace: Workspace,
    start: Start = None,
    end: End = None,
    days: Days = 30,
    database_url: DbUrl = None,
) -> None:
    """CSAT, NPS, CES and response rates over a window, overall and per agent."""
    db = _db(database_url)
    ws = _workspace(db, workspace)
    lo, hi = _window(db, ws, start, end, days)
    with db.session() as s:
        r = service.results(s, ws, lo, hi)
        rates = service.response_rates(s, ws, lo, hi)
        names = service.user_names(s, ws)
    o = r.overall
    console.print(f"{lo} to {hi}")
    console.print(
        f"CSAT {_share(o.csat_satisfied)} satisfied (score 4-5), mean {_num(o.csat_mean)}, "
        f"{o.csat_n:,} responses"
    )
    console.print(
        f"NPS {_num(o.nps, 1)} (promoters {o.promoters:,}, passives {o.passives:,}, "
        f"detractors {o.detractors:,}; {o.nps_n:,} responses)"
    )
    console.print(f"CES mean {_num(o.ces_mean)} of 7, {o.ces_n:,} responses")
    ov = rates.overall
    console.print(
        f"response rate {_share(ov.rate)} ({ov.answered:,} answered of {ov.sent:,} delivered; "
        f"{ov.failed:,} failed)"
    )
    for kind, rate in rates.by_kind.items():
        console.print(f"  {kind}: {_share(rate.rate)} ({rate.answered:,}/{rate.sent:,})")
    table = Table("agent", "CSAT n", "mean", "satisfied", "response rate")
    for agent, sc in sorted(r.by_agent.items(), key=lambda kv: kv[1].csat_mean or 0):
        if not sc.csat_n:
            continue
        agent_rate = rates.by_agent.get(agent)
        table.add_row(
            names.get(agent, "—") if agent is not None else "(no agent)",
            f"{sc.csat_n:,}",
            _num(sc.csat_mean),
            _share(sc.csat_satisfied),
            _share(agent_rate.rate if agent_rate else None),
        )
    console.print(table)


@app.command("ipa")
def ipa_cmd(
    workspace: Workspace,
    start: Start = None,
    end: End = None,
    days: Days = 30,
    target: Annotated[float, typer.Option(help="share satisfied an important one needs")] = 0.85,
    database_url: DbUrl = None,
) -> None:
    """Importance-performance of the CSAT attributes (derived importance; stated if asked)."""
    db = _db(database_url)
    ws = _workspace(db, workspace)
    lo, hi = _window(db, ws, start, end, days)
    with db.session() as s:
        rep = service.ipa_report(s, ws, lo, hi, target=target)
    console.print(f"{lo} to {hi}: {rep.responses:,} CSAT responses")
    for title, res in (("derived", rep.derived), ("stated", rep.stated)):
        if res is None:
            continue
        console.print(
            f"{title} importance ({res.method}): {res.complete:,} complete responses, "
            f"R² {_num(res.r_squared, 3)}"
        )
        table = Table("attribute", "mean", "satisfied", "importance", "quadrant", "gap")
        for a in res.attributes:
            table.add_row(
                a.attribute,
                _num(a.mean),
                _share(a.share_satisfied),
                _num(a.importance, 3),
                a.quadrant,
                "GAP" if a.gap else "",
            )
        console.print(table)
    if rep.derived is None:
        console.print(f"no analysis: {rep.derived_error}")


@app.command("simulate")
def simulate_cmd(
    workspace: Workspace,
    seed: Annotated[int, typer.Option(help="the simulation's seed")] = 42,
    database_url: DbUrl = None,
) -> None:
    """Write a simulated workspace's survey invitations and answers (once)."""
    from liuke.simulate.surveys import write_surveys

    db = _db(database_url)
    ws = _workspace(db, workspace)
    with db.session() as s:
        out = write_surveys(s, ws, seed)
    if out.skipped:
        console.print("surveys already written for this workspace")
        return
    console.print(f"wrote {out.invitations:,} invitations and {out.responses:,} responses")
    for kind, (sent, answered) in sorted(out.by_kind.items()):
        console.print(f"  {kind}: {answered:,} answered of {sent:,} delivered")
