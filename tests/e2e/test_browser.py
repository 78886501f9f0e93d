"""One real browser against a real server: redirect, log in, live counts, language switch.

Drives Debian's Chromium (``/usr/bin/chromium``) through Playwright for Python; Playwright's own
browser download does not work here. Without Chromium, Playwright or the CJK fonts the test
skips loudly, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from liuke.conversations import service as conv_service
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.customers import service as cust_service
from liuke.reports.pdf import CHROMIUM_ARGS as PDF_CHROMIUM_ARGS
from liuke.web.vendor import REPO_ROOT
from liuke.workspaces import service as ws_service
from tests.e2e.server import run_server

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path("/usr/bin/chromium")
# the flags the PDF reports start Chromium with (no network chatter on a closed machine)
CHROMIUM_ARGS = PDF_CHROMIUM_ARGS
HTMX = REPO_ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
SLUG = "xinghe-digital"
EMAIL = "lead@xinghe.test"
PASSWORD = "correct-horse-9"
MIN_SCREENSHOT_BYTES = 10_000


def unavailable(what: str) -> None:
    """Skip loudly outside CI; fail in CI, where the browser set-up must be there."""
    message = f"{what}; the browser test did NOT run"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_browser() -> tuple[Any, Any]:
    """Return Playwright's ``sync_playwright`` and ``expect`` once every prerequisite is present."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        unavailable(
            "playwright is not installed (pip install playwright; never `playwright install`)"
        )
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} missing (apt-get install -y chromium)")
    fc_list = shutil.which("fc-list")
    if (
        fc_list is None
        or not subprocess.run(
            [fc_list, ":lang=zh"], capture_output=True, text=True, check=False
        ).stdout.strip()
    ):
        unavailable(
            "no CJK font, Chinese would render as boxes (apt-get install -y fonts-noto-cjk)"
        )
    if not HTMX.is_file():
        unavailable(f"{HTMX} missing (run `npm install` at the repo root)")
    return sync_playwright, expect


@pytest.fixture(scope="module")
def playwright_api() -> tuple[Any, Any]:
    """Checked before the server starts, so a missing browser costs nothing."""
    return require_browser()


@dataclass
class LiveServer:
    base_url: str
    db: Database
    workspace_id: int


def _seed(db: Database) -> int:
    with db.session() as s:
        ws = ws_service.create_workspace(s, SLUG, "星河数码旗舰店")
        ws_service.create_user(s, ws.id, EMAIL, "店长李娜", PASSWORD, "admin")
        ws_service.create_user(s, ws.id, "agent@xinghe.test", "客服小王", PASSWORD, "agent")
        channel = conv_service.channel_by_kind(s, ws.id, "web")
        for i, status in enumerate(("open", "open", "pending", "resolved", "closed")):
            conv, _ = conv_service.create_conversation(
                s, ws.id, channel_id=channel.id, subject=f"订单咨询 {i}"
            )
            conv_service.post_message(
                s, ws.id, conv_service.NewMessage(conv.id, "customer", "你好，我的订单还没发货")
            )
            if status != "open":
                conv_service.update_conversation(s, ws.id, conv.id, status=status)
        cust_service.resolve_customer(
            s, ws.id, phone="13800138000", name="张先生", tier="key_account"
        )
        cust_service.resolve_customer(s, ws.id, phone="13900139000", name="陈女士")
        return ws.id


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn in a subprocess on a socket we bound ourselves (no free-port race)."""
    tmp = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{tmp / 'liuke.db'}"
    upgrade(url)
    db = Database(url)
    workspace_id = _seed(db)
    try:
        with run_server(url, tmp) as base_url:
            yield LiveServer(base_url, db, workspace_id)
    finally:
        db.dispose()


def _stat(page: Any, key: str) -> str:
    value: str = page.locator(f'[data-stat="{key}"]').get_attribute("data-value")
    return value


def test_login_home_live_counts_and_language_switch(
    playwright_api: tuple[Any, Any], live_server: LiveServer, tmp_path: Path
) -> None:
    sync_playwright, expect = playwright_api
    base = live_server.base_url
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on(
                "response",
                lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
            )
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"console: {msg.text}") if msg.type == "error" else None
                ),
            )

            # 1. / sends an anonymous visitor to the (Chinese) login form
            page.goto(f"{base}/")
            page.wait_for_url(f"{base}/login")
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            assert "登录" in page.title()
            login_shot = page.screenshot(path=str(tmp_path / "login-zh.png"))

            # 2. log in; the home page shows this workspace's counts, in Chinese
            page.fill("#workspace", SLUG)
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/home")
            assert page.locator("h1").inner_text() == "工作台"
            assert page.locator(".workspace-name").inner_text() == "星河数码旗舰店"
            assert page.locator(".user-name").inner_text() == "店长李娜"
            assert _stat(page, "open") == "2"
            assert _stat(page, "pending") == "1"
            assert _stat(page, "messages_today") == "5"
            assert _stat(page, "key_accounts") == "1"
            assert "进行中" in page.locator("#counts").inner_text()
            assert page.locator('[data-nav="conversations"]').inner_text().endswith("即将推出")

            # 3. HTMX polls the counts: a conversation created elsewhere shows up by itself
            with live_server.db.session() as s:
                ws_id = live_server.workspace_id
                channel = conv_service.channel_by_kind(s, ws_id, "web")
                conv_service.create_conversation(s, ws_id, channel_id=channel.id, subject="新咨询")
            # (locator polling, not wait_for_function: our CSP rightly forbids eval)
            expect(page.locator('[data-stat="open"]')).to_have_attribute(
                "data-value", "3", timeout=15_000
            )
            zh_shot = page.screenshot(path=str(tmp_path / "home-zh.png"), full_page=True)

            # 4. switch to English and stay on the same page
            page.click(".lang-switch >> text=English")
            page.wait_for_url(f"{base}/home")
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.locator("h1").inner_text() == "Home"
            counts_text = page.locator("#counts").inner_text()
            assert "Conversations by status" in counts_text and "Key accounts" in counts_text
            assert "coming soon" in page.locator(".sidenav").inner_text()
            en_shot = page.screenshot(path=str(tmp_path / "home-en.png"), full_page=True)

            # 5. a phone-sized screen still shows the figures
            page.set_viewport_size({"width": 390, "height": 844})
            phone_shot = page.screenshot(path=str(tmp_path / "home-phone.png"), full_page=True)
            assert page.locator('[data-stat="open"]').is_visible()

            # 6. log out: back at the login form, and /home is closed again
            page.click("form.logout button")
            page.wait_for_url(f"{base}/login")
            page.goto(f"{base}/home")
            page.wait_for_url(f"{base}/login?next=/home")
        finally:
            browser.close()

    shots = {"login": login_shot, "zh": zh_shot, "en": en_shot, "phone": phone_shot}
    for name, shot in shots.items():
        assert len(shot) > MIN_SCREENSHOT_BYTES, f"{name} screenshot looks blank ({len(shot)} B)"
        assert shot.startswith(b"\x89PNG"), name
    assert problems == []
