"""``liuke quality``: backfill inspections, train the emotion model, summarise findings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liuke.core.config import get_settings
from liuke.core.db import Database, utcnow
from liuke.quality import service
from liuke.quality.customer_emotion import MODEL_FILE, load_negativity_model
from liuke.quality.events import emotion_scorer

app = typer.Typer(help="Quality inspection.", no_args_is_help=True)
console = Console()
DbUrl = Annotated[str | None, typer.Option(help="defaults to LIUKE_DATABASE_URL")]


def workspace_id(db: Database, slug: str) -> int:
    from liuke.workspaces.service import get_workspace_by_slug

    with db.session() as s:
        ws = get_workspace_by_slug(s, slug)
        if ws is None:
            Console(stderr=True).print(f"[red]error[/red] no workspace {slug!r}")
            raise typer.Exit(2)
        return ws.id


def backfill(db: Database, workspace_id: int, since_days: int | None = None) -> int:
    """Inspect every ended conversation that has no inspection yet, in committed chunks, and
    check the open ones for rising anger (history written as facts raised no events)."""
    since = utcnow() - timedelta(days=since_days) if since_days else None
    with db.session() as s:
        ids = service.pending_conversation_ids(s, workspace_id, since)
    scorer = emotion_scorer()
    done = 0
    step = 2000
    with console.status("inspecting") as status:
        for start in range(0, len(ids), step):
            with db.session() as s:
                service.inspect_conversations(s, workspace_id, ids[start : start + step], scorer)
            done += len(ids[start : start + step])
            status.update(f"inspected {done:,} / {len(ids):,}")
        with db.session() as s:  # conversations still open: the live anger check
            for conv_id in service.live_conversation_ids(s, workspace_id):
                service.check_live_anger(s, workspace_id, conv_id, scorer)
    return done


@app.command("inspect")
def inspect_cmd(
    workspace: Annotated[str, typer.Option(help="workspace slug")],
    since_days: Annotated[int | None, typer.Option(help="only conversations this recent")] = None,
    database_url: DbUrl = None,
) -> None:
    """Inspect ended conversations not inspected yet (history imported or simulated as facts)."""
    db = Database(database_url or get_settings().database_url)
    n = backfill(db, workspace_id(db, workspace), since_days)
    console.print(f"inspected {n:,} conversations")


@app.command("train-emotion")
def train_emotion(
    data: Annotated[Path, typer.Option(help="the shared data folder")] = Path("../shared/data"),
    out: Annotated[Path | None, typer.Option(help="model file")] = None,
    workspace: Annotated[
        str | None, typer.Option(help="also learn from this workspace's reviewed anger hits")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Train the Chinese customer-emotion model on the public review sets (offline)."""
    from liuke.quality.emotion import load_reviews, train
    from liuke.quality.subjectivity import MODEL_FILE as SUBJECTIVITY_FILE
    from liuke.quality.subjectivity import load_objective, train_subjectivity

    texts: list[str] = []
    labels: list[int] = []
    used: list[str] = []
    for rel in ("online_shopping_10_cats/online_shopping_10_cats.csv", "waimai_10k/waimai_10k.csv"):
        path = data / rel
        if not path.exists():
            Console(stderr=True).print(f"[red]error[/red] {path} not found")
            raise typer.Exit(2)
        t, y, _ = load_reviews(path)
        texts += t
        labels += y
        used.append(rel.split("/")[0])
    if workspace is not None:
        db = Database(database_url or get_settings().database_url)
        with db.session() as s:
            extra_texts, extra_labels = service.emotion_feedback(s, workspace_id(db, workspace))
        console.print(f"{len(extra_texts):,} reviewed anger findings from {workspace}")
        texts += extra_texts
        labels += extra_labels
        used.append(f"reviewed anger findings of {workspace}")
    target = out or get_settings().model_dir / MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with console.status(f"training on {len(texts):,} reviews"):
        model = train(texts, labels, datasets=used)
    model.save(target)
    objective = load_objective(data, limit=len(texts), seed=0)
    with console.status(f"subjectivity: {len(texts):,} opinions vs {len(objective):,} questions"):
        subjectivity = train_subjectivity(texts, objective)
    subjectivity.save(target.parent / SUBJECTIVITY_FILE)
    load_negativity_model.cache_clear()
    console.print(
        f"emotion model {model.version} and {subjectivity.version} written to {target.parent}"
    )


@app.command("summary")
def summary_cmd(
    workspace: Annotated[str, typer.Option(help="workspace slug")],
    sample: Annotated[int, typer.Option(help="flagged conversations to print")] = 10,
    database_url: DbUrl = None,
) -> None:
    """Score distribution, hits per rule and a sample of flagged conversations to read."""
    from sqlalchemy import select

    from liuke.conversations.models import Message
    from liuke.quality.models import Inspection, InspectionHit

    db = Database(database_url or get_settings().database_url)
    ws = workspace_id(db, workspace)
    with db.session() as s:
        bands = service.score_distribution(s, ws)
        table = Table(title="scores")
        for band in bands:
            table.add_column(band)
        table.add_row(*(f"{n:,}" for n in bands.values()))
        console.print(table)
        hits = Table(title="hits per rule")
        hits.add_column("rule")
        hits.add_column("hits", justify="right")
        for rule, n in service.hit_counts(s, ws).items():
            hits.add_row(rule, f"{n:,}")
        console.print(hits)
        flagged = list(
            s.scalars(
                service.review_queue(ws).where(Inspection.queue_reason != "sample").limit(sample)
            )
        )
        for ins in flagged:
            console.rule(f"conversation {ins.conversation_id}: score {ins.score}")
            bodies = dict(
                s.execute(
                    select(Message.seq, Message.body).where(
                        Message.workspace_id == ws, Message.conversation_id == ins.conversation_id
                    )
                ).all()
            )
            for h in s.scalars(select(InspectionHit).where(InspectionHit.inspection_id == ins.id)):
                text = bodies.get(h.message_seq, "") if h.message_seq is not None else ""
                console.print(escape(f"  [{h.rule_code}] {h.evidence!r} <- {text[:80]!r}"))
