"""The retention REST API: scores and profiles, segments, follow-ups, churn records, campaigns,
economics and settings; bad input, permissions, and other workspaces' ids answering 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.crm import profiles
from liuke.crm.models import ChurnRecord
from liuke.workspaces import service as ws_service
from tests.conftest import PASSWORD, WorkspaceCtx, drain_events
from tests.crm.test_profiles import AS_OF, customer, days_ago, noon, order, shop

R = "/api/v1/retention"


@pytest.fixture(autouse=True)
def model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("LIUKE_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


def refused(r: Any, status: int, fragment: str = "") -> None:
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"]["message"], r.text


def world(db: Database, ws: int) -> dict[str, int]:
    """Three customers with orders, one without, profiles refreshed; one churn record."""
    with db.session() as s:
        p = shop(s, ws)
        big = customer(s, ws, "大客户", tier="key_account")
        mid = customer(s, ws, "中客户")
        lapsed = customer(s, ws, "沉睡客户")
        none = customer(s, ws, "无订单")
        for d in (1, 30, 60):
            order(s, ws, p, big, 900, days_ago(d))
        order(s, ws, p, mid, 200, days_ago(10))
        order(s, ws, p, lapsed, 100, days_ago(300))
        profiles.refresh_profiles(s, ws, AS_OF)
        profiles.score_of(s, ws, big).churn_probability = 0.7  # type: ignore[union-attr]
        profiles.score_of(s, ws, mid).churn_probability = 0.2  # type: ignore[union-attr]
        rec = ChurnRecord(
            workspace_id=ws, customer_id=lapsed, churned_at=noon(days_ago(20)), source="detected"
        )
        s.add(rec)
        s.flush()
        return {"big": big, "mid": mid, "lapsed": lapsed, "none": none, "churn": rec.id}


def test_scores_profiles_and_value_tiers(
    client: TestClient, db: Database, workspace: WorkspaceCtx
) -> None:
    w = world(db, workspace.id)
    page = ok(client.get(f"{R}/scores"))
    assert page["total"] == 4
    assert [x["customer_id"] for x in page["items"]][:2] == [w["big"], w["mid"]]
    first = page["items"][0]
    assert (first["name"], first["tier"], first["grade"], first["no_history"]) == (
        "大客户", "key_account", "B", False,
    )  # fmt: skip
    assert sum(r["points"] for r in first["grade_reasons"]) == first["grade_score"]
    risky = ok(client.get(f"{R}/scores", params={"min_probability": 0.5}))
    assert [x["customer_id"] for x in risky["items"]] == [w["big"]]
    tier = ok(client.get(f"{R}/scores", params={"value_tier": "none"}))
    assert [x["customer_id"] for x in tier["items"]] == [w["none"]]
    assert ok(client.get(f"{R}/scores", params={"grade": "D"}))["total"] == 0
    refused(client.get(f"{R}/scores", params={"rfm_segment": "vip"}), 400, "unknown RFM segment")
    assert client.get(f"{R}/scores", params={"grade": "E"}).status_code == 422
    prof = ok(client.get(f"{R}/customers/{w['none']}/profile"))
    assert prof["note"] == "no history: this customer has no paid order"
    assert prof["score"]["no_history"] and prof["score"]["value_tier"] == "none"
    assert prof["churn"] is None and prof["follow_ups"] == [] and prof["segments"] == []
    lapsed = ok(client.get(f"{R}/customers/{w['lapsed']}/profile"))
    assert lapsed["churn"]["id"] == w["churn"] and lapsed["churn"]["customer_name"] == "沉睡客户"
    panel = ok(client.get(f"{R}/value-tiers"))["result"]
    assert panel["paying_customers"] == 3 and panel["customers"] == 4
    assert Decimal(panel["total_revenue"]) == Decimal("3000.00")
    refreshed = ok(client.post(f"{R}/profiles/refresh", json={"as_of": str(AS_OF)}))
    assert refreshed == {"as_of": str(AS_OF), "profiles": 4}


def test_segments_over_the_api(client: TestClient, db: Database, workspace: WorkspaceCtx) -> None:
    w = world(db, workspace.id)
    bad = {"code": "vip", "name": "VIP", "rule": {"all": [{"field": "age", "op": ">", "value": 1}]}}
    refused(client.post(f"{R}/segments", json=bad), 400, "$.all[0]: unknown field 'age'")
    rule = {"field": "monetary", "op": ">=", "value": 1000}
    vip = ok(client.post(f"{R}/segments", json={"code": "vip", "name": "VIP", "rule": rule}), 201)
    assert (vip["kind"], vip["system"], vip["empty"]) == ("rule", False, True)
    assert vip["note"].startswith("not refreshed yet")
    assert vip["rule_text"] == "近一年消费金额至少为1000"
    en = ok(client.get(f"{R}/segments/{vip['id']}", params={"lang": "en"}))
    assert en["rule_text"] == "Spend in the last 365 days is at least 1000"
    refused(client.post(f"{R}/segments", json={**bad, "rule": rule}), 409)
    nobody = ok(
        client.post(
            f"{R}/segments",
            json={
                "code": "nobody",
                "name": "无人",
                "rule": {"field": "frequency", "op": ">", "value": 99},
            },
        ),
        201,
    )
    preview = ok(client.post(f"{R}/segments/preview", json={"rule": rule, "day": str(AS_OF)}))
    assert (preview["matching"], preview["sample"]) == (1, [w["big"]])
    refused(client.post(f"{R}/segments/preview", json={"rule": {"any": 1}}), 400, "at $:")
    report = ok(client.post(f"{R}/segments/refresh", json={"day": str(AS_OF)}))
    assert report["members"]["vip"] == 1 and "nobody" in report["empty"]
    members = ok(client.get(f"{R}/segments/{vip['id']}/members"))
    assert [m["customer_id"] for m in members["items"]] == [w["big"]]
    assert members["items"][0]["since"] == str(AS_OF)
    empty = ok(client.get(f"{R}/segments/{nobody['id']}/members"))
    assert empty["total"] == 0 and empty["items"] == []
    detail = ok(client.get(f"{R}/segments/{nobody['id']}"))
    assert (
        detail["empty"] and detail["note"] == "no customer matches this segment at the last refresh"
    )
    history = ok(client.get(f"{R}/segments/{vip['id']}/history"))
    assert history == [{"day": str(AS_OF), "joined": 1, "left": 0, "members": 1}]
    segs = ok(client.get(f"{R}/segments", params={"limit": 100}))
    codes = {x["code"] for x in segs["items"]}
    assert {"vip", "nobody", "rfm:key_value", "tier:top20", "risk:high"} <= codes
    system = next(x for x in segs["items"] if x["code"] == "tier:top20")
    refused(
        client.patch(f"{R}/segments/{system['id']}", json={"rule": rule}), 400, "system segment"
    )
    refused(client.delete(f"{R}/segments/{system['id']}"), 400, "system segment")
    patched = ok(client.patch(f"{R}/segments/{vip['id']}", json={"name": "大客户"}))
    assert patched["name"] == "大客户"
    prof = ok(client.get(f"{R}/customers/{w['big']}/profile"))
    assert "vip" in {x["code"] for x in prof["segments"]}
    assert client.delete(f"{R}/segments/{nobody['id']}").status_code == 204
    refused(client.get(f"{R}/segments/{nobody['id']}"), 404)
    refused(client.post(f"{R}/segments/refresh", json={"day": str(AS_OF - timedelta(days=1))}), 400)


def test_follow_ups_over_the_api(
    client: TestClient,
    client_for: Callable[..., TestClient],
    db: Database,
    workspace: WorkspaceCtx,
) -> None:
    w = world(db, workspace.id)
    with db.session() as s:
        agent = ws_service.create_user(
            s, workspace.id, f"agent@{workspace.slug}.test", "客服", PASSWORD, "agent"
        ).id
    as_agent = client_for(workspace, f"agent@{workspace.slug}.test")
    due = noon(AS_OF).isoformat()
    body = {"customer_id": w["big"], "due_at": due, "reason": "回访", "assignee_id": agent}
    f = ok(as_agent.post(f"{R}/follow-ups", json=body), 201)
    assert (f["status"], f["overdue"], f["assignee_id"], f["kind"]) == (
        "open",
        True,
        agent,
        "manual",
    )
    assert (
        as_agent.post(f"{R}/follow-ups", json={**body, "due_at": "2026-03-31T12:00:00"}).status_code
        == 422
    )
    mine = ok(as_agent.get(f"{R}/follow-ups", params={"mine": True}))
    assert [x["id"] for x in mine["items"]] == [f["id"]]
    assert ok(client.get(f"{R}/follow-ups", params={"mine": True}))["total"] == 0
    assert ok(client.get(f"{R}/follow-ups", params={"overdue": True}))["total"] == 1
    summary = ok(client.get(f"{R}/follow-ups/summary"))["result"]
    assert (summary["open"], summary["overdue"]) == (1, 1)
    assert summary["by_assignee"][0]["assignee_id"] == agent
    refused(
        as_agent.post(f"{R}/follow-ups/{f['id']}/complete", json={"outcome": "other"}),
        400,
        "needs a note",
    )
    assert (
        as_agent.post(f"{R}/follow-ups/{f['id']}/complete", json={"outcome": "great"}).status_code
        == 422
    )
    later = (noon(AS_OF) + timedelta(days=3)).isoformat()
    moved = ok(as_agent.post(f"{R}/follow-ups/{f['id']}/reschedule", json={"due_at": later}))
    assert moved["due_at"].startswith("2026-04-03")
    moved = ok(
        as_agent.post(
            f"{R}/follow-ups/{f['id']}/reassign", json={"assignee_id": workspace.admin_id}
        )
    )
    assert moved["assignee_id"] == workspace.admin_id
    done = ok(
        as_agent.post(
            f"{R}/follow-ups/{f['id']}/complete", json={"outcome": "reached", "note": "好"}
        )
    )
    assert (done["status"], done["outcome"], done["completed_by"]) == ("done", "reached", agent)
    refused(
        as_agent.post(f"{R}/follow-ups/{f['id']}/complete", json={"outcome": "reached"}),
        409,
        "already done",
    )
    refused(as_agent.post(f"{R}/follow-ups/{f['id']}/cancel", json={}), 409)
    assert ok(client.get(f"{R}/follow-ups/{f['id']}"))["outcome"] == "reached"
    # rules are for managers; an agent may not run them
    assert as_agent.post(f"{R}/follow-ups/run-rules", json={}).status_code == 403
    report = ok(
        client.post(
            f"{R}/follow-ups/run-rules", json={"now": noon(AS_OF + timedelta(days=1)).isoformat()}
        )
    )
    assert report["high_risk"] == 1  # the key account at 0.7 >= 0.5
    risky = ok(client.get(f"{R}/follow-ups", params={"kind": "high_risk"}))
    assert [x["customer_id"] for x in risky["items"]] == [w["big"]]
    prof = ok(client.get(f"{R}/customers/{w['big']}/profile"))
    assert {x["kind"] for x in prof["follow_ups"]} == {"manual", "high_risk"}


def test_resolved_complaint_follow_up_through_the_apis(
    client: TestClient, db: Database, workspace: WorkspaceCtx
) -> None:
    w = world(db, workspace.id)
    case = ok(
        client.post("/api/v1/complaints/cases", json={"title": "坏了", "customer_id": w["mid"]}),
        201,
    )
    ok(
        client.post(
            f"/api/v1/complaints/cases/{case['id']}/status",
            json={"status": "resolved", "resolution": "换货"},
        )
    )
    drain_events(db)
    tasks = ok(client.get(f"{R}/follow-ups", params={"customer_id": w["mid"]}))
    assert [(x["kind"], x["source_id"]) for x in tasks["items"]] == [
        ("complaint_resolved", str(case["id"]))
    ]


def test_churn_records_and_reasons(
    client: TestClient, db: Database, workspace: WorkspaceCtx
) -> None:
    w = world(db, workspace.id)
    page = ok(client.get(f"{R}/churn-records"))
    assert [(x["id"], x["reason"], x["customer_name"]) for x in page["items"]] == [
        (w["churn"], "unknown", "沉睡客户")
    ]
    dist = ok(client.get(f"{R}/churn-reasons"))["result"]
    assert dist["total"] == 1 and dist["note"].startswith("no reason recorded yet")
    refused(
        client.patch(f"{R}/churn-records/{w['churn']}", json={"reason": "other"}),
        400,
        "needs a detail",
    )
    assert (
        client.patch(f"{R}/churn-records/{w['churn']}", json={"reason": "weather"}).status_code
        == 422
    )
    rec = ok(
        client.patch(f"{R}/churn-records/{w['churn']}", json={"reason": "price", "detail": "太贵"})
    )
    assert (rec["reason"], rec["detail"], rec["recorded_by"]) == (
        "price",
        "太贵",
        workspace.admin_id,
    )
    new = client.post(f"{R}/churn-records", json={"customer_id": w["mid"], "reason": "competitor"})
    assert new.status_code == 201 and new.json()["source"] == "recorded"
    again = client.post(f"{R}/churn-records", json={"customer_id": w["mid"], "reason": "attitude"})
    assert again.status_code == 200 and again.json()["reason"] == "attitude"
    dist = ok(client.get(f"{R}/churn-reasons"))["result"]
    counts = {r["reason"]: r["count"] for r in dist["reasons"]}
    assert counts == {
        "attitude": 1,
        "product": 0,
        "price": 1,
        "competitor": 0,
        "other": 0,
        "unknown": 0,
    }
    only_price = ok(client.get(f"{R}/churn-records", params={"reason": "price"}))
    assert only_price["total"] == 1
    refused(
        client.get(f"{R}/churn-records", params={"start": "2026-03-02", "end": "2026-03-01"}), 400
    )


def test_campaigns_economics_and_settings(
    client: TestClient,
    client_for: Callable[..., TestClient],
    db: Database,
    workspace: WorkspaceCtx,
) -> None:
    world(db, workspace.id)
    ok(client.post(f"{R}/segments/refresh", json={"day": str(AS_OF)}))
    segs = {x["code"]: x for x in ok(client.get(f"{R}/segments", params={"limit": 100}))["items"]}
    paying = segs["tier:top20"]
    empty = next(x for x in segs.values() if x["member_count"] == 0 and x["active"])
    refused(
        client.post(f"{R}/campaigns", json={"name": "空", "segment_id": empty["id"]}),
        400,
        "no members",
    )
    c = ok(
        client.post(
            f"{R}/campaigns",
            json={
                "name": "回归",
                "segment_id": paying["id"],
                "cost_per_contact": "2.5",
                "holdout_share": 0,
            },
        ),
        201,
    )
    assert (c["status"], c["targets"], c["held_out"]) == ("draft", paying["member_count"], 0)
    refused(client.get(f"{R}/campaigns/{c['id']}/results"), 400, "has not started")
    assert ok(client.post(f"{R}/campaigns/{c['id']}/start"))["status"] == "running"
    refused(client.post(f"{R}/campaigns/{c['id']}/start"), 409)
    res = ok(client.get(f"{R}/campaigns/{c['id']}/results"))
    assert res["lift_points"] is None and "no holdout" in res["note"]
    assert ok(client.post(f"{R}/campaigns/{c['id']}/finish"))["status"] == "finished"
    assert ok(client.get(f"{R}/campaigns"))["total"] == 1
    assert ok(client.get(f"{R}/campaigns", params={"status": "running"}))["total"] == 0
    # economics: costs not set yet
    panel = ok(client.get(f"{R}/economics", params={"as_of": str(AS_OF)}))["result"]
    assert panel["costs_configured"] is False
    assert any("not set by an admin" in n for n in panel["notes"])
    assert Decimal(panel["revenue_at_risk"]) == Decimal("1930.00")  # 0.7 x 2700 + 0.2 x 200 (365 d)
    calc = ok(
        client.post(
            f"{R}/economics/calculator",
            json={"customers": 100, "revenue_per_customer": "1000", "retention_rate": 0.8,
                  "gross_margin": 0.3, "acquisition_cost": "500", "retention_cost": "50"},
        )
    )  # fmt: skip
    assert (
        Decimal(calc["lifetime_value"]) == Decimal("1250.00")
        and calc["acquire_to_retain_ratio"] == 10
    )
    bad = {"customers": 1, "revenue_per_customer": "1", "retention_rate": 1.5}
    assert client.post(f"{R}/economics/calculator", json=bad).status_code == 422
    # settings
    s0 = ok(client.get(f"{R}/settings"))
    assert s0["economics_configured"] is False and s0["acquisition_cost"] is None
    refused(
        client.put(f"{R}/settings", json={"periodic_segment_codes": ["nope"]}),
        400,
        "no segment nope",
    )
    refused(client.put(f"{R}/settings", json={"high_risk": 2}), 400, "high_risk")
    put = ok(
        client.put(
            f"{R}/settings",
            json={"acquisition_cost": "300", "retention_cost": "30", "gross_margin": 0.25,
                  "periodic_segment_codes": ["tier:top20"], "high_risk": 0.6},
        )
    )  # fmt: skip
    assert put["economics_configured"] is True and Decimal(put["acquisition_cost"]) == 300
    panel = ok(client.get(f"{R}/economics", params={"as_of": str(AS_OF)}))["result"]
    assert panel["costs_configured"] is True
    with db.session() as s:
        ws_service.create_user(
            s, workspace.id, f"ag@{workspace.slug}.test", "客服", PASSWORD, "agent"
        )
    agent = client_for(workspace, f"ag@{workspace.slug}.test")
    assert agent.put(f"{R}/settings", json={}).status_code == 403
    assert (
        agent.post(f"{R}/campaigns", json={"name": "x", "segment_id": paying["id"]}).status_code
        == 403
    )
    assert ok(agent.get(f"{R}/settings"))["high_risk"] == 0.6


def test_other_workspaces_ids_are_404(
    client: TestClient,
    client_for: Callable[..., TestClient],
    db: Database,
    workspace: WorkspaceCtx,
    make_workspace: Any,
) -> None:
    w = world(db, workspace.id)
    ok(client.post(f"{R}/segments/refresh", json={"day": str(AS_OF)}))
    seg = ok(client.get(f"{R}/segments"))["items"][0]
    f = ok(
        client.post(
            f"{R}/follow-ups", json={"customer_id": w["big"], "due_at": noon(AS_OF).isoformat()}
        ),
        201,
    )
    top = next(
        x
        for x in ok(client.get(f"{R}/segments", params={"limit": 100}))["items"]
        if x["code"] == "tier:top20"
    )
    c = ok(client.post(f"{R}/campaigns", json={"name": "c", "segment_id": top["id"]}), 201)
    other = make_workspace()
    with db.session() as s:
        group = ws_service.create_skill_group(s, workspace.id, "组").id
    thief = client_for(other)
    for method, path, body in (
        ("get", f"{R}/customers/{w['big']}/profile", None),
        ("get", f"{R}/segments/{seg['id']}", None),
        ("patch", f"{R}/segments/{seg['id']}", {"name": "x"}),
        ("delete", f"{R}/segments/{seg['id']}", None),
        ("get", f"{R}/segments/{seg['id']}/members", None),
        ("get", f"{R}/segments/{seg['id']}/history", None),
        ("get", f"{R}/scores?segment_id={seg['id']}", None),
        ("get", f"{R}/follow-ups/{f['id']}", None),
        ("get", f"{R}/follow-ups?customer_id={w['big']}", None),
        ("get", f"{R}/follow-ups?assignee_id={workspace.admin_id}", None),
        ("post", f"{R}/follow-ups", {"customer_id": w["big"], "due_at": noon(AS_OF).isoformat()}),
        ("post", f"{R}/follow-ups/{f['id']}/complete", {"outcome": "reached"}),
        ("post", f"{R}/follow-ups/{f['id']}/reassign", {"assignee_id": other.admin_id}),
        ("post", f"{R}/follow-ups/{f['id']}/reschedule", {"due_at": noon(AS_OF).isoformat()}),
        ("post", f"{R}/follow-ups/{f['id']}/cancel", {}),
        ("get", f"{R}/churn-records?customer_id={w['lapsed']}", None),
        ("post", f"{R}/churn-records", {"customer_id": w["lapsed"], "reason": "price"}),
        ("patch", f"{R}/churn-records/{w['churn']}", {"reason": "price"}),
        ("post", f"{R}/campaigns", {"name": "c", "segment_id": top["id"]}),
        ("get", f"{R}/campaigns/{c['id']}", None),
        ("post", f"{R}/campaigns/{c['id']}/start", None),
        ("post", f"{R}/campaigns/{c['id']}/finish", None),
        ("get", f"{R}/campaigns/{c['id']}/results", None),
        ("put", f"{R}/settings", {"follow_up_group_id": group}),
    ):
        r = getattr(thief, method)(path, **({"json": body} if body is not None else {}))
        assert r.status_code == 404, (method, path, r.text)
    # and from the owner: the other workspace's user cannot be assigned
    refused(
        client.post(f"{R}/follow-ups/{f['id']}/reassign", json={"assignee_id": other.admin_id}), 404
    )
    # nothing was changed by the attempts
    assert ok(client.get(f"{R}/follow-ups/{f['id']}"))["status"] == "open"
    assert ok(client.get(f"{R}/campaigns/{c['id']}"))["status"] == "draft"
