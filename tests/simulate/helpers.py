"""Helpers for the simulation tests: build worlds in throwaway SQLite files and query them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.simulate import SimulationResult, simulate_world
from liuke.workspaces.service import create_workspace

END = date(2026, 11, 21)
SIGNAL_SIZES: dict[str, Any] = {
    "days": 28,
    "customers": 2500,
    "conversations": 14_000,
    "agents": 16,
    "seed": 7,
}


@dataclass
class Sim:
    db: Database
    path: Path
    result: SimulationResult

    @property
    def ws(self) -> int:
        return self.result.workspace_id

    @property
    def truth(self) -> dict[str, Any]:
        return self.result.ground_truth

    def rows(self, sql: str, **params: Any) -> list[Any]:
        """Raw SQL against the file (datetimes come back as SQLite's naive-UTC text)."""
        with self.db.engine.connect() as conn:
            return list(conn.execute(text(sql), {"ws": self.ws, **params}))

    def scalar(self, sql: str, **params: Any) -> Any:
        return self.rows(sql, **params)[0][0]


def epoch(value: str) -> float:
    """SQLite's stored DATETIME text (naive UTC) as epoch seconds."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def fresh_db(path: Path) -> Database:
    url = f"sqlite:///{path}"
    upgrade(url)
    return Database(url)


def build(path: Path, neighbour: bool = False, **kwargs: Any) -> Sim:
    db = fresh_db(path)
    if neighbour:
        with db.session() as s:
            create_workspace(s, "other-shop", "Other shop")
    result = simulate_world(db, end=END, **kwargs)
    return Sim(db, path, result)
