"""``liuke surveys``: send periodic surveys, backfill, results."""

from __future__ import annotations

import typer

app = typer.Typer(help="Surveys: CSAT, NPS, effort.", no_args_is_help=True)
