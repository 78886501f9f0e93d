"""Profiles: RFM, value tiers and grades written to customer_scores (SQLite and PostgreSQL).

The helpers here (a shop, customers, orders on local days) are shared by the other crm tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from liuke.commerce.models import Order, Product, ProductLine
from liuke.core.db import Database
from liuke.core.errors import BadRequest
from liuke.crm import profiles
from liuke.crm.models import CustomerScore
from liuke.customers.models import Customer
from liuke.workspaces.models import Workspace
from tests.conftest import WorkspaceCtx

AS_OF = date(2026, 3, 31)


def noon(d: date) -> datetime:
    """12:00 in Shanghai (the test workspaces' time zone) on a local day, in UTC."""
    return datetime(d.year, d.month, d.day, 4, 0, tzinfo=UTC)


def shop(s: Session, ws: int) -> int:
    """A product line and a product; returns the product id."""
    line = ProductLine(workspace_id=ws, code="p", name="手机")
    s.add(line)
    s.flush()
    product = Product(workspace_id=ws, product_line_id=line.id, sku="sku-1", name="手机", price=1)
    s.add(product)
    s.flush()
    return product.id


def customer(
    s: Session, ws: int, name: str = "客户", tier: str = "ordinary", **attributes: Any
) -> int:
    c = Customer(workspace_id=ws, name=name, tier=tier, attributes=attributes)
    s.add(c)
    s.flush()
    return c.id


def order(
    s: Session, ws: int, product: int, cid: int, amount: int | str, day: date, status: str = "paid"
) -> int:
    o = Order(
        workspace_id=ws, customer_id=cid, product_id=product, amount=Decimal(str(amount)),
        status=status, ordered_at=noon(day),
    )  # fmt: skip
    s.add(o)
    s.flush()
    return o.id


def set_retention(s: Session, ws: int, **values: Any) -> None:
    w = s.get(Workspace, ws)
    assert w is not None
    w.settings = {**(w.settings or {}), "retention": values}
    s.flush()


def score(s: Session, ws: int, cid: int) -> CustomerScore:
    row = profiles.score_of(s, ws, cid)
    assert row is not None
    return row


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# --- tests ------------------------------------------------------------------------------------


def test_rfm_tiers_and_grades_with_no_history_and_the_risk_columns_kept(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    with db.session() as s:
        p = shop(s, ws)
        loyal = customer(s, ws, "老客")
        for ago in (1, 20, 40, 60, 80, 100, 400, 800):
            order(s, ws, p, loyal, 300, days_ago(ago))
        small = customer(s, ws, "小客")
        order(s, ws, p, small, 50, days_ago(200))
        refunder = customer(s, ws, "退款", late_payments_365d=2, disputes_365d=1)
        order(s, ws, p, refunder, 100, days_ago(10))
        order(s, ws, p, refunder, 100, days_ago(11), status="refunded")
        order(s, ws, p, refunder, 999, days_ago(12), status="cancelled")
        dormant = customer(s, ws, "沉睡")
        order(s, ws, p, dormant, 80, days_ago(500))
        newbie = customer(s, ws, "新客", late_payments_365d="many")  # ill-typed: counts as 0
        only_cancelled = customer(s, ws, "只取消")
        order(s, ws, p, only_cancelled, 10, days_ago(3), status="cancelled")
        # an order after as_of (local day 2026-04-01 01:00 Shanghai) counts for nothing
        s.add(
            Order(
                workspace_id=ws, customer_id=small, product_id=p, amount=Decimal(9999),
                status="paid", ordered_at=datetime(2026, 3, 31, 17, 0, tzinfo=UTC),
            )
        )  # fmt: skip
        # the risk model's columns already there
        s.add(
            CustomerScore(
                workspace_id=ws, customer_id=loyal, as_of=date(2026, 1, 1),
                churn_probability=0.42, churn_reasons=[{"feature": "x"}],
                model_version="m1", features={"f": 1},
            )
        )  # fmt: skip
    with db.session() as s:
        assert profiles.refresh_profiles(s, ws, AS_OF) == 6
    with db.session() as s:
        a = score(s, ws, loyal)
        assert (a.recency_days, a.frequency, a.monetary) == (1, 6, Decimal("1800.00"))
        assert a.value_tier == "top20" and a.rfm_segment.startswith("key_")
        assert len(a.rfm_code) == 3 and a.as_of == AS_OF
        assert (a.grade, a.grade_score) == ("A", 60 + 15 + 8 + 10)
        assert sum(r["points"] for r in a.grade_reasons) == a.grade_score
        assert (a.churn_probability, a.model_version, a.features) == (0.42, "m1", {"f": 1})
        assert a.churn_reasons == [{"feature": "x"}]
        b = score(s, ws, small)
        assert (b.recency_days, b.frequency, b.monetary) == (200, 1, Decimal("50.00"))
        r = score(s, ws, refunder)
        assert (r.frequency, r.monetary) == (1, Decimal("100.00"))
        codes = {x["code"]: x["points"] for x in r.grade_reasons}
        assert codes["late_payments"] == -10 and codes["disputes"] == -15
        assert codes["refund_rate"] == -20  # 1 of 2 orders refunded
        assert "on_time" not in codes
        d = score(s, ws, dormant)
        assert (d.recency_days, d.frequency, d.monetary, d.value_tier) == (
            500, 0, Decimal("0.00"), "none",
        )  # fmt: skip
        assert "dormant" in {x["code"] for x in d.grade_reasons}
        for cid in (newbie, only_cancelled):
            n = score(s, ws, cid)
            assert not profiles.has_history(n)
            assert (n.recency_days, n.frequency, n.rfm_code, n.rfm_segment) == (None, 0, "", "")
            assert (n.value_tier, n.grade, n.grade_score) == ("none", "C", 55)
            assert [x["code"] for x in n.grade_reasons] == ["base", "no_history"]
        assert profiles.has_history(a) and profiles.has_history(d)
        panel = profiles.value_panel(s, ws)
        assert (panel.customers, panel.paying_customers) == (6, 3)
        assert panel.total_revenue == Decimal("1950.00")
        assert panel.top20_share == pytest.approx(1800 * 0.6 / 1950)  # 0.6 of the top customer
        assert panel.curve[0].customer_share == 0 and panel.curve[-1].revenue_share == 1
        assert panel.as_of == AS_OF and panel.note == ""
    # a rerun rewrites the same rows, nothing added
    with db.session() as s:
        assert profiles.refresh_profiles(s, ws, AS_OF) == 6
        n_rows = s.scalars(select(CustomerScore.id).where(CustomerScore.workspace_id == ws)).all()
        assert len(n_rows) == 6


def test_empty_workspace_and_future_day(db: Database, make_workspace: Any) -> None:
    ws = make_workspace().id
    with db.session() as s:
        assert profiles.refresh_profiles(s, ws, AS_OF) == 0
        panel = profiles.value_panel(s, ws)
        assert panel.customers == 0 and panel.top20_share is None and "refresh" in panel.note
        customer(s, ws)
        assert profiles.refresh_profiles(s, ws, AS_OF) == 1
        panel = profiles.value_panel(s, ws)
        assert panel.paying_customers == 0 and "no revenue" in panel.note
        with pytest.raises(BadRequest, match="future"):
            profiles.refresh_profiles(s, ws, date.today() + timedelta(days=5))


def test_a_fixed_number_of_queries_whatever_the_number_of_customers(
    db: Database, make_workspace: Any
) -> None:
    counts = []
    for n in (5, 60):
        ws = make_workspace().id
        with db.session() as s:
            p = shop(s, ws)
            for i in range(n):
                cid = customer(s, ws, f"c{i}")
                order(s, ws, p, cid, 10 + i, days_ago(i % 300))
                order(s, ws, p, cid, 5, days_ago(i % 50), status="refunded")
        with db.session() as s, counting(db) as statements:
            assert profiles.refresh_profiles(s, ws, AS_OF) == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_score_filters_and_risk_order(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    with db.session() as s:
        p = shop(s, ws)
        ids = [
            customer(s, ws, f"c{i}", tier="key_account" if i % 2 else "ordinary") for i in range(4)
        ]
        for i, cid in enumerate(ids):
            order(s, ws, p, cid, 100 * (i + 1), days_ago(i))
        profiles.refresh_profiles(s, ws, AS_OF)
        for cid, prob in zip(ids, (0.9, None, 0.2, 0.6), strict=True):
            score(s, ws, cid).churn_probability = prob
        s.flush()
        rows = s.scalars(
            profiles.score_query(ws, profiles.ScoreFilter()).order_by(*profiles.RISK_ORDER)
        ).all()
        assert [r.customer_id for r in rows] == [ids[0], ids[3], ids[2], ids[1]]
        f = profiles.ScoreFilter(min_probability=0.5, customer_tier="key_account")
        assert [r.customer_id for r in s.scalars(profiles.score_query(ws, f))] == [ids[3]]
        top = s.scalars(profiles.score_query(ws, profiles.ScoreFilter(value_tier="top20"))).all()
        assert [r.customer_id for r in top] == [ids[3]]
