"""Stored segments: rules validated with the bad node's path, system segments, membership spells
over days, history per segment and per customer, empty segments (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from liuke.complaints.models import Case
from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, NotFound
from liuke.crm import profiles
from liuke.crm import segment_store as store
from liuke.crm.models import SegmentMembership
from liuke.customers.models import CustomerTag
from tests.conftest import WorkspaceCtx
from tests.crm.test_profiles import AS_OF, customer, days_ago, noon, order, shop

BIG = {"field": "monetary", "op": ">=", "value": 500}
D1, D2, D3 = AS_OF, AS_OF + timedelta(days=1), AS_OF + timedelta(days=2)


def test_rules_are_validated_with_the_path_of_the_bad_node(
    db: Database, workspace: WorkspaceCtx, make_workspace: Any
) -> None:
    ws = workspace.id
    with db.session() as s:
        bad = {"all": [BIG, {"not": {"field": "shoe_size", "op": "==", "value": 3}}]}
        with pytest.raises(BadRequest) as err:
            store.create_segment(s, ws, code="vip", name="VIP", rule=bad)
        assert err.value.params["detail"].startswith("bad rule at $.all[1].not: unknown field")
        with pytest.raises(BadRequest, match=r"\$: expected an object"):
            store.create_segment(s, ws, code="vip", name="VIP", rule=[1])
        with pytest.raises(BadRequest, match="code"):
            store.create_segment(s, ws, code="rfm:vip", name="VIP", rule=BIG)
        with pytest.raises(BadRequest, match="name"):
            store.create_segment(s, ws, code="vip", name="  ", rule=BIG)
        sg = store.create_segment(s, ws, code="vip", name="大客户", rule=BIG, actor_id=None)
        assert (sg.kind, sg.rule, sg.active, sg.member_count) == ("rule", BIG, True, 0)
        with pytest.raises(Conflict):
            store.create_segment(s, ws, code="vip", name="again", rule=BIG)
        with pytest.raises(BadRequest, match=r"at \$: 'any' needs at least one condition"):
            store.update_segment(s, ws, sg.id, rule={"any": []})
        store.update_segment(s, ws, sg.id, name="VIP", rule={"all": [BIG]})
        assert sg.name == "VIP" and sg.rule == {"all": [BIG]}
        assert store.status_note(sg).startswith("not refreshed yet")
        assert store.describe(sg, "en") == "Spend in the last 365 days is at least 500"
    other = make_workspace().id
    with db.session() as s, pytest.raises(NotFound):
        store.update_segment(s, other, sg.id, name="mine now")
    with db.session() as s, pytest.raises(NotFound):
        store.delete_segment(s, other, sg.id)


def test_membership_spells_over_days_history_and_empty_segments(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    with db.session() as s:
        p = shop(s, ws)
        big = customer(s, ws, "大", tier="key_account", city="上海")
        small = customer(s, ws, "小", city="北京")
        customer(s, ws, "无订单")
        order(s, ws, p, big, 800, days_ago(5))
        order(s, ws, p, small, 100, days_ago(30))
        s.add(CustomerTag(workspace_id=ws, customer_id=small, tag="vip"))
        s.add(
            Case(
                workspace_id=ws, kind="complaint", title="坏了", customer_id=small,
                received_at=noon(days_ago(3)), status="new",
            )
        )  # fmt: skip
        profiles.refresh_profiles(s, ws, D1)
        vip = store.create_segment(s, ws, code="vip", name="VIP", rule=BIG)
        tagged = store.create_segment(
            s, ws, code="tagged", name="带标签且有投诉",
            rule={"all": [{"field": "tags", "op": "==", "value": "vip"},
                          {"field": "complaints_90d", "op": ">=", "value": 1},
                          {"field": "city", "op": "==", "value": "北京"}]},
        )  # fmt: skip
        empty = store.create_segment(
            s, ws, code="none", name="无人", rule={"field": "frequency", "op": ">", "value": 99}
        )
        # no orders: a rule on recency never matches them, not even negated
        unknown = store.create_segment(
            s, ws, code="notrecent", name="非近期",
            rule={"not": {"field": "recency_days", "op": "<", "value": 10}},
        )  # fmt: skip
        report = store.refresh_memberships(s, ws, D1)
        assert report.members["vip"] == 1 and report.members["tagged"] == 1
        assert report.members["notrecent"] == 1  # small only: nobody's recency is unknown
        assert report.members["rfm:key_value"] + report.members["rfm:general_win_back"] >= 1
        assert report.members["tier:none"] == 1 and report.members["risk:high"] == 0
        assert "none" in report.empty
        assert store.status_note(empty) == "no customer matches this segment at the last refresh"
        assert store.current_members(s, ws, vip.id) == [big]
        assert store.current_members(s, ws, tagged.id) == [small]
        assert store.current_members(s, ws, unknown.id) == [small]
        # the same day again: nothing changes
        again = store.refresh_memberships(s, ws, D1)
        assert (again.joined, again.left) == (0, 0)
    # day 2: small buys a lot, big's order is refunded
    with db.session() as s:
        order(s, ws, p, small, 900, D2)
        from liuke.commerce.models import Order

        for o in s.scalars(select(Order).where(Order.customer_id == big)):
            o.status = "refunded"
        profiles.refresh_profiles(s, ws, D2)
        report = store.refresh_memberships(s, ws, D2)
        assert store.current_members(s, ws, vip.id) == [small]
        assert report.joined >= 1 and report.left >= 1
        with pytest.raises(BadRequest, match="membership is stored up to"):
            store.refresh_memberships(s, ws, D1)
        history = store.segment_history(s, ws, vip.id)
        assert [(h.day, h.joined, h.left, h.members) for h in history] == [
            (D1, 1, 0, 1),
            (D2, 1, 1, 1),
        ]
        spells = store.customer_spells(s, ws, big)
        vip_spells = [(x.since, x.until) for x in spells if x.code == "vip"]
        assert vip_spells == [(D1, D2)]
        assert all(x.until is None for x in store.customer_spells(s, ws, big, current_only=True))
        on_d1 = s.execute(store.members_query(ws, vip.id, D1)).all()
        assert [r.customer_id for r in on_d1] == [big]
        now = s.execute(store.members_query(ws, vip.id)).all()
        assert [(r.customer_id, r.since, r.value_tier) for r in now] == [(small, D2, "top20")]
        assert store.current_members(s, ws, empty.id) == []
        assert store.segment_history(s, ws, empty.id) == []
    # switched off: its spells close; system segments can only be switched off and on
    with db.session() as s:
        store.update_segment(s, ws, vip.id, active=False)
        store.refresh_memberships(s, ws, D3)
        assert store.current_members(s, ws, vip.id) == []
        assert store.status_note(store.get_segment(s, ws, vip.id)).startswith("switched off")
        tier = store.segment_by_code(s, ws, "tier:top20")
        assert tier is not None and store.is_system(tier)
        with pytest.raises(BadRequest, match="system segment"):
            store.update_segment(s, ws, tier.id, rule=BIG)
        with pytest.raises(BadRequest, match="system segment"):
            store.delete_segment(s, ws, tier.id)
        store.update_segment(s, ws, tier.id, active=False)
        store.delete_segment(s, ws, tagged.id)
        left = s.scalars(
            select(SegmentMembership.id).where(SegmentMembership.segment_id == tagged.id)
        ).all()
        assert left == []


def test_same_day_join_and_leave_leaves_no_empty_spell(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    with db.session() as s:
        p = shop(s, ws)
        cid = customer(s, ws)
        o = order(s, ws, p, cid, 800, days_ago(1))
        profiles.refresh_profiles(s, ws, D1)
        vip = store.create_segment(s, ws, code="vip", name="VIP", rule=BIG)
        store.refresh_memberships(s, ws, D1)
        from liuke.commerce.models import Order

        row = s.get(Order, o)
        assert row is not None
        row.status = "cancelled"
        profiles.refresh_profiles(s, ws, D1)
        store.refresh_memberships(s, ws, D1)
        rows = s.scalars(select(SegmentMembership).where(SegmentMembership.segment_id == vip.id))
        assert list(rows) == []


def test_survey_scores_and_preview(db: Database, workspace: WorkspaceCtx) -> None:
    from liuke.surveys.models import Questionnaire, SurveyResponse

    ws = workspace.id
    with db.session() as s:
        happy, grumpy, silent = (customer(s, ws, n) for n in ("a", "b", "c"))
        q = Questionnaire(workspace_id=ws, code="csat", name="满意度", kind="csat")
        s.add(q)
        s.flush()
        for cid, score, day in ((happy, 2, 9), (happy, 5, 2), (grumpy, 1, 3), (grumpy, 4, 30)):
            s.add(
                SurveyResponse(
                    workspace_id=ws, questionnaire_id=q.id, version=1, kind="csat",
                    customer_id=cid, channel="widget", score=score, submitted_at=noon(days_ago(day)),
                )
            )  # fmt: skip
        s.flush()
        profiles_by_id = store.build_profiles(s, ws, D1)
        assert profiles_by_id[happy]["csat_last"] == 5
        assert profiles_by_id[grumpy]["csat_last"] == 1
        assert "csat_last" not in profiles_by_id[silent]
        preview = store.preview_rule(s, ws, {"field": "csat_last", "op": "<=", "value": 2}, D1)
        assert (preview.matching, preview.customers, preview.sample) == (1, 3, [grumpy])
        assert preview.description_en == "Last CSAT score is at most 2"
        with pytest.raises(BadRequest, match=r"\$: missing value"):
            store.preview_rule(s, ws, {"field": "csat_last", "op": "<="})
