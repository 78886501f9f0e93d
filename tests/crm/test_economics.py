"""Retention economics: the pure calculator and the panel on a workspace's own figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from liuke.core.db import Database
from liuke.core.errors import BadRequest
from liuke.crm import economics as econ
from liuke.crm import profiles
from liuke.crm.models import ChurnRecord
from tests.conftest import WorkspaceCtx
from tests.crm.test_profiles import AS_OF, customer, days_ago, noon, order, set_retention, shop


def test_the_calculator() -> None:
    r = econ.calculate(
        econ.Inputs(
            customers=1000, revenue_per_customer=Decimal("1000"), retention_rate=0.8,
            gross_margin=0.3, acquisition_cost=Decimal("500"), retention_cost=Decimal("50"),
        )
    )  # fmt: skip
    assert r.margin_per_customer == Decimal("300.00")
    assert r.lifetime_years == pytest.approx(5.0)
    assert r.lifetime_value == Decimal("1250.00")  # (300 - 50) x 5
    assert r.revenue_at_risk == Decimal("200000.00")  # 200 customers x 1000
    assert r.customers_lost_per_year == pytest.approx(200)
    assert r.lifted_retention == pytest.approx(0.85) and r.customers_kept == pytest.approx(50)
    assert r.revenue_kept == Decimal("50000.00")
    assert r.lifted_lifetime_value == Decimal("1666.67")  # 250 / 0.15
    assert r.equity_gain == Decimal("416670.00")
    assert r.profit_lift == pytest.approx(1666.67 / 1250 - 1)
    assert r.replacement_cost == Decimal("100000.00") and r.retention_spend == Decimal("50000.00")
    assert r.acquire_to_retain_ratio == pytest.approx(10.0)
    assert r.missing == []
    # discounting shortens the lifetime
    d = econ.calculate(econ.Inputs(1000, Decimal("1000"), 0.8, 0.3, discount_rate=0.1))
    assert d.lifetime_years == pytest.approx(1.1 / 0.3)
    # what is not given is not invented
    bare = econ.calculate(
        econ.Inputs(customers=10, revenue_per_customer=Decimal(100), retention_rate=0.99)
    )
    assert bare.missing == ["gross_margin", "acquisition_cost", "retention_cost"]
    assert (bare.lifetime_value, bare.equity_gain, bare.acquire_to_retain_ratio) == (
        None,
        None,
        None,
    )
    assert bare.lifted_retention == 0.99 and bare.customers_kept == 0  # capped
    assert bare.revenue_at_risk == Decimal("10.00")
    free = econ.calculate(econ.Inputs(10, Decimal(1), 0.5, 0.5, Decimal(10), Decimal(0)))
    assert free.acquire_to_retain_ratio is None
    for bad, fragment in (
        (dict(customers=-1), "customers"),
        (dict(retention_rate=1.0), "retention_rate"),
        (dict(gross_margin=1.5), "gross_margin"),
        (dict(revenue_per_customer=Decimal("-1")), "revenue_per_customer"),
        (dict(acquisition_cost=Decimal("NaN")), "acquisition_cost"),
        (dict(discount_rate=2.0), "discount_rate"),
    ):
        args: dict[str, Any] = dict(
            customers=1, revenue_per_customer=Decimal(1), retention_rate=0.5
        )
        with pytest.raises(BadRequest, match=fragment):
            econ.calculate(econ.Inputs(**(args | bad)))


def test_the_panel_on_the_workspace_figures(
    db: Database, workspace: WorkspaceCtx, make_workspace: Any
) -> None:
    ws = workspace.id
    with db.session() as s:
        p = shop(s, ws)
        old = [customer(s, ws, f"old{i}") for i in range(10)]
        new = [customer(s, ws, f"new{i}") for i in range(2)]
        for cid in old:
            order(s, ws, p, cid, 100, days_ago(600))  # bought before the window
        for cid in old[:8] + new:
            order(s, ws, p, cid, 500, days_ago(30))
        for cid in old[8:]:  # two lost in the window
            s.add(ChurnRecord(workspace_id=ws, customer_id=cid, churned_at=noon(days_ago(60))))
        lost_long_ago = customer(s, ws, "gone")
        order(s, ws, p, lost_long_ago, 100, days_ago(700))
        s.add(
            ChurnRecord(workspace_id=ws, customer_id=lost_long_ago, churned_at=noon(days_ago(400)))
        )
        s.flush()
        profiles.refresh_profiles(s, ws, AS_OF)
        # nobody set the costs: said, not invented
        panel = econ.panel(s, ws, AS_OF)
        assert (panel.active_customers, panel.revenue_365d) == (10, Decimal("5000.00"))
        assert panel.revenue_per_customer == Decimal("500.00")
        ret = panel.retention
        assert (ret.base, ret.churned, ret.window_days, ret.annualised) == (10, 2, 365, False)
        assert ret.rate == pytest.approx(0.8)
        assert not panel.costs_configured
        assert any(
            n.startswith("not set by an admin: acquisition_cost, retention_cost, gross_margin")
            for n in panel.notes
        )
        assert panel.revenue_at_risk is None and "no churn risk scores yet" in " ".join(panel.notes)
        assert panel.result is not None and panel.result.lifetime_value is None
        assert panel.result.revenue_at_risk == Decimal("1000.00")  # 10 x 0.2 x 500
        # costs set, churn probabilities there
        set_retention(s, ws, acquisition_cost="300", retention_cost="30", gross_margin=0.25)
        for cid, prob in ((old[0], 0.5), (new[0], 0.1)):
            profiles.score_of(s, ws, cid).churn_probability = prob  # type: ignore[union-attr]
        s.flush()
        panel = econ.panel(s, ws, AS_OF)
        assert panel.costs_configured and panel.scored_customers == 2
        assert panel.revenue_at_risk == Decimal("300.00")  # 0.5 x 500 + 0.1 x 500
        assert panel.result is not None and panel.result.acquire_to_retain_ratio == pytest.approx(
            10
        )
        assert panel.result.lifetime_value == Decimal("475.00")  # (125 - 30) x 5
    # a young shop: 100 days of orders, annualised
    young = make_workspace().id
    with db.session() as s:
        p = shop(s, young)
        ids = [customer(s, young) for _ in range(10)]
        for cid in ids:
            order(s, young, p, cid, 100, days_ago(99))
        s.add(ChurnRecord(workspace_id=young, customer_id=ids[0], churned_at=noon(days_ago(10))))
        s.flush()
        ret = econ.observed_retention(s, young, AS_OF)
        # 100 days of history: measured over the last 50 days and annualised
        assert (ret.window_days, ret.annualised, ret.base, ret.churned) == (50, True, 10, 1)
        assert ret.rate == pytest.approx(0.9 ** (365 / 50))
        assert ret.note == "annualised from 50 days of history"
        short = econ.observed_retention(s, young, AS_OF - timedelta(days=60))
        assert short.rate is None and "too short" in short.note
    empty = make_workspace().id
    with db.session() as s:
        panel = econ.panel(s, empty, AS_OF)
        assert panel.result is None and panel.active_customers == 0
        assert "no paid orders yet: retention cannot be measured" in panel.notes
