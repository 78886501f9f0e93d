"""Per-customer profiles: RFM, value tier and account grade, written to ``customer_scores``.

``refresh_profiles`` reads the workspace's orders with a handful of set-based queries (no query
per customer), feeds them to the pure :mod:`liuke.crm.segments` and :mod:`liuke.crm.credit`
functions and upserts one ``customer_scores`` row per customer. It writes only its own columns:
the churn columns (``churn_probability``, ``churn_reasons``, ``model_version``, ``features``) belong
to the risk model and are never touched (a missing row is created with them empty).

Where each figure comes from (days are the workspace's local days; "the window" is the 365
local days ending on ``as_of``; orders dated after ``as_of`` are ignored):

- recency / frequency / monetary: ``orders`` with status ``paid`` (``segments.rfm``); the last paid
  order before the window is read with one aggregate so recency needs no older rows.
- value tier: the 80/20 tiers of the window's paid revenue over every customer (``value_tiers``);
  customers without paid revenue are ``none``.
- credit facts (``credit.grade``):
  ``orders_365d`` orders in the window that were not cancelled (paid or refunded);
  ``paid_amount_365d`` their amount (paid before refunds); ``refunds_365d`` /
  ``refund_amount_365d`` the window's orders with status ``refunded``;
  ``first_order_at`` / ``last_order_at`` the first and last order that was not cancelled, ever;
  ``open_complaints`` complaint cases of the customer still open (not merged);
  ``late_payments_365d`` and ``disputes_365d``: the orders table has no payment due date or
  dispute column, so these are read from the customer's attributes
  ``customers.attributes["late_payments_365d"]`` and ``["disputes_365d"]`` (a whole number
  >= 0, as the shop's payment system last reported it) and are 0 when absent or not a
  non-negative whole number.

A customer with no paid order gets a clear "no history" profile: no recency, frequency 0,
monetary 0, empty RFM code and segment, tier ``none``, and the grade's own "no history" reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liuke.commerce.models import Order
from liuke.complaints.models import OPEN_STATUSES, Case
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest
from liuke.crm import credit
from liuke.crm.models import CustomerScore, SegmentMembership
from liuke.crm.segments import (
    WINDOW_DAYS,
    CurvePoint,
    OrderFact,
    TierSummary,
    rfm,
    value_tiers,
)
from liuke.customers.models import Customer
from liuke.workspaces.clock import local_bounds as local_bounds
from liuke.workspaces.clock import local_today as local_today
from liuke.workspaces.clock import zone_of as zone_of

# the columns refresh_profiles owns; the risk model's columns are never in an update
OWN_COLUMNS = (
    "as_of",
    "recency_days",
    "frequency",
    "monetary",
    "rfm_code",
    "rfm_segment",
    "value_tier",
    "grade",
    "grade_score",
    "grade_reasons",
    "computed_at",
)
CHUNK = 1000
CREDIT_ATTRIBUTES = ("late_payments_365d", "disputes_365d")

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _count_attr(attributes: Any, key: str) -> int:
    if not isinstance(attributes, dict):
        return 0
    value = attributes.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value


def upsert(
    s: Session, model: Any, rows: list[dict[str, Any]], keys: Sequence[str], update: Iterable[str]
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE the named columns only (SQLite and PostgreSQL)."""
    if not rows:
        return
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: getattr(stmt.excluded, c) for c in update}
    )
    for part in chunks(rows):
        s.execute(stmt, list(part))


def refresh_profiles(s: Session, workspace_id: int, as_of: date) -> int:
    """RFM, value tier and grade of every customer of the workspace as of ``as_of`` (a local
    day); returns how many customers were profiled. Runs a fixed number of queries."""
    if as_of > local_today(s, workspace_id) + timedelta(days=1):
        raise BadRequest(detail=f"as_of {as_of} is in the future")
    zone = zone_of(s, workspace_id)
    lo, hi = local_bounds(zone, as_of - timedelta(days=WINDOW_DAYS - 1), as_of)
    customers = s.execute(
        select(Customer.id, Customer.attributes).where(Customer.workspace_id == workspace_id)
    ).all()
    if not customers:
        return 0
    not_cancelled = Order.status != "cancelled"
    # all time up to as_of: first and last order, last paid order before the window
    history = s.execute(
        select(
            Order.customer_id,
            func.min(case((not_cancelled, Order.ordered_at))),
            func.max(case((not_cancelled, Order.ordered_at))),
            func.max(case(((Order.status == "paid") & (Order.ordered_at < lo), Order.ordered_at))),
        )
        .where(Order.workspace_id == workspace_id, Order.ordered_at < hi)
        .group_by(Order.customer_id)
    ).all()
    window = s.execute(
        select(Order.customer_id, Order.amount, Order.status, Order.ordered_at).where(
            Order.workspace_id == workspace_id,
            Order.ordered_at >= lo,
            Order.ordered_at < hi,
            not_cancelled,
        )
    ).all()
    open_complaints = dict(
        s.execute(
            select(Case.customer_id, func.count())
            .where(
                Case.workspace_id == workspace_id,
                Case.customer_id.is_not(None),
                Case.kind == "complaint",
                Case.status.in_(OPEN_STATUSES),
                Case.merged_into_id.is_(None),
            )
            .group_by(Case.customer_id)
        ).all()
    )
    facts: list[OrderFact] = []
    first: dict[int, datetime] = {}
    last: dict[int, datetime] = {}
    for cid, first_at, last_at, last_paid_before in history:
        if first_at is not None:
            first[cid], last[cid] = first_at.astimezone(zone), last_at.astimezone(zone)
        if last_paid_before is not None:  # recency only: outside the window it adds no F or M
            facts.append(OrderFact(cid, Decimal(0), "paid", last_paid_before.astimezone(zone)))
    n_orders: dict[int, int] = defaultdict(int)
    paid_amount: dict[int, Decimal] = defaultdict(Decimal)
    refunds: dict[int, int] = defaultdict(int)
    refunded: dict[int, Decimal] = defaultdict(Decimal)
    for cid, amount, status, at in window:
        amount = Decimal(amount)
        facts.append(OrderFact(cid, amount, status, at.astimezone(zone)))
        n_orders[cid] += 1
        paid_amount[cid] += amount
        if status == "refunded":
            refunds[cid] += 1
            refunded[cid] += amount
    scores = {r.customer_id: r for r in rfm(facts, as_of)}
    tiers = value_tiers(
        {cid: (scores[cid].monetary if cid in scores else Decimal(0)) for cid, _ in customers}
    )
    now = utcnow()
    rows = []
    for cid, attributes in customers:
        g = credit.grade(
            credit.CreditFacts(
                customer_id=cid,
                orders_365d=n_orders.get(cid, 0),
                paid_amount_365d=paid_amount.get(cid, Decimal(0)),
                refunds_365d=refunds.get(cid, 0),
                refund_amount_365d=refunded.get(cid, Decimal(0)),
                disputes_365d=_count_attr(attributes, "disputes_365d"),
                late_payments_365d=_count_attr(attributes, "late_payments_365d"),
                first_order_at=first.get(cid),
                last_order_at=last.get(cid),
                open_complaints=int(open_complaints.get(cid, 0)),
            ),
            as_of,
        )
        score = scores.get(cid)
        rows.append(
            {
                "workspace_id": workspace_id,
                "customer_id": cid,
                "as_of": as_of,
                "recency_days": score.recency_days if score else None,
                "frequency": score.frequency if score else 0,
                "monetary": score.monetary if score else Decimal(0),
                "rfm_code": score.code if score else "",
                "rfm_segment": score.segment if score else "",
                "value_tier": tiers.tiers[cid],
                "grade": g.letter,
                "grade_score": g.score,
                "grade_reasons": [
                    {
                        "code": r.code,
                        "label_zh": r.label_zh,
                        "label_en": r.label_en,
                        "points": r.points,
                    }
                    for r in g.reasons
                ],
                "computed_at": now,
            }
        )
    upsert(s, CustomerScore, rows, ("workspace_id", "customer_id"), OWN_COLUMNS)
    s.expire_all()
    return len(rows)


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValuePanel:
    """The 80/20 view of the stored profiles (the last refresh), for a panel or a chart."""

    as_of: date | None
    customers: int
    paying_customers: int
    total_revenue: Decimal
    top20_share: float | None  # None: nobody paid anything in the window
    gini: float | None
    summary: list[TierSummary]
    curve: list[CurvePoint]
    note: str


def value_panel(s: Session, workspace_id: int, *, max_points: int = 101) -> ValuePanel:
    rows = s.execute(
        select(CustomerScore.customer_id, CustomerScore.monetary, CustomerScore.as_of).where(
            CustomerScore.workspace_id == workspace_id
        )
    ).all()
    vt = value_tiers({cid: Decimal(m or 0) for cid, m, _ in rows}, max_points=max_points)
    as_of = max((d for _, _, d in rows if d is not None), default=None)
    if not rows:
        note = "no profiles yet: refresh the profiles first"
    elif vt.paying_customers == 0:
        note = "no customer paid for an order in the 365 days: there is no revenue to split"
    else:
        note = ""
    return ValuePanel(
        as_of, len(rows), vt.paying_customers, vt.total_revenue, vt.top20_share, vt.gini,
        vt.summary, vt.curve, note,
    )  # fmt: skip


@dataclass(frozen=True)
class ScoreFilter:
    value_tier: str | None = None
    grade: str | None = None
    customer_tier: str | None = None
    rfm_segment: str | None = None
    segment_id: int | None = None  # current members of a stored segment
    min_probability: float | None = None
    customer_id: int | None = None


def score_query(workspace_id: int, f: ScoreFilter) -> Select[CustomerScore]:
    """Scores of the workspace (ids already checked by the caller); order with ``RISK_ORDER``."""
    stmt = select(CustomerScore).where(CustomerScore.workspace_id == workspace_id)
    if f.value_tier is not None:
        stmt = stmt.where(CustomerScore.value_tier == f.value_tier)
    if f.grade is not None:
        stmt = stmt.where(CustomerScore.grade == f.grade)
    if f.rfm_segment is not None:
        stmt = stmt.where(CustomerScore.rfm_segment == f.rfm_segment)
    if f.customer_id is not None:
        stmt = stmt.where(CustomerScore.customer_id == f.customer_id)
    if f.min_probability is not None:
        stmt = stmt.where(CustomerScore.churn_probability >= f.min_probability)
    if f.customer_tier is not None:
        stmt = stmt.where(
            CustomerScore.customer_id.in_(
                select(Customer.id).where(
                    Customer.workspace_id == workspace_id, Customer.tier == f.customer_tier
                )
            )
        )
    if f.segment_id is not None:
        stmt = stmt.where(
            CustomerScore.customer_id.in_(
                select(SegmentMembership.customer_id).where(
                    SegmentMembership.workspace_id == workspace_id,
                    SegmentMembership.segment_id == f.segment_id,
                    SegmentMembership.until.is_(None),
                )
            )
        )
    return stmt


# highest churn probability first, unscored customers last, then by customer id
RISK_ORDER = (
    CustomerScore.churn_probability.is_(None),
    CustomerScore.churn_probability.desc(),
    CustomerScore.customer_id,
)


@dataclass(frozen=True)
class RiskSummary:
    """The stored risk scores of a workspace in a few figures (risk list, economics panel)."""

    scored: int  # customers with a churn probability
    high: int  # of them at or above the high-risk threshold
    revenue_at_risk: Decimal | None  # sum of churn probability x 365-day revenue
    as_of: date | None
    model_version: str | None


def risk_summary(s: Session, workspace_id: int, high_risk: float) -> RiskSummary:
    scored, high, at_risk, as_of, model = s.execute(
        select(
            func.count(CustomerScore.churn_probability),
            func.count().filter(CustomerScore.churn_probability >= high_risk),
            func.sum(CustomerScore.churn_probability * CustomerScore.monetary),
            func.max(CustomerScore.as_of),
            func.max(CustomerScore.model_version),
        ).where(CustomerScore.workspace_id == workspace_id)
    ).one()
    scored = int(scored or 0)
    money = (
        Decimal(str(at_risk)).quantize(Decimal("0.01")) if scored and at_risk is not None else None
    )
    return RiskSummary(scored, int(high or 0), money, as_of, model or None)


def score_of(s: Session, workspace_id: int, customer_id: int) -> CustomerScore | None:
    return s.scalar(
        select(CustomerScore).where(
            CustomerScore.workspace_id == workspace_id, CustomerScore.customer_id == customer_id
        )
    )


def has_history(score: CustomerScore | None) -> bool:
    """Whether the profile rests on at least one paid order (else: "no history")."""
    return score is not None and score.recency_days is not None
