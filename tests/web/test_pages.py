"""The web shell over HTTP: login, redirects, CSRF, languages and live, tenant-scoped counts."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from liuke.app import create_app
from liuke.conversations import service as conv_service
from liuke.core.config import Settings
from liuke.core.db import Database
from liuke.customers import service as cust_service
from liuke.web import pages
from liuke.web.service import HomeCounts
from liuke.web.vendor import REPO_ROOT, VENDOR_FILES
from liuke.workspaces import service as ws_service
from liuke.workspaces.auth import SESSION_COOKIE
from tests.conftest import IN_CI, PASSWORD, WorkspaceCtx

EVIL = "https://evil.example"


def stats(html: str) -> dict[str, int]:
    """The counts a page shows, read from the data attributes the template writes."""
    return {k: int(v) for k, v in re.findall(r'data-stat="(\w+)" data-value="(\d+)"', html)}


def form(ws: WorkspaceCtx, password: str = PASSWORD, **extra: str) -> dict[str, str]:
    return {"workspace": ws.slug, "email": ws.admin_email, "password": password, **extra}


def add_conversations(db: Database, ws_id: int, n: int, status: str | None = None) -> list[int]:
    ids = []
    with db.session() as s:
        channel = conv_service.channel_by_kind(s, ws_id, "web")
        for i in range(n):
            conv, _ = conv_service.create_conversation(
                s, ws_id, channel_id=channel.id, subject=f"咨询 {i}"
            )
            if status is not None:
                conv_service.update_conversation(s, ws_id, conv.id, status=status)
            ids.append(conv.id)
    return ids


def add_messages(db: Database, ws_id: int, conversation_id: int, n: int) -> None:
    with db.session() as s:
        conv_service.post_messages(
            s,
            ws_id,
            [
                conv_service.NewMessage(conversation_id, "customer", f"你好，第 {i} 条")
                for i in range(n)
            ],
        )


# --- login page and languages ---------------------------------------------------------------


def test_login_page_is_chinese_by_default(anon_client: TestClient) -> None:
    r = anon_client.get("/login")
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.text
    assert "登录" in r.text and "工作区" in r.text
    assert 'name="workspace"' in r.text and 'name="password"' in r.text


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("query", {"params": {"lang": "en"}}),
        ("accept-language", {"headers": {"Accept-Language": "en-US,en;q=0.9"}}),
    ],
)
def test_login_page_in_english(
    anon_client: TestClient, how: str, kwargs: dict[str, dict[str, str]]
) -> None:
    r = anon_client.get("/login", **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 200, how
    assert '<html lang="en">' in r.text
    assert "Log in" in r.text and "Workspace" in r.text
    assert "登录" not in r.text


def test_login_page_in_english_from_cookie(anon_client: TestClient) -> None:
    anon_client.cookies.set("liuke_locale", "en")
    r = anon_client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in r.text and "Log in" in r.text


def test_language_switch_sets_cookie_and_redirects_locally(anon_client: TestClient) -> None:
    r = anon_client.get("/lang/en", params={"next": "/login?next=/home"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/home"
    cookie = r.headers["set-cookie"]
    assert "liuke_locale=en" in cookie and "Max-Age=31536000" in cookie
    assert "samesite=lax" in cookie.lower()
    assert '<html lang="en">' in anon_client.get("/login").text
    r = anon_client.get("/lang/zh_CN", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert '<html lang="zh-CN">' in anon_client.get("/login").text


@pytest.mark.parametrize(
    "target", [EVIL, "//evil.example", "/\\evil.example", "/\t/evil.example", "javascript:x"]
)
def test_language_switch_refuses_foreign_targets(anon_client: TestClient, target: str) -> None:
    r = anon_client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_language_switch_unknown_language(anon_client: TestClient) -> None:
    r = anon_client.get("/lang/fr", follow_redirects=False)
    assert r.status_code == 404
    assert "set-cookie" not in r.headers


def test_language_links_return_to_the_same_page(anon_client: TestClient) -> None:
    html = anon_client.get("/login", params={"next": "/home", "lang": "en"}).text
    # the link to Chinese comes back to /login?next=/home, without the lang= that would win
    assert 'href="/lang/zh_CN?next=%2Flogin%3Fnext%3D%252Fhome"' in html


# --- login / logout -------------------------------------------------------------------------


def test_wrong_password_rerenders_with_message(
    anon_client: TestClient, workspace: WorkspaceCtx
) -> None:
    r = anon_client.post("/login", data=form(workspace, "wrong-password"), follow_redirects=False)
    assert r.status_code == 401
    assert "工作区、邮箱或密码错误" in r.text
    assert f'value="{workspace.slug}"' in r.text and f'value="{workspace.admin_email}"' in r.text
    assert "wrong-password" not in r.text
    assert "set-cookie" not in r.headers
    assert SESSION_COOKIE not in anon_client.cookies


def test_wrong_password_message_in_english(
    anon_client: TestClient, workspace: WorkspaceCtx
) -> None:
    r = anon_client.post(
        "/login",
        data=form(workspace, "wrong-password"),
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 401
    assert "Wrong workspace, email or password" in r.text


def test_login_success_sets_session_cookie(
    anon_client: TestClient, workspace: WorkspaceCtx
) -> None:
    r = anon_client.post("/login", data=form(workspace), follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/home"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Max-Age=43200" in cookie and "Path=/" in cookie
    home = anon_client.get("/home", follow_redirects=False)
    assert home.status_code == 200
    assert "管理员" in home.text and "Test Shop" in home.text


def test_login_follows_a_local_next(anon_client: TestClient, workspace: WorkspaceCtx) -> None:
    r = anon_client.post(
        "/login", data=form(workspace, next="/home?tab=today"), follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/home?tab=today"


@pytest.mark.parametrize(
    "target", [EVIL, "//evil.example", "//evil.example/home", "/\\evil.example", "http:/x"]
)
def test_login_refuses_open_redirects(
    anon_client: TestClient, workspace: WorkspaceCtx, target: str
) -> None:
    r = anon_client.post("/login", data=form(workspace, next=target), follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/home"
    anon_client.cookies.clear()
    page = anon_client.get("/login", params={"next": target})
    assert 'name="next" value="/home"' in page.text  # the foreign target never reaches the form


def test_logged_in_visit_to_login_goes_home(
    client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    c = client_for(workspace)
    r = c.get("/login", params={"next": EVIL}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/home"


def test_logout_revokes_the_session(
    client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    c = client_for(workspace)
    token = c.cookies[SESSION_COOKIE]
    r = c.post("/logout", headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert SESSION_COOKIE not in c.cookies
    c.cookies.set(SESSION_COOKIE, token)  # replaying the old cookie must not work
    r = c.get("/home", follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/v1/me").status_code == 401


# --- CSRF ----------------------------------------------------------------------------------------


def test_cross_origin_logout_is_refused(
    client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    c = client_for(workspace)
    r = c.post("/logout", headers={"Origin": EVIL}, follow_redirects=False)
    assert r.status_code == 403
    assert "跨站请求被拒绝" in r.text
    assert c.get("/home", follow_redirects=False).status_code == 200  # still logged in


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Referer": f"{EVIL}/phish"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-site"},
    ],
)
def test_cross_site_login_is_refused(
    anon_client: TestClient, workspace: WorkspaceCtx, headers: dict[str, str]
) -> None:
    r = anon_client.post("/login", data=form(workspace), headers=headers, follow_redirects=False)
    assert r.status_code == 403
    assert "跨站请求被拒绝" in r.text
    assert "set-cookie" not in r.headers


def test_same_origin_login_is_accepted(anon_client: TestClient, workspace: WorkspaceCtx) -> None:
    r = anon_client.post(
        "/login",
        data=form(workspace),
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert r.status_code == 303


# --- redirects and headers ---------------------------------------------------------------------


def test_root_redirects(
    anon_client: TestClient, client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    r = anon_client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client_for(workspace).get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/home"


def test_anonymous_home_redirects_to_login(anon_client: TestClient) -> None:
    r = anon_client.get("/home", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/home"
    r = anon_client.get("/home/counts", follow_redirects=False)
    assert r.status_code == 303
    r = anon_client.get("/home/counts", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401
    assert r.headers["hx-redirect"] == "/login?next=/home"


def test_stale_cookie_is_treated_as_anonymous(anon_client: TestClient) -> None:
    anon_client.cookies.set(SESSION_COOKIE, "not-a-real-token")
    r = anon_client.get("/home", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_security_headers(client_for: Callable[..., TestClient], workspace: WorkspaceCtx) -> None:
    c = client_for(workspace)
    for path in ("/login", "/home", "/home/counts"):
        r = c.get(path, follow_redirects=False)
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"


# --- home and counts -----------------------------------------------------------------------------


def test_home_layout_and_navigation(
    client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    html = client_for(workspace).get("/home").text
    assert '<html lang="zh-CN">' in html
    assert "留客" in html and "liuke" in html and "Test Shop" in html and "管理员" in html
    assert '<a class="nav-item is-active" href="/home" aria-current="page"' in html
    for label in ("会话", "客户", "机器人与知识库", "投诉", "质检", "满意度与留存", "数据分析"):
        assert label in html
    assert "报表" in html and "设置" in html
    # every capability but home, customers, complaints, quality, satisfaction, analytics, reports
    assert html.count("即将推出") == 3
    assert 'href="/conversations"' not in html and 'href="/settings"' not in html  # no fake pages
    assert 'action="/logout"' in html
    assert 'hx-get="/home/counts"' in html and 'hx-trigger="every 5s"' in html


def test_home_in_english(client_for: Callable[..., TestClient], workspace: WorkspaceCtx) -> None:
    c = client_for(workspace)
    c.cookies.set("liuke_locale", "en")
    html = c.get("/home").text
    assert '<html lang="en">' in html
    for label in ("Home", "Conversations", "Bot &amp; knowledge", "Settings", "coming soon"):
        assert label in html
    assert "Conversations by status" in html and "Key accounts" in html
    assert "工作台" not in html
    fragment = c.get("/home/counts").text
    assert "Open" in fragment and "进行中" not in fragment


def test_navigation_follows_permissions(
    db: Database, client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    with db.session() as s:
        agent = ws_service.create_user(
            s, workspace.id, "agent@example.test", "小王", PASSWORD, "agent"
        )
    html = client_for(workspace, agent.email).get("/home").text
    navs = re.findall(r'data-nav="(\w+)"', html)
    assert navs == ["home", "conversations", "customers", "bot", "complaints", "satisfaction"]
    found = stats(html)
    assert "agents" in found and "open" in found and "customers" in found
    assert "pending_events" not in found  # agents lack events.read


def test_home_counts_match_the_data(
    db: Database, client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    open_ids = add_conversations(db, ws, 3)
    add_conversations(db, ws, 2, status="pending")
    add_conversations(db, ws, 1, status="resolved")
    add_conversations(db, ws, 1, status="closed")
    add_conversations(db, ws, 1, status="abandoned")
    add_messages(db, ws, open_ids[0], 4)
    with db.session() as s:
        cust_service.resolve_customer(s, ws, phone="13800138000", name="张三", tier="key_account")
        cust_service.resolve_customer(s, ws, phone="13900139000", name="李四")
        cust_service.resolve_customer(s, ws, email="wang@example.test", name="王五")
        ws_service.create_user(s, ws, "a1@example.test", "客服一", PASSWORD, "agent")
        gone = ws_service.create_user(s, ws, "a2@example.test", "客服二", PASSWORD, "agent")
        ws_service.update_user(s, ws, gone.id, is_active=False)

    c = client_for(workspace)
    found = stats(c.get("/home").text)
    assert {k: found[k] for k in ("open", "pending", "resolved", "closed", "abandoned")} == {
        "open": 3,
        "pending": 2,
        "resolved": 1,
        "closed": 1,
        "abandoned": 1,
    }
    assert found["conversations_today"] == 8
    assert found["messages_today"] == 4
    assert found["customers"] == 3
    assert found["key_accounts"] == 1
    assert found["agents"] == 2  # the admin and one active agent; the deactivated one is out
    assert found["pending_events"] > 0
    assert stats(c.get("/home/counts").text) == found

    before = found["pending_events"]
    add_conversations(db, ws, 1)  # emits exactly one conversation.created
    after = stats(c.get("/home/counts").text)
    assert after["open"] == 4 and after["conversations_today"] == 9
    assert after["pending_events"] == before + 1


def test_counts_never_include_another_workspace(
    db: Database,
    client_for: Callable[..., TestClient],
    make_workspace: Callable[..., WorkspaceCtx],
) -> None:
    a, b = make_workspace("店铺甲"), make_workspace("店铺乙")
    add_conversations(db, a.id, 1)
    client_a, client_b = client_for(a), client_for(b)
    before = stats(client_a.get("/home/counts").text)

    b_ids = add_conversations(db, b.id, 5)
    add_conversations(db, b.id, 2, status="resolved")
    add_messages(db, b.id, b_ids[0], 3)
    with db.session() as s:
        cust_service.resolve_customer(s, b.id, phone="13700137000", tier="key_account")
        ws_service.create_user(s, b.id, "b-agent@example.test", "乙客服", PASSWORD, "agent")

    assert stats(client_a.get("/home/counts").text) == before
    assert stats(client_a.get("/home").text) == before
    seen_b = stats(client_b.get("/home/counts").text)
    assert seen_b["open"] == 5 and seen_b["resolved"] == 2
    assert seen_b["messages_today"] == 3 and seen_b["key_accounts"] == 1
    assert "店铺乙" not in client_a.get("/home").text


def test_numbers_have_thousands_separators(
    monkeypatch: pytest.MonkeyPatch,
    client_for: Callable[..., TestClient],
    workspace: WorkspaceCtx,
) -> None:
    big = HomeCounts(
        by_status={"open": 12345, "pending": 0, "resolved": 1000, "closed": 7, "abandoned": 0},
        conversations_today=2500,
        messages_today=1234567,
        customers=98765,
        key_accounts=1200,
        agents=42,
        pending_events=0,
        as_of=datetime(2025, 3, 10, 9, 30, tzinfo=UTC),
    )
    monkeypatch.setattr(pages, "home_counts", lambda s, ws_id: big)
    c = client_for(workspace)
    html = c.get("/home").text
    for shown in ("12,345", "1,000", "1,234,567", "98,765", "1,200"):
        assert f"<dd>{shown}</dd>" in html
    assert "更新于 09:30:00" in html
    c.cookies.set("liuke_locale", "en")
    assert "<dd>1,234,567</dd>" in c.get("/home/counts").text


# --- static and vendor files ----------------------------------------------------------------------


def test_stylesheet_is_served(anon_client: TestClient) -> None:
    r = anon_client.get("/static/liuke.css")
    assert r.status_code == 200
    assert "Noto Sans CJK SC" in r.text


def test_vendor_files_are_served(anon_client: TestClient) -> None:
    missing = [
        rel for rel in VENDOR_FILES.values() if not (REPO_ROOT / "node_modules" / rel).is_file()
    ]
    if missing:
        message = f"node_modules lacks {missing}: run `npm install`; vendor tests did NOT run"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    for name in VENDOR_FILES:
        r = anon_client.get(f"/static/vendor/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"].startswith("text/javascript")
        assert r.headers["x-content-type-options"] == "nosniff"
    assert '<script src="/static/vendor/htmx.min.js" defer>' in anon_client.get("/login").text
    assert anon_client.get("/static/vendor/package.json").status_code == 404
    assert anon_client.get("/static/vendor/..%2Fpackage.json").status_code == 404


def test_pages_work_without_vendor_files(
    db: Database,
    tmp_path: Path,
    workspace: WorkspaceCtx,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        database_url=db.url, dispatch_in_process=False, static_vendor_dir=tmp_path / "absent"
    )
    with caplog.at_level(logging.WARNING, logger="liuke.web.vendor"):
        app = create_app(settings, db)
        with TestClient(app) as c:
            r = c.post("/login", data=form(workspace))
            assert r.status_code == 200 and r.url.path == "/home"
            assert "htmx.min.js" not in r.text
            assert "open" in stats(r.text)
            assert c.get("/home").status_code == 200
            assert c.get("/static/vendor/htmx.min.js").status_code == 404
    htmx_warnings = [rec for rec in caplog.records if "htmx.min.js" in rec.getMessage()]
    assert len(htmx_warnings) == 1
