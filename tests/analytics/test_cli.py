"""``liuke analytics``: snapshot, then the same figures from the database and from DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liuke.cli import app
from liuke.core.db import Database
from tests.analytics.fixture import build

runner = CliRunner()


def test_snapshot_then_query_on_both_engines(db: Database, tmp_path: Path) -> None:
    fx = build(db)
    snap = tmp_path / "snap"
    r = runner.invoke(
        app,
        [
            "analytics",
            "snapshot",
            "--out",
            str(snap),
            "--workspace",
            fx.slug,
            "--database-url",
            db.url,
        ],
    )
    assert r.exit_code == 0, r.output
    assert (snap / "conversations.parquet").exists() and (snap / "manifest.json").exists()
    manifest = json.loads((snap / "manifest.json").read_text())
    assert manifest["workspaces"] == [fx.workspace_id] and manifest["rows"]["conversations"] == 8

    figures = []
    for engine in ("database", "duckdb"):
        out = tmp_path / f"{engine}.json"
        r = runner.invoke(
            app,
            [
                "analytics",
                "query",
                "--workspace",
                fx.slug,
                "--start",
                "2026-11-02",
                "--end",
                "2026-11-03",
                "--metrics",
                "contacts,average_response_time",
                "--by",
                "agent",
                "--engine",
                engine,
                "--snapshot-dir",
                str(snap),
                "--out",
                str(out),
                "--database-url",
                db.url,
            ],
        )
        assert r.exit_code == 0, r.output
        figures.append(json.loads(out.read_text()))
    assert figures[0]["total"] == figures[1]["total"]
    assert figures[0]["total"]["contacts"] == 6
    assert figures[0]["total"]["average_response_time"] == pytest.approx(4261 / 7, abs=1e-6)
    assert figures[0]["rows"] == figures[1]["rows"]
    assert figures[1]["engine"] == "duckdb"

    xlsx = tmp_path / "funnel.xlsx"
    r = runner.invoke(
        app,
        [
            "analytics",
            "funnel",
            "--workspace",
            fx.slug,
            "--start",
            "2026-11-02",
            "--end",
            "2026-11-03",
            "--out",
            str(xlsx),
            "--database-url",
            db.url,
        ],
    )
    assert r.exit_code == 0, r.output
    assert xlsx.read_bytes()[:2] == b"PK"


def test_bad_input_exits_2_with_a_message(db: Database, tmp_path: Path) -> None:
    fx = build(db)
    cases = [
        (["--metrics", "bogus"], "unknown metric bogus"),
        (["--start", "2026-13-01"], "is not a date"),
        (["--start", "2026-11-05", "--end", "2026-11-01"], "before it starts"),
        (["--engine", "duckdb", "--snapshot-dir", str(tmp_path)], "not a complete"),
        (["--out", str(tmp_path / "x.pdf")], "--out must end in"),
    ]
    for extra, message in cases:
        r = runner.invoke(
            app, ["analytics", "query", "--workspace", fx.slug, "--database-url", db.url, *extra]
        )
        assert r.exit_code == 2, (extra, r.output)
        assert message in " ".join(r.output.split()), (extra, r.output)
    r = runner.invoke(app, ["analytics", "query", "--workspace", "nope", "--database-url", db.url])
    assert r.exit_code == 2 and "no workspace" in r.output
