"""Follow-up visits: the three rules (idempotent), least-loaded assignment, the task's life,
overdue counts and events (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import liuke.crm.events  # noqa: F401  (registers the crm subscribers)
from liuke.complaints import service as complaints
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, NotFound
from liuke.core.events import OutboxEvent
from liuke.crm import followups, profiles
from liuke.crm import segment_store as store
from liuke.crm.models import FollowUp
from liuke.workspaces import service as ws_service
from tests.conftest import WorkspaceCtx, drain_events
from tests.crm.test_profiles import AS_OF, customer, days_ago, order, set_retention, shop

NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on 2026-04-01


@pytest.fixture(autouse=True)
def model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("LIUKE_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def tasks(db: Database, ws: int, **where: Any) -> list[FollowUp]:
    with db.session() as s:
        stmt = select(FollowUp).where(FollowUp.workspace_id == ws)
        for key, value in where.items():
            stmt = stmt.where(getattr(FollowUp, key) == value)
        rows = list(s.scalars(stmt.order_by(FollowUp.id)))
        s.expunge_all()
        return rows


def agent(db: Database, ws: WorkspaceCtx, email: str, groups: list[int] | None = None) -> int:
    with db.session() as s:
        return ws_service.create_user(
            s, ws.id, f"{email}@{ws.slug}.test", email, None, "agent", skill_group_ids=groups
        ).id


def test_a_resolved_complaint_gets_one_visit_however_often_it_resolves(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    with db.session() as s:
        set_retention(s, ws, follow_up_after_complaint_days=5)
        cid = customer(s, ws)
        case, _ = complaints.create_case(
            s, ws, complaints.Intake(title="屏幕坏了", customer_id=cid), notify=False
        )
        anonymous, _ = complaints.create_case(
            s, ws, complaints.Intake(title="没有客户"), notify=False
        )
        question, _ = complaints.create_case(
            s, ws, complaints.Intake(kind="inquiry", title="问一下", customer_id=cid), notify=False
        )
        for c in (case, anonymous, question):
            complaints.change_status(s, ws, c.id, "resolved", actor_id=None, resolution="换新")
        resolved_at = case.resolved_at
        case_id = case.id
    drain_events(db)
    made = tasks(db, ws)
    assert len(made) == 1
    f = made[0]
    assert (f.kind, f.source_kind, f.source_id, f.customer_id) == (
        "complaint_resolved", "case", str(case_id), cid,
    )  # fmt: skip
    assert resolved_at is not None and f.due_at == resolved_at + timedelta(days=5)
    assert f.assignee_id == workspace.admin_id  # the only user who may handle follow-ups
    # reopened and resolved again, the event delivered again, the rules run: still one
    with db.session() as s:
        complaints.change_status(s, ws, case_id, "reopened", actor_id=None)
        complaints.change_status(s, ws, case_id, "resolved", actor_id=None, resolution="退款")
    drain_events(db)
    with db.session() as s:
        assert followups.from_resolved_case(s, ws, case_id) is None
        report = followups.run_rules(s, ws, datetime.now(UTC))
        assert report.complaint_resolved == 0
    assert len(tasks(db, ws)) == 1
    with db.session() as s:
        created = s.scalars(
            select(OutboxEvent).where(
                OutboxEvent.workspace_id == ws, OutboxEvent.type == "followup.created"
            )
        ).all()
        assert [e.payload["follow_up_id"] for e in created] == [f.id]


def test_high_risk_once_per_spell_and_periodic_visits(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    with db.session() as s:
        group = ws_service.create_skill_group(s, ws, "回访组")
        group_id = group.id
    a1, a2 = agent(db, workspace, "a1", [group_id]), agent(db, workspace, "a2", [group_id])
    with db.session() as s:
        set_retention(
            s, ws, high_risk=0.6, follow_up_group_id=group_id, follow_up_due_days=2,
            periodic_segment_codes=["vip", "missing"], periodic_days=30,
        )  # fmt: skip
        p = shop(s, ws)
        key = customer(s, ws, "重点", tier="key_account")
        plain = customer(s, ws, "普通")
        vip1, vip2 = customer(s, ws, "v1"), customer(s, ws, "v2")
        for cid in (key, plain, vip1, vip2):
            order(s, ws, p, cid, 600 if cid in (vip1, vip2) else 50, days_ago(3))
        profiles.refresh_profiles(s, ws, AS_OF)
        for cid in (key, plain):
            profiles.score_of(s, ws, cid).churn_probability = 0.8  # type: ignore[union-attr]
        store.create_segment(
            s, ws, code="vip", name="VIP", rule={"field": "monetary", "op": ">=", "value": 500}
        )
        store.refresh_memberships(s, ws, AS_OF)
        report = followups.run_rules(s, ws, NOW)
        assert (report.high_risk, report.periodic, report.unassigned) == (1, 2, 0)
        assert "periodic segment missing does not exist" in report.notes
    risky = tasks(db, ws, kind="high_risk")
    assert [t.customer_id for t in risky] == [key]  # ordinary tier: not in the follow-up tiers
    assert risky[0].due_at == NOW + timedelta(days=2)
    periodic = tasks(db, ws, kind="periodic")
    assert sorted(t.customer_id for t in periodic) == [vip1, vip2]
    assert sorted(t.assignee_id or 0 for t in risky + periodic) == sorted(
        [a1, a1, a2]
    )  # least loaded
    # the next day: nothing new
    with db.session() as s:
        report = followups.run_rules(s, ws, NOW + timedelta(days=1))
        assert report.created == 0
    # risk drops, then rises again: a new spell, a new task
    with db.session() as s:
        profiles.score_of(s, ws, key).churn_probability = 0.1  # type: ignore[union-attr]
        s.flush()
        assert followups.run_rules(s, ws, NOW + timedelta(days=2)).high_risk == 0
        profiles.score_of(s, ws, key).churn_probability = 0.7  # type: ignore[union-attr]
        s.flush()
        assert followups.run_rules(s, ws, NOW + timedelta(days=3)).high_risk == 1
    assert len(tasks(db, ws, kind="high_risk")) == 2
    # periodic_days later: the segment's members are visited again
    with db.session() as s:
        report = followups.run_rules(s, ws, NOW + timedelta(days=31))
        assert report.periodic == 2
    # no follow-up tiers: the high-risk rule is off and says so
    with db.session() as s:
        set_retention(s, ws, follow_up_high_risk_tiers=[])
        report = followups.run_rules(s, ws, NOW + timedelta(days=32))
        assert report.high_risk == 0
        assert "no follow-up tiers set: the high-risk rule is off" in report.notes


def test_the_life_of_a_task(db: Database, workspace: WorkspaceCtx, make_workspace: Any) -> None:
    ws = workspace.id
    other = make_workspace()
    outsider = agent(db, other, "x")
    helper = agent(db, workspace, "helper")
    with db.session() as s:
        cid = customer(s, ws)
        foreign = customer(s, other.id)
        with pytest.raises(NotFound):
            followups.create(s, ws, customer_id=foreign, due_at=NOW)
        with pytest.raises(NotFound):
            followups.create(s, ws, customer_id=cid, due_at=NOW, assignee_id=outsider)
        with pytest.raises(BadRequest, match="kind"):
            followups.create(s, ws, customer_id=cid, due_at=NOW, kind="periodic")
        with pytest.raises(BadRequest, match="time zone"):
            followups.create(s, ws, customer_id=cid, due_at=datetime(2026, 4, 1))
        f = followups.create(s, ws, customer_id=cid, due_at=NOW, reason="回访价格问题")
        g = followups.create(s, ws, customer_id=cid, due_at=NOW + timedelta(days=400))
        assert f.assignee_id in (workspace.admin_id, helper) and f.status == "open"
        assert g.assignee_id != f.assignee_id  # least loaded
        fid, gid = f.id, g.id
    with db.session() as s:
        with pytest.raises(NotFound):
            followups.reassign(s, ws, fid, outsider)
        followups.reassign(s, ws, fid, helper, actor_id=workspace.admin_id)
        summary = followups.overdue_summary(s, ws)
        assert (summary.open, summary.overdue) == (2, 1)
        assert summary.by_kind["manual"] == {"open": 2, "overdue": 1}
        assert summary.oldest_overdue_at == NOW
        late = s.scalars(followups.query(ws, followups.FollowUpFilter(overdue=True))).all()
        assert [t.id for t in late] == [fid]
        mine = followups.FollowUpFilter(assignee_id=helper, status="open")
        in_order = followups.query(ws, mine).order_by(FollowUp.due_at, FollowUp.id)
        assert [t.id for t in s.scalars(in_order)] == [fid, gid]
        nobody = followups.FollowUpFilter(assignee_id=workspace.admin_id, status="open")
        assert list(s.scalars(followups.query(ws, nobody))) == []
        with pytest.raises(BadRequest, match="outcome"):
            followups.complete(s, ws, fid, "happy")
        with pytest.raises(BadRequest, match="needs a note"):
            followups.complete(s, ws, fid, "other")
        done = followups.complete(s, ws, fid, "retained", note="给了优惠券", actor_id=helper)
        assert (done.status, done.outcome, done.completed_by) == ("done", "retained", helper)
        assert not followups.is_overdue(done)
    with db.session() as s:
        with pytest.raises(Conflict, match="already done"):
            followups.complete(s, ws, fid, "reached")
        with pytest.raises(Conflict):
            followups.reassign(s, ws, fid, workspace.admin_id)
        followups.cancel(s, ws, gid, note="客户已注销")
        with pytest.raises(Conflict, match="already cancelled"):
            followups.cancel(s, ws, gid)
    with db.session() as s:
        with pytest.raises(NotFound):
            followups.complete(s, other.id, gid, "reached")
        with pytest.raises(NotFound):
            followups.check_filter(s, ws, followups.FollowUpFilter(customer_id=foreign))
        kinds = [
            e.type
            for e in s.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.workspace_id == ws, OutboxEvent.type.like("followup.%"))
                .order_by(OutboxEvent.id)
            )
        ]
        assert kinds == [
            "followup.created", "followup.created", "followup.reassigned",
            "followup.completed", "followup.cancelled",
        ]  # fmt: skip


def test_nobody_to_assign(db: Database, make_workspace: Any) -> None:
    ws = make_workspace()
    with db.session() as s:
        admin = ws_service.update_user(s, ws.id, ws.admin_id, is_active=False)
        assert not admin.is_active
        cid = customer(s, ws.id, tier="key_account")
        p = shop(s, ws.id)
        order(s, ws.id, p, cid, 10, days_ago(1))
        profiles.refresh_profiles(s, ws.id, AS_OF)
        profiles.score_of(s, ws.id, cid).churn_probability = 0.99  # type: ignore[union-attr]
        report = followups.run_rules(s, ws.id, NOW)
        assert (report.high_risk, report.unassigned) == (1, 1)
        assert "nobody can take follow-ups: tasks are left unassigned" in report.notes
