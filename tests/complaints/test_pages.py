"""The complaint pages over HTTP on a small world (SQLite and PostgreSQL).

Two product lines sell every day for 40 days; eight screen complaints about phones arrive
yesterday, on top of a quiet month, so detection raises alerts. Pages must render in Chinese by
default and in English, embed their charts, move cases through the forms, refuse bad input with
the reason, hide and refuse manager actions from agents, read another workspace's ids as 404,
export the daily warning as XLSX and e-mail it through a real SMTP server.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient

from liuke.app import create_app
from liuke.commerce import service as commerce
from liuke.complaints import service, spc
from liuke.complaints.models import Case
from liuke.core.config import Settings
from liuke.core.db import Database
from liuke.customers import service as customers
from liuke.workspaces import service as ws_service
from liuke.workspaces.models import Workspace
from tests.conftest import PASSWORD, WorkspaceCtx
from tests.smtp import Server

ZONE = ZoneInfo("Asia/Shanghai")
SPIKE = 8  # above the default minimum excess of 5 complaints an alert needs
PAGES = (
    "/complaints",
    "/complaints/cases",
    "/complaints/charts",
    "/complaints/alerts",
    "/complaints/pareto",
    "/complaints/recovery",
    "/complaints/requests",
    "/complaints/review",
    "/complaints/warning",
)


def local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


def yesterday() -> date:
    return datetime.now(ZONE).date() - timedelta(days=1)


@dataclass
class World:
    ctx: WorkspaceCtx
    phone: int
    tv: int
    day: date
    spike: list[int] = field(default_factory=list)
    quiet: int = 0
    key_customer: int = 0


def build(
    db: Database,
    make_workspace: Callable[..., WorkspaceCtx],
    *,
    sales: bool = True,
    detect: bool = True,
    line_name: str = "手机",
) -> World:
    ctx = make_workspace()
    day = yesterday()
    with db.session() as s:
        phone = commerce.create_product_line(s, ctx.id, "phone", line_name, "手机事业部").id
        tv = commerce.create_product_line(s, ctx.id, "tv", "电视").id
        if sales:
            for i in range(40):
                d = day - timedelta(days=i)
                commerce.set_daily_sales(s, ctx.id, phone, d, 2000, 2000, Decimal("100000"))
                commerce.set_daily_sales(s, ctx.id, tv, d, 1000, 1000, Decimal("50000"))
        vip = customers.resolve_customer(
            s, ctx.id, phone="13800000001", name="王女士", tier="key_account"
        ).customer.id
        world = World(ctx, phone, tv, day, key_customer=vip)

        def case(title: str, when: date, **kw: Any) -> int:
            c, _ = service.create_case(
                s,
                ctx.id,
                service.Intake(title=title, received_at=local(when), channel_kind="web", **kw),
                actor_id=ctx.admin_id,
            )
            return c.id

        for i in range(SPIKE):
            world.spike.append(
                case(
                    f"手机屏幕闪烁 {i}",
                    day,
                    description="新买的手机屏幕一直闪烁",
                    category="product_quality",
                    product_line_id=phone,
                    subcategory="屏幕",
                    customer_id=vip if i == 0 else None,
                )
            )
        world.quiet = case(
            "电视退货政策不合理",
            day - timedelta(days=10),
            category="service_policy",
            product_line_id=tv,
        )
        for text in ("希望支持花呗分期付款", "能不能支持花呗分期付款"):
            case(text, day - timedelta(days=3), kind="suggestion", category="other")
        if detect:
            spc.detect(s, ctx.id, day)
    return world


@pytest.fixture
def world(db: Database, make_workspace: Callable[..., WorkspaceCtx]) -> World:
    return build(db, make_workspace)


@pytest.fixture
def admin(client_for: Callable[..., TestClient], world: World) -> TestClient:
    return client_for(world.ctx)


def add_user(db: Database, ctx: WorkspaceCtx, role: str, name: str) -> WorkspaceCtx:
    email_ = f"{role}-{name}@{ctx.slug}.test"
    with db.session() as s:
        user = ws_service.create_user(s, ctx.id, email_, name, PASSWORD, role)
        return WorkspaceCtx(ctx.id, ctx.slug, email_, user.id)


def get(c: TestClient, path: str, status: int = 200) -> str:
    r = c.get(path)
    assert r.status_code == status, (path, r.status_code, r.text[:3000])
    return r.text


def post(c: TestClient, path: str, data: dict[str, str], status: int = 303) -> Any:
    r = c.post(path, data=data, follow_redirects=False)
    assert r.status_code == status, (path, r.status_code, r.text[:3000])
    return r


def text_of(page: str, element_id: str, end: str = "table|ol|ul|section|p|form|dd") -> str:
    """The text of the element with ``element_id``, up to the first closing ``end`` tag."""
    m = re.search(rf'id="{element_id}".*?</({end})>', page, re.S)
    assert m, element_id
    inner = html.unescape(re.sub(r"<[^>]+>", " ", m.group(0)))
    return re.sub(r"\s+", " ", inner).strip()


def chart(page: str, element_id: str) -> dict[str, Any]:
    m = re.search(rf'id="{element_id}" data-chart="([^"]*)"', page)
    assert m, element_id
    option: dict[str, Any] = json.loads(html.unescape(m.group(1)))
    return option


# --- every page, both languages ------------------------------------------------------------


def test_every_page_renders_in_chinese_and_in_english(admin: TestClient, world: World) -> None:
    alert = first_alert_for(admin, world)
    paths = [
        *PAGES,
        f"/complaints/cases/{world.spike[0]}",
        f"/complaints/alerts/{alert}",
    ]
    for path in paths:
        page = get(admin, path)
        assert '<html lang="zh-CN">' in page, path
        assert "投诉" in page and 'data-nav="complaints"' in page, path
        english = get(admin, path + ("&" if "?" in path else "?") + "lang=en")
        assert '<html lang="en">' in english, path
        assert "Complaints" in english, path
        assert "投诉管理" not in english, path
    overview = get(admin, "/complaints")
    assert "投诉件数" in overview and "沉默不满客户" in overview and "估计方法" in overview
    english = get(admin, "/complaints?lang=en")
    assert "Silent unhappy (estimate)" in english and "Classification grid" in english
    assert "Ratio estimate" in english
    cases = get(admin, "/complaints/cases?lang=en")
    assert "New case" in cases and "Product quality" in cases and "Overdue only" in cases


def first_alert_for(c: TestClient, world: World) -> int:
    page = get(c, "/complaints/alerts?dimension=product_line")
    ids = re.findall(r'data-alert="(\d+)"', page)
    assert ids, "detection raised no product-line alert"
    return int(ids[0])


def test_overview_figures_heat_map_and_alerts(admin: TestClient, world: World) -> None:
    page = get(admin, "/complaints")
    assert re.search(r'data-kpi="complaints" data-value="9"', page)  # 8 + the quiet one
    # past due (48 hours): the quiet complaint and the two suggestions, not yesterday's
    assert re.search(r'data-kpi="overdue" data-value="3"', page)
    assert 'data-kpi="alerts" data-value="0"' not in page
    heat = chart(page, "heat-chart")
    assert heat["animation"] is False
    assert heat["series"][0]["type"] == "heatmap"
    assert heat["yAxis"]["data"] == ["手机", "电视", "未知产品线"]
    assert heat["xAxis"]["data"] == ["产品质量", "服务政策", "工作质量", "其他"]
    cells = {tuple(d["value"][:2]): d for d in heat["series"][0]["data"]}
    assert cells[(0, 0)]["value"][2] == 8
    # 8 complaints over 30 days x 2,000 orders: 1.33 per 10,000
    assert "8 件" in cells[(0, 0)]["name"] and "每万单 1.33" in cells[(0, 0)]["name"]
    assert cells[(1, 1)]["value"][2] == 1
    pareto = chart(page, "pareto-chart")
    assert pareto["series"][0]["data"][0] == 8
    assert pareto["series"][1]["markLine"]["data"] == [{"yAxis": 80}]
    assert "产品质量 × 手机" in pareto["xAxis"]["data"]
    alerts = text_of(page, "active-alerts")
    assert "手机" in alerts and "规则1" in alerts and "手机事业部" in alerts
    # the filters narrow the grid only
    web_only = chart(get(admin, "/complaints?channel=phone"), "heat-chart")
    assert all(d["value"][2] == 0 for d in web_only["series"][0]["data"])
    vip = chart(get(admin, "/complaints?tier=key_account"), "heat-chart")
    assert sum(d["value"][2] for d in vip["series"][0]["data"]) == 1


def test_bad_dates_and_choices_are_explained(admin: TestClient) -> None:
    page = get(admin, "/complaints?start=2026-13-01", status=400)
    assert "开始日期不是有效日期：2026-13-01" in page
    page = get(admin, "/complaints/pareto?start=2026-03-05&end=2026-03-01", status=400)
    assert "早于开始日期" in page
    page = get(admin, "/complaints/pareto?by=colour&lang=en", status=400)
    assert "colour is not one of" in page
    page = get(admin, "/complaints/cases?owner=abc", status=400)
    assert "负责人应为编号" in page
    assert "2026" in get(admin, "/complaints/pareto?start=2026-03-01&end=2026-03-05")


# --- cases ---------------------------------------------------------------------------------


def test_case_from_form_to_recovery(admin: TestClient, world: World) -> None:
    r = post(
        admin,
        "/complaints/cases",
        {
            "kind": "complaint",
            "title": "<script>alert(1)</script> 客服态度差",
            "description": "客服说话很不耐烦，还挂了我电话",
            "customer_id": str(world.key_customer),
            "category": "",
            "product_line": "",
            "severity": "high",
        },
    )
    case_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = get(admin, r.headers["location"])
    assert f"C{case_id:06d}" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert 'data-confirmed="false"' in page  # the classifier only suggested
    assert "王女士" in text_of(page, "fields", "section") and "重点客户" in text_of(
        page, "fields", "section"
    )
    assert "创建工单" in text_of(page, "timeline")
    # the list shows it (escaped) and filters find it
    listed = get(admin, "/complaints/cases?severity=high&tier=key_account&q=客服态度")
    assert f'data-case="{case_id}"' in listed and "<script>alert(1)" not in listed

    # status: only the allowed next statuses are offered
    statuses = re.findall(r'<select name="status" id="status-select">(.*?)</select>', page, re.S)
    assert re.findall(r'value="(\w+)"', statuses[0]) == ["in_progress", "resolved"]
    post(admin, f"/complaints/cases/{case_id}/status", {"status": "in_progress"})
    refused = post(admin, f"/complaints/cases/{case_id}/status", {"status": "resolved"}, status=400)
    assert "say how the complaint was resolved" in refused.text
    post(
        admin,
        f"/complaints/cases/{case_id}/status",
        {"status": "resolved", "resolution": "致歉并安排主管回访"},
    )
    page = get(admin, f"/complaints/cases/{case_id}")
    assert 'data-field="status" data-value="resolved"' in page
    assert "处理中 → 已解决" in text_of(page, "timeline")

    # classify: a person corrects the cell
    post(
        admin,
        f"/complaints/cases/{case_id}/classify",
        {"category": "work_quality", "product_line": str(world.tv), "subcategory": "态度"},
    )
    page = get(admin, f"/complaints/cases/{case_id}")
    assert 'data-confirmed="true"' in page
    fields = text_of(page, "fields", "section")
    assert "工作质量" in fields and "电视" in fields and "态度" in fields

    # a recovery record, then its outcome
    post(
        admin,
        f"/complaints/cases/{case_id}/recovery",
        {
            "root_cause": "person",
            "action": "compensation",
            "cost": "50",
            "outcome": "pending",
            "cause_detail": "态度",
            "note": "送 50 元券",
        },
    )
    page = get(admin, f"/complaints/cases/{case_id}")
    records = text_of(page, "recovery-records")
    assert "人员" in records and "补偿" in records and "¥50.00" in records
    rec = re.search(r'data-recovery="(\d+)" data-outcome="pending"', page)
    assert rec is not None
    post(admin, f"/complaints/recovery/{rec.group(1)}/outcome", {"outcome": "recovered"})
    log = get(admin, "/complaints/recovery?outcome=recovered")
    assert f"C{case_id:06d}" in log and "挽回率 100.0%" in html.unescape(log)
    bad = post(
        admin,
        f"/complaints/cases/{case_id}/recovery",
        {"root_cause": "person", "action": "refund", "cost": "lots"},
        status=400,
    )
    assert "cost must be a number" in bad.text


def test_reassigning_needs_a_reason(db: Database, admin: TestClient, world: World) -> None:
    other = add_user(db, world.ctx, "agent", "客服乙")
    case_id = world.spike[1]
    post(admin, f"/complaints/cases/{case_id}/assign", {"owner": str(world.ctx.admin_id)})
    r = post(
        admin,
        f"/complaints/cases/{case_id}/assign",
        {"owner": str(other.admin_id), "reason": " "},
        status=400,
    )
    assert "say why it must change hands" in r.text and 'id="error"' in r.text
    page = get(admin, f"/complaints/cases/{case_id}")
    assert 'data-field="reassign_count">0<' in page  # the refused change was not kept
    post(
        admin,
        f"/complaints/cases/{case_id}/assign",
        {"owner": str(other.admin_id), "reason": "需要电视组处理"},
    )
    page = get(admin, f"/complaints/cases/{case_id}")
    assert 'data-field="reassign_count">1<' in page
    assert 'data-field="owner">客服乙<' in page
    assert "需要电视组处理" in text_of(page, "timeline") and "管理员 → 客服乙" in page
    post(admin, f"/complaints/cases/{case_id}/note", {"body": "已电话联系客户"})
    assert "已电话联系客户" in text_of(get(admin, f"/complaints/cases/{case_id}"), "timeline")


def test_merge_and_link_through_the_forms(admin: TestClient, world: World) -> None:
    target, dup, child = world.spike[0], world.spike[2], world.spike[3]
    post(admin, f"/complaints/cases/{target}/merge", {"ids": f"C{dup:06d}"})
    post(admin, f"/complaints/cases/{target}/link", {"ids": f"{child}"})
    page = get(admin, f"/complaints/cases/{target}")
    assert f"C{dup:06d}" in text_of(page, "duplicates")
    assert f"C{child:06d}" in text_of(page, "children")
    timeline = text_of(page, "timeline")
    assert f"来自重复工单 C{dup:06d}" in timeline  # the duplicate's history shows here
    merged = get(admin, f"/complaints/cases/{dup}")
    assert 'id="merged-into"' in merged and 'id="status-form"' not in merged
    bad = post(admin, f"/complaints/cases/{target}/link", {"ids": "abc"}, status=400)
    assert "C000012" in bad.text
    post(admin, f"/complaints/cases/{child}/unlink", {})
    assert 'id="children"' not in get(admin, f"/complaints/cases/{target}")


def test_other_workspaces_ids_are_not_found(
    db: Database,
    make_workspace: Callable[..., WorkspaceCtx],
    client_for: Callable[..., TestClient],
    world: World,
) -> None:
    other = build(db, make_workspace, sales=False, detect=True)
    c = client_for(world.ctx)
    page = get(c, f"/complaints/cases/{other.spike[0]}", status=404)
    assert "未找到该工单" in page
    assert "手机屏幕闪烁" not in page
    get(c, "/complaints/cases/abc", status=404)
    get(c, "/complaints/cases/99999999999", status=404)
    with db.session() as s:
        foreign_alert = s.scalar(spc.alert_query(other.ctx.id).limit(1))
        assert foreign_alert is not None
        foreign_alert_id = foreign_alert.id
    assert "未找到该投诉预警" in get(c, f"/complaints/alerts/{foreign_alert_id}", status=404)
    post(c, f"/complaints/cases/{other.spike[0]}/note", {"body": "x"}, status=404)
    post(c, f"/complaints/cases/{world.spike[0]}/merge", {"ids": str(other.spike[1])}, 404)
    with db.session() as s:
        assert s.get(Case, other.spike[1]).merged_into_id is None  # type: ignore[union-attr]


# --- charts and alerts ---------------------------------------------------------------------


def test_control_charts_embed_limits_alerts_and_gaps(admin: TestClient, world: World) -> None:
    page = get(admin, "/complaints/charts")
    assert page.count("data-chart=") == 2  # one per product line
    key = f"product_line:product_line_id={world.phone}"
    one = get(admin, f"/complaints/charts?dimension=product_line&cell={key}")
    assert one.count("data-chart=") == 1
    option = chart(one, "chart-0")
    assert option["animation"] is False
    names = [s["name"] for s in option["series"]]
    assert names[:4] == ["每万单投诉", "中心线", "控制上限 UCL", "控制下限 LCL"]
    pins = option["series"][0]["markPoint"]["data"]
    assert pins and pins[-1]["coord"][0] == world.day.isoformat() and pins[-1]["value"] == 8
    assert "规则1" in pins[-1]["name"]
    # the days before sales were recorded are gaps, their reason in the tooltip
    rates = option["series"][0]["data"]
    assert rates[0] is None and rates[-1] is not None
    missing = option["series"][-1]
    assert missing["type"] == "scatter" and "当天没有销量数据" in missing["data"][0]["name"]
    assert "(c chart)" not in one and 'data-note="c"' not in one
    get(admin, "/complaints/charts?dimension=product_line&cell=nope", status=400)
    for dim in ("category", "customer_tier", "channel_kind", "cell"):
        assert "data-chart=" in get(admin, f"/complaints/charts?dimension={dim}")


def test_without_sales_volume_the_chart_says_c_chart(
    db: Database, make_workspace: Callable[..., WorkspaceCtx], client_for: Callable[..., TestClient]
) -> None:
    plain = build(db, make_workspace, sales=False, detect=False)
    c = client_for(plain.ctx)
    page = get(c, "/complaints/charts")
    assert "没有销量数据：按每日投诉件数绘制（c 控制图）" in page
    option = chart(page, "chart-0")
    assert option["series"][0]["name"] == "投诉件数"
    english = get(c, "/complaints/charts?lang=en")
    assert "No sales volume recorded: plain daily counts (c chart)" in english


def test_detection_button_and_alert_handling(
    db: Database, make_workspace: Callable[..., WorkspaceCtx], client_for: Callable[..., TestClient]
) -> None:
    w = build(db, make_workspace, detect=False)
    c = client_for(w.ctx)
    assert "没有预警" in get(c, "/complaints/alerts")
    r = post(c, "/complaints/alerts/detect", {})
    assert r.headers["location"].startswith("/complaints/alerts?raised=")
    raised = int(re.search(r"raised=(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    assert raised >= 2  # at least the phone line and its category
    page = get(c, r.headers["location"])
    assert f"新增 {raised} 个预警" in text_of(page, "detected")
    again = post(c, "/complaints/alerts/detect", {})
    assert "raised=0" in again.headers["location"]  # idempotent on cell and first day

    alert_id = first_alert_for(c, w)
    page = get(c, f"/complaints/alerts/{alert_id}")
    assert "手机" in page and "手机事业部" in page
    rules = text_of(page, "rules")
    assert "单点超出 3σ" in rules
    observed = text_of(page, "observed")
    assert "实际 8 件" in observed
    assert f"C{w.spike[0]:06d}" in text_of(page, "samples")
    assert "屏幕" in text_of(page, "subcategories")
    evidence = chart(page, "evidence-chart")
    assert evidence["series"][0]["markPoint"]["data"]
    english = get(c, f"/complaints/alerts/{alert_id}?lang=en")
    assert "One point beyond 3σ" in english and "Observed 8" in english

    refused = post(c, f"/complaints/alerts/{alert_id}/status", {"status": "closed"}, status=400)
    assert "say what was done about the cause" in refused.text
    post(
        c,
        f"/complaints/alerts/{alert_id}/status",
        {"status": "acknowledged", "department": "质量部"},
    )
    page = get(c, f"/complaints/alerts/{alert_id}")
    assert 'data-value="acknowledged"' in page and 'data-field="department">质量部<' in page
    post(
        c,
        f"/complaints/alerts/{alert_id}/status",
        {"status": "closed", "resolution": "更换屏幕供应商批次"},
    )
    page = get(c, f"/complaints/alerts/{alert_id}")
    assert 'data-value="closed"' in page and "更换屏幕供应商批次" in page
    closed = get(c, "/complaints/alerts?status=closed")
    assert f'data-alert="{alert_id}"' in closed
    assert f'data-alert="{alert_id}"' not in get(c, "/complaints/alerts")


# --- analyses ------------------------------------------------------------------------------


def test_pareto_recovery_requests_and_review(
    db: Database, admin: TestClient, client_for: Callable[..., TestClient], world: World
) -> None:
    page = get(admin, "/complaints/pareto?by=product_line")
    option = chart(page, "pareto-chart")
    assert option["xAxis"]["data"][:2] == ["手机", "电视"]
    assert option["series"][1]["data"][0] == pytest.approx(88.9)
    assert "关键少数" in text_of(page, "pareto-table")
    assert "前 20% 客户" in text_of(page, "value-table")
    for by in ("category", "subcategory", "channel", "tier", "cell"):
        assert 'id="pareto-chart"' in get(admin, f"/complaints/pareto?by={by}")

    assert "每件已解决的投诉都有补救记录" in get(admin, "/complaints/recovery")
    requests = get(admin, "/complaints/requests")
    assert "共 2 条需求" in text_of(requests, "requests-summary")

    # the QA queue: a second manager classifies blind
    with db.session() as s:
        ws = s.get(Workspace, world.ctx.id)
        assert ws is not None
        ws.settings = {"complaints": {"review_share": 1.0}}
    case_id = world.spike[4]
    post(
        admin,
        f"/complaints/cases/{case_id}/classify",
        {"category": "product_quality", "product_line": str(world.phone)},
    )
    queue = get(admin, "/complaints/review")
    assert f'data-case="{case_id}"' in queue
    assert 'data-kpi="queued" data-value="1"' in queue
    assert "selected" not in re.search(  # blind: nothing preselected
        rf'id="review-{case_id}".*?</form>', queue, re.S
    ).group(0)  # type: ignore[union-attr]
    own = post(
        admin,
        f"/complaints/review/{case_id}",
        {"category": "product_quality", "product_line": str(world.phone)},
        status=400,
    )
    assert "a second review must be done by someone else" in own.text
    second = client_for(add_user(db, world.ctx, "manager", "主管"))
    post(
        second,
        f"/complaints/review/{case_id}",
        {"category": "product_quality", "product_line": str(world.phone)},
    )
    queue = get(second, "/complaints/review")
    assert 'data-kpi="reviewed" data-value="1"' in queue and "100.0%" in queue


# --- the daily warning ----------------------------------------------------------------------


def test_warning_page_and_xlsx(admin: TestClient, world: World) -> None:
    day = world.day.isoformat()
    page = get(admin, "/complaints/warning")
    assert f"投诉预警日报 {day}" in page
    assert re.search(rf'data-kpi="complaints" data-value="{SPIKE}"', page)
    assert re.search(r'data-kpi="key_accounts" data-value="1"', page)
    assert "手机 / 产品质量" in text_of(page, "hot-spots")
    assert f'href="/complaints/warning.xlsx?day={day}"' in page
    r = admin.get(f"/complaints/warning.xlsx?day={day}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = r.headers["content-disposition"]
    assert f'filename="complaint-warning-{day}.xlsx"' in disposition
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii() and unquote(encoded) == f"投诉预警日报_{day}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["概要", "预警", "热点", "超期工单"]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True)}
    assert summary["投诉件数"] == SPIKE
    english = admin.get(f"/complaints/warning.xlsx?day={day}&lang=en")
    assert openpyxl.load_workbook(io.BytesIO(english.content)).sheetnames == [
        "summary",
        "alerts",
        "hot spots",
        "overdue cases",
    ]
    assert "Daily complaint warning" in get(admin, f"/complaints/warning?day={day}&lang=en")
    assert "日期不是有效日期" in get(admin, "/complaints/warning?day=yesterday", status=400)
    get(admin, "/complaints/warning.xlsx?day=2026-02-30", status=400)


def login(c: TestClient, ctx: WorkspaceCtx) -> TestClient:
    r = c.post(
        "/api/v1/auth/login",
        json={"workspace": ctx.slug, "email": ctx.admin_email, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    return c


def test_warning_is_sent_by_email(
    db: Database, app_settings: Settings, smtp: Server, world: World
) -> None:
    settings = app_settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_timeout_s": 5.0}
    )
    with TestClient(create_app(settings, db)) as c:
        login(c, world.ctx)
        day = world.day.isoformat()
        # nobody configured and nobody given: a clear refusal, nothing sent
        r = post(c, "/complaints/warning/send", {"day": day, "recipients": ""}, status=400)
        assert 'id="send-error"' in r.text
        assert "no recipients: set complaints.recipients" in r.text
        assert smtp.handler.received == []

        r = post(
            c,
            "/complaints/warning/send",
            {"day": day, "recipients": "boss@acme.example, 质检 <qa@acme.example>"},
            status=200,
        )
        assert "已发送给：boss@acme.example, qa@acme.example" in text_of(r.text, "sent")
        [mail] = smtp.handler.received
        assert mail.rcpt_tos == ["boss@acme.example", "qa@acme.example"]
        message = mail.parsed()
        assert message["Subject"] == f"投诉预警日报 {day}"
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == f"投诉预警日报_{day}.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
        assert book.sheetnames == ["概要", "预警", "热点", "超期工单"]

        # the workspace's configured recipients when the field is left empty
        with db.session() as s:
            ws = s.get(Workspace, world.ctx.id)
            assert ws is not None
            ws.settings = {"complaints": {"recipients": ["team@acme.example"]}}
        r = post(c, "/complaints/warning/send", {"day": day, "recipients": ""}, status=200)
        assert "team@acme.example" in text_of(r.text, "sent")
        assert smtp.handler.received[-1].rcpt_tos == ["team@acme.example"]
        bad = post(c, "/complaints/warning/send", {"day": day, "recipients": "nobody"}, 400)
        assert "is not an e-mail address" in bad.text


def test_warning_without_a_mail_server_says_so(
    db: Database, app_settings: Settings, world: World
) -> None:
    with TestClient(create_app(app_settings, db)) as c:
        login(c, world.ctx)
        r = post(
            c,
            "/complaints/warning/send",
            {"day": world.day.isoformat(), "recipients": "boss@acme.example"},
            status=502,
        )
        assert "发送失败" in r.text and "mail is not configured" in r.text


# --- who may do what ------------------------------------------------------------------------


def test_agents_handle_cases_but_not_alerts(
    db: Database, client_for: Callable[..., TestClient], world: World
) -> None:
    agent = client_for(add_user(db, world.ctx, "agent", "客服甲"))
    alert_id = first_alert_for(agent, world)
    assert 'id="detect-form"' not in get(agent, "/complaints/alerts")
    assert 'id="alert-actions"' not in get(agent, f"/complaints/alerts/{alert_id}")
    warning_page = get(agent, "/complaints/warning")
    assert 'id="send-form"' not in warning_page and 'id="xlsx-link"' in warning_page
    overview = get(agent, "/complaints")
    assert 'data-tab="review"' not in overview
    assert "没有权限" in get(agent, "/complaints/review", status=403)
    post(agent, "/complaints/alerts/detect", {}, status=403)
    post(agent, f"/complaints/alerts/{alert_id}/status", {"status": "acknowledged"}, 403)
    post(agent, "/complaints/warning/send", {"recipients": "a@b.example"}, status=403)
    post(agent, f"/complaints/review/{world.spike[0]}", {"category": "other"}, status=403)
    # but cases are theirs to handle
    assert 'id="new-case-form"' in get(agent, "/complaints/cases")
    post(agent, f"/complaints/cases/{world.spike[0]}/note", {"body": "跟进中"})


def test_forms_refuse_cross_site_posts(admin: TestClient, world: World) -> None:
    r = admin.post(
        f"/complaints/cases/{world.spike[0]}/note",
        data={"body": "x"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "跨站请求被拒绝" in r.text


def test_pages_need_a_session(anon_client: TestClient) -> None:
    r = anon_client.get("/complaints/cases", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
