"""A manager follows a product defect in a real browser: grid, escalated alert with its chart,
the case it points at (classified, recovery settled), the control charts and the daily warning."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from liuke.commerce import service as commerce
from liuke.complaints import service, spc
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.workspaces import service as ws_service
from tests.e2e.browser import signed_in_tab
from tests.e2e.server import run_server
from tests.e2e.test_browser import MIN_SCREENSHOT_BYTES, require_browser

SLUG = "defect-shop"
EMAIL = "boss@shop.test"
PASSWORD = "correct-horse-9"
ZONE = ZoneInfo("Asia/Shanghai")
DAYS = 40
BASELINE = (3, 4, 2, 5, 3, 4, 3)  # complaints a day before the defect
SPIKE = 24  # on the last day


@dataclass
class Seeded:
    base_url: str
    spike_day: date
    alert_id: int


def _seed(db: Database) -> tuple[date, int]:
    last = datetime.now(ZONE).date() - timedelta(days=1)
    first = last - timedelta(days=DAYS - 1)
    with db.session() as s:
        ws = ws_service.create_workspace(s, SLUG, "数码旗舰店")
        ws_service.create_user(s, ws.id, EMAIL, "投诉主管", PASSWORD, "manager")
        line = commerce.create_product_line(s, ws.id, "phone", "手机数码", "数码事业部")
        for i in range(DAYS):
            day = first + timedelta(days=i)
            commerce.set_daily_sales(s, ws.id, line.id, day, 1000, 1000, Decimal("500000"))
            n = SPIKE if day == last else BASELINE[i % len(BASELINE)]
            for k in range(n):
                service.create_case(
                    s,
                    ws.id,
                    service.Intake(
                        title="手机屏幕有坏点" if day == last else "充电很慢",
                        description="刚收到就这样，质量太差了",
                        product_line_id=line.id,
                        subcategory="屏幕",
                        received_at=datetime.combine(day, time(9 + k % 10), ZONE).astimezone(UTC),
                    ),
                    notify=False,
                )
        detection = spc.detect(s, ws.id, last)
        alert = next(a for a in detection.raised if a.dimension == "product_line")
        return last, alert.id


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    require_browser()
    tmp = tmp_path_factory.mktemp("e2e-complaints")
    url = f"sqlite:///{tmp / 'liuke.db'}"
    upgrade(url)
    db = Database(url)
    try:
        day, alert = _seed(db)
        with run_server(url, tmp, LIUKE_MODEL_DIR=str(tmp / "models")) as base_url:
            yield Seeded(base_url, day, alert)
    finally:
        db.dispose()


def test_manager_follows_a_defect_from_alert_to_recovery(seeded: Seeded, tmp_path: Path) -> None:
    _, expect = require_browser()
    base = seeded.base_url
    problems: list[str] = []
    shots: dict[str, bytes] = {}
    with signed_in_tab(base, SLUG, EMAIL, PASSWORD, "/complaints", problems) as tab:
        # 1. the overview: the grid and the escalated alert of the defect
        expect(tab.locator("#heat-chart")).to_have_attribute("data-chart-ready", "true")
        expect(tab.locator("#pareto-chart")).to_have_attribute("data-chart-ready", "true")
        alerts = tab.locator("#active-alerts")
        assert "手机数码" in alerts.inner_text()
        shots["overview"] = tab.screenshot(path=str(tmp_path / "overview.png"))

        # 2. the alert: its evidence chart, the department, acknowledged
        tab.goto(f"{base}/complaints/alerts/{seeded.alert_id}")
        expect(tab.locator("#evidence-chart")).to_have_attribute("data-chart-ready", "true")
        assert tab.locator('[data-field="department"]').inner_text() == "数码事业部"
        assert tab.locator('[data-field="status"]').get_attribute("data-value") == "escalated"
        sample = tab.locator("#samples a").first
        tab.click("#ack-form button[type=submit]")
        tab.wait_for_load_state()
        assert tab.locator('[data-field="status"]').get_attribute("data-value") == "acknowledged"

        # 3. a case behind it: confirm the cell, settle the recovery
        sample = tab.locator("#samples a").first
        sample.click()
        tab.wait_for_url(f"{base}/complaints/cases/*")
        tab.select_option("#classify-category", "product_quality")
        tab.click("#classify-form button[type=submit]")
        tab.wait_for_load_state()
        assert tab.locator("#saved").is_visible()
        tab.select_option("#r-root_cause", "product")
        tab.select_option("#r-action", "replacement")
        tab.fill("#recovery-form input[name=cost]", "199")
        tab.select_option("#r-outcome", "recovered")
        tab.click("#recovery-form button[type=submit]")
        tab.wait_for_load_state()
        records = tab.locator("#recovery-records tbody tr")
        assert records.count() == 1  # the pending record was settled, not duplicated
        assert "199" in records.first.inner_text()
        shots["case"] = tab.screenshot(path=str(tmp_path / "case.png"), full_page=True)

        # 4. the control charts mark the alert day
        tab.goto(f"{base}/complaints/charts?dimension=product_line")
        chart = tab.locator("[data-chart]").first
        expect(chart).to_have_attribute("data-chart-ready", "true")
        assert seeded.spike_day.isoformat() in (chart.get_attribute("data-chart") or "")

        # 5. the daily warning of the defect day, in Chinese and in English
        tab.goto(f"{base}/complaints/warning?day={seeded.spike_day.isoformat()}")
        main = tab.locator("main").inner_text()
        assert "投诉预警日报" in main and "手机数码" in main
        with tab.expect_download() as download:
            tab.click("a[href*='warning.xlsx']")
        assert download.value.suggested_filename.endswith(".xlsx")
        tab.click(".lang-switch >> text=English")
        assert "warning" in tab.locator("main").inner_text().lower()
        tab.click(".lang-switch >> text=中文")
        tab.set_viewport_size({"width": 390, "height": 844})
        shots["phone"] = tab.screenshot(path=str(tmp_path / "warning-phone.png"))
    for name, shot in shots.items():
        assert len(shot) > MIN_SCREENSHOT_BYTES, f"{name} screenshot looks blank"
    assert problems == []
