"""The complaints REST API: case flows, filters, permissions, settings, the daily warning (JSON,
XLSX, and e-mail to a real SMTP server), training, and the grid / Pareto / chart figures."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from liuke.app import create_app
from liuke.commerce.service import create_product_line, set_daily_sales
from liuke.complaints.models import Case
from liuke.core.config import Settings, get_settings
from liuke.core.db import Database
from liuke.core.events import EventDelivery, OutboxEvent
from tests.conftest import PASSWORD, WorkspaceCtx, drain_events
from tests.smtp import Handler, Server

V1 = "/api/v1"
C = f"{V1}/complaints"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)


@pytest.fixture(autouse=True)
def model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty model folder: suggestions come from the lexicon, whatever else was trained."""
    monkeypatch.setenv("LIUKE_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield tmp_path / "models"
    get_settings.cache_clear()


def noon(d: date) -> str:
    """12:00 in Shanghai (the test workspaces' time zone) as an ISO UTC time."""
    return datetime(d.year, d.month, d.day, 4, 0, tzinfo=UTC).isoformat()


def ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


def refused(r: Any, status: int, fragment: str) -> None:
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"]["message"], r.text


def new_case(c: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "手机屏幕裂了")
    return dict(ok(c.post(f"{C}/cases", json=body), 201))


def new_user(c: TestClient, email: str, role: str = "agent") -> int:
    roles = {r["name"]: r["id"] for r in ok(c.get(f"{V1}/roles"))}
    body = {"email": email, "name": email, "password": PASSWORD, "role_id": roles[role]}
    return int(ok(c.post(f"{V1}/users", json=body), 201)["id"])


def new_customer(c: TestClient, phone: str, **body: Any) -> int:
    return int(ok(c.post(f"{V1}/customers", json={"name": "客户", "phone": phone, **body}))["id"])


# --- the case flow ---------------------------------------------------------------------------


def test_a_case_from_intake_to_merge_and_links(
    client: TestClient, client_for: Callable[..., TestClient], make_workspace: Any
) -> None:
    buyer = new_customer(client, "13800000001")
    agent, other_agent = new_user(client, "a@flow.test"), new_user(client, "b@flow.test")
    case = new_case(
        client, title="屏幕碎了", description="刚收到就碎了", customer_id=buyer, severity="high",
        channel_kind="phone", received_at=noon(D1),
    )  # fmt: skip
    assert case["number"] == f"C{case['id']:06d}"
    assert re.fullmatch(r"C\d{6}", case["number"])
    assert (case["status"], case["customer_tier"], case["channel_kind"]) == (
        "acknowledged",
        "ordinary",
        "phone",
    )
    assert datetime.fromisoformat(case["due_at"]) == datetime.fromisoformat(noon(D2))  # high: 24 h
    detail = ok(client.get(f"{C}/cases/{case['id']}"))
    assert [e["kind"] for e in detail["timeline"]] == ["created", "acknowledged"]
    assert detail["timeline"][0]["body"] == "刚收到就碎了"
    assert detail["children"] == [] and detail["merged"] == []
    cid = case["id"]
    # status
    ok(client.post(f"{C}/cases/{cid}/status", json={"status": "in_progress"}))
    refused(
        client.post(f"{C}/cases/{cid}/status", json={"status": "resolved"}),
        400,
        "say how the complaint was resolved (resolution)",
    )
    refused(
        client.post(f"{C}/cases/{cid}/status", json={"status": "closed"}),
        400,
        "a in_progress case can move to: resolved (not closed)",
    )
    r = client.post(f"{C}/cases/{cid}/status", json={"status": "finished"})
    assert r.status_code == 422
    # ownership
    assigned = ok(client.post(f"{C}/cases/{cid}/assign", json={"owner_id": agent}))
    assert (assigned["owner_id"], assigned["first_owner_id"]) == (agent, agent)
    refused(
        client.post(f"{C}/cases/{cid}/assign", json={"owner_id": other_agent}),
        400,
        "say why it must change hands",
    )
    moved = ok(
        client.post(f"{C}/cases/{cid}/assign", json={"owner_id": other_agent, "reason": "夜班交接"})
    )
    assert (moved["owner_id"], moved["first_owner_id"], moved["reassign_count"]) == (
        other_agent,
        agent,
        1,
    )
    # entries and classification
    note = ok(client.post(f"{C}/cases/{cid}/entries", json={"kind": "note", "body": "已拍照"}))
    assert (note["kind"], note["body"], note["case_id"]) == ("note", "已拍照", cid)
    classified = ok(
        client.post(
            f"{C}/cases/{cid}/classify",
            json={"category": "product_quality", "subcategory": "屏幕"},
        )
    )
    assert (classified["category"], classified["category_confirmed"]) == ("product_quality", True)
    resolved = ok(
        client.post(f"{C}/cases/{cid}/status", json={"status": "resolved", "resolution": "换新"})
    )
    assert resolved["resolution"] == "换新" and resolved["resolved_at"] is not None
    # merge a duplicate from another channel
    dup = new_case(client, title="邮件：屏幕碎了", customer_id=buyer, source="email")
    ok(client.post(f"{C}/cases/{dup['id']}/entries", json={"kind": "message", "body": "见附件"}))
    merged = ok(client.post(f"{C}/cases/{cid}/merge", json={"case_ids": [dup["id"]]}))
    assert merged["merged"] == [dup["id"]]
    assert ("message", "见附件") in [(e["kind"], e["body"]) for e in merged["timeline"]]
    gone = ok(client.get(f"{C}/cases/{dup['id']}"))
    assert (gone["status"], gone["merged_into_id"]) == ("closed", cid)
    assert client.post(f"{C}/cases/{cid}/merge", json={"case_ids": [dup["id"]]}).status_code == 409
    stranger = new_case(client, customer_id=new_customer(client, "13800000002"))
    refused(
        client.post(f"{C}/cases/{cid}/merge", json={"case_ids": [stranger["id"]]}),
        400,
        "belongs to another customer",
    )
    assert client.post(f"{C}/cases/{cid}/merge", json={"case_ids": []}).status_code == 422
    # children
    linked = ok(client.post(f"{C}/cases/{cid}/children", json={"case_ids": [stranger["id"]]}))
    assert linked["children"] == [stranger["id"]]
    refused(
        client.post(f"{C}/cases/{stranger['id']}/children", json={"case_ids": [cid]}),
        400,
        "that is a cycle",
    )
    unlinked = ok(client.delete(f"{C}/cases/{stranger['id']}/parent"))
    assert unlinked["parent_id"] is None
    refused(client.delete(f"{C}/cases/{stranger['id']}/parent"), 400, "has no parent")
    assert ok(client.get(f"{C}/cases/{cid}"))["children"] == []
    # other workspaces see none of it, and can reference none of it
    other = client_for(make_workspace("Other"))
    assert other.get(f"{C}/cases/{cid}").json()["error"]["code"] == "not_found"
    r = other.post(f"{C}/cases", json={"title": "x", "customer_id": buyer})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert ok(other.get(f"{C}/cases"))["total"] == 0


def test_intake_validation_through_http(client: TestClient) -> None:
    for body in (
        {"title": "x", "kind": "rant"},
        {"title": "x", "severity": "urgent"},
        {"title": "x", "category": "shipping"},
        {"title": "x", "received_at": "2026-03-02T12:00:00"},  # no time zone
        {"title": "x", "bogus": 1},
    ):
        r = client.post(f"{C}/cases", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == "validation_error"
    refused(client.post(f"{C}/cases", json={"title": " ", "description": ""}), 400, "text is empty")
    refused(client.post(f"{C}/cases", json={"title": "x", "product_line_id": 10**9}), 404, "")
    first = new_case(client, external_id="crm-77")
    again = client.post(f"{C}/cases", json={"title": "又一次", "external_id": "crm-77"})
    assert again.status_code == 200 and again.json()["id"] == first["id"]  # a replay
    assert ok(client.get(f"{C}/cases"))["total"] == 1


def test_list_filters_and_paging(client: TestClient) -> None:
    buyer = new_customer(client, "13800000003")
    made = [
        new_case(client, title="屏幕坏了", received_at=noon(D1), category="product_quality"),
        new_case(client, title="退款太慢", received_at=noon(D2), category="service_policy",
                 customer_id=buyer, severity="critical"),
        new_case(client, title="尺码咨询", kind="inquiry", received_at=noon(D3)),
        new_case(client, title="建议加夜班", kind="suggestion", received_at=noon(D3),
                 channel_kind="web"),
    ]  # fmt: skip
    ids = [c["id"] for c in made]
    page = ok(client.get(f"{C}/cases", params={"limit": 2}))
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 0)
    # newest first (received_at, then id)
    assert [c["id"] for c in page["items"]] == [ids[3], ids[2]]
    rest = ok(client.get(f"{C}/cases", params={"limit": 2, "offset": 2}))
    assert [c["id"] for c in rest["items"]] == [ids[1], ids[0]]

    def listed(**params: Any) -> list[int]:
        return [c["id"] for c in ok(client.get(f"{C}/cases", params=params))["items"]]

    assert listed(kind="complaint") == [ids[1], ids[0]]
    assert listed(category="service_policy") == [ids[1]]
    assert listed(customer_id=buyer) == [ids[1]]
    assert listed(channel_kind="web") == [ids[3]]
    assert listed(q="退款") == [ids[1]]
    assert listed(status="new") == [ids[3], ids[2]]  # only complaints are acknowledged
    # these March 2026 cases are long overdue unless finished
    assert listed(overdue=True) == [ids[3], ids[2], ids[1], ids[0]]
    ok(client.post(f"{C}/cases/{ids[0]}/status", json={"status": "resolved", "resolution": "修好"}))
    assert listed(overdue=True) == [ids[3], ids[2], ids[1]]
    assert listed(overdue=False) == [ids[0]]
    ok(client.post(f"{C}/cases/{ids[1]}/merge", json={"case_ids": [ids[0]]}))
    assert ids[0] not in listed()
    assert client.get(f"{C}/cases", params={"limit": 0}).status_code == 422


# --- permissions -----------------------------------------------------------------------------


def test_an_agent_works_cases_but_cannot_manage(
    client: TestClient, client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    email = "agent@perm.test"
    new_user(client, email)
    agent = client_for(workspace, email=email)
    case = new_case(agent, title="质量问题")
    assert ok(agent.get(f"{C}/cases"))["total"] == 1
    ok(agent.post(f"{C}/cases/{case['id']}/status", json={"status": "in_progress"}))
    ok(agent.post(f"{C}/cases/{case['id']}/entries", json={"body": "已联系"}), 201)
    ok(agent.post(f"{C}/cases/{case['id']}/classify", json={"category": "other"}))
    ok(agent.get(f"{C}/settings"))
    ok(agent.get(f"{C}/review/agreement"))
    for method, path, body in (
        ("post", f"{C}/detect", {}),
        ("post", f"{C}/alerts/1/status", {"status": "closed"}),
        ("put", f"{C}/settings", {"review_share": 1.0}),
        ("post", f"{C}/warning/send", {}),
        ("post", f"{C}/classifier/train", None),
        ("post", f"{C}/cases/{case['id']}/review", {"category": "other"}),
    ):
        r = getattr(agent, method)(path, **({} if body is None else {"json": body}))
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    assert ok(client.get(f"{C}/settings"))["review_share"] == 0.1  # nothing changed


# --- settings --------------------------------------------------------------------------------


def test_settings_are_validated_before_anything_is_stored(client: TestClient) -> None:
    defaults = ok(client.get(f"{C}/settings"))
    assert defaults["due_hours"] == {"critical": 4, "high": 24, "normal": 48, "low": 120}
    assert (defaults["review_share"], defaults["recipients"], defaults["charts"]) == (0.1, [], {})
    body = {
        "due_hours": {"critical": 2},
        "review_share": 0.5,
        "routing": {"service_policy": "售后组"},
        "recipients": ["boss@acme.example"],
        "charts": {"baseline_window": 14, "min_baseline": 7},
        "min_excess": 3,
        "merge_gap": 1,
    }
    saved = ok(client.put(f"{C}/settings", json=body))
    assert saved["due_hours"] == {"critical": 2, "high": 24, "normal": 48, "low": 120}
    assert saved["routing"]["service_policy"] == "售后组"
    assert saved["routing"]["work_quality"] == "客服中心"  # defaults kept for the rest
    assert (saved["min_excess"], saved["merge_gap"]) == (3, 1)
    assert ok(client.get(f"{C}/settings")) == saved
    for bad, status, fragment in (
        ({"routing": {"shipping": "物流组"}}, 400, "routing: category must be one of"),
        ({"routing": {"other": "  "}}, 400, "routing.other must be a department name"),
        ({"charts": {"ewma_lambda": 5}}, 400, "complaints.charts: ewma_lambda must be in (0, 1]"),
        (
            {"charts": {"baseline": 28}},
            400,
            "complaints.charts: unknown chart setting(s): baseline",
        ),
        ({"charts": {"min_baseline": 40}}, 400, "cannot exceed baseline_window"),
        ({"review_share": 1.5}, 400, "complaints.review_share must be a number from 0 to 1"),
        ({"due_hours": {"urgent": 3}}, 400, "due_hours: severity must be one of"),
        ({"due_hours": {"low": 0}}, 400, "complaints.due_hours.low must be a number from 1"),
        ({"recipients": ["nobody"]}, 400, "complaints.recipients must be a list of e-mail"),
        ({"merge_gap": 99}, 400, "complaints.merge_gap must be a number from 0 to 30"),
        ({"review_shares": 0.5}, 422, ""),  # an unknown key is refused by the schema
    ):
        r = client.put(f"{C}/settings", json=bad)
        if status == 422:
            assert r.status_code == 422, r.text
            assert ["body", "review_shares"] in [d["loc"] for d in r.json()["error"]["details"]]
        else:
            refused(r, status, fragment)
        assert ok(client.get(f"{C}/settings")) == saved, bad


# --- the daily warning -----------------------------------------------------------------------


def warning_world(c: TestClient) -> list[int]:
    vip = new_customer(c, "13800000009", tier="key_account")
    return [
        new_case(c, title="冰箱不制冷", received_at=noon(D2), severity="critical",
                 customer_id=vip)["id"],
        new_case(c, title="冰箱有异响", received_at=noon(D2))["id"],
        new_case(c, title="前一天的投诉", received_at=noon(D1))["id"],
        new_case(c, title="咨询", kind="inquiry", received_at=noon(D2))["id"],
    ]  # fmt: skip


def test_the_warning_as_json_and_as_a_spreadsheet(
    client: TestClient, workspace: WorkspaceCtx
) -> None:
    ids = warning_world(client)
    w = ok(client.get(f"{C}/warning", params={"day": D2.isoformat()}))
    assert (w["workspace_id"], w["day"], w["title"]) == (
        workspace.id,
        "2026-03-03",
        "投诉预警日报 2026-03-03",
    )
    assert (w["complaints"], w["key_account_complaints"]) == (2, 1)
    assert w["complaints_mean"] == round(1 / 28, 2)
    # open at the end of the day and past due: the critical one (4 h); the others have 48 h
    assert w["overdue_total"] == 1
    overdue = next(t for t in w["tables"] if t["title"] == "超期工单")
    assert [row[0] for row in overdue["rows"]] == [f"C{ids[0]:06d}"]
    assert [t["title"] for t in w["tables"]] == ["概要", "预警", "热点", "超期工单"]

    r = client.get(f"{C}/warning", params={"day": D2.isoformat(), "format": "xlsx"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    name = quote("投诉预警日报_2026-03-03.xlsx")
    assert r.headers["content-disposition"] == f"attachment; filename*=UTF-8''{name}"
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["概要", "预警", "热点", "超期工单"]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert (summary["投诉件数"], summary["重点客户投诉"], summary["超期工单"]) == (2, 1, 1)
    en = client.get(
        f"{C}/warning", params={"day": D2.isoformat(), "format": "xlsx", "locale": "en"}
    )
    assert load_workbook(io.BytesIO(en.content)).sheetnames == [
        "summary",
        "alerts",
        "hot spots",
        "overdue cases",
    ]
    assert "Daily_complaint_warning_2026-03-03.xlsx" in en.headers["content-disposition"]
    assert client.get(f"{C}/warning", params={"format": "pdf"}).status_code == 422


@pytest.fixture
def mail_client(db: Database, workspace: WorkspaceCtx, smtp: Server) -> Iterator[TestClient]:
    """A client of an app whose settings send mail to the test SMTP server."""
    settings = Settings(
        database_url=db.url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_timeout_s=5,
        smtp_from="留客 <reports@liuke.example>",
        dispatch_in_process=False,
    )
    c = TestClient(create_app(settings, db))
    login = {"workspace": workspace.slug, "email": workspace.admin_email, "password": PASSWORD}
    ok(c.post(f"{V1}/auth/login", json=login))
    yield c
    c.close()


def test_the_warning_is_mailed_with_its_spreadsheet(mail_client: TestClient, smtp: Server) -> None:
    handler = smtp.handler
    c = mail_client
    warning_world(c)
    day = {"day": D2.isoformat()}
    refused(
        c.post(f"{C}/warning/send", json=day),
        400,
        "no recipients: set complaints.recipients in the workspace settings",
    )
    assert handler.received == []
    ok(c.put(f"{C}/settings", json={"recipients": ["经理 <boss@acme.example>"]}))
    sent = ok(c.post(f"{C}/warning/send", json=day))
    assert (sent["recipients"], sent["refused"]) == (["boss@acme.example"], {})
    [mail] = handler.received
    assert mail.rcpt_tos == ["boss@acme.example"] and mail.mail_from == "reports@liuke.example"
    message = mail.parsed()
    assert message["Subject"] == "投诉预警日报 2026-03-03"
    assert message["Message-ID"] == sent["message_id"]
    body = message.get_body(("plain",))
    assert body is not None and "投诉 2 件" in body.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "投诉预警日报_2026-03-03.xlsx"
    assert attachment.get_content_type() == XLSX
    book = load_workbook(io.BytesIO(attachment.get_content()))
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert summary["投诉件数"] == 2
    # recipients given in the request win; a server that refuses them all is a clear 400
    ok(c.post(f"{C}/warning/send", json={**day, "recipients": ["ops@acme.example"]}))
    assert handler.received[-1].rcpt_tos == ["ops@acme.example"]
    handler.refuse = {"ghost@acme.example"}
    refused(
        c.post(f"{C}/warning/send", json={**day, "recipients": ["ghost@acme.example"]}),
        400,
        "refused every recipient",
    )
    refused(c.post(f"{C}/warning/send", json={**day, "recipients": ["nobody"]}), 400, "no '@'")
    assert len(handler.received) == 2


@pytest.fixture
def env_mail(monkeypatch: pytest.MonkeyPatch, smtp: Server) -> Iterator[Handler]:
    """The process settings (what outbox subscribers read) pointed at the test SMTP server."""
    monkeypatch.setenv("LIUKE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LIUKE_SMTP_PORT", str(smtp.port))
    get_settings.cache_clear()
    yield smtp.handler
    get_settings.cache_clear()


def test_an_acknowledgement_is_mailed_to_the_customer(
    db: Database, client: TestClient, env_mail: Handler
) -> None:
    plain = new_customer(client, "13800000011", email="buyer@shop.example")
    odd = new_customer(client, "13800000012", email="张三@例子.中国")  # not deliverable by SMTP
    mailed = new_case(client, title="洗衣机\n漏水", customer_id=plain)
    failed = new_case(client, title="漏水", customer_id=odd)
    drain_events(db)
    [mail] = [m for m in env_mail.received if m.rcpt_tos == ["buyer@shop.example"]]
    message = mail.parsed()
    assert message["Subject"] == f"[{mailed['number']}] 洗衣机 漏水"
    body = message.get_body(("plain",))
    assert body is not None and mailed["number"] in body.get_content()
    detail = ok(client.get(f"{C}/cases/{mailed['id']}"))
    assert detail["customer_notified_at"] is not None
    assert ("customer_notified", "email") in [
        (e["kind"], e["data"].get("via")) for e in detail["timeline"]
    ]
    # an address the server cannot take is noted on the case, not retried forever
    detail = ok(client.get(f"{C}/cases/{failed['id']}"))
    assert detail["customer_notified_at"] is None
    [note] = [e for e in detail["timeline"] if e["kind"] == "notify_failed"]
    assert "non-ASCII" in note["body"]
    with db.session() as s:
        statuses = s.execute(
            select(OutboxEvent.payload, EventDelivery.status)
            .join(EventDelivery, EventDelivery.event_id == OutboxEvent.id)
            .where(
                OutboxEvent.type == "case.acknowledgement",
                EventDelivery.subscriber == "complaints.mail_acknowledgement",
            )
        ).all()
    mine = {p["case_id"]: st for p, st in statuses if p["case_id"] in (mailed["id"], failed["id"])}
    assert mine == {mailed["id"]: "ok", failed["id"]: "ok"}
    drain_events(db)  # delivered once: no second mail
    assert len([m for m in env_mail.received if m.rcpt_tos == ["buyer@shop.example"]]) == 1


# --- the classifier --------------------------------------------------------------------------


def test_training_on_too_few_cases_keeps_the_lexicon(
    db: Database, client: TestClient, workspace: WorkspaceCtx, model_dir: Path
) -> None:
    with db.session() as s:
        line = create_product_line(s, workspace.id, "tv", "电视").id
    for title, category, pl in (
        ("屏幕坏了", "product_quality", line),
        ("退款太慢", "service_policy", None),
        ("电视花屏", "product_quality", line),
    ):
        cid = new_case(client, title=title)["id"]
        ok(client.post(f"{C}/cases/{cid}/classify", json={"category": category,
                                                        "product_line_id": pl}))  # fmt: skip
    new_case(client, title="未确认的")
    trained = ok(client.post(f"{C}/classifier/train"))
    assert (trained["examples"], trained["categories"], trained["product_lines"]) == (3, 2, 1)
    assert re.fullmatch(r"\d{8}T\d{6}Z-n3-lexicon", trained["version"]), trained
    assert (model_dir / "complaints" / f"ws{workspace.id}.joblib").exists()
    # intake goes on with the lexicon, now under the trained version
    rude = new_case(client, title="客服态度恶劣")
    assert (rude["suggested_category"], rude["category_confirmed"]) == ("work_quality", False)
    with db.session() as s:
        version = s.scalar(select(Case.classifier_version).where(Case.id == rude["id"]))
    assert version == trained["version"]


# --- grid, Pareto, charts --------------------------------------------------------------------


def test_grid_pareto_and_charts_count_this_workspaces_cases(
    db: Database,
    client: TestClient,
    workspace: WorkspaceCtx,
    client_for: Callable[..., TestClient],
    make_workspace: Any,
) -> None:
    ws = workspace.id
    with db.session() as s:
        tv = create_product_line(s, ws, "tv", "电视").id
        fridge = create_product_line(s, ws, "fridge", "冰箱").id
        for d, orders in ((D1, 20_000), (D2, 0), (D3, 10_000)):
            set_daily_sales(s, ws, tv, d, orders, orders, Decimal(orders))
    vip = new_customer(client, "13800000021", tier="key_account")
    for d in (D1, D1, D3):
        new_case(client, received_at=noon(d), category="product_quality", product_line_id=tv)
    new_case(client, received_at=noon(D1), category="service_policy", product_line_id=fridge,
             customer_id=vip, channel_kind="web")  # fmt: skip
    new_case(client, kind="inquiry", received_at=noon(D1), product_line_id=tv)
    new_case(client, received_at=noon(D3 + timedelta(days=1)), product_line_id=tv)  # outside
    other = client_for(make_workspace("Other"))
    new_case(other, received_at=noon(D1), category="product_quality")
    window = {"start": D1.isoformat(), "end": D3.isoformat()}

    grid = ok(client.get(f"{C}/grid", params=window))
    assert (grid["workspace_id"], grid["start"], grid["end"]) == (ws, "2026-03-02", "2026-03-04")
    assert grid["result"]["total"] == 4
    cells = {
        (c["category"], c["product_line_id"], c["customer_tier"], c["channel_kind"]): c["count"]
        for c in grid["result"]["cells"]
    }
    assert cells == {
        ("product_quality", tv, "ordinary", "api"): 3,
        ("service_policy", fridge, "key_account", "web"): 1,
    }
    # 3 complaints on 30,000 orders; the fridge line sold nothing
    assert grid["result"]["per_10k_orders"] == {str(tv): 1.0, str(fridge): None}
    vip_only = ok(client.get(f"{C}/grid", params={**window, "customer_tier": "key_account"}))
    assert vip_only["result"]["total"] == 1

    pareto = ok(client.get(f"{C}/pareto", params={**window, "by": "product_line"}))
    assert pareto["workspace_id"] == ws
    result = pareto["result"]
    assert result["total"] == 4
    assert [(i["label"], i["count"], i["share"]) for i in result["items"]] == [
        ("电视", 3, 0.75),
        ("冰箱", 1, 0.25),
    ]
    # the vital few: the first 80% of cases, the item that crosses 80% included
    assert [i["vital_few"] for i in result["items"]] == [True, True]
    assert [i["cumulative_share"] for i in result["items"]] == [0.75, 1.0]
    inquiries = ok(client.get(f"{C}/pareto", params={**window, "kind": "inquiry"}))
    assert inquiries["result"]["total"] == 1

    charts = ok(client.get(f"{C}/charts", params={**window, "dimension": "product_line"}))
    assert charts["workspace_id"] == ws
    by_line = {c["cell"]["product_line_id"]: c for c in charts["result"]}
    assert set(by_line) == {tv, fridge}
    tv_points = by_line[tv]["points"]
    assert [(p["day"], p["count"], p["orders"]) for p in tv_points] == [
        ("2026-03-02", 2, 20_000),
        ("2026-03-03", 0, 0),
        ("2026-03-04", 1, 10_000),
    ]
    assert by_line[tv]["label"] == "电视" and by_line[tv]["chart"] == "u"
    assert tv_points[0]["rate"] == pytest.approx(1.0)  # 2 per 20,000 orders = 1 per 10,000
    assert tv_points[2]["rate"] == pytest.approx(1.0)
    no_sales = tv_points[1]
    assert (no_sales["missing_reason"], no_sales["rate"], no_sales["alert"]) == (
        "no_sales_volume",
        None,
        False,
    )
    assert {p["missing_reason"] for p in by_line[fridge]["points"]} == {"no_sales_volume"}
    assert [p["count"] for p in by_line[fridge]["points"]] == [1, 0, 0]
    # every other dimension normalises by all orders: the day without sales is missing there too
    for dimension in ("category", "customer_tier", "channel_kind", "cell"):
        res = ok(client.get(f"{C}/charts", params={**window, "dimension": dimension}))["result"]
        assert res, dimension
        assert all(c["points"][1]["missing_reason"] == "no_sales_volume" for c in res)
    refused(
        client.get(f"{C}/grid", params={"start": D3.isoformat(), "end": D1.isoformat()}),
        400,
        "before it starts",
    )
