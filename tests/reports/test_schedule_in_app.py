"""`liuke serve` runs the report schedule itself: a due report appears without anyone asking."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from liuke.app import create_app
from liuke.core.config import Settings
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.reports import service
from liuke.reports.models import ReportRun
from liuke.workspaces.service import create_workspace


def test_the_server_generates_a_due_report_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"  # its own database: no other test's templates
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        ws = create_workspace(s, "sched", "定时店").id
        service.save_template(
            s, ws, "monthly", sections=["service"], thresholds={}, recipients=[],
            locale="zh_CN", scheduled=True, send_hour=0, actor_id=None,
        )  # fmt: skip
    settings = Settings(
        database_url=url,
        dispatch_in_process=False,
        reports_in_process=True,
        reports_check_s=0.2,
        chromium_path=tmp_path / "no-chromium",
    )
    with TestClient(create_app(settings, db)):
        deadline = time.monotonic() + 60
        runs: list[ReportRun] = []
        while time.monotonic() < deadline and not runs:
            time.sleep(0.2)
            with db.session() as s:
                runs = list(s.scalars(select(ReportRun).where(ReportRun.status == "ready")))
        time.sleep(1)  # several more checks: still one run
    with db.session() as s:
        all_runs = list(s.scalars(select(ReportRun)))
    assert len(runs) == 1 and len(all_runs) == 1
    assert all_runs[0].trigger == "schedule" and all_runs[0].kind == "monthly"
    db.dispose()
