"""Win-back: churn reasons recorded and counted, campaigns to a segment with a seeded holdout and
their results from later orders (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, NotFound
from liuke.crm import profiles, winback
from liuke.crm import segment_store as store
from liuke.crm.models import CampaignTarget, ChurnRecord
from tests.conftest import WorkspaceCtx
from tests.crm.test_profiles import AS_OF, customer, days_ago, noon, order, set_retention, shop


def churned(
    s: Any, ws: int, cid: int, day: date, reason: str = "unknown", source: str = "detected"
) -> int:
    r = ChurnRecord(
        workspace_id=ws, customer_id=cid, churned_at=noon(day), source=source, reason=reason
    )
    s.add(r)
    s.flush()
    return r.id


def test_reasons_recorded_listed_and_counted(
    db: Database, workspace: WorkspaceCtx, make_workspace: Any
) -> None:
    ws = workspace.id
    other = make_workspace().id
    with db.session() as s:
        ids = [customer(s, ws, f"c{i}") for i in range(5)]
        r0 = churned(s, ws, ids[0], days_ago(10))
        churned(s, ws, ids[1], days_ago(20), "price")
        churned(s, ws, ids[2], days_ago(200), "price")
        with pytest.raises(BadRequest, match="reason must be one of"):
            winback.set_reason(s, ws, r0, "weather")
        with pytest.raises(BadRequest, match="needs a detail"):
            winback.set_reason(s, ws, r0, "other")
        rec = winback.set_reason(
            s, ws, r0, "competitor", detail="去了对手家", actor_id=workspace.admin_id
        )
        assert (rec.reason, rec.detail, rec.recorded_by) == (
            "competitor",
            "去了对手家",
            workspace.admin_id,
        )
        # recorded by a person: new record for ids[3]; for ids[1] the existing record changes
        new, created = winback.record_churn(s, ws, ids[3], "attitude", detail="客服态度差")
        assert created and new.source == "recorded"
        same, created = winback.record_churn(s, ws, ids[1], "product")
        assert not created and same.reason == "product" and same.source == "detected"
        with pytest.raises(BadRequest, match="future"):
            winback.record_churn(
                s, ws, ids[4], "price", churned_at=datetime.now(UTC) + timedelta(days=2)
            )
    with db.session() as s:
        with pytest.raises(NotFound):
            winback.set_reason(s, other, r0, "price")
        with pytest.raises(NotFound):
            winback.record_churn(s, other, ids[4], "price")
        dist = winback.reason_distribution(s, ws, days_ago(60), AS_OF)
        counts = {r.reason: (r.count, r.share) for r in dist.reasons}
        assert list(counts) == ["attitude", "product", "price", "competitor", "other", "unknown"]
        # the person-recorded churn is dated now (after the window's end)
        assert (dist.total, dist.known) == (2, 2)
        assert counts["competitor"] == (1, 0.5) and counts["unknown"] == (0, 0.0)
        everything = winback.reason_distribution(s, ws)
        assert everything.total == 4 and everything.note == ""
        empty = winback.reason_distribution(s, other)
        assert empty.total == 0 and empty.note == "no lost customers in this window"
        assert all(r.share is None for r in empty.reasons)
        rows = s.scalars(winback.churn_query(s, ws, winback.ChurnFilter(reason="price"))).all()
        assert [r.customer_id for r in rows] == [ids[2]]
        recent = winback.churn_query(s, ws, winback.ChurnFilter(start=days_ago(30), end=AS_OF))
        assert len(s.scalars(recent).all()) == 2
        with pytest.raises(NotFound):
            winback.churn_query(s, ws, winback.ChurnFilter(customer_id=customer(s, other)))
        with pytest.raises(BadRequest, match="source"):
            winback.churn_query(s, ws, winback.ChurnFilter(source="rumour"))


def test_unknown_reasons_are_flagged(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    with db.session() as s:
        for i in range(3):
            churned(s, ws, customer(s, ws), days_ago(i))
        dist = winback.reason_distribution(s, ws)
        assert dist.note == "no reason recorded yet: every lost customer is 'unknown'"
        unknown = next(r for r in dist.reasons if r.reason == "unknown")
        assert (unknown.count, unknown.share, unknown.share_of_known) == (3, 1.0, None)


def test_a_campaign_with_a_holdout_from_draft_to_results(
    db: Database, workspace: WorkspaceCtx, make_workspace: Any
) -> None:
    ws = workspace.id
    with db.session() as s:
        set_retention(s, ws, gross_margin=0.4)
        p = shop(s, ws)
        members = [customer(s, ws, f"m{i}") for i in range(40)]
        for cid in members:
            order(s, ws, p, cid, 100, days_ago(200))
        profiles.refresh_profiles(s, ws, AS_OF)
        lapsed = store.create_segment(
            s,
            ws,
            code="lapsed",
            name="沉睡",
            rule={"field": "recency_days", "op": ">=", "value": 100},
        )
        nobody = store.create_segment(
            s, ws, code="nobody", name="无人", rule={"field": "frequency", "op": ">", "value": 50}
        )
        with pytest.raises(BadRequest, match="has never been refreshed"):
            winback.create_campaign(s, ws, name="x", segment_id=nobody.id)
        store.refresh_memberships(s, ws, AS_OF)
        with pytest.raises(BadRequest, match="has no members at its last refresh"):
            winback.create_campaign(s, ws, name="x", segment_id=nobody.id)
        with pytest.raises(BadRequest, match="holdout_share"):
            winback.create_campaign(s, ws, name="x", segment_id=lapsed.id, holdout_share=1.0)
        with pytest.raises(BadRequest, match="channel"):
            winback.create_campaign(s, ws, name="x", segment_id=lapsed.id, channel="pigeon")
        c = winback.create_campaign(
            s, ws, name="春季回归", segment_id=lapsed.id, channel="sms", offer="满100减20",
            cost_per_contact=Decimal("1.50"), holdout_share=0.25,
        )  # fmt: skip
        with pytest.raises(Conflict):
            winback.create_campaign(s, ws, name="春季回归", segment_id=lapsed.id)
        assert winback.target_counts(s, ws, [c.id]) == {c.id: (40, 10)}
        with pytest.raises(BadRequest, match="has not started"):
            winback.campaign_results(s, ws, c.id)
        start = noon(AS_OF + timedelta(days=1))
        winback.start_campaign(s, ws, c.id, at=start)
        with pytest.raises(Conflict):
            winback.start_campaign(s, ws, c.id)
        targets = s.execute(
            select(CampaignTarget.customer_id, CampaignTarget.holdout).where(
                CampaignTarget.campaign_id == c.id
            )
        ).all()
        treated = sorted(cid for cid, h in targets if not h)
        held = sorted(cid for cid, h in targets if h)
        # 15 of 30 contacted buy (one twice), 2 of 10 held out buy; an order before the start
        # and a refunded one count for nothing
        for cid in treated[:15]:
            order(s, ws, p, cid, 200, AS_OF + timedelta(days=3))
        order(s, ws, p, treated[0], 50, AS_OF + timedelta(days=4))
        order(s, ws, p, treated[20], 500, AS_OF)
        order(s, ws, p, treated[21], 500, AS_OF + timedelta(days=3), status="refunded")
        for cid in held[:2]:
            order(s, ws, p, cid, 200, AS_OF + timedelta(days=3))
        live = winback.campaign_results(s, ws, c.id, now=noon(AS_OF + timedelta(days=5)))
        assert live.status == "running" and "running" in live.note
        winback.finish_campaign(s, ws, c.id, at=noon(AS_OF + timedelta(days=10)))
        with pytest.raises(Conflict):
            winback.finish_campaign(s, ws, c.id)
        res = winback.campaign_results(s, ws, c.id)
        assert (res.targets.customers, res.targets.converted) == (30, 15)
        assert (res.holdout.customers, res.holdout.converted) == (10, 2)
        assert res.targets.revenue == Decimal("3050.00") and res.holdout.revenue == Decimal(
            "400.00"
        )
        assert res.lift_points == pytest.approx(30.0)
        assert res.lift_relative == pytest.approx(1.5)
        assert res.incremental_conversions == pytest.approx(9.0)
        # (3050/30 - 400/10) x 30 = 3050 - 1200
        assert res.incremental_revenue == Decimal("1850.00")
        assert (res.contacted, res.cost) == (30, Decimal("45.00"))
        assert res.net_return == Decimal("1805.00") and res.roi == pytest.approx(1805 / 45)
        assert res.incremental_margin == Decimal("740.00")
        assert res.p_value is not None and 0 < res.p_value < 1
        assert "rough guide" in res.note
        stored = s.execute(
            select(CampaignTarget.revenue_after).where(
                CampaignTarget.campaign_id == c.id, CampaignTarget.customer_id == treated[0]
            )
        ).scalar_one()
        assert stored == Decimal("250.00")
        # no holdout: no lift, and it says so
        d = winback.create_campaign(s, ws, name="全量", segment_id=lapsed.id, holdout_share=0)
        winback.start_campaign(s, ws, d.id, at=start)
        res = winback.campaign_results(s, ws, d.id, now=noon(AS_OF + timedelta(days=10)))
        assert res.lift_points is None and res.incremental_revenue is None
        assert "no holdout" in res.note
    other = make_workspace().id
    with db.session() as s, pytest.raises(NotFound):
        winback.campaign_results(s, other, c.id)
    with db.session() as s, pytest.raises(NotFound):
        winback.create_campaign(s, other, name="偷", segment_id=lapsed.id)


def test_the_holdout_is_seeded(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    with db.session() as s:
        for i in range(20):
            customer(s, ws, f"c{i}")
        profiles.refresh_profiles(s, ws, AS_OF)
        store.refresh_memberships(s, ws, AS_OF)
        none = store.segment_by_code(s, ws, "tier:none")
        assert none is not None

        def held(name: str, seed: int) -> list[int]:
            c = winback.create_campaign(
                s, ws, name=name, segment_id=none.id, holdout_share=0.3, seed=seed
            )
            return sorted(
                s.scalars(
                    select(CampaignTarget.customer_id).where(
                        CampaignTarget.campaign_id == c.id, CampaignTarget.holdout.is_(True)
                    )
                )
            )

        first, again, other = held("a", 7), held("b", 7), held("c", 8)
        assert len(first) == 6 and first == again and first != other
