"""A supervisor reviews the worst conversation in a real browser: queue, highlights, verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liuke.conversations import service as conv_service
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.quality import service as quality
from liuke.quality.customer_emotion import CustomerEmotion, LexiconNegativity
from liuke.workspaces import service as ws_service
from tests.e2e.browser import signed_in_tab
from tests.e2e.server import run_server
from tests.e2e.test_browser import MIN_SCREENSHOT_BYTES, require_browser

SLUG = "qa-shop"
EMAIL = "qa@shop.test"
PASSWORD = "correct-horse-9"
RUDE = [
    ("customer", "你好，快递三天了还没到？"),
    ("agent", "自己去查物流，订单页面都有。"),
    ("customer", "什么态度！我要投诉你！！"),
]
CALM = [
    ("customer", "你好，可以开发票吗？"),
    ("agent", "您好，可以的，我帮您开好发送到邮箱，还有什么可以帮您？"),
]


@dataclass
class Seeded:
    base_url: str
    rude_conversation: int


def _seed(db: Database) -> int:
    with db.session() as s:
        ws = ws_service.create_workspace(s, SLUG, "质检演示店")
        ws_service.create_user(s, ws.id, EMAIL, "质检主管", PASSWORD, "manager")
        agent = ws_service.create_user(s, ws.id, "a@shop.test", "客服小张", PASSWORD, "agent")
        channel = conv_service.channel_by_kind(s, ws.id, "web")
        ids = []
        for turns in (RUDE, CALM):
            conv, _ = conv_service.create_conversation(
                s, ws.id, channel_id=channel.id, subject="物流咨询", assignee_id=agent.id
            )
            for sender, body in turns:
                uid = agent.id if sender == "agent" else None
                conv_service.post_message(
                    s, ws.id, conv_service.NewMessage(conv.id, sender, body, sender_user_id=uid)
                )
            conv_service.update_conversation(s, ws.id, conv.id, status="resolved")
            ids.append(conv.id)
        quality.inspect_conversations(s, ws.id, ids, CustomerEmotion(LexiconNegativity()))
        return ids[0]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    require_browser()
    tmp = tmp_path_factory.mktemp("e2e-quality")
    url = f"sqlite:///{tmp / 'liuke.db'}"
    upgrade(url)
    db = Database(url)
    try:
        rude = _seed(db)
        with run_server(url, tmp) as base_url:
            yield Seeded(base_url, rude)
    finally:
        db.dispose()


def test_supervisor_reviews_the_worst_conversation(seeded: Seeded, tmp_path: Path) -> None:
    _, expect = require_browser()
    base = seeded.base_url
    problems: list[str] = []
    shots: dict[str, bytes] = {}
    with signed_in_tab(base, SLUG, EMAIL, PASSWORD, "/quality", problems) as tab:
        # 1. the review queue leads with the angry customer's conversation
        assert tab.locator("h1").inner_text() == "质检"
        first = tab.locator("#inspections tbody tr").first
        assert f"#{seeded.rude_conversation}" in first.inner_text()
        assert "客户愤怒" in first.inner_text()
        expect(tab.locator("#bands-chart")).to_have_attribute("data-chart-ready", "true")
        shots["list"] = tab.screenshot(path=str(tmp_path / "quality-list.png"))

        # 2. the conversation, with the rude phrase highlighted where it was said
        first.locator("a").first.click()
        tab.wait_for_url(f"{base}/quality/inspections/*")
        mark = tab.locator('mark[data-rule="attitude"]')
        assert mark.inner_text() == "自己去查"
        assert tab.locator('.msg[data-seq="2"]').get_attribute("class").count("has-hit") == 1
        expect(tab.locator("#emotion-chart")).to_have_attribute("data-chart-ready", "true")
        score_before = int(tab.locator(".big-score").get_attribute("data-score"))
        shots["detail"] = tab.screenshot(path=str(tmp_path / "detail.png"), full_page=True)

        # 3. confirm the attitude finding, overturn the missing-greeting one
        rude_hit = tab.locator("li[data-hit]", has_text="服务态度").first
        greeting = tab.locator("li[data-hit]", has_text="缺少问候语").first
        rude_hit.locator('input[value="confirmed"]').check()
        greeting.locator('input[value="overturned"]').check()
        tab.click("#review-form button.button-primary")
        tab.wait_for_load_state()
        assert tab.locator("li[data-hit]", has_text="服务态度").first.get_attribute(
            "data-verdict"
        ) == ("confirmed")
        score_after = int(tab.locator(".big-score").get_attribute("data-score"))
        assert score_after == score_before + 5  # the overturned greeting no longer costs

        # 4. English on the same page
        tab.click(".lang-switch >> text=English")
        assert "Findings" in tab.locator("main").inner_text()
        tab.click(".lang-switch >> text=中文")

        # 5. the rule editor saves a new weight
        tab.goto(f"{base}/quality/rules")
        rule = tab.locator('section[data-rule="forbidden"]')
        rule.locator('input[name="weight"]').fill("20")
        rule.locator("button[type=submit]").click()
        tab.wait_for_url(f"{base}/quality/rules?saved=*")
        assert tab.locator('section[data-rule="forbidden"] input[name="weight"]').input_value() == (
            "20"
        )
        assert "100%" in tab.locator('section[data-rule="attitude"]').inner_text()

        # 6. the agent ranking and trend chart
        tab.goto(f"{base}/quality/agents")
        assert "客服小张" in tab.locator("#agents").inner_text()
        expect(tab.locator("#trend-chart")).to_have_attribute("data-chart-ready", "true")
        tab.set_viewport_size({"width": 390, "height": 844})
        shots["phone"] = tab.screenshot(path=str(tmp_path / "agents-phone.png"))
    for name, shot in shots.items():
        assert len(shot) > MIN_SCREENSHOT_BYTES, f"{name} screenshot looks blank"
    assert problems == []
