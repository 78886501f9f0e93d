"""``liuke retention``: score customers, refresh segments, run follow-up rules, detect churn."""

from __future__ import annotations

import typer

app = typer.Typer(help="Retention: scores, segments, follow-ups, churn.", no_args_is_help=True)
