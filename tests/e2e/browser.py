"""The browser tests' shared start: Chromium, a signed-in tab, and every error it meets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, require_browser


def watch(tab: Any, problems: list[str]) -> None:
    """Record page errors, console errors and HTTP answers >= 400 (the tests assert none)."""
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    tab.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )


@contextmanager
def signed_in_tab(
    base: str,
    workspace: str,
    email: str,
    password: str,
    landing: str,
    problems: list[str],
    *,
    width: int = 1280,
    height: int = 900,
    **context_options: Any,
) -> Iterator[Any]:
    """A Chinese headless Chromium tab, watched, signed in through the login form and landed
    on ``landing`` (path and query), as a person would arrive from a link."""
    sync_playwright, _ = require_browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="zh-CN", viewport={"width": width, "height": height}, **context_options
            )
            tab: Any = context.new_page()
            watch(tab, problems)
            tab.goto(f"{base}/login?next={quote(landing, safe='/')}")
            tab.fill("#workspace", workspace)
            tab.fill("#email", email)
            tab.fill("#password", password)
            tab.click("button[type=submit]")
            tab.wait_for_url(f"{base}{landing}")
            yield tab
        finally:
            browser.close()
