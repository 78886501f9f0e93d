"""Service recovery: record and update validation, sources checked per workspace, resolved
complaints nobody recovered, and the quality finding -> pending recovery path (SQLite and PG)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liuke.complaints import recovery, service
from liuke.complaints.models import Case, RecoveryRecord
from liuke.conversations.service import channel_by_kind, create_conversation
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.errors import BadRequest, NotFound
from liuke.core.events import emit
from liuke.customers.models import Customer
from liuke.quality.models import Inspection, InspectionHit
from liuke.workspaces import service as ws_service
from tests.conftest import PASSWORD, WorkspaceCtx, drain_events

V1 = "/api/v1"


@pytest.fixture(autouse=True)
def model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty model folder: suggestions come from the lexicon, whatever else was trained."""
    monkeypatch.setenv("LIUKE_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield tmp_path / "models"
    get_settings.cache_clear()


def ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


def new_case(db: Database, ws: int, **fields: Any) -> int:
    fields.setdefault("title", "退款没到账")
    with db.session() as s:
        case, _ = service.create_case(s, ws, service.Intake(**fields), notify=False)
        return case.id


def customer(db: Database, ws: int) -> int:
    with db.session() as s:
        c = Customer(workspace_id=ws, name="客户")
        s.add(c)
        s.flush()
        return c.id


def conversation(db: Database, ws: int, customer_id: int | None = None) -> int:
    with db.session() as s:
        conv, _ = create_conversation(
            s, ws, channel_id=channel_by_kind(s, ws, "web").id, customer_id=customer_id
        )
        return conv.id


def inspection_hit(db: Database, ws: int, conv: int) -> int:
    """A finding as quality inspection stores it (the rows the quality service writes)."""
    with db.session() as s:
        ins = Inspection(workspace_id=ws, conversation_id=conv, score=80)
        s.add(ins)
        s.flush()
        hit = InspectionHit(
            workspace_id=ws,
            inspection_id=ins.id,
            conversation_id=conv,
            rule_code="attitude",
            kind="attitude",
            points=5,
        )
        s.add(hit)
        s.flush()
        return hit.id


def records(db: Database, ws: int) -> int:
    """Records written besides the pending one every complaint opens with (action undecided)."""
    with db.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(RecoveryRecord)
                .where(RecoveryRecord.workspace_id == ws, RecoveryRecord.action != "")
            )
            or 0
        )


def bad_request(db: Database, fn: Callable[[Session], Any]) -> str:
    with pytest.raises(BadRequest) as info, db.session() as s:
        fn(s)
    return str(info.value.params["detail"])


def record(s: Session, ws: int, source_id: int, **kw: Any) -> RecoveryRecord:
    args: dict[str, Any] = {
        "source_kind": "case",
        "root_cause": "person",
        "action": "apology",
    }
    return recovery.record(s, ws, source_id=source_id, **{**args, **kw})


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"root_cause": "luck"}, "root_cause must be one of person, product, process, policy"),
        ({"action": "hug"}, "action must be one of apology, refund, replacement, compensation"),
        ({"outcome": "maybe"}, "outcome must be one of pending, recovered, not_recovered"),
        ({"source_kind": "phone"}, "source_kind must be one of case, inspection, sla"),
        ({"cost": -1}, "cost must be between 0 and 1000000"),
        ({"cost": "-0.01"}, "cost must be between 0 and 1000000"),
        ({"cost": 1_000_000.01}, "cost must be between 0 and 1000000"),
        ({"cost": "1e30"}, "cost must be between 0 and 1000000"),
        ({"cost": "abc"}, "cost must be a number (got 'abc')"),
        ({"cost": "NaN"}, "cost must be a number (got 'NaN')"),
        ({"cost": float("inf")}, "cost must be a number (got inf)"),
        ({"cost": None}, "cost must be a number (got None)"),
        ({"cost": [5]}, "cost must be a number (got [5])"),
        ({"action": "", "outcome": "recovered"}, "choose the recovery action before"),
    ],
)
def test_record_refuses_bad_values_and_writes_nothing(
    db: Database, workspace: WorkspaceCtx, changes: dict[str, Any], detail: str
) -> None:
    case_id = new_case(db, workspace.id)
    message = bad_request(db, lambda s: record(s, workspace.id, case_id, **changes))
    assert message.startswith(detail), message
    assert records(db, workspace.id) == 0


def test_record_takes_the_source_facts_and_rounds_the_cost(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    buyer = customer(db, ws)
    conv = conversation(db, ws, customer_id=buyer)
    case_id = new_case(db, ws, conversation_id=conv)
    hit = inspection_hit(db, ws, conv)
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with db.session() as s:
        by_case = record(s, ws, case_id, cost="12.346", outcome="recovered", at=at)
        by_hit = record(s, ws, hit, source_kind="inspection", action="")
        by_sla = record(s, ws, conv, source_kind="sla", root_cause="process", cost=0.1)
        got = [
            (r.source_kind, r.case_id, r.conversation_id, r.customer_id, r.outcome)
            for r in (by_case, by_hit, by_sla)
        ]
        assert (by_case.cost, by_sla.cost) == (Decimal("12.35"), Decimal("0.10"))
        assert (by_case.completed_at, by_hit.completed_at) == (at, None)
        assert by_hit.action == ""
    assert got == [
        ("case", case_id, conv, buyer, "recovered"),
        ("inspection", None, conv, buyer, "pending"),
        ("sla", None, conv, buyer, "pending"),
    ]


def test_sources_and_owners_of_another_workspace_are_not_found(
    db: Database, make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    ws, other = make_workspace(), make_workspace("Other")
    their_conv = conversation(db, other.id)
    their_case = new_case(db, other.id)
    their_hit = inspection_hit(db, other.id, their_conv)
    with db.session() as s:
        their_user = ws_service.create_user(s, other.id, "o@x.test", "o", PASSWORD).id
    my_case = new_case(db, ws.id)
    for kind, source_id, entity in (
        ("case", their_case, "case"),
        ("inspection", their_hit, "inspection_hit"),
        ("sla", their_conv, "conversation"),
    ):
        with pytest.raises(NotFound) as info, db.session() as s:
            record(s, ws.id, source_id, source_kind=kind)
        assert info.value.params == {"entity": entity, "id": source_id}
    with pytest.raises(NotFound) as info, db.session() as s:
        record(s, ws.id, my_case, owner_id=their_user)
    assert info.value.params["entity"] == "user"
    with db.session() as s:  # the loaded case shortcut does not bypass the workspace check
        case = s.get(Case, their_case)
        assert case is not None
        with pytest.raises(NotFound):
            record(s, ws.id, their_case, case=case)
    assert records(db, ws.id) == 0
    # and a record of the other workspace cannot be updated from this one
    with db.session() as s:
        theirs = record(s, other.id, their_case).id
    with pytest.raises(NotFound), db.session() as s:
        recovery.update(s, ws.id, theirs, {"outcome": "recovered"})


def test_update_validates_and_needs_an_action_before_an_outcome(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    case_id = new_case(db, ws)
    with db.session() as s:
        rec_id = record(s, ws, case_id, action="").id
    for changes, detail in (
        ({"outcome": "recovered"}, "choose the recovery action before recording its outcome"),
        ({"outcome": "not_recovered"}, "choose the recovery action before recording its outcome"),
        ({"action": "hug"}, "action must be one of"),
        ({"action": ""}, "action must be one of"),
        ({"root_cause": "weather"}, "root_cause must be one of"),
        ({"outcome": "done"}, "outcome must be one of"),
        ({"cost": "ten"}, "cost must be a number"),
        ({"cost": -5}, "cost must be between 0 and 1000000"),
        ({"cost": 10**7}, "cost must be between 0 and 1000000"),
        ({"cost": "1e30"}, "cost must be between 0 and 1000000"),
    ):
        message = bad_request(db, partial(recovery.update, workspace_id=ws, recovery_id=rec_id,
                                          changes=changes))  # fmt: skip
        assert message.startswith(detail), (changes, message)
    with db.session() as s:
        rec = s.get(RecoveryRecord, rec_id)
        assert rec is not None
        assert (rec.action, rec.outcome, rec.cost, rec.completed_at) == (
            "",
            "pending",
            Decimal(0),
            None,
        )
    with db.session() as s:
        rec = recovery.update(
            s, ws, rec_id, {"action": "refund", "cost": "88.8", "note": " 退全款 "}
        )
        rec = recovery.update(s, ws, rec_id, {"outcome": "recovered"})
        assert (rec.action, rec.cost, rec.note, rec.outcome) == (
            "refund",
            Decimal("88.80"),
            "退全款",
            "recovered",
        )
        assert rec.completed_at is not None
        rec = recovery.update(s, ws, rec_id, {"outcome": "pending"})
        assert rec.completed_at is None
    with pytest.raises(NotFound), db.session() as s:
        recovery.update(s, ws, 10**9, {"note": "x"})


def test_cases_without_recovery(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id

    def resolved(kind: str = "complaint", close: bool = False) -> int:
        case_id = new_case(db, ws, kind=kind)
        with db.session() as s:
            service.change_status(s, ws, case_id, "resolved", actor_id=None, resolution="处理")
            if close:
                service.change_status(s, ws, case_id, "closed", actor_id=None)
        return case_id

    older = resolved()
    closed = resolved(close=True)
    recovered = resolved()
    inquiry = resolved(kind="inquiry")
    open_case = new_case(db, ws)
    survivor, duplicate = resolved(), new_case(db, ws)
    conv = conversation(db, ws)
    with db.session() as s:
        service.merge(s, ws, survivor, [duplicate], actor_id=None)
        record(s, ws, recovered)
        # a failure that is no case (case_id NULL) must not hide every case (NOT IN and NULL)
        record(s, ws, conv, source_kind="sla")
    with db.session() as s:
        found = [c.id for c in recovery.cases_without_recovery(s, ws)]
        assert found == [survivor, closed, older]  # latest resolved first
        assert [c.id for c in recovery.cases_without_recovery(s, ws, limit=1)] == [survivor]
    assert inquiry not in found and open_case not in found and duplicate not in found
    with db.session() as s:
        record(s, ws, closed, outcome="not_recovered")
    with db.session() as s:
        assert [c.id for c in recovery.cases_without_recovery(s, ws)] == [survivor, older]


# --- quality -> recovery ---------------------------------------------------------------------


def test_a_quality_service_failure_opens_one_pending_recovery(
    db: Database, client: TestClient, workspace: WorkspaceCtx
) -> None:
    roles = {r["name"]: r["id"] for r in ok(client.get(f"{V1}/roles"))}
    agent = ok(
        client.post(
            f"{V1}/users",
            json={"email": "rude@q.cn", "name": "小王", "password": PASSWORD,
                  "role_id": roles["agent"]},
        )
    )["id"]  # fmt: skip
    channel = ok(client.post(f"{V1}/channels", json={"kind": "api", "name": "rc"}))["id"]
    buyer = ok(client.post(f"{V1}/customers", json={"name": "王女士", "phone": "13800000001"}))
    conv = ok(
        client.post(
            f"{V1}/conversations",
            json={"channel_id": channel, "assignee_id": agent, "customer_id": buyer["id"]},
        )
    )["id"]
    for sender, body in (
        ("customer", "你好，快递三天了还没到？"),
        ("agent", "自己去查物流，订单页面都有。"),
        ("customer", "什么态度！我要投诉你！！"),
    ):
        extra = {"sender_user_id": agent} if sender == "agent" else {}
        ok(
            client.post(
                f"{V1}/conversations/{conv}/messages",
                json={"sender_type": sender, "body": body, **extra},
            )
        )
    detail = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
    rude = next(h for h in detail["hits"] if h["rule_code"] == "attitude")
    ok(client.post(f"{V1}/quality/hits/{rude['id']}/service-failure", json={}))
    params = {"source_kind": "inspection"}
    assert ok(client.get(f"{V1}/complaints/recovery", params=params))["total"] == 0
    drain_events(db)
    page = ok(client.get(f"{V1}/complaints/recovery", params=params))
    assert page["total"] == 1
    [rec] = page["items"]
    assert (rec["source_id"], rec["conversation_id"], rec["customer_id"]) == (
        rude["id"],
        conv,
        buyer["id"],
    )
    assert (rec["root_cause"], rec["action"], rec["outcome"], rec["cause_detail"]) == (
        "person",
        "",
        "pending",
        "attitude",
    )
    assert rec["case_id"] is None and rec["completed_at"] is None
    # the event delivered again (at-least-once outbox): still one record
    [event] = ok(client.get(f"{V1}/events", params={"type": "quality.service_failure"}))["items"]
    with db.session() as s:
        emit(s, workspace.id, "quality.service_failure", event["payload"])
    drain_events(db)
    assert ok(client.get(f"{V1}/complaints/recovery", params=params))["total"] == 1
    # it is worked like any other record: no outcome before an action is chosen
    r = client.patch(f"{V1}/complaints/recovery/{rec['id']}", json={"outcome": "recovered"})
    assert r.status_code == 400
    assert "choose the recovery action before recording its outcome" in r.json()["error"]["message"]
    done = ok(
        client.patch(
            f"{V1}/complaints/recovery/{rec['id']}",
            json={"action": "follow_up_call", "cost": "0", "outcome": "recovered"},
        )
    )
    assert (done["action"], done["outcome"]) == ("follow_up_call", "recovered")
    assert done["completed_at"] is not None


# --- every complaint opens with a pending recovery; corrections retrain ---------------------


def test_a_complaint_opens_with_a_pending_recovery(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    complaint = new_case(db, ws, category="work_quality")
    suggestion = new_case(db, ws, kind="suggestion")
    imported = new_case(db, ws, source="import", external_id="x-1")
    with db.session() as s:
        rows = list(s.scalars(select(RecoveryRecord).where(RecoveryRecord.workspace_id == ws)))
        assert [(r.case_id, r.root_cause, r.action, r.outcome) for r in rows] == [
            (complaint, "person", "", "pending")
        ]
        assert suggestion != imported  # neither a suggestion nor a historic import opens one
        # deciding it: the same record, settled
        recovery.decide(
            s, rows[0], root_cause="person", action="apology", cost="0", outcome="recovered"
        )
    with db.session() as s:
        rec = s.scalars(select(RecoveryRecord).where(RecoveryRecord.workspace_id == ws)).one()
        assert (rec.action, rec.outcome) == ("apology", "recovered")
        assert rec.completed_at is not None
        with pytest.raises(BadRequest):
            recovery.decide(s, rec, root_cause="x", action="apology", cost=0, outcome="pending")


def test_corrections_retrain_the_classifier_when_due(
    db: Database, workspace: WorkspaceCtx, model_dir: Path
) -> None:
    from liuke.complaints.intake import model_path, suggester_for
    from liuke.workspaces.models import Workspace

    ws = workspace.id
    with db.session() as s:
        w = s.get(Workspace, ws)
        assert w is not None
        w.settings = {**(w.settings or {}), "complaints": {"retrain_every": 3}}
    ids = [new_case(db, ws, title=f"屏幕坏了 {i}") for i in range(3)]
    with db.session() as s:
        for case_id in ids[:2]:
            service.classify(
                s, ws, case_id, category="product_quality", product_line_id=None, actor_id=None
            )
    drain_events(db)
    assert not model_path(ws).exists()  # two corrections: not due yet
    with db.session() as s:
        service.classify(s, ws, ids[2], category="other", product_line_id=None, actor_id=None)
    drain_events(db)
    assert model_path(ws).exists()
    assert suggester_for(None, ws).n_examples == 3
