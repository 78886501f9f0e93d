"""``liuke import`` end to end through typer, as an operator runs it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from liuke.cli import app
from liuke.core.db import Database
from tests.conftest import WorkspaceCtx

runner = CliRunner()


def at(hms: str) -> str:
    return f"Tue Oct 31 {hms} +0000 2017"


def test_cli_imports_reports_and_refuses_a_wrong_file(
    db: Database,
    workspace: WorkspaceCtx,
    write_twcs: Callable[..., Path],
    write_jddc: Callable[..., Path],
    table_counts: Callable[[int], dict[str, int]],
    tmp_path: Path,
) -> None:
    path = write_twcs(
        [
            (1, "900", True, at("10:00:00"), "@acme where is my parcel?", None),
            (2, "acme", False, at("10:02:00"), "@900 checking now", 1),
            (3, "acme", False, "garbage date", "@900 found it", 1),
        ]
    )
    base = ["import", "twcs", str(path), "--workspace", workspace.slug]
    report = tmp_path / "report.json"
    r = runner.invoke(app, [*base, "--database-url", db.url, "--report-json", str(report)])
    assert r.exit_code == 0, r.output
    assert "conversations created: 1" in r.output
    assert "messages created: 2" in r.output
    assert "unparseable date: 1 (e.g. line 4" in r.output
    data = json.loads(report.read_text())
    assert data["rows_read"] == 3 and data["skipped"]["unparseable date"]["count"] == 1

    r = runner.invoke(app, [*base, "--database-url", db.url])
    assert r.exit_code == 0, r.output
    assert "conversations already present: 1" in r.output
    assert "messages created: 0" in r.output

    before = table_counts(workspace.id)
    wrong = write_jddc([("s1", "u1", "0", "0", "0", "nan", "在吗")] * 2)
    r = runner.invoke(
        app, ["import", "twcs", str(wrong), "--workspace", workspace.slug, "--database-url", db.url]
    )
    assert r.exit_code == 2, r.output
    assert "not a twcs export" in " ".join(r.output.split())
    assert table_counts(workspace.id) == before

    r = runner.invoke(
        app, ["import", "csv", str(path), "--workspace", workspace.slug, "--database-url", db.url]
    )
    assert r.exit_code == 2 and "unknown format" in r.output
