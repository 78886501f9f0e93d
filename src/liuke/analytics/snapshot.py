"""Parquet snapshots of the operational tables, for DuckDB and Spark to analyse off-line.

A snapshot is a folder with one Parquet file per analytics table (only the columns analytics
reads: no message bodies, no customer names) plus ``conversation_stats``, the per-conversation
message aggregates computed by the same expression the live queries use, so a dashboard over a
snapshot never re-windows a hundred million messages. ``manifest.json`` records when and from
which workspaces it was taken.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import ibis

from liuke.analytics.engines import STATS, TABLES, Engine
from liuke.analytics.facts import message_stats
from liuke.core.db import utcnow


@dataclass(frozen=True)
class SnapshotReport:
    path: Path
    rows: dict[str, int]
    seconds: float


def write_snapshot(
    engine: Engine, out: Path, workspace_ids: list[int] | None = None
) -> SnapshotReport:
    """Write every analytics table (optionally only some workspaces) under ``out``.

    Files are written to a temporary name and renamed, so a reader never sees half a file.
    """
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}

    def scoped(name: str) -> ibis.Table:
        t = engine.table(name)
        return t if workspace_ids is None else t.filter(t.workspace_id.isin(workspace_ids))

    for name in TABLES:
        t = scoped(name)
        _write(t, out / f"{name}.parquet")
        rows[name] = int(t.count().execute())
    messages = scoped("messages")
    stats = message_stats(messages, engine.name)
    _write(stats, out / f"{STATS}.parquet")
    rows[STATS] = int(stats.count().execute())
    manifest = {
        "taken_at": utcnow().isoformat(),
        "source": engine.name,
        "workspaces": workspace_ids,
        "rows": rows,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return SnapshotReport(out, rows, round(time.perf_counter() - t0, 2))


def _write(table: ibis.Table, path: Path) -> None:
    tmp = path.with_suffix(".parquet.tmp")
    table.to_parquet(tmp)
    tmp.replace(path)
