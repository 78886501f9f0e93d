"""``liuke report``: a monthly report written as XLSX, HTML and PDF from the command line, the
schedule run for cron, and clear errors (exit 2 for bad input, 1 for what cannot be done)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from liuke.cli import app
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.reports.models import ReportRun
from liuke.workspaces import service as ws_service
from tests.e2e.test_browser import CHROMIUM, require_browser

runner = CliRunner()


@dataclass
class Shop:
    url: str
    slug: str
    workspace_id: int


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    url = f"sqlite:///{tmp_path_factory.mktemp('report-cli') / 'liuke.db'}"
    upgrade(url)
    db = Database(url)
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    with db.session() as s:
        ws_id = ws_service.create_workspace(s, slug, "报表小店").id
    db.dispose()
    yield Shop(url, slug, ws_id)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No mail server and (unless a test sets one) no PDF printer, read fresh by the CLI."""
    monkeypatch.delenv("LIUKE_SMTP_HOST", raising=False)
    monkeypatch.setenv("LIUKE_CHROMIUM_PATH", "/nonexistent")
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def _cli(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, ["report", *args])
    return r.exit_code, " ".join(r.output.split())


def _runs(shop: Shop) -> list[ReportRun]:
    db = Database(shop.url)
    try:
        with db.session() as s:
            return list(
                s.scalars(select(ReportRun).where(ReportRun.workspace_id == shop.workspace_id))
            )
    finally:
        db.dispose()


def test_monthly_report_as_xlsx_and_html(
    shop: Shop, env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    xlsx, html = tmp_path / "out.xlsx", tmp_path / "out.html"
    before = len(_runs(shop))
    code, out = _cli(
        "monthly", "--workspace", shop.slug, "--month", "2026-10", "--xlsx", str(xlsx),
        "--html", str(html), "--database-url", shop.url,
    )  # fmt: skip
    assert code == 0, out
    assert "报表小店 客户服务管理月报 2026年10月" in out and "2026-10-01 – 2026-10-31" in out
    assert f"wrote {xlsx}" in out and f"wrote {html}" in out
    wb = load_workbook(xlsx)
    assert wb.sheetnames[0] == "报告" and "客户服务管理月报" in str(wb["报告"]["A1"].value)
    assert len(wb.sheetnames) > 3  # the cover and a sheet per table
    page = html.read_text(encoding="utf-8")
    assert (
        page.startswith("<!doctype html>")
        and "<title>报表小店 客户服务管理月报 2026年10月</title>" in page
    )
    assert 'id="section-service"' in page
    runs = _runs(shop)
    assert (
        len(runs) == before + 1 and runs[-1].trigger == "cli" and runs[-1].period_key == "2026-10"
    )
    # English on request
    code, out = _cli(
        "weekly", "--workspace", shop.slug, "--week", "2026-W43", "--locale", "en",
        "--database-url", shop.url,
    )  # fmt: skip
    assert code == 0 and "Weekly service quality report" in out, out


def test_pdf_when_the_browser_is_there(shop: Shop, env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    require_browser()
    env.setenv("LIUKE_CHROMIUM_PATH", str(CHROMIUM))
    get_settings.cache_clear()
    pdf = tmp_path / "report.pdf"
    code, out = _cli(
        "monthly", "--workspace", shop.slug, "--month", "2026-10", "--out", str(pdf),
        "--database-url", shop.url,
    )  # fmt: skip
    assert code == 0, out
    assert pdf.read_bytes().startswith(b"%PDF") and f"wrote {pdf}" in out
    run = _runs(shop)[-1]
    assert run.pdf_size == pdf.stat().st_size and run.error == ""


def test_bad_input_is_refused_clearly(shop: Shop, env: pytest.MonkeyPatch) -> None:
    args = ("--workspace", shop.slug, "--database-url", shop.url)
    before = len(_runs(shop))
    code, out = _cli("monthly", *args, "--month", "10/2026")
    assert code == 2 and "expected YYYY-MM" in out, out
    code, out = _cli("tenday", *args, "--period", "2026-10-4")
    assert code == 2 and "expected YYYY-MM-1|2|3" in out, out
    code, out = _cli("monthly", "--workspace", "no-such-shop", "--database-url", shop.url)
    assert code == 2 and "no workspace 'no-such-shop'" in out, out
    code, out = _cli("monthly", *args, "--month", "2026-10", "--locale", "fr")
    assert code == 1 and "locale must be one of" in out, out
    assert len(_runs(shop)) == before
    code, out = _cli("monthly", *args, "--month", "2026-10", "--send")
    assert code == 1 and "no recipients" in out, out
    code, out = _cli("monthly", *args, "--month", "2026-10", "--to", "x@y.cn")
    assert code == 1 and "mail is not configured" in out, out
    code, out = _cli("monthly", *args, "--month", "2026-10", "--to", "not-an-address")
    assert code == 1 and "not-an-address" in out, out
    # the report itself is kept; the failed delivery is recorded on it
    runs = _runs(shop)
    assert len(runs) == before + 3
    assert "mail is not configured" in runs[-2].send_error and runs[-2].sent_at is None


def test_run_due_with_nothing_scheduled(shop: Shop, env: pytest.MonkeyPatch) -> None:
    code, out = _cli("run-due", "--database-url", shop.url)
    assert code == 0 and "nothing due" in out, out
