"""The analytics pages on the hand-computed fixture world (SQLite and PostgreSQL).

The figures are the ones ``test_query.py`` derives by hand; here they must reach the HTML, follow
the filters in the URL, and every table must export. Bad input is a page saying why (400), another
workspace's ids are 404, and people without ``analytics.read`` are refused.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liuke.analytics.catalogue import METRICS
from liuke.analytics.diagnosis import Finding
from liuke.analytics.pages import Fmt, View, _finding
from liuke.conversations.models import Message
from liuke.core.db import Database
from liuke.core.i18n import translate
from tests.analytics.fixture import Fixture, at, build
from tests.conftest import WorkspaceCtx

RANGE = "start=2026-11-02&end=2026-11-03"
PAGES = (
    "/analytics",
    "/analytics/funnel",
    "/analytics/trends",
    "/analytics/agents",
    "/analytics/sla",
)
FX_PASSWORD = "pw-123456"


@pytest.fixture(scope="module")
def fx(db: Database) -> Fixture:
    return build(db)


def _ctx(fx: Fixture, email: str | None = None) -> WorkspaceCtx:
    return WorkspaceCtx(fx.workspace_id, fx.slug, email or fx.admin_email, 0)


@pytest.fixture
def admin(client_for: Callable[..., TestClient], fx: Fixture) -> TestClient:
    return client_for(_ctx(fx), password=FX_PASSWORD)


def _get(c: TestClient, path: str, status: int = 200) -> str:
    r = c.get(path)
    assert r.status_code == status, (path, r.status_code, r.text[:2000])
    return r.text


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def kpi(page: str, metric: str) -> str:
    m = re.search(rf'data-metric="{metric}".*?<div class="kpi-value">(.*?)</div>', page, re.S)
    assert m, metric
    return html.unescape(m.group(1))


def element(page: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (up to the end of its table or list)."""
    m = re.search(rf'id="{element_id}".*?</(table|ol|ul|section)>', page, re.S)
    assert m, element_id
    return _text(m.group(0))


# --- every page, with the hand-computed figures -------------------------------------------------


def test_overview_shows_the_figures_and_their_changes(admin: TestClient) -> None:
    page = _get(admin, f"/analytics?{RANGE}")
    assert '<a class="nav-item is-active" href="/analytics"' in page
    assert kpi(page, "contacts") == "6"
    assert kpi(page, "receptions") == "5"
    assert kpi(page, "reply_rate") == "83.3%"
    assert kpi(page, "first_response_time") == "15分6秒"  # (2 + 20 + 3600 + 3) / 4 s
    assert kpi(page, "average_response_time") == "10分9秒"  # 4261 / 7 s
    assert kpi(page, "conversion_value") == "¥100.00"
    assert kpi(page, "transfers_per_conversation") == "0.20"
    # 6 contacts against 1 the period before: +500%, yet too few to be more than noise
    card = re.search(r'data-metric="contacts".*?(?=<div class="kpi"|</section>)', page, re.S)
    assert card is not None
    assert 'data-change="vs_previous" data-verdict="flat"' in card.group(0)
    assert "+500%" in card.group(0) and "无显著变化" in card.group(0)
    assert "2026-10-31 至 2026-11-01" in page  # the previous period it was compared with
    assert 'id="volume-chart" data-chart=' in page and 'id="speed-chart" data-chart=' in page
    assert "没有发现显著更差的环节" in page  # six conversations are too few to judge anyone


def test_filters_in_the_url_change_the_figures(admin: TestClient, fx: Fixture) -> None:
    assert kpi(_get(admin, f"/analytics?{RANGE}&channel_id={fx.email}"), "contacts") == "1"
    page = _get(admin, f"/analytics?{RANGE}&agent_id={fx.agent_a}")
    assert kpi(page, "contacts") == "2"  # conversations 1 and 4
    assert f'<option value="{fx.agent_a}" selected>' in page  # the form shows the view
    tabs = re.findall(r'href="([^"]+)" class="tab', page)
    assert all(f"agent_id={fx.agent_a}" in html.unescape(t) for t in tabs)
    assert kpi(_get(admin, f"/analytics?{RANGE}&tier=key_account"), "contacts") == "1"
    # a filter the form has no field for is kept and can be removed
    page = _get(admin, f"/analytics?{RANGE}&hour=10")
    assert kpi(page, "contacts") == "1"  # conversation 1 opened at 10:00
    assert 'data-filter="hour"' in page and '<input type="hidden" name="hour" value="10">' in page


def test_funnel_overall_and_side_by_side(admin: TestClient) -> None:
    page = _get(admin, f"/analytics/funnel?{RANGE}")
    steps = element(page, "funnel-steps")
    assert "进线 6 100.0%" in steps and "接待 5 83.3% 83.3% 1" in steps
    assert "下单 1 16.7% 50.0% 1" in steps
    assert 'id="funnel-chart" data-chart=' in page and "&#34;funnel&#34;" in page
    assert "网页咨询" in element(page, "funnel-sides") and "邮件" in element(page, "funnel-sides")
    by_agent = element(_get(admin, f"/analytics/funnel?{RANGE}&by=agent"), "funnel-sides")
    assert "客服甲" in by_agent and "客服乙" in by_agent and "未分配" in by_agent


def test_trends_pick_metrics_and_buckets(admin: TestClient) -> None:
    page = _get(admin, f"/analytics/trends?{RANGE}&metrics=contacts&metrics=reply_rate")
    table = element(page, "trend-table")
    assert "2026-11-02 2 100.0%" in table and "2026-11-03 4 75.0%" in table
    assert "合计 6 83.3%" in table
    assert 'id="trend-contacts"' in page and 'id="trend-reply_rate"' in page
    assert 'value="contacts" checked' in page and 'value="missed_rate" checked' not in page
    same = _get(admin, f"/analytics/trends?{RANGE}&metrics=contacts,reply_rate")
    assert element(same, "trend-table") == table  # the API's comma form works too
    weekly = element(
        _get(admin, f"/analytics/trends?{RANGE}&metrics=contacts&by=week"), "trend-table"
    )
    assert "2026-11-02 6" in weekly  # one ISO week, starting that Monday
    monthly = _get(admin, f"/analytics/trends?{RANGE}&metrics=contacts&by=month")
    assert "2026-11 6" in element(monthly, "trend-table")


def test_agent_scorecards_drill_down_to_transcripts(admin: TestClient, fx: Fixture) -> None:
    page = _get(admin, f"/analytics/agents?{RANGE}")
    cards = element(page, "scorecards")
    assert "客服甲" in cards and "客服乙" in cards
    assert f'href="/analytics/agents/{fx.agent_a}?start=2026-11-02&amp;end=2026-11-03"' in page

    drill = _get(admin, f"/analytics/agents/{fx.agent_a}?{RANGE}")
    assert "客服 客服甲" in drill
    listed = re.findall(r'data-conversation="(\d+)"', drill)
    assert listed == [str(fx.conv[4]), str(fx.conv[1])]  # newest first; 7 and 8 lie outside
    assert "1小时" in element(drill, "conversations")  # conversation 4: answered after an hour
    # chat channels only (email is judged on its own scope): conversation 1 waited 30 s
    assert "30秒" in element(drill, "agent-scorecard")

    transcript = _get(admin, f"/analytics/conversations/{fx.conv[1]}?{RANGE}")
    text = element(transcript, "transcript")
    assert "客户 · 2026-11-02 10:00:00 customer 10:00:00" in text  # China time
    assert "客服 客服甲 · 2026-11-02 10:00:41 · 间隔 30秒 agent 10:00:41" in text
    assert "机器人" in text
    assert f'href="/analytics/agents/{fx.agent_a}?' in transcript  # back to the agent


def test_transcript_escapes_what_customers_wrote(
    db: Database, client_for: Callable[..., TestClient]
) -> None:
    world = build(db)
    with db.session() as s:
        s.add(
            Message(
                workspace_id=world.workspace_id,
                conversation_id=world.conv[6],
                seq=3,
                sender_type="customer",
                body="<script>alert(1)</script>",
                created_at=at(3, "11:00:30"),
            )
        )
    c = client_for(_ctx(world), password=FX_PASSWORD)
    page = _get(c, f"/analytics/conversations/{world.conv[6]}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_sla_against_the_workspace_targets(admin: TestClient) -> None:
    page = _get(admin, f"/analytics/sla?{RANGE}")
    assert "首响 ≤ 5秒，平响 ≤ 55秒，回复率 ≥ 99.0%" in page
    assert kpi(page, "reply_rate") == "83.3%"
    assert re.search(r'data-metric="reply_rate" data-status="missed"', page)
    assert re.search(r'data-metric="first_response_time_median" data-status="met"', page)
    assert kpi(page, "first_response_time_median") == "3秒"
    assert kpi(page, "sla_first_response") == "50.0%"
    channels = element(page, "sla-channels")
    assert "网页咨询 80.0% 66.7% 100.0%" in channels and "邮件 100.0% 0.0% 0.0% 1小时" in channels
    assert page.count("data-chart=") == 4  # three gauges and the channel bars


def test_english(admin: TestClient) -> None:
    page = _get(admin, f"/analytics?{RANGE}&lang=en")
    assert '<html lang="en">' in page
    assert "Contacts" in page and "no significant change" in page
    assert kpi(page, "first_response_time") == "15m 6s"
    assert "咨询量" not in page


# --- exports -------------------------------------------------------------------------------------


def _links(page: str, fmt: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(rf'href="([^"]+)" data-format="{fmt}"', page)]


def test_every_table_exports_with_the_page_session(admin: TestClient, fx: Fixture) -> None:
    seen = 0
    for path in (*PAGES, f"/analytics/agents/{fx.agent_a}"):
        page = _get(admin, f"{path}?{RANGE}&channel_id={fx.web}")
        csv_links, xlsx_links = _links(page, "csv"), _links(page, "xlsx")
        assert csv_links and len(csv_links) == len(xlsx_links), path
        for url in csv_links:
            assert "start=2026-11-02" in url and f"channel_id={fx.web}" in url, url
            r = admin.get(url)
            assert r.status_code == 200, (url, r.text[:500])
            assert r.headers["content-type"].startswith("text/csv")
            assert r.content.startswith("\ufeff".encode())
            seen += 1
        r = admin.get(xlsx_links[0])
        assert r.status_code == 200 and r.content[:2] == b"PK"
    assert seen >= 8
    overview = admin.get(_links(_get(admin, f"/analytics?{RANGE}"), "csv")[0]).text
    assert "咨询量" in overview and "合计,6" in overview
    drill = _get(admin, f"/analytics/agents/{fx.agent_a}?{RANGE}")
    rows = admin.get(_links(drill, "csv")[0]).text.splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == [str(fx.conv[4]), str(fx.conv[1])]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-11-05&end=2026-11-01", "结束日期 2026-11-01 早于开始日期 2026-11-05"),
        ("start=2026-13-01", "开始日期「2026-13-01」不是有效日期"),
        ("start=2020-01-01&end=2026-11-01", "时间范围最多"),
        ("channel_id=abc", "渠道应为数字编号，而不是「abc」"),
    ],
)
def test_bad_input_is_a_page_that_says_why(admin: TestClient, query: str, message: str) -> None:
    for path in PAGES:
        page = _get(admin, f"{path}?{query}", status=400)
        assert message in _text(page), path
        assert 'id="filters"' in page  # the form is there to fix it


def test_bad_page_choices_are_400(admin: TestClient) -> None:
    page = _get(admin, f"/analytics/trends?{RANGE}&metrics=contacts,nope", status=400)
    assert "未知指标：nope" in page
    many = ",".join(m.name for m in METRICS[:9])
    assert "一次最多选择 8 个指标" in _get(admin, f"/analytics/trends?metrics={many}", status=400)
    page = _get(admin, f"/analytics/trends?{RANGE}&by=hour", status=400)
    assert "不支持按「hour」分组" in page
    assert "不支持按「zzz」分组" in _get(admin, "/analytics/funnel?by=zzz", status=400)
    english = _get(admin, "/analytics?start=2026-11-05&end=2026-11-01&lang=en", status=400)
    assert "The range ends (2026-11-01) before it starts (2026-11-05)" in english


def test_another_workspaces_ids_are_not_found(
    fx: Fixture,
    make_workspace: Callable[..., WorkspaceCtx],
    client_for: Callable[..., TestClient],
) -> None:
    other = client_for(make_workspace("别家店"))
    for path in (
        f"/analytics/agents/{fx.agent_a}",
        f"/analytics/agents/{fx.agent_a}/export?format=csv",
        f"/analytics/conversations/{fx.conv[1]}",
        "/analytics/agents/999999999",
        "/analytics/agents/abc",
        "/analytics/conversations/abc",
    ):
        page = _get(other, f"{path}?{RANGE}", status=404)
        assert "未找到" in page and "客服甲" not in page and "customer 10:00" not in page


def test_people_without_analytics_read_are_refused(
    fx: Fixture, client_for: Callable[..., TestClient], anon_client: TestClient
) -> None:
    agent = client_for(_ctx(fx, f"a@{fx.slug}.test"), password=FX_PASSWORD)
    for path in (
        *PAGES,
        f"/analytics/agents/{fx.agent_a}",
        f"/analytics/conversations/{fx.conv[1]}",
    ):
        page = _get(agent, f"{path}?{RANGE}", status=403)
        assert "analytics.read" in page and "客服甲" not in page
        r = anon_client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert 'href="/analytics"' not in _get(agent, "/home")  # nor is it in their navigation


def test_empty_workspace_says_no_data(
    make_workspace: Callable[..., WorkspaceCtx], client_for: Callable[..., TestClient]
) -> None:
    c = client_for(make_workspace())
    for path in PAGES:
        page = _get(c, path)
        assert "暂无数据" in page, path
    assert kpi(_get(c, "/analytics"), "contacts") == "0"


# --- formatting and findings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (116, "1分56秒", "1m 56s"),
        (24.2, "24秒", "24s"),
        (2.5, "2.5秒", "2.5s"),
        (0, "0秒", "0s"),
        (60, "1分", "1m"),
        (3600, "1小时", "1h"),
        (3725, "1小时2分", "1h 2m"),
        (90061, "1天1小时", "1d 1h"),
        (None, "—", "—"),
    ],
)
def test_durations_read_like_people_say_them(seconds: float | None, zh: str, en: str) -> None:
    assert Fmt("zh_CN").duration(seconds) == zh
    assert Fmt("en").duration(seconds) == en


def test_figures_by_unit() -> None:
    fmt = Fmt("zh_CN")
    assert fmt.metric("reply_rate", 5 / 6) == "83.3%"
    assert fmt.metric("contacts", 14061) == "14,061"
    assert fmt.metric("conversion_value", 2200881.43) == "¥2,200,881.43"
    assert fmt.metric("transfers_per_conversation", 0.2) == "0.20"
    assert fmt.rate(3.840388) == "+384%" and fmt.rate(-0.1234) == "-12.3%" and fmt.rate(None) == "—"


def test_a_finding_is_a_sentence_linked_to_its_view() -> None:
    page: Any = SimpleNamespace(
        t=lambda key, **p: translate(key, "zh_CN", **p), fmt=Fmt("zh_CN"), locale="zh_CN"
    )
    view = View(date(2026, 10, 25), date(2026, 11, 21))
    slow = Finding(
        "live", "agent", 11, "罗一诺", "average_response_time", 116.2, 24.0, 3.840388, 1e-290, 2667
    )
    line = _finding(page, view, slow)
    assert line.sentence == "客服 罗一诺 的平均响应时长 1分56秒，其余团队 24秒（+384%）"
    assert line.url.startswith("/analytics?start=2026-10-25&end=2026-11-21")
    assert "agent_id=11" in line.url and "channel_kind=web" in line.url
    assert line.conversations_url == "/analytics/agents/11?start=2026-10-25&end=2026-11-21"
    evening = Finding("live", "hour", 21, "21", "missed_rate", 0.2, 0.01, 19.0, 1e-9, 300)
    sentence = _finding(page, view, evening).sentence
    assert sentence == "21:00–22:00 时段 的漏接率 20.0%，其余时段 1.0%（+1900%）"
    mail = Finding(
        "email", "tier", "key_account", "key_account", "resolution_time", 7200, 3600, 1, 1e-9, 40
    )
    line = _finding(page, view, mail)
    assert line.scope == "邮件" and line.sentence.startswith("重点客户 的解决时长（均值） 2小时")
    assert "tier=key_account" in line.url and "channel_kind=email" in line.url
    phone = Finding("phone", "hour", 22, "22", "missed_rate", 0.2, 0.01, 19.0, 1e-9, 300)
    assert _finding(page, view, phone).scope == "电话"
    assert _finding(page, view, slow).scope is None
