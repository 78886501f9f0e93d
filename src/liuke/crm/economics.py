"""Retention economics: what keeping customers is worth, from the workspace's own figures.

``calculate`` is pure. Inputs: customers N, annual revenue per customer ARPC, gross margin g
(share of revenue), annual retention rate r (0 <= r <= 0.99), cost to acquire a customer CAC,
cost to retain a customer for a year RC, optional discount rate d (default 0). Formulas (one
year = one period; customers who stay keep buying at ARPC):

- annual margin per customer m = ARPC x g
- expected lifetime in years = (1 + d) / (1 + d - r)  (1 / (1 - r) undiscounted)
- customer lifetime value CLV = (m - RC) x lifetime: margin net of the cost of keeping them
- revenue at risk next year = N x (1 - r) x ARPC: the revenue of the customers expected to go
- the value of +5 points: r' = min(r + 0.05, 0.99); customers kept a year = N x (r' - r);
  revenue kept next year = that x ARPC; customer equity gained = N x (CLV(r') - CLV(r));
  profit lift = CLV(r') / CLV(r) - 1 (Reichheld's "5 points of retention -> 25-95 % profit")
- cost of replacing next year's leavers = N x (1 - r) x CAC; cost of keeping everyone a year
  = N x RC; retain-vs-acquire ratio = CAC / RC ("winning a customer costs k times keeping one")

Any figure that needs an input the caller does not have (None) is None and the input is
listed in ``missing``: nothing is invented.

``panel`` takes the inputs from the workspace: N = active customers (a paid order in the 365
local days ending on ``as_of``), ARPC = their paid revenue in that window / N, r = the observed
retention (below), the margin and costs from the retention settings (None until an admin
enters them). Observed retention: over the last W days (365, or half the days since the first
paid order when that is a year or less), base = customers with a paid order before the window, less those already lost (churn
record before the window, not won back); churned = customers of the base with a churn record
in the window not won back by ``as_of``; r_W = 1 - churned / base, annualised as
r = r_W ^ (365 / W) when W < 365 (not measured when W < 30 or the base is empty). Revenue at
risk (measured) = sum over customers of churn probability x their 365-day revenue, both from
``customer_scores``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from liuke.commerce.models import Order
from liuke.core.errors import BadRequest
from liuke.crm.models import ChurnRecord
from liuke.crm.profiles import local_bounds, risk_summary, zone_of
from liuke.crm.segments import WINDOW_DAYS
from liuke.crm.settings import settings_of

LIFT = 0.05
MAX_RETENTION = 0.99
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Inputs:
    customers: int
    revenue_per_customer: Decimal
    retention_rate: float
    gross_margin: float | None = None
    acquisition_cost: Decimal | None = None
    retention_cost: Decimal | None = None
    discount_rate: float = 0.0


@dataclass(frozen=True)
class Result:
    inputs: Inputs
    margin_per_customer: Decimal | None
    lifetime_years: float
    lifetime_value: Decimal | None
    revenue_at_risk: Decimal
    customers_lost_per_year: float
    # +5 points of retention
    lifted_retention: float
    customers_kept: float
    revenue_kept: Decimal
    lifted_lifetime_value: Decimal | None
    equity_gain: Decimal | None
    profit_lift: float | None
    # retain vs acquire
    replacement_cost: Decimal | None
    retention_spend: Decimal | None
    acquire_to_retain_ratio: float | None
    missing: list[str] = field(default_factory=list)


def _money(x: Decimal | float) -> Decimal:
    return Decimal(str(x)).quantize(CENT)


def calculate(inputs: Inputs) -> Result:
    """The calculator (see the module docstring); a bad input is a 400 naming it."""
    i = inputs
    if isinstance(i.customers, bool) or not isinstance(i.customers, int) or i.customers < 0:
        raise BadRequest(detail="customers must be a whole number of at least 0")
    for name, value in (
        ("revenue_per_customer", i.revenue_per_customer),
        ("acquisition_cost", i.acquisition_cost),
        ("retention_cost", i.retention_cost),
    ):
        if value is not None and (not Decimal(value).is_finite() or Decimal(value) < 0):
            raise BadRequest(detail=f"{name} must be an amount of at least 0")
    if not 0 <= i.retention_rate <= MAX_RETENTION:
        raise BadRequest(detail=f"retention_rate must be from 0 to {MAX_RETENTION}")
    if i.gross_margin is not None and not 0 <= i.gross_margin <= 1:
        raise BadRequest(detail="gross_margin must be from 0 to 1")
    if not 0 <= i.discount_rate <= 1:
        raise BadRequest(detail="discount_rate must be from 0 to 1")
    n, arpc, r, d = i.customers, Decimal(i.revenue_per_customer), i.retention_rate, i.discount_rate
    missing = [
        name
        for name in ("gross_margin", "acquisition_cost", "retention_cost")
        if getattr(i, name) is None
    ]

    def lifetime(rate: float) -> float:
        return (1 + d) / (1 + d - rate)

    def clv(rate: float) -> Decimal | None:
        if i.gross_margin is None:
            return None
        keep = Decimal(i.retention_cost) if i.retention_cost is not None else Decimal(0)
        return _money((arpc * Decimal(str(i.gross_margin)) - keep) * Decimal(str(lifetime(rate))))

    lifted = min(r + LIFT, MAX_RETENTION)
    value, lifted_value = clv(r), clv(lifted)
    lost = n * (1 - r)
    kept = n * (lifted - r)
    return Result(
        inputs=i,
        margin_per_customer=None
        if i.gross_margin is None
        else _money(arpc * Decimal(str(i.gross_margin))),
        lifetime_years=lifetime(r),
        lifetime_value=value,
        revenue_at_risk=_money(Decimal(str(lost)) * arpc),
        customers_lost_per_year=lost,
        lifted_retention=lifted,
        customers_kept=kept,
        revenue_kept=_money(Decimal(str(kept)) * arpc),
        lifted_lifetime_value=lifted_value,
        equity_gain=None
        if value is None or lifted_value is None
        else _money((lifted_value - value) * n),
        profit_lift=(
            float(lifted_value / value - 1)
            if value is not None and lifted_value is not None and value > 0
            else None
        ),
        replacement_cost=None
        if i.acquisition_cost is None
        else _money(Decimal(str(lost)) * Decimal(i.acquisition_cost)),
        retention_spend=None if i.retention_cost is None else _money(n * Decimal(i.retention_cost)),
        acquire_to_retain_ratio=(
            float(Decimal(i.acquisition_cost) / Decimal(i.retention_cost))
            if i.acquisition_cost is not None and i.retention_cost
            else None
        ),
        missing=missing,
    )


@dataclass(frozen=True)
class Retention:
    rate: float | None  # annual
    window_days: int
    base: int
    churned: int
    annualised: bool
    note: str


@dataclass(frozen=True)
class Panel:
    as_of: date
    active_customers: int
    revenue_365d: Decimal
    revenue_per_customer: Decimal | None
    retention: Retention
    revenue_at_risk: Decimal | None  # sum of churn probability x 365-day revenue
    scored_customers: int  # customers with a churn probability
    costs_configured: bool
    result: Result | None  # None when the retention rate or the customers are unknown
    notes: list[str]


def observed_retention(s: Session, workspace_id: int, as_of: date) -> Retention:
    zone = zone_of(s, workspace_id)
    _, hi = local_bounds(zone, as_of, as_of)
    first = s.scalar(
        select(func.min(Order.ordered_at)).where(
            Order.workspace_id == workspace_id, Order.status == "paid", Order.ordered_at < hi
        )
    )
    if first is None:
        return Retention(None, 0, 0, 0, False, "no paid orders yet: retention cannot be measured")
    history = (as_of - first.astimezone(zone).date()).days + 1
    # the base must have bought before the window: a shop younger than a year measures over
    # the second half of its history and annualises
    w = WINDOW_DAYS if history > WINDOW_DAYS else history // 2
    lo, _ = local_bounds(zone, as_of - timedelta(days=w - 1), as_of)
    buyers = select(Order.customer_id).where(
        Order.workspace_id == workspace_id, Order.status == "paid", Order.ordered_at < lo
    )
    lost_before = select(ChurnRecord.customer_id).where(
        ChurnRecord.workspace_id == workspace_id,
        ChurnRecord.churned_at < lo,
        or_(ChurnRecord.won_back_at.is_(None), ChurnRecord.won_back_at >= lo),
    )
    base = int(
        s.scalar(
            select(func.count(func.distinct(Order.customer_id))).where(
                Order.workspace_id == workspace_id,
                Order.status == "paid",
                Order.ordered_at < lo,
                Order.customer_id.not_in(lost_before),
            )
        )
        or 0
    )
    churned = int(
        s.scalar(
            select(func.count()).where(
                ChurnRecord.workspace_id == workspace_id,
                ChurnRecord.churned_at >= lo,
                ChurnRecord.churned_at < hi,
                or_(ChurnRecord.won_back_at.is_(None), ChurnRecord.won_back_at >= hi),
                ChurnRecord.customer_id.in_(buyers),
                ChurnRecord.customer_id.not_in(lost_before),
            )
        )
        or 0
    )
    if w < 30:
        return Retention(
            None, w, base, churned, False, f"only {w} days of orders: too short to measure"
        )
    if base == 0:
        return Retention(
            None,
            w,
            0,
            churned,
            False,
            "no customer bought before the window: nothing to retain yet",
        )
    rate_w = 1 - churned / base
    annualised = w < WINDOW_DAYS
    rate = rate_w ** (WINDOW_DAYS / w) if annualised else rate_w
    note = f"annualised from {w} days of history" if annualised else ""
    return Retention(rate, w, base, churned, annualised, note)


def panel(s: Session, workspace_id: int, as_of: date) -> Panel:
    """The economics panel on the workspace's own figures (see the module docstring)."""
    zone = zone_of(s, workspace_id)
    lo, hi = local_bounds(zone, as_of - timedelta(days=WINDOW_DAYS - 1), as_of)
    active, revenue = s.execute(
        select(
            func.count(func.distinct(Order.customer_id)), func.coalesce(func.sum(Order.amount), 0)
        ).where(
            Order.workspace_id == workspace_id,
            Order.status == "paid",
            Order.ordered_at >= lo,
            Order.ordered_at < hi,
        )
    ).one()
    active, revenue = int(active or 0), _money(Decimal(revenue or 0))
    arpc = _money(revenue / active) if active else None
    retention = observed_retention(s, workspace_id, as_of)
    conf = settings_of(s, workspace_id)
    risk = risk_summary(s, workspace_id, conf.high_risk)
    scored = risk.scored
    notes = []
    if not conf.economics_configured:
        unset = [
            k
            for k in ("acquisition_cost", "retention_cost", "gross_margin")
            if getattr(conf, k) is None
        ]
        notes.append(
            f"not set by an admin: {', '.join(unset)}; figures that need them are left out"
        )
    if scored == 0:
        notes.append("no churn risk scores yet: revenue at risk is not measured")
    if active == 0:
        notes.append("no paid orders in the last 365 days")
    if retention.note:
        notes.append(retention.note)
    result = None
    if arpc is not None and retention.rate is not None:
        result = calculate(
            Inputs(
                customers=active,
                revenue_per_customer=arpc,
                retention_rate=min(max(retention.rate, 0.0), MAX_RETENTION),
                gross_margin=conf.gross_margin,
                acquisition_cost=conf.acquisition_cost,
                retention_cost=conf.retention_cost,
            )
        )
    return Panel(
        as_of, active, revenue, arpc, retention,
        risk.revenue_at_risk,
        scored, conf.economics_configured, result, notes,
    )  # fmt: skip
