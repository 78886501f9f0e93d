"""A manager generates the monthly report in a real browser against a real server: the form on
/reports, the report page with its ranked actions and drawn charts, the PDF (printed by the
server's own headless Chromium) and the XLSX downloaded, and the page at phone size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.simulate import simulate_world
from liuke.workspaces import service as ws_service
from tests.e2e.browser import signed_in_tab
from tests.e2e.server import run_server
from tests.e2e.test_browser import CHROMIUM, MIN_SCREENSHOT_BYTES, require_browser

SLUG = "report-shop"
EMAIL = "boss@report.test"
PASSWORD = "correct-horse-9"
END = date(2026, 11, 30)  # November is a whole month of history


@dataclass
class Seeded:
    base_url: str


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    require_browser()
    tmp = tmp_path_factory.mktemp("e2e-reports")
    url = f"sqlite:///{tmp / 'liuke.db'}"
    upgrade(url)
    db = Database(url)
    try:
        result = simulate_world(
            db, slug=SLUG, end=END, days=30, customers=400, conversations=2500, agents=8, seed=3
        )
        with db.session() as s:
            ws_service.create_user(s, result.workspace_id, EMAIL, "店长", PASSWORD, "manager")
        with run_server(
            url, tmp, LIUKE_CHROMIUM_PATH=str(CHROMIUM), LIUKE_REPORTS_IN_PROCESS="false"
        ) as base_url:
            yield Seeded(base_url)
    finally:
        db.dispose()


def test_manager_generates_and_downloads_the_monthly_report(seeded: Seeded, tmp_path: Path) -> None:
    _, expect = require_browser()
    base = seeded.base_url
    problems: list[str] = []
    shots: dict[str, bytes] = {}
    with signed_in_tab(
        base, SLUG, EMAIL, PASSWORD, "/reports", problems, accept_downloads=True
    ) as tab:
        assert "管理报告" in tab.locator("h1").first.inner_text()
        assert tab.locator('[data-nav="reports"]').get_attribute("aria-current") == "page"

        # 1. generate November's monthly report from the form
        form = tab.locator("#generate form")
        form.locator("select[name=kind]").select_option("monthly")
        form.locator("input[name=period]").fill("2026-11")
        form.locator("button[type=submit]").click()
        tab.wait_for_url(re.compile(rf"{re.escape(base)}/reports/\d+$"), timeout=60_000)
        run_id = tab.url.rsplit("/", 1)[1]

        # 2. the report: ranked actions, every section, charts drawn, no PDF error
        report = tab.locator("article.report")
        assert "2026-11-01 – 2026-11-30" in report.locator(".r-meta").inner_text()
        assert tab.locator("#recommendations tbody tr").count() >= 1
        for key in ("service", "funnel", "complaints", "quality", "satisfaction"):
            assert tab.locator(f"#section-{key}").count() == 1, key
        expect(tab.locator('[data-chart-ready="true"]').first).to_be_visible()
        assert tab.locator("#run-error").count() == 0  # the server printed the PDF
        button = tab.locator('[data-download="pdf"]').bounding_box()
        assert button is not None and button["width"] < 300  # a button, not a banner
        shots["report"] = tab.screenshot(path=str(tmp_path / "report.png"))

        # 3. the downloads: the PDF the server printed, the XLSX
        with tab.expect_download() as pdf_download:
            tab.click("text=下载 PDF")
        pdf = pdf_download.value
        assert pdf.suggested_filename == "liuke-monthly-2026-11.pdf"
        pdf_path = tmp_path / pdf.suggested_filename
        pdf.save_as(pdf_path)
        assert pdf_path.read_bytes().startswith(b"%PDF") and pdf_path.stat().st_size > 20_000
        with tab.expect_download() as xlsx_download:
            tab.click('[data-download="xlsx"]')
        xlsx_path = tmp_path / xlsx_download.value.suggested_filename
        xlsx_download.value.save_as(xlsx_path)
        assert xlsx_path.name == "liuke-monthly-2026-11.xlsx"
        sheets = load_workbook(xlsx_path).sheetnames
        assert sheets[0] == "报告" and "改进建议" in sheets

        # 4. the archive lists it; the report at phone size
        tab.goto(f"{base}/reports")
        assert tab.locator(f'#runs [data-run="{run_id}"]').count() == 1
        generate = tab.locator("#generate button[type=submit]").bounding_box()
        assert generate is not None and generate["width"] < 300
        shots["archive"] = tab.screenshot(path=str(tmp_path / "archive.png"), full_page=True)
        tab.goto(f"{base}/reports/{run_id}")
        tab.set_viewport_size({"width": 390, "height": 844})
        expect(tab.locator('[data-chart-ready="true"]').first).to_be_visible()
        shots["phone"] = tab.screenshot(path=str(tmp_path / "report-phone.png"))
    for name, shot in shots.items():
        assert len(shot) > MIN_SCREENSHOT_BYTES, f"{name} screenshot looks blank"
    assert problems == []
