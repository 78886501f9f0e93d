"""``liuke complaints``: the real CFPB sample as cases, weekly charts, training, the warning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from liuke.cli import app
from liuke.complaints.models import Case
from liuke.core.config import get_settings
from liuke.core.db import Database
from tests.conftest import WorkspaceCtx, require_data

runner = CliRunner()


def _run(*args: str) -> str:
    r = runner.invoke(app, ["complaints", *args])
    assert r.exit_code == 0, r.output
    return " ".join(r.output.split())


def test_cfpb_sample_imports_as_cases_once(
    db: Database,
    make_workspace: Callable[..., WorkspaceCtx],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = require_data("cfpb_complaints_sample")
    monkeypatch.setenv("LIUKE_MODEL_DIR", str(tmp_path / "models"))  # the trained model stays here
    get_settings.cache_clear()
    ws = make_workspace("CFPB")
    args = ("--workspace", ws.slug, "--database-url", db.url)
    out = _run("import-cfpb", "--path", str(data), *args)
    assert "read 6,623 complaints: 6,623 new cases" in out and "8 product lines created" in out
    out = _run("import-cfpb", "--path", str(data), *args)
    assert "0 new cases, 6,623 already there" in out
    with db.session() as s:
        n, confirmed, lines = s.execute(
            select(
                func.count(),
                func.count().filter(Case.category_confirmed.is_(True)),
                func.count(func.distinct(Case.product_line_id)),
            ).where(Case.workspace_id == ws.id)
        ).one()
        by_cat = dict(
            s.execute(
                select(Case.category, func.count())
                .where(Case.workspace_id == ws.id)
                .group_by(Case.category)
            ).all()
        )
    assert (n, confirmed, lines) == (6623, 6623, 8)
    # the documented issue -> category rules (docs/complaints.md)
    assert by_cat == {
        "product_quality": 3341,
        "work_quality": 1746,
        "service_policy": 1145,
        "other": 391,
    }
    out = _run("weekly", "--dimension", "category", "--start", "2019-01-07", *args)
    assert "product_quality" in out and "rule1" in out  # the spring-2019 surge is flagged
    out = _run("train", *args)
    assert "trained on 6,623 cases (4 categories, 8 product lines)" in out
    assert (tmp_path / "models" / "complaints" / f"ws{ws.id}.joblib").exists()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_detect_and_warning_on_an_empty_workspace(
    db: Database, make_workspace: Callable[..., WorkspaceCtx], tmp_path: Path
) -> None:
    ws = make_workspace("空店")
    args = ("--workspace", ws.slug, "--database-url", db.url)
    out = _run("detect", "--end", "2026-11-30", *args)
    assert "charts" in out
    xlsx = tmp_path / "warning.xlsx"
    out = _run("warning", "--day", "2026-11-30", "--out", str(xlsx), *args)
    assert "投诉预警日报 2026-11-30" in out
    assert load_workbook(xlsx).sheetnames == ["概要", "预警", "热点", "超期工单"]
    r = runner.invoke(app, ["complaints", "warning", "--day", "30/11", *args])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output
    r = runner.invoke(app, ["complaints", "warning", "--send", *args])
    assert r.exit_code == 1 and "no recipients: set complaints.recipients" in r.output
    r = runner.invoke(app, ["complaints", "warning", "--send", "--to", "boss@shop.cn", *args])
    assert r.exit_code == 1 and "mail is not configured" in r.output
