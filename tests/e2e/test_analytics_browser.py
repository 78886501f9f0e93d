"""A manager opens the dashboard in a real browser and sees where the service loses customers.

The server runs over a simulated world with planted signals; the slow agent the simulator wrote
into its ground truth must be named in the findings, and every chart must actually draw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import signed_in_tab
from tests.e2e.server import run_server
from tests.e2e.test_browser import MIN_SCREENSHOT_BYTES, require_browser
from tests.simulate.helpers import END, SIGNAL_SIZES, Sim, build

START = END - timedelta(days=SIGNAL_SIZES["days"] - 1)
RANGE = f"start={START.isoformat()}&end={END.isoformat()}"
# a drawn ECharts canvas has thousands of painted pixels; a blank one has none
MIN_PAINTED_PIXELS = 2_000
PAINTED = """el => {
  const c = el.querySelector("canvas");
  if (!c) { return 0; }
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } }
  return n;
}"""


@dataclass
class Served:
    base_url: str
    sim: Sim
    email: str
    password: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    require_browser()
    tmp = tmp_path_factory.mktemp("e2e-analytics")
    sim = build(tmp / "world.db", **SIGNAL_SIZES)
    email, password, _role = sim.result.logins[0]  # the demo admin
    try:
        with run_server(sim.db.url, tmp) as base_url:
            yield Served(base_url, sim, email, password)
    finally:
        sim.db.dispose()


def _drawn(tab: Any, expect: Any, selector: str) -> bytes:
    """Wait for charts.js to draw ``selector``; check pixels were painted; its screenshot."""
    chart = tab.locator(selector)
    expect(chart).to_have_attribute("data-chart-ready", "true")
    painted = chart.evaluate(PAINTED)
    assert painted > MIN_PAINTED_PIXELS, f"{selector} looks blank ({painted} painted pixels)"
    shot: bytes = chart.screenshot()
    return shot


def test_manager_sees_where_the_service_loses_customers(served: Served, tmp_path: Path) -> None:
    _, expect = require_browser()
    base = served.base_url
    slow = served.sim.truth["signals"]["slow_agent"]
    problems: list[str] = []
    shots: dict[str, bytes] = {}
    with signed_in_tab(
        base,
        served.sim.result.slug,
        served.email,
        served.password,
        "/analytics?" + RANGE,
        problems,
        width=1360,
    ) as tab:
        # 1. the overview: KPI cards, both trend charts drawn, the slow agent named
        assert tab.locator("h1").inner_text() == "数据分析"
        assert tab.locator('.kpi[data-metric="contacts"] .kpi-value').inner_text() != "—"
        shots["volume"] = _drawn(tab, expect, "#volume-chart")
        shots["speed"] = _drawn(tab, expect, "#speed-chart")
        findings = tab.locator("#findings .finding-list").first.inner_text()
        assert slow["name"] in findings
        assert "平均响应时长" in findings
        shots["overview"] = tab.screenshot(
            path=str(tmp_path / "analytics-overview.png"), full_page=True
        )

        # 2. a finding leads to the agent's conversations and on to a transcript
        line = tab.locator("#findings .finding", has_text=slow["name"]).first
        line.locator("a.drill").click()
        tab.wait_for_url(f"{base}/analytics/agents/{slow['user_id']}?*")
        assert slow["name"] in tab.locator("h1").inner_text()
        assert tab.locator("#conversations tbody tr").count() > 0
        tab.locator("#conversations tbody a").first.click()
        tab.wait_for_url(f"{base}/analytics/conversations/*")
        assert tab.locator("#transcript .msg").count() > 0

        # 3. the funnel, overall and per channel
        tab.click('.tabs a[data-tab="funnel"]')
        tab.wait_for_url(f"{base}/analytics/funnel?*")
        assert f"start={START.isoformat()}" in tab.url  # the tabs keep the view
        shots["funnel"] = _drawn(tab, expect, "#funnel-chart")
        _drawn(tab, expect, "#sides-chart")
        assert tab.locator("#funnel-sides td.is-weak").count() > 0

        # 4. the agents: the slow one is on the attention list, red against the team
        tab.click('.tabs a[data-tab="agents"]')
        tab.wait_for_url(f"{base}/analytics/agents?*")
        assert slow["name"] in tab.locator("#attention").inner_text()
        row = tab.locator(f'#scorecards tr[data-agent="{slow["user_id"]}"]')
        assert row.locator("td.is-worse").count() > 0

        # 5. SLA gauges and trends draw too
        tab.click('.tabs a[data-tab="sla"]')
        tab.wait_for_url(f"{base}/analytics/sla?*")
        for gauge in ("reply_rate", "sla_first_response", "sla_average_response"):
            _drawn(tab, expect, f"#gauge-{gauge}")
        shots["sla"] = tab.screenshot(path=str(tmp_path / "analytics-sla.png"))
        tab.click('.tabs a[data-tab="trends"]')
        tab.wait_for_url(f"{base}/analytics/trends?*")
        _drawn(tab, expect, "#trend-contacts")

        # 6. the overview on a phone
        tab.set_viewport_size({"width": 390, "height": 844})
        tab.goto(f"{base}/analytics?{RANGE}")
        expect(tab.locator("#volume-chart")).to_have_attribute("data-chart-ready", "true")
        shots["phone"] = tab.screenshot(path=str(tmp_path / "analytics-phone.png"))
    for name, shot in shots.items():
        assert len(shot) > MIN_SCREENSHOT_BYTES, f"{name} screenshot looks blank"
    assert problems == []
