"""A manager works the retention desk in a real browser: the risk list and what drives churn,
a customer's 360 view with the reasons, a follow-up made and completed, the segments with the
80/20 curve, satisfaction and the IPA chart, why lost customers left, and the economics panel,
at desk and phone sizes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.simulate import simulate_world
from liuke.simulate.retention import work_retention
from liuke.workspaces import service as ws_service
from tests.e2e.browser import signed_in_tab
from tests.e2e.server import run_server
from tests.e2e.test_browser import MIN_SCREENSHOT_BYTES, require_browser
from tests.simulate.helpers import END

SLUG = "keep-shop"
EMAIL = "boss@keep.test"
PASSWORD = "correct-horse-9"


@dataclass
class Seeded:
    base_url: str


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    require_browser()
    tmp = tmp_path_factory.mktemp("e2e-retention")
    url = f"sqlite:///{tmp / 'liuke.db'}"
    upgrade(url)
    db = Database(url)
    try:
        result = simulate_world(
            db, slug=SLUG, end=END, days=21, customers=900, conversations=5000, agents=10, seed=5
        )
        with db.session() as s:
            ws_service.create_user(s, result.workspace_id, EMAIL, "店长", PASSWORD, "manager")
        now = datetime(END.year, END.month, END.day, tzinfo=UTC) + timedelta(days=1)
        work_retention(db, result.workspace_id, seed=5, now=now)
        # the server reads the model report where the job wrote it
        model_dir = str(get_settings().model_dir)
        with run_server(url, tmp, LIUKE_MODEL_DIR=model_dir) as base_url:
            yield Seeded(base_url)
    finally:
        db.dispose()


def test_manager_works_the_retention_desk(seeded: Seeded, tmp_path: Path) -> None:
    _, expect = require_browser()
    base = seeded.base_url
    problems: list[str] = []
    shots: dict[str, bytes] = {}
    with signed_in_tab(base, SLUG, EMAIL, PASSWORD, "/customers", problems) as tab:
        # 1. the risk list: highest probability first, what drives churn charted
        expect(tab.locator("#drivers-chart")).to_have_attribute("data-chart-ready", "true")
        first = tab.locator("#risk-list tbody tr").first
        probabilities = [
            float(p)
            for p in tab.locator("#risk-list [data-probability]").evaluate_all(
                "els => els.map(e => e.dataset.probability)"
            )
        ]
        assert probabilities == sorted(probabilities, reverse=True)
        assert tab.locator('[data-nav="customers"]').get_attribute("aria-current") == "page"
        shots["risk"] = tab.screenshot(path=str(tmp_path / "risk.png"))

        # 2. the top customer's 360 view with the reasons, a follow-up made and completed
        first.locator("a").first.click()
        tab.wait_for_url(f"{base}/customers/*")
        expect(tab.locator("#reasons-chart")).to_have_attribute("data-chart-ready", "true")
        assert tab.locator("#reasons li").count() >= 1
        tab.fill("#new-followup input[name=reason]", "流失风险高，主动回访")
        tab.click("#new-followup button[type=submit]")
        tab.wait_for_load_state()
        assert tab.locator("#saved").is_visible()
        row = tab.locator("#followups tr", has_text="流失风险高，主动回访")
        row.locator("select[name=outcome]").select_option("retained")
        row.locator("button[type=submit]").click()
        tab.wait_for_load_state()
        done = tab.locator("#followups tr", has_text="流失风险高，主动回访")
        assert done.get_attribute("data-status") == "done"
        shots["customer"] = tab.screenshot(path=str(tmp_path / "c360.png"), full_page=True)

        # 3. segments: the 80/20 curve and the RFM classes
        tab.goto(f"{base}/customers/segments")
        expect(tab.locator("#lorenz-chart")).to_have_attribute("data-chart-ready", "true")
        expect(tab.locator("#rfm-chart")).to_have_attribute("data-chart-ready", "true")

        # 4. satisfaction: the weekly trend and the importance-performance chart
        tab.goto(f"{base}/satisfaction?days=21")
        expect(tab.locator("#trend-chart")).to_have_attribute("data-chart-ready", "true")
        ipa = tab.locator(".chart-tall[data-chart]").first
        expect(ipa).to_have_attribute("data-chart-ready", "true")
        shots["satisfaction"] = tab.screenshot(path=str(tmp_path / "satisfaction.png"))

        # 5. why customers left; the economics panel
        tab.goto(f"{base}/customers/winback")
        expect(tab.locator("#reasons-chart")).to_have_attribute("data-chart-ready", "true")
        assert "服务态度" in tab.locator("#reasons").inner_text()
        tab.goto(f"{base}/customers/economics")
        assert int(tab.locator('[data-kpi="active"]').inner_text().replace(",", "")) > 0
        assert tab.locator("#calculator input[name=customers]").input_value() != ""
        tab.click(".lang-switch >> text=English")
        assert "Retention calculator" in tab.locator("main").inner_text()
        tab.click(".lang-switch >> text=中文")
        tab.goto(f"{base}/customers")
        tab.set_viewport_size({"width": 390, "height": 844})
        shots["phone"] = tab.screenshot(path=str(tmp_path / "risk-phone.png"))
    for name, shot in shots.items():
        assert len(shot) > MIN_SCREENSHOT_BYTES, f"{name} screenshot looks blank"
    assert problems == []
