"""Tenant isolation for every endpoint.

Workspace A's admin calls every route that takes an id with workspace B's ids and must get the
same 404 as for an id that does not exist, with B's rows untouched; every id in a request body
and every id filter behaves the same way; every list shows A's rows only. The route lists come
from the OpenAPI schema, and a route or id field without a case here fails the suite, so a new
endpoint cannot be forgotten.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, select

from liuke.app import create_app
from liuke.commerce.models import Order, Product, ProductLine
from liuke.complaints.models import Case, ComplaintAlert, RecoveryRecord
from liuke.conversations.models import Channel, Conversation, Message
from liuke.core.config import Settings
from liuke.core.db import Base, Database
from liuke.core.events import OutboxEvent
from liuke.crm.models import Campaign, ChurnRecord, FollowUp, Segment
from liuke.customers.models import Customer
from liuke.models import Base as _all_models  # noqa: F401  (every table registered)
from liuke.quality.models import CoachingNote, Inspection, InspectionRule, QualityAlert
from liuke.reports import service as reports
from liuke.reports.models import ReportRun
from liuke.reports.periods import parse as parse_period
from liuke.surveys.models import Questionnaire, SurveyInvitation, SurveyResponse
from liuke.workspaces.models import ApiKey, Role, SkillGroup, User, user_skill_groups
from tests.conftest import drain_events
from tests.smtp import Server

V1 = "/api/v1"
PASSWORD = "users-own-pw-1"  # the password of every user these tests create
Ids = dict[str, int]
_seq = itertools.count(1)


def uniq(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


def populate(c: TestClient, tag: str) -> Ids:
    """One row of every kind, linked the way real data is."""
    ids: Ids = {}
    ids["skill_group"] = ok(c.post(f"{V1}/skill-groups", json={"name": f"{tag} 组"}))["id"]
    ids["skill_group2"] = ok(c.post(f"{V1}/skill-groups", json={"name": f"{tag} 组2"}))["id"]
    roles = {r["name"]: r["id"] for r in ok(c.get(f"{V1}/roles"))}
    ids["agent_role"] = roles["agent"]
    ids["role"] = ok(
        c.post(f"{V1}/roles", json={"name": f"{tag} 角色", "permissions": ["customers.read"]})
    )["id"]
    ids["user"] = ok(
        c.post(
            f"{V1}/users",
            json={
                "email": f"agent@{tag}.cn",
                "name": "客服",
                "password": PASSWORD,
                "role_id": roles["agent"],
                "skill_group_ids": [ids["skill_group"]],
            },
        )
    )["id"]
    ids["user2"] = ok(
        c.post(
            f"{V1}/users",
            json={
                "email": f"agent2@{tag}.cn",
                "name": "客服2",
                "password": PASSWORD,
                "role_id": roles["agent"],
            },
        )
    )["id"]
    ids["api_key"] = ok(
        c.post(f"{V1}/api-keys", json={"name": f"{tag} key", "role_id": roles["agent"]})
    )["id"]
    ids["customer"] = ok(
        c.post(
            f"{V1}/customers",
            json={
                "name": f"{tag} 客户",
                "phone": "13800138000",
                "email": f"c@{tag}.cn",
                "tags": ["vip"],
                "external_id": {"system": "shop", "external_id": "u-1"},
            },
        )
    )["id"]
    ids["customer2"] = ok(c.post(f"{V1}/customers", json={"name": "二号", "phone": "13900139000"}))[
        "id"
    ]
    ids["product_line"] = ok(c.post(f"{V1}/product-lines", json={"code": "PL", "name": "线"}))["id"]
    ids["product"] = ok(
        c.post(
            f"{V1}/products",
            json={
                "product_line_id": ids["product_line"],
                "sku": "SKU",
                "name": "品",
                "price": "9.90",
            },
        )
    )["id"]
    ids["channel"] = ok(c.post(f"{V1}/channels", json={"kind": "api", "name": f"{tag} 渠道"}))["id"]
    ids["conversation"] = ok(
        c.post(
            f"{V1}/conversations",
            json={
                "channel_id": ids["channel"],
                "customer_id": ids["customer"],
                "external_id": "chat-1",
                "skill_group_id": ids["skill_group"],
                "product_line_id": ids["product_line"],
                "assignee_id": ids["user"],
                "labels": ["退货"],
            },
        )
    )["id"]
    ids["message"] = ok(
        c.post(
            f"{V1}/conversations/{ids['conversation']}/messages",
            json={"sender_type": "customer", "body": "在吗", "idempotency_key": "m-1"},
        )
    )["message_id"]
    ok(
        c.post(
            f"{V1}/conversations/{ids['conversation']}/messages",
            json={"sender_type": "agent", "body": "在的", "sender_user_id": ids["user"]},
        )
    )
    # quality: an agent brush-off, then rising customer anger (a live alert once dispatched)
    for sender, body in (("agent", "不知道。"), ("customer", "太过分了！我要投诉！！")):
        extra = {"sender_user_id": ids["user"]} if sender == "agent" else {}
        ok(
            c.post(
                f"{V1}/conversations/{ids['conversation']}/messages",
                json={"sender_type": sender, "body": body, **extra},
            )
        )
    inspection = ok(c.post(f"{V1}/quality/conversations/{ids['conversation']}/inspect"))
    ids["inspection"] = inspection["id"]
    ids["hit"] = inspection["hits"][0]["id"]
    ids["rule"] = ok(c.get(f"{V1}/quality/rules"))[0]["id"]
    ids["coaching_note"] = ok(
        c.post(
            f"{V1}/quality/coaching-notes",
            json={"agent_id": ids["user"], "body": "多给方案", "inspection_id": ids["inspection"]},
        )
    )["id"]
    ids["order"] = ok(
        c.post(
            f"{V1}/orders",
            json={
                "external_id": "o-1",
                "customer_id": ids["customer"],
                "product_id": ids["product"],
                "amount": "9.90",
                "source_conversation_id": ids["conversation"],
                "ordered_at": "2026-03-01T17:00:00Z",
            },
        )
    )["id"]
    # complaints: a case from the conversation, a child, a reviewable one, spare duplicates
    ids["case"] = ok(
        c.post(
            f"{V1}/complaints/cases",
            json={
                "title": "屏幕坏了",
                "description": "刚收到屏幕就坏了",
                "customer_id": ids["customer"],
                "conversation_id": ids["conversation"],
                "product_line_id": ids["product_line"],
                "owner_id": ids["user"],
            },
        )
    )["id"]
    for key, body in (
        ("child_case", {"title": "同款也坏了", "customer_id": ids["customer2"]}),
        ("review_case", {"title": "态度差", "category": "work_quality"}),
        ("dup_case", {"title": "重复投诉"}),
        ("link_case", {"title": "同一缺陷"}),
    ):
        ids[key] = ok(c.post(f"{V1}/complaints/cases", json=body))["id"]
    ok(
        c.post(
            f"{V1}/complaints/cases/{ids['case']}/children", json={"case_ids": [ids["child_case"]]}
        )
    )
    ids["recovery"] = ok(
        c.post(
            f"{V1}/complaints/recovery",
            json={
                "source_kind": "case",
                "source_id": ids["case"],
                "root_cause": "product",
                "action": "replacement",
                "cost": "99.00",
                "owner_id": ids["user"],
            },
        )
    )["id"]
    # retention: profiles, a rule segment with members, a follow-up, a churn record, a campaign
    ok(c.post(f"{V1}/retention/profiles/refresh", json={}))
    ids["segment"] = ok(
        c.post(
            f"{V1}/retention/segments",
            json={
                "code": "ordinary",
                "name": f"{tag} 普通客户",
                "rule": {"field": "tier", "op": "==", "value": "ordinary"},
            },
        )
    )["id"]
    ok(c.post(f"{V1}/retention/segments/refresh", json={}))
    ids["follow_up"] = ok(
        c.post(
            f"{V1}/retention/follow-ups",
            json={
                "customer_id": ids["customer"],
                "due_at": "2030-01-01T00:00:00Z",
                "assignee_id": ids["user"],
            },
        )
    )["id"]
    ids["churn_record"] = ok(
        c.post(
            f"{V1}/retention/churn-records",
            json={"customer_id": ids["customer2"], "reason": "price"},
        )
    )["id"]
    ids["campaign"] = ok(
        c.post(
            f"{V1}/retention/campaigns",
            json={"name": f"{tag} 挽回", "segment_id": ids["segment"], "holdout_share": 0.0},
        )
    )["id"]
    # surveys: the default questionnaires, an invitation about the conversation, its answer
    questionnaires = ok(c.get(f"{V1}/surveys/questionnaires"))
    rows = questionnaires["items"] if isinstance(questionnaires, dict) else questionnaires
    ids["questionnaire"] = next(q["id"] for q in rows if q["kind"] == "csat")
    invitation = ok(
        c.post(
            f"{V1}/surveys/invitations",
            json={"kind": "csat", "channel": "link", "conversation_id": ids["conversation"]},
        )
    )
    ids["invitation"] = invitation["id"]
    token = invitation["url"].rsplit("/", 1)[-1]
    ok(c.post(f"{V1}/surveys/public/{token}/answers", json={"answers": {"overall": 4}}))
    ids["response"] = ok(c.get(f"{V1}/surveys/responses"))["items"][0]["id"]
    return ids


@dataclass
class World:
    a: TestClient
    b: TestClient
    db: Database
    a_ws: int
    b_ws: int
    A: Ids
    B: Ids

    def fresh_conversation(self, **body: Any) -> int:
        """A new, unowned conversation in A (cases that change a conversation need their own)."""
        ch = self.A["channel"]
        return int(ok(self.a.post(f"{V1}/conversations", json={"channel_id": ch, **body}))["id"])

    def fresh_customer(self) -> int:
        return int(ok(self.a.post(f"{V1}/customers", json={"name": uniq("dup")}))["id"])

    def fresh_follow_up(self, t: Ids) -> int:
        """B's follow-up for the attack; a new open one of A's for the control run (a task is
        completed or cancelled once)."""
        if t is not self.A:
            return t["follow_up"]
        body = {"customer_id": self.A["customer"], "due_at": "2030-01-01T00:00:00Z"}
        return int(ok(self.a.post(f"{V1}/retention/follow-ups", json=body))["id"])

    def fresh_segment(self, t: Ids) -> int:
        """B's segment for the attack; a spare one of A's for the control run (deleted)."""
        if t is not self.A:
            return t["segment"]
        rule = {"field": "tier", "op": "==", "value": "key_account"}
        body = {"code": uniq("spare"), "name": uniq("备用"), "rule": rule}
        return int(ok(self.a.post(f"{V1}/retention/segments", json=body))["id"])

    def fresh_case(self, **body: Any) -> int:
        """A new case in A, with no customer (so it can merge into any of A's cases)."""
        return int(
            ok(self.a.post(f"{V1}/complaints/cases", json={"title": uniq("case"), **body}))["id"]
        )


@pytest.fixture
def app_settings(db: Database, smtp: Server) -> Settings:
    """The app of this module can send mail: a report's send route has a control run too."""
    return smtp.settings(
        database_url=db.url,
        dispatch_in_process=False,
        reports_in_process=False,
        max_body_bytes=200_000,
    )


@pytest.fixture
def world(db: Database, make_workspace, client_for) -> World:  # type: ignore[no-untyped-def]
    wa, wb = make_workspace("A 店"), make_workspace("B 店")
    a, b = client_for(wa), client_for(wb)
    w = World(a, b, db, wa.id, wb.id, populate(a, "a"), populate(b, "b"))
    drain_events(db)  # subscribers run: the live anger alerts appear
    for client, ids in ((a, w.A), (b, w.B)):
        alerts = ok(client.get(f"{V1}/quality/alerts"))["items"]
        ids["alert"] = alerts[0]["id"]
    with db.session() as s:  # a chart alert needs weeks of history: written as the job would
        for ws, ids in ((wa.id, w.A), (wb.id, w.B)):
            alert = ComplaintAlert(
                workspace_id=ws,
                dimension="product_line",
                cell_key=f"product_line:product_line_id={ids['product_line']}",
                cell={"product_line_id": ids["product_line"], "label": "线"},
                first_period=date(2026, 3, 2),
                last_period=date(2026, 3, 3),
                peak_period=date(2026, 3, 2),
                peak_count=9,
                peak_rate=30.0,
                center=10.0,
                ucl=20.0,
                rules=["rule1"],
                status="escalated",
                department="品控",
            )
            s.add(alert)
            s.flush()
            ids["complaint_alert"] = alert.id
    for ws, ids in ((wa.id, w.A), (wb.id, w.B)):
        ids["report_run"] = reports.generate(
            db, Settings(database_url=db.url), ws, parse_period("daily", "2026-03-02"),
            with_pdf=False,
        )  # fmt: skip
        with db.session() as s:
            # the PDF's content is not under test here (tests/reports check real ones): only
            # who may fetch it
            reports.get_run(s, ws, ids["report_run"]).pdf = b"%PDF-1.7\n% isolation fixture\n"
    return w


def snapshot(db: Database, workspace_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to the workspace, table by table."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            if "workspace_id" in table.c:
                stmt = select(table).where(table.c.workspace_id == workspace_id)
            elif table is user_skill_groups:
                users = select(User.id).where(User.workspace_id == workspace_id)
                stmt = select(table).where(table.c.user_id.in_(users))
            else:
                continue
            pk = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in s.execute(stmt.order_by(*pk))]
    return out


def _tables_without_scope() -> list[str]:
    skip = {"event_deliveries", "workspaces"}  # per-event bookkeeping; the tenants themselves
    return [
        table.name
        for table in Base.metadata.sorted_tables
        if isinstance(table, Table)
        and "workspace_id" not in table.c
        and table is not user_skill_groups
        and table.name not in skip
    ]


def test_every_table_is_snapshotted() -> None:
    """A new table without ``workspace_id`` would escape the 'B unchanged' check below."""
    assert _tables_without_scope() == []


# --- routes with an id in the path ------------------------------------------------------------

# (method, path) -> build(world, target ids) -> (url, body). ``target`` is B's ids for the attack
# and A's own ids for the control run, which proves each body is valid: only the id differs.
Build = Callable[[World, Ids], tuple[str, dict[str, Any] | None]]


def _merge(w: World, t: Ids) -> tuple[str, dict[str, Any] | None]:
    return f"/customers/{t['customer']}/merge", {"duplicate_id": w.fresh_customer()}


def _transfer(w: World, t: Ids) -> tuple[str, dict[str, Any] | None]:
    return f"/conversations/{t['conversation']}/transfer", {
        "reason": "isolation",
        "to_user_id": w.A["user2"],
    }


PATH_CASES: dict[tuple[str, str], Build] = {
    ("GET", "/roles/{role_id}"): lambda w, t: (f"/roles/{t['role']}", None),
    ("PATCH", "/roles/{role_id}"): lambda w, t: (
        f"/roles/{t['role']}",
        {"name": uniq("hacked"), "permissions": ["customers.read", "customers.write"]},
    ),
    ("GET", "/users/{user_id}"): lambda w, t: (f"/users/{t['user']}", None),
    ("PATCH", "/users/{user_id}"): lambda w, t: (
        f"/users/{t['user']}",
        {"name": "hacked", "is_active": False, "password": "hacked-password"},
    ),
    ("GET", "/skill-groups/{group_id}"): lambda w, t: (f"/skill-groups/{t['skill_group']}", None),
    ("PATCH", "/skill-groups/{group_id}"): lambda w, t: (
        f"/skill-groups/{t['skill_group']}",
        {"name": uniq("hacked"), "description": "hacked"},
    ),
    ("DELETE", "/api-keys/{key_id}"): lambda w, t: (f"/api-keys/{t['api_key']}", None),
    ("GET", "/customers/{customer_id}"): lambda w, t: (f"/customers/{t['customer']}", None),
    ("PATCH", "/customers/{customer_id}"): lambda w, t: (
        f"/customers/{t['customer']}",
        {"name": "hacked", "tags": ["hacked"], "tier": "key_account"},
    ),
    ("POST", "/customers/{customer_id}/merge"): _merge,
    ("GET", "/product-lines/{line_id}"): lambda w, t: (f"/product-lines/{t['product_line']}", None),
    ("PATCH", "/product-lines/{line_id}"): lambda w, t: (
        f"/product-lines/{t['product_line']}",
        {"name": "hacked"},
    ),
    ("GET", "/products/{product_id}"): lambda w, t: (f"/products/{t['product']}", None),
    ("PATCH", "/products/{product_id}"): lambda w, t: (
        f"/products/{t['product']}",
        {"name": "hacked", "price": "0.01"},
    ),
    ("GET", "/orders/{order_id}"): lambda w, t: (f"/orders/{t['order']}", None),
    ("PATCH", "/orders/{order_id}"): lambda w, t: (f"/orders/{t['order']}", {"status": "refunded"}),
    ("GET", "/channels/{channel_id}"): lambda w, t: (f"/channels/{t['channel']}", None),
    ("PATCH", "/channels/{channel_id}"): lambda w, t: (
        f"/channels/{t['channel']}",
        {"name": uniq("hacked"), "is_active": False},
    ),
    ("GET", "/conversations/{conversation_id}"): lambda w, t: (
        f"/conversations/{t['conversation']}",
        None,
    ),
    ("PATCH", "/conversations/{conversation_id}"): lambda w, t: (
        f"/conversations/{t['conversation']}",
        {"subject": "hacked", "status": "resolved", "labels": ["hacked"]},
    ),
    ("POST", "/conversations/{conversation_id}/transfer"): _transfer,
    ("GET", "/conversations/{conversation_id}/messages"): lambda w, t: (
        f"/conversations/{t['conversation']}/messages",
        None,
    ),
    ("POST", "/conversations/{conversation_id}/messages"): lambda w, t: (
        f"/conversations/{t['conversation']}/messages",
        {"sender_type": "customer", "body": "hacked", "idempotency_key": uniq("k")},
    ),
    ("PATCH", "/quality/rules/{rule_id}"): lambda w, t: (
        f"/quality/rules/{t['rule']}",
        {"weight": 1, "is_active": False},
    ),
    ("GET", "/quality/inspections/{inspection_id}"): lambda w, t: (
        f"/quality/inspections/{t['inspection']}",
        None,
    ),
    ("POST", "/quality/conversations/{conversation_id}/inspect"): lambda w, t: (
        f"/quality/conversations/{t['conversation']}/inspect",
        None,
    ),
    ("POST", "/quality/inspections/{inspection_id}/review"): lambda w, t: (
        f"/quality/inspections/{t['inspection']}/review",
        {"verdicts": {str(t["hit"]): "confirmed"}},
    ),
    ("POST", "/quality/hits/{hit_id}/service-failure"): lambda w, t: (
        f"/quality/hits/{t['hit']}/service-failure",
        {"note": "isolation"},
    ),
    ("GET", "/quality/agents/{agent_id}/trend"): lambda w, t: (
        f"/quality/agents/{t['user']}/trend",
        None,
    ),
    ("POST", "/quality/alerts/{alert_id}/acknowledge"): lambda w, t: (
        f"/quality/alerts/{t['alert']}/acknowledge",
        None,
    ),
    ("GET", "/complaints/cases/{case_id}"): lambda w, t: (f"/complaints/cases/{t['case']}", None),
    ("POST", "/complaints/cases/{case_id}/status"): lambda w, t: (
        f"/complaints/cases/{t['case']}/status",
        {"status": "in_progress"},
    ),
    ("POST", "/complaints/cases/{case_id}/assign"): lambda w, t: (
        f"/complaints/cases/{t['case']}/assign",
        {"owner_id": w.A["user2"], "reason": "isolation"},
    ),
    ("POST", "/complaints/cases/{case_id}/entries"): lambda w, t: (
        f"/complaints/cases/{t['case']}/entries",
        {"kind": "note", "body": "hacked"},
    ),
    ("POST", "/complaints/cases/{case_id}/classify"): lambda w, t: (
        f"/complaints/cases/{t['case']}/classify",
        {"category": "product_quality", "product_line_id": w.A["product_line"]},
    ),
    ("POST", "/complaints/cases/{case_id}/merge"): lambda w, t: (
        f"/complaints/cases/{t['case']}/merge",
        {"case_ids": [w.fresh_case()]},
    ),
    ("POST", "/complaints/cases/{case_id}/children"): lambda w, t: (
        f"/complaints/cases/{t['case']}/children",
        {"case_ids": [w.fresh_case()]},
    ),
    ("DELETE", "/complaints/cases/{case_id}/parent"): lambda w, t: (
        f"/complaints/cases/{t['child_case']}/parent",
        None,
    ),
    ("POST", "/complaints/cases/{case_id}/review"): lambda w, t: (
        f"/complaints/cases/{t['review_case']}/review",
        {"category": "other"},
    ),
    ("GET", "/complaints/alerts/{alert_id}"): lambda w, t: (
        f"/complaints/alerts/{t['complaint_alert']}",
        None,
    ),
    ("POST", "/complaints/alerts/{alert_id}/status"): lambda w, t: (
        f"/complaints/alerts/{t['complaint_alert']}/status",
        {"status": "acknowledged"},
    ),
    ("PATCH", "/complaints/recovery/{recovery_id}"): lambda w, t: (
        f"/complaints/recovery/{t['recovery']}",
        {"outcome": "recovered", "cost": "1.00"},
    ),
    # retention
    ("GET", "/retention/customers/{customer_id}/profile"): lambda w, t: (
        f"/retention/customers/{t['customer']}/profile",
        None,
    ),
    ("GET", "/retention/segments/{segment_id}"): lambda w, t: (
        f"/retention/segments/{t['segment']}",
        None,
    ),
    ("PATCH", "/retention/segments/{segment_id}"): lambda w, t: (
        f"/retention/segments/{t['segment']}",
        {"name": uniq("hacked"), "description": "hacked"},
    ),
    ("GET", "/retention/segments/{segment_id}/members"): lambda w, t: (
        f"/retention/segments/{t['segment']}/members",
        None,
    ),
    ("GET", "/retention/segments/{segment_id}/history"): lambda w, t: (
        f"/retention/segments/{t['segment']}/history",
        None,
    ),
    ("DELETE", "/retention/segments/{segment_id}"): lambda w, t: (
        f"/retention/segments/{w.fresh_segment(t)}",
        None,
    ),
    ("GET", "/retention/follow-ups/{follow_up_id}"): lambda w, t: (
        f"/retention/follow-ups/{t['follow_up']}",
        None,
    ),
    ("POST", "/retention/follow-ups/{follow_up_id}/reassign"): lambda w, t: (
        f"/retention/follow-ups/{w.fresh_follow_up(t)}/reassign",
        {"assignee_id": w.A["user2"]},
    ),
    ("POST", "/retention/follow-ups/{follow_up_id}/reschedule"): lambda w, t: (
        f"/retention/follow-ups/{w.fresh_follow_up(t)}/reschedule",
        {"due_at": "2031-01-01T00:00:00Z"},
    ),
    ("POST", "/retention/follow-ups/{follow_up_id}/complete"): lambda w, t: (
        f"/retention/follow-ups/{w.fresh_follow_up(t)}/complete",
        {"outcome": "reached", "note": "isolation"},
    ),
    ("POST", "/retention/follow-ups/{follow_up_id}/cancel"): lambda w, t: (
        f"/retention/follow-ups/{w.fresh_follow_up(t)}/cancel",
        {"note": "isolation"},
    ),
    ("PATCH", "/retention/churn-records/{record_id}"): lambda w, t: (
        f"/retention/churn-records/{t['churn_record']}",
        {"reason": "competitor"},
    ),
    ("GET", "/retention/campaigns/{campaign_id}"): lambda w, t: (
        f"/retention/campaigns/{t['campaign']}",
        None,
    ),
    ("POST", "/retention/campaigns/{campaign_id}/start"): lambda w, t: (
        f"/retention/campaigns/{t['campaign']}/start",
        None,
    ),
    ("POST", "/retention/campaigns/{campaign_id}/finish"): lambda w, t: (
        f"/retention/campaigns/{t['campaign']}/finish",
        None,
    ),
    ("GET", "/retention/campaigns/{campaign_id}/results"): lambda w, t: (
        f"/retention/campaigns/{t['campaign']}/results",
        None,
    ),
    # surveys
    ("GET", "/surveys/questionnaires/{questionnaire_id}"): lambda w, t: (
        f"/surveys/questionnaires/{t['questionnaire']}",
        None,
    ),
    ("PATCH", "/surveys/questionnaires/{questionnaire_id}"): lambda w, t: (
        f"/surveys/questionnaires/{t['questionnaire']}",
        {"name": uniq("hacked"), "rotation_weight": 3},
    ),
    ("GET", "/surveys/questionnaires/{questionnaire_id}/versions"): lambda w, t: (
        f"/surveys/questionnaires/{t['questionnaire']}/versions",
        None,
    ),
    ("GET", "/surveys/invitations/{invitation_id}"): lambda w, t: (
        f"/surveys/invitations/{t['invitation']}",
        None,
    ),
    ("GET", "/surveys/responses/{response_id}"): lambda w, t: (
        f"/surveys/responses/{t['response']}",
        None,
    ),
    ("GET", "/reports/runs/{run_id}"): lambda w, t: (f"/reports/runs/{t['report_run']}", None),
    ("GET", "/reports/runs/{run_id}/pdf"): lambda w, t: (
        f"/reports/runs/{t['report_run']}/pdf",
        None,
    ),
    ("GET", "/reports/runs/{run_id}/xlsx"): lambda w, t: (
        f"/reports/runs/{t['report_run']}/xlsx",
        None,
    ),
    ("POST", "/reports/runs/{run_id}/send"): lambda w, t: (
        f"/reports/runs/{t['report_run']}/send",
        {"recipients": ["boss@a.cn"]},
    ),
}
# The public survey answer routes carry the invitation's secret token, not a workspace's id:
# whoever holds the link answers that one invitation, by design (tests/surveys cover them).
PUBLIC_TOKEN_ROUTES = {
    ("GET", "/surveys/public/{token}"),
    ("POST", "/surveys/public/{token}/answers"),
}
# routes keyed by a name every workspace has its own copy of, not by an id: checked below
NAMED_ROUTES = {
    ("GET", "/reports/templates/{kind}"),
    ("PUT", "/reports/templates/{kind}"),
}


def openapi(db: Database) -> dict[str, Any]:
    settings = Settings(database_url=db.url, dispatch_in_process=False, reports_in_process=False)
    return create_app(settings, db).openapi()


def operations(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, ops in openapi(db)["paths"].items():
        assert path.startswith(V1), path
        for method, op in ops.items():
            out.append((method.upper(), path.removeprefix(V1), op))
    return out


def test_every_route_with_an_id_has_an_isolation_case(db: Database) -> None:
    with_ids = (
        {(m, p) for m, p, _ in operations(db) if "{" in p} - PUBLIC_TOKEN_ROUTES - NAMED_ROUTES
    )
    assert sorted(with_ids - set(PATH_CASES)) == [], "add these routes to PATH_CASES"
    assert sorted(set(PATH_CASES) - with_ids) == [], "these routes no longer exist"


def test_another_workspaces_ids_in_paths_are_404(world: World) -> None:
    w = world
    for (method, template), build in PATH_CASES.items():
        url, body = build(w, w.B)
        before_b, before_a = snapshot(w.db, w.b_ws), snapshot(w.db, w.a_ws)
        r = w.a.request(method, V1 + url, json=body)
        assert r.status_code == 404, (method, template, r.status_code, r.text)
        assert r.json()["error"]["code"] == "not_found"
        # the same answer as for an id that exists nowhere
        nowhere = re.sub(r"/\d+", "/987654321", url, count=1)
        r2 = w.a.request(method, V1 + nowhere, json=body)
        assert (r2.status_code, r2.json()) == (404, r.json()), (method, template)
        assert snapshot(w.db, w.b_ws) == before_b, (method, template)
        assert snapshot(w.db, w.a_ws) == before_a, (method, template)
    # control: the same requests against A's own rows succeed
    for (method, template), build in PATH_CASES.items():
        url, body = build(w, w.A)
        r = w.a.request(method, V1 + url, json=body)
        assert 200 <= r.status_code < 300, (method, template, r.text)


def test_named_routes_reach_only_the_callers_own_copy(world: World) -> None:
    """A report template is named by its kind in every workspace: A edits and reads A's."""
    w = world
    before_b = snapshot(w.db, w.b_ws)
    body = {"sections": ["service"], "recipients": ["a-boss@a.cn"], "scheduled": True}
    saved = ok(w.a.put(f"{V1}/reports/templates/monthly", json=body))
    assert saved["workspace_id"] == w.a_ws and saved["recipients"] == ["a-boss@a.cn"]
    assert snapshot(w.db, w.b_ws) == before_b
    theirs = ok(w.b.get(f"{V1}/reports/templates/monthly"))
    assert theirs["workspace_id"] == w.b_ws and theirs["recipients"] == [] and not theirs["saved"]


# --- ids inside request bodies ----------------------------------------------------------------

Ref = Callable[[World, Ids], tuple[str, str, dict[str, Any]]]


def _order(field: str, key: str) -> Ref:
    def build(w: World, t: Ids) -> tuple[str, str, dict[str, Any]]:
        body = {"customer_id": w.A["customer"], "product_id": w.A["product"], "amount": "1.00"}
        return "POST", "/orders", {**body, field: t[key]}

    return build


def _new_conversation(field: str, key: str) -> Ref:
    def build(w: World, t: Ids) -> tuple[str, str, dict[str, Any]]:
        return "POST", "/conversations", {"channel_id": w.A["channel"], field: t[key]}

    return build


def _patch_conversation(field: str, key: str) -> Ref:
    def build(w: World, t: Ids) -> tuple[str, str, dict[str, Any]]:
        return "PATCH", f"/conversations/{w.fresh_conversation()}", {field: t[key]}

    return build


def _transfer_to(field: str, key: str) -> Ref:
    def build(w: World, t: Ids) -> tuple[str, str, dict[str, Any]]:
        conv = w.fresh_conversation(assignee_id=w.A["user2"])
        return "POST", f"/conversations/{conv}/transfer", {"reason": "x", field: t[key]}

    return build


def _new_case(field: str, key: str) -> Ref:
    def build(w: World, t: Ids) -> tuple[str, str, dict[str, Any]]:
        return "POST", "/complaints/cases", {"title": uniq("case"), field: t[key]}

    return build


def _new_user(w: World, t: Ids) -> tuple[str, str, dict[str, Any]]:
    body = {"email": f"{uniq('u')}@a.cn", "name": "n", "password": PASSWORD}
    return "POST", "/users", {**body, "role_id": t["agent_role"]}


def _new_user_groups(w: World, t: Ids) -> tuple[str, str, dict[str, Any]]:
    body = {"email": f"{uniq('u')}@a.cn", "name": "n", "password": PASSWORD}
    return (
        "POST",
        "/users",
        {
            **body,
            "role_id": w.A["agent_role"],
            "skill_group_ids": [w.A["skill_group2"], t["skill_group"]],
        },
    )


# (method, path, field) -> build(world, ids the field points at) -> (method, url, body)
BODY_CASES: dict[tuple[str, str, str], Ref] = {
    ("POST", "/users", "role_id"): _new_user,
    ("POST", "/users", "skill_group_ids"): _new_user_groups,
    ("PATCH", "/users/{user_id}", "role_id"): lambda w, t: (
        "PATCH",
        f"/users/{w.A['user2']}",
        {"role_id": t["role"]},
    ),
    ("PATCH", "/users/{user_id}", "skill_group_ids"): lambda w, t: (
        "PATCH",
        f"/users/{w.A['user2']}",
        {"skill_group_ids": [t["skill_group"]]},
    ),
    ("POST", "/api-keys", "role_id"): lambda w, t: (
        "POST",
        "/api-keys",
        {"name": "k", "role_id": t["role"]},
    ),
    ("POST", "/customers/{customer_id}/merge", "duplicate_id"): lambda w, t: (
        "POST",
        f"/customers/{w.fresh_customer()}/merge",
        {"duplicate_id": t["customer2"]},
    ),
    ("POST", "/products", "product_line_id"): lambda w, t: (
        "POST",
        "/products",
        {"product_line_id": t["product_line"], "sku": uniq("S"), "name": "n", "price": "1"},
    ),
    ("PATCH", "/products/{product_id}", "product_line_id"): lambda w, t: (
        "PATCH",
        f"/products/{w.A['product']}",
        {"product_line_id": t["product_line"]},
    ),
    ("POST", "/orders", "customer_id"): _order("customer_id", "customer"),
    ("POST", "/orders", "product_id"): _order("product_id", "product"),
    ("POST", "/orders", "source_conversation_id"): _order("source_conversation_id", "conversation"),
    ("PUT", "/daily-sales", "product_line_id"): lambda w, t: (
        "PUT",
        "/daily-sales",
        {
            "product_line_id": t["product_line"],
            "day": "2026-01-01",
            "orders": 1,
            "units": 1,
            "revenue": "1",
        },
    ),
    ("POST", "/conversations", "channel_id"): _new_conversation("channel_id", "channel"),
    ("POST", "/conversations", "customer_id"): _new_conversation("customer_id", "customer"),
    ("POST", "/conversations", "skill_group_id"): _new_conversation(
        "skill_group_id", "skill_group"
    ),
    ("POST", "/conversations", "product_line_id"): _new_conversation(
        "product_line_id", "product_line"
    ),
    ("POST", "/conversations", "assignee_id"): _new_conversation("assignee_id", "user"),
    ("PATCH", "/conversations/{conversation_id}", "assignee_id"): _patch_conversation(
        "assignee_id", "user"
    ),
    ("PATCH", "/conversations/{conversation_id}", "skill_group_id"): _patch_conversation(
        "skill_group_id", "skill_group"
    ),
    ("PATCH", "/conversations/{conversation_id}", "product_line_id"): _patch_conversation(
        "product_line_id", "product_line"
    ),
    ("POST", "/conversations/{conversation_id}/transfer", "to_user_id"): _transfer_to(
        "to_user_id", "user"
    ),
    ("POST", "/conversations/{conversation_id}/transfer", "to_skill_group_id"): _transfer_to(
        "to_skill_group_id", "skill_group"
    ),
    ("POST", "/conversations/{conversation_id}/messages", "sender_user_id"): lambda w, t: (
        "POST",
        f"/conversations/{w.A['conversation']}/messages",
        {"sender_type": "agent", "body": "x", "sender_user_id": t["user"]},
    ),
    ("POST", "/quality/coaching-notes", "agent_id"): lambda w, t: (
        "POST",
        "/quality/coaching-notes",
        {"agent_id": t["user"], "body": "x"},
    ),
    ("POST", "/quality/coaching-notes", "inspection_id"): lambda w, t: (
        "POST",
        "/quality/coaching-notes",
        {"agent_id": w.A["user"], "body": "x", "inspection_id": t["inspection"]},
    ),
    ("POST", "/quality/coaching-notes", "hit_id"): lambda w, t: (
        "POST",
        "/quality/coaching-notes",
        {"agent_id": w.A["user"], "body": "x", "hit_id": t["hit"]},
    ),
    ("POST", "/messages:batch", "conversation_id"): lambda w, t: (
        "POST",
        "/messages:batch",
        {
            "messages": [
                {"conversation_id": w.A["conversation"], "sender_type": "customer", "body": "mine"},
                {"conversation_id": t["conversation"], "sender_type": "customer", "body": "theirs"},
            ]
        },
    ),
    ("POST", "/messages:batch", "sender_user_id"): lambda w, t: (
        "POST",
        "/messages:batch",
        {
            "messages": [
                {"conversation_id": w.A["conversation"], "sender_type": "customer", "body": "mine"},
                {
                    "conversation_id": w.A["conversation"],
                    "sender_type": "agent",
                    "body": "x",
                    "sender_user_id": t["user"],
                },
            ]
        },
    ),
    ("POST", "/complaints/cases", "customer_id"): _new_case("customer_id", "customer"),
    ("POST", "/complaints/cases", "conversation_id"): _new_case("conversation_id", "conversation"),
    ("POST", "/complaints/cases", "product_line_id"): _new_case("product_line_id", "product_line"),
    ("POST", "/complaints/cases", "owner_id"): _new_case("owner_id", "user"),
    ("POST", "/complaints/cases/{case_id}/assign", "owner_id"): lambda w, t: (
        "POST",
        f"/complaints/cases/{w.fresh_case()}/assign",
        {"owner_id": t["user"]},
    ),
    ("POST", "/complaints/cases/{case_id}/classify", "product_line_id"): lambda w, t: (
        "POST",
        f"/complaints/cases/{w.fresh_case()}/classify",
        {"category": "other", "product_line_id": t["product_line"]},
    ),
    ("POST", "/complaints/cases/{case_id}/merge", "case_ids"): lambda w, t: (
        "POST",
        f"/complaints/cases/{w.fresh_case()}/merge",
        {"case_ids": [t["dup_case"]]},
    ),
    ("POST", "/complaints/cases/{case_id}/children", "case_ids"): lambda w, t: (
        "POST",
        f"/complaints/cases/{w.fresh_case()}/children",
        {"case_ids": [t["link_case"]]},
    ),
    ("POST", "/complaints/cases/{case_id}/review", "product_line_id"): lambda w, t: (
        "POST",
        f"/complaints/cases/{w.fresh_case(category='other')}/review",
        {"category": "other", "product_line_id": t["product_line"]},
    ),
    ("POST", "/complaints/recovery", "source_id"): lambda w, t: (
        "POST",
        "/complaints/recovery",
        {
            "source_kind": "case",
            "source_id": t["case"],
            "root_cause": "person",
            "action": "apology",
        },
    ),
    ("POST", "/complaints/recovery", "owner_id"): lambda w, t: (
        "POST",
        "/complaints/recovery",
        {
            "source_kind": "case",
            "source_id": w.A["case"],
            "root_cause": "person",
            "action": "apology",
            "owner_id": t["user"],
        },
    ),
    ("PUT", "/complaints/settings", "owner_group_id"): lambda w, t: (
        "PUT",
        "/complaints/settings",
        {"owner_group_id": t["skill_group"]},
    ),
    ("POST", "/retention/follow-ups", "customer_id"): lambda w, t: (
        "POST",
        "/retention/follow-ups",
        {"customer_id": t["customer"], "due_at": "2030-01-01T00:00:00Z"},
    ),
    ("POST", "/retention/follow-ups", "assignee_id"): lambda w, t: (
        "POST",
        "/retention/follow-ups",
        {
            "customer_id": w.A["customer"],
            "due_at": "2030-01-01T00:00:00Z",
            "assignee_id": t["user"],
        },
    ),
    ("POST", "/retention/follow-ups/{follow_up_id}/reassign", "assignee_id"): lambda w, t: (
        "POST",
        f"/retention/follow-ups/{w.fresh_follow_up(w.A)}/reassign",
        {"assignee_id": t["user"]},
    ),
    ("POST", "/retention/churn-records", "customer_id"): lambda w, t: (
        "POST",
        "/retention/churn-records",
        {"customer_id": t["customer"], "reason": "price"},
    ),
    ("POST", "/retention/campaigns", "segment_id"): lambda w, t: (
        "POST",
        "/retention/campaigns",
        {"name": uniq("campaign"), "segment_id": t["segment"]},
    ),
    ("PUT", "/retention/settings", "follow_up_group_id"): lambda w, t: (
        "PUT",
        "/retention/settings",
        {"follow_up_group_id": t["skill_group"]},
    ),
    ("POST", "/surveys/questionnaires", "segment_id"): lambda w, t: (
        "POST",
        "/surveys/questionnaires",
        {
            "code": uniq("q"),
            "name": uniq("问卷"),
            "kind": "csat",
            "segment_id": t["segment"],
            "questions": [
                {"key": "overall", "kind": "csat5", "text": {"zh_CN": "满意吗", "en": "Happy?"}}
            ],
        },
    ),
    ("PATCH", "/surveys/questionnaires/{questionnaire_id}", "segment_id"): lambda w, t: (
        "PATCH",
        f"/surveys/questionnaires/{w.A['questionnaire']}",
        {"segment_id": t["segment"]},
    ),
    ("POST", "/surveys/invitations", "conversation_id"): lambda w, t: (
        "POST",
        "/surveys/invitations",
        {"kind": "csat", "channel": "link", "conversation_id": t["conversation"]},
    ),
    ("POST", "/surveys/invitations", "customer_id"): lambda w, t: (
        "POST",
        "/surveys/invitations",
        {"kind": "nps", "channel": "link", "customer_id": t["customer"]},
    ),
    ("POST", "/surveys/invitations", "questionnaire_id"): lambda w, t: (
        "POST",
        "/surveys/invitations",
        {
            "kind": "csat",
            "channel": "link",
            "conversation_id": w.fresh_conversation(customer_id=w.A["customer"]),
            "questionnaire_id": t["questionnaire"],
        },
    ),
}

NOT_REFERENCES = {"external_id", "external_ids", "idempotency_key"}  # identities, not row ids


def _id_fields(
    spec: dict[str, Any], schema: dict[str, Any], seen: frozenset[str] = frozenset()
) -> set[str]:
    """Names of the id-valued fields of a request schema, nested objects and arrays included."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return set()
        return _id_fields(spec, spec["components"]["schemas"][name], seen | {name})
    found: set[str] = set()
    for sub in schema.get("anyOf", []) + schema.get("allOf", []):
        found |= _id_fields(spec, sub, seen)
    if "items" in schema:
        found |= _id_fields(spec, schema["items"], seen)
    for prop, sub in schema.get("properties", {}).items():
        if re.fullmatch(r".+_ids?", prop) and prop not in NOT_REFERENCES:
            found.add(prop)
        found |= _id_fields(spec, sub, seen)
    return found


def test_every_id_in_a_body_has_an_isolation_case(db: Database) -> None:
    spec = openapi(db)
    wanted = set()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for field in _id_fields(spec, body["schema"]):
                    wanted.add((method.upper(), path.removeprefix(V1), field))
    assert sorted(wanted - set(BODY_CASES)) == [], "add these body fields to BODY_CASES"
    assert sorted(set(BODY_CASES) - wanted) == [], "these body fields no longer exist"


def test_another_workspaces_ids_in_bodies_are_404(world: World) -> None:
    w = world
    for key, build in BODY_CASES.items():
        method, url, body = build(w, w.B)
        before_b, before_a = snapshot(w.db, w.b_ws), snapshot(w.db, w.a_ws)
        r = w.a.request(method, V1 + url, json=body)
        assert r.status_code == 404, (key, r.status_code, r.text)
        assert r.json()["error"]["code"] == "not_found"
        assert snapshot(w.db, w.b_ws) == before_b, key
        assert snapshot(w.db, w.a_ws) == before_a, key  # nothing half-written in A either
    for key, build in BODY_CASES.items():
        method, url, body = build(w, w.A)
        r = w.a.request(method, V1 + url, json=body)
        assert 200 <= r.status_code < 300, (key, r.text)


# --- lists and id filters ---------------------------------------------------------------------

# GET route without an id -> (model whose rows it lists, how to read the row ids of a response)
Extract = Callable[[Any], list[int]]


def _items(key: str = "id") -> Extract:
    def extract(body: Any) -> list[int]:
        rows = body["items"] if isinstance(body, dict) else body
        return [int(r[key]) for r in rows]

    return extract


LIST_CASES: dict[str, tuple[Any, Extract]] = {
    "/me": (None, lambda b: [int(b["workspace"]["id"])]),
    "/workspace": (None, lambda b: [int(b["id"])]),
    "/roles": (Role, _items()),
    "/users": (User, _items()),
    "/skill-groups": (SkillGroup, _items()),
    "/api-keys": (ApiKey, _items()),
    "/customers": (Customer, _items()),
    "/product-lines": (ProductLine, _items()),
    "/products": (Product, _items()),
    "/orders": (Order, _items()),
    "/daily-sales": (ProductLine, _items("product_line_id")),
    "/channels": (Channel, _items()),
    "/conversations": (Conversation, _items()),
    "/events": (OutboxEvent, _items()),
    "/quality/rules": (InspectionRule, _items()),
    "/quality/inspections": (Inspection, _items()),
    "/quality/coaching-notes": (CoachingNote, _items()),
    "/quality/agents": (User, _items("agent_id")),
    "/quality/summary": (None, lambda b: [int(b["workspace_id"])]),
    "/quality/alerts": (QualityAlert, _items()),
    "/analytics/catalogue": (None, lambda b: [int(b["workspace_id"])]),
    "/analytics/query": (None, lambda b: [int(b["workspace_id"])]),
    "/analytics/funnel": (None, lambda b: [int(b["workspace_id"])]),
    "/analytics/agents": (None, lambda b: [int(b["workspace_id"])]),
    "/analytics/diagnosis": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/cases": (Case, _items()),
    "/complaints/alerts": (ComplaintAlert, _items()),
    "/complaints/recovery": (RecoveryRecord, _items()),
    "/complaints/grid": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/charts": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/pareto": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/value-tiers": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/fix-ranking": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/root-causes": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/silent": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/requests": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/settings": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/warning": (None, lambda b: [int(b["workspace_id"])]),
    "/complaints/review/agreement": (None, lambda b: [int(b["workspace_id"])]),
    "/retention/scores": (Customer, _items("customer_id")),
    "/retention/segments": (Segment, _items()),
    "/retention/follow-ups": (FollowUp, _items()),
    "/retention/churn-records": (ChurnRecord, _items()),
    "/retention/campaigns": (Campaign, _items()),
    "/retention/value-tiers": (None, lambda b: [int(b["workspace_id"])]),
    "/retention/follow-ups/summary": (None, lambda b: [int(b["workspace_id"])]),
    "/retention/churn-reasons": (None, lambda b: [int(b["workspace_id"])]),
    "/retention/economics": (None, lambda b: [int(b["workspace_id"])]),
    "/retention/settings": (None, lambda b: [int(b["workspace_id"])]),
    "/surveys/questionnaires": (Questionnaire, _items()),
    "/surveys/invitations": (SurveyInvitation, _items()),
    "/surveys/responses": (SurveyResponse, _items()),
    "/surveys/results": (None, lambda b: [int(b["workspace_id"])]),
    "/surveys/response-rates": (None, lambda b: [int(b["workspace_id"])]),
    "/surveys/ipa": (None, lambda b: [int(b["workspace_id"])]),
    "/reports/templates": (None, lambda b: sorted({int(x["workspace_id"]) for x in b})),
    "/reports/runs": (ReportRun, _items()),
}

# list endpoint -> {query parameter: key of the B id to filter by}
FILTER_CASES: dict[str, dict[str, str]] = {
    "/users": {"skill_group_id": "skill_group"},
    "/products": {"product_line_id": "product_line"},
    "/orders": {
        "customer_id": "customer",
        "product_id": "product",
        "source_conversation_id": "conversation",
    },
    "/daily-sales": {"product_line_id": "product_line"},
    "/conversations": {
        "channel_id": "channel",
        "customer_id": "customer",
        "assignee_id": "user",
        "skill_group_id": "skill_group",
    },
    "/quality/inspections": {"agent_id": "user"},
    "/quality/coaching-notes": {"agent_id": "user"},
    "/quality/alerts": {"conversation_id": "conversation"},
    "/complaints/cases": {
        "product_line_id": "product_line",
        "customer_id": "customer",
        "owner_id": "user",
    },
    "/complaints/recovery": {"case_id": "case", "customer_id": "customer"},
    "/retention/scores": {"segment_id": "segment"},
    "/retention/follow-ups": {"customer_id": "customer", "assignee_id": "user"},
    "/retention/churn-records": {"customer_id": "customer2"},
    "/surveys/invitations": {
        "agent_id": "user",
        "conversation_id": "conversation",
        "customer_id": "customer",
        "questionnaire_id": "questionnaire",
    },
    "/surveys/responses": {
        "agent_id": "user",
        "conversation_id": "conversation",
        "customer_id": "customer",
        "questionnaire_id": "questionnaire",
    },
}
# Analytics answers figures, not rows: filtering by another workspace's ids must count nothing.
_ANALYTICS_IDS = {
    "channel_id": "channel",
    "skill_group_id": "skill_group",
    "agent_id": "user",
    "product_line_id": "product_line",
}
FIGURE_FILTER_CASES: dict[str, tuple[dict[str, str], Callable[[Any], float]]] = {
    "/analytics/query": (_ANALYTICS_IDS, lambda b: b["total"]["values"]["contacts"]),
    "/analytics/funnel": (_ANALYTICS_IDS, lambda b: b["overall"]["steps"][0]["count"]),
    "/analytics/agents": (_ANALYTICS_IDS, lambda b: len(b["agents"])),
    "/analytics/diagnosis": (_ANALYTICS_IDS, lambda b: len(b["findings"])),
    "/surveys/ipa": ({"questionnaire_id": "questionnaire"}, lambda b: b["responses"]),
}


def test_every_list_and_id_filter_has_an_isolation_case(db: Database) -> None:
    lists = {p for m, p, _ in operations(db) if m == "GET" and "{" not in p}
    assert sorted(lists ^ set(LIST_CASES)) == [], "LIST_CASES and the API disagree"
    filters = {
        (p, q["name"])
        for m, p, op in operations(db)
        if m == "GET"
        for q in op.get("parameters", [])
        if q["in"] == "query" and q["name"].endswith("_id")
    }
    covered = {(p, q) for p, qs in FILTER_CASES.items() for q in qs}
    covered |= {(p, q) for p, (qs, _) in FIGURE_FILTER_CASES.items() for q in qs}
    assert sorted(filters ^ covered) == [], "FILTER_CASES and the API disagree"


def _workspaces_of(db: Database, model: Any, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    with db.session() as s:
        rows = s.execute(select(model.id, model.workspace_id).where(model.id.in_(ids))).all()
    assert {r[0] for r in rows} == set(ids)
    return {int(r[1]) for r in rows}


def test_lists_show_only_the_callers_rows(world: World) -> None:
    w = world
    for path, (model, extract) in LIST_CASES.items():
        for client, ws in ((w.a, w.a_ws), (w.b, w.b_ws)):
            r = client.get(
                V1 + path,
                params={"limit": 200}
                if path
                not in (
                    "/me",
                    "/workspace",
                    "/roles",
                    "/skill-groups",
                    "/api-keys",
                    "/product-lines",
                    "/channels",
                    "/quality/rules",
                    "/quality/agents",
                    "/quality/summary",
                    "/analytics/catalogue",
                    "/analytics/query",
                    "/analytics/funnel",
                    "/analytics/agents",
                    "/analytics/diagnosis",
                    "/complaints/grid",
                    "/complaints/charts",
                    "/complaints/pareto",
                    "/complaints/value-tiers",
                    "/complaints/fix-ranking",
                    "/complaints/root-causes",
                    "/complaints/silent",
                    "/complaints/requests",
                    "/complaints/settings",
                    "/complaints/warning",
                    "/complaints/review/agreement",
                    "/retention/value-tiers",
                    "/retention/follow-ups/summary",
                    "/retention/churn-reasons",
                    "/retention/economics",
                    "/retention/settings",
                    "/surveys/results",
                    "/surveys/response-rates",
                    "/surveys/ipa",
                    "/reports/templates",
                )
                else None,
            )
            ids = extract(ok(r))
            assert ids, path  # each workspace has rows of every kind
            if model is None:
                assert ids == [ws], path
            else:
                assert _workspaces_of(w.db, model, ids) == {ws}, path
    messages = ok(w.a.get(f"{V1}/conversations/{w.A['conversation']}/messages"))
    assert _workspaces_of(w.db, Message, [m["id"] for m in messages]) == {w.a_ws}


def _refused_like_missing(w: World, path: str, param: str, r: Any) -> bool:
    """A filter that checks its id may refuse B's, but exactly as an id that exists nowhere."""
    if r.status_code != 404:
        return False
    nowhere = w.a.get(V1 + path, params={param: 987654321})
    assert (nowhere.status_code, nowhere.json()) == (404, r.json()), (path, param)
    return True


def test_filters_by_another_workspaces_ids_find_nothing(world: World) -> None:
    w = world
    for path, params in FILTER_CASES.items():
        for param, key in params.items():
            theirs = ok(w.b.get(V1 + path, params={param: w.B[key]}))
            assert theirs["total"] >= 1, (path, param)  # B does have such rows
            r = w.a.get(V1 + path, params={param: w.B[key]})
            if _refused_like_missing(w, path, param, r):
                continue
            mine = ok(r)
            assert (mine["total"], mine["items"]) == (0, []), (path, param)
    for path, (params, count) in FIGURE_FILTER_CASES.items():
        for param, key in params.items():
            r = w.a.get(V1 + path, params={param: w.B[key]})
            if _refused_like_missing(w, path, param, r):
                continue
            mine = ok(r)
            assert mine["workspace_id"] == w.a_ws and count(mine) == 0, (path, param)


def test_replays_check_ids_too(world: World) -> None:
    """An idempotent replay (same external id) naming B's rows is a 404, not A's row with 200."""
    w = world
    order = {
        "external_id": "o-1",  # exists in A
        "customer_id": w.A["customer"],
        "product_id": w.A["product"],
        "amount": "9.90",
    }
    assert w.a.post(f"{V1}/orders", json=order).status_code == 200
    conv = {"channel_id": w.A["channel"], "external_id": "chat-1"}  # exists in A
    assert w.a.post(f"{V1}/conversations", json=conv).status_code == 200
    before = snapshot(w.db, w.b_ws)
    for field, key in (
        ("customer_id", "customer"),
        ("product_id", "product"),
        ("source_conversation_id", "conversation"),
    ):
        r = w.a.post(f"{V1}/orders", json={**order, field: w.B[key]})
        assert r.status_code == 404, (field, r.text)
    for field, key in (
        ("customer_id", "customer"),
        ("skill_group_id", "skill_group"),
        ("product_line_id", "product_line"),
        ("assignee_id", "user"),
    ):
        r = w.a.post(f"{V1}/conversations", json={**conv, field: w.B[key]})
        assert r.status_code == 404, (field, r.text)
    r = w.a.post(
        f"{V1}/conversations/{w.A['conversation']}/messages",
        json={
            "sender_type": "agent",
            "body": "在的",
            "sender_user_id": w.B["user"],
            "idempotency_key": "m-1",
        },
    )
    assert r.status_code == 404
    assert snapshot(w.db, w.b_ws) == before
