"""The account scorecard: letters at each threshold, every reason, and the no-history case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from liuke.crm.credit import CreditFacts, Grade, GradeReason, grade, letter_for

AS_OF = date(2025, 6, 30)


def ago(days: int) -> datetime:
    return datetime(2025, 6, 30, 12, tzinfo=UTC) - timedelta(days=days)


def facts(
    *,
    orders: int = 1,
    paid: int = 100,
    refunds: int = 0,
    refunded: int = 0,
    disputes: int = 0,
    late: int = 0,
    first: int | None = 30,
    last: int | None = 3,
    complaints: int = 0,
) -> CreditFacts:
    return CreditFacts(
        customer_id=7,
        orders_365d=orders,
        paid_amount_365d=Decimal(paid),
        refunds_365d=refunds,
        refund_amount_365d=Decimal(refunded),
        disputes_365d=disputes,
        late_payments_365d=late,
        first_order_at=None if first is None else ago(first),
        last_order_at=None if last is None else ago(last),
        open_complaints=complaints,
    )


def points(g: Grade) -> list[tuple[str, int]]:
    return [(r.code, r.points) for r in g.reasons]


def test_letter_thresholds() -> None:
    assert [letter_for(s) for s in (100, 80, 79, 65, 64, 50, 49, 0)] == list("AABBCCDD")


@pytest.mark.parametrize(
    ("case", "expected_points", "score", "letter"),
    [
        # tenure 90-364 days, 3 orders, on time: exactly 80
        (facts(first=100, orders=3), [("tenure", 5), ("volume", 5), ("on_time", 10)], 80, "A"),
        # new, 6 orders, on time: 78
        (facts(orders=6), [("volume", 8), ("on_time", 10)], 78, "B"),
        # over a year, 2 orders, one late payment (so no on-time bonus): exactly 65
        (facts(first=400, orders=2, late=1), [("tenure", 10), ("late_payments", -5)], 65, "B"),
        # new, 6 orders, one late payment: 63
        (facts(orders=6, late=1), [("volume", 8), ("late_payments", -5)], 63, "C"),
        # new, 1 order refunded in full: exactly 50
        (facts(refunds=1, refunded=100), [("on_time", 10), ("refund_rate", -20)], 50, "C"),
        # 6 orders on time but two chargebacks: 48
        (facts(orders=6, disputes=2), [("volume", 8), ("on_time", 10), ("disputes", -30)], 48, "D"),
    ],
)
def test_grade_at_each_threshold(
    case: CreditFacts, expected_points: list[tuple[str, int]], score: int, letter: str
) -> None:
    g = grade(case, AS_OF)
    assert points(g) == [("base", 60), *expected_points]
    assert (g.score, g.letter) == (score, letter)
    assert sum(r.points for r in g.reasons) == g.score
    assert g.customer_id == 7


def test_best_customer_and_reason_labels() -> None:
    g = grade(facts(first=800, orders=12, paid=5000), AS_OF)
    assert (g.letter, g.score, g.label_zh, g.label_en) == ("A", 95, "优质", "Excellent")
    assert g.reasons == [
        GradeReason("base", "基础分", "Starting score", 60),
        GradeReason(
            "tenure", "首单至今800天（满2年）", "First order 800 days ago (2 years or more)", 15
        ),
        GradeReason("volume", "近一年下单12笔", "12 orders in the last 365 days", 10),
        GradeReason(
            "on_time",
            "近一年按时付款，无逾期",
            "Paid on time: no late payment in the last 365 days",
            10,
        ),
    ]


def test_no_orders_is_a_defined_c() -> None:
    none = facts(orders=0, paid=0, first=None, last=None)
    g = grade(none, AS_OF)
    assert (g.letter, g.score, g.label_zh) == ("C", 55, "一般")
    assert g.reasons[1] == GradeReason(
        "no_history", "新客户，暂无订单记录", "New customer, no order history", -5
    )
    assert points(g) == [("base", 60), ("no_history", -5)]
    # an open complaint is shown but never scored
    noted = grade(replace(none, open_complaints=2), AS_OF)
    assert noted.score == 55
    assert noted.reasons[-1].code == "open_complaints"
    assert noted.reasons[-1].points == 0
    assert "2" in noted.reasons[-1].label_zh and "not scored" in noted.reasons[-1].label_en


def test_dormant_customer_and_rates_without_denominators() -> None:
    # ordered 400 days ago, nothing since; a refund of that old order landed this year
    g = grade(facts(first=400, last=400, orders=0, paid=0, refunds=1, refunded=80), AS_OF)
    assert points(g) == [("base", 60), ("tenure", 10), ("dormant", -5)]
    assert (g.score, g.letter) == (65, "B")


def test_refund_rate_bands_and_the_worse_measure() -> None:
    def refund_points(orders: int, refunds: int, paid: int = 1000, refunded: int = 0) -> int:
        g = grade(facts(orders=orders, refunds=refunds, paid=paid, refunded=refunded), AS_OF)
        return sum(r.points for r in g.reasons if r.code == "refund_rate")

    assert refund_points(20, 1) == 0  # 5 %: not over
    assert refund_points(20, 2) == -5  # 10 %
    assert refund_points(20, 3) == -5  # 15 %: not over
    assert refund_points(20, 4) == -10  # 20 %
    assert refund_points(20, 6) == -10  # 30 %: not over
    assert refund_points(20, 7) == -20  # 35 %
    # one refund in ten orders, but it was 40 % of the money
    g = grade(facts(orders=10, refunds=1, paid=1000, refunded=400), AS_OF)
    (reason,) = [r for r in g.reasons if r.code == "refund_rate"]
    assert reason.points == -20
    assert reason.label_zh == "近一年退款率40%（按金额）"
    assert reason.label_en == "Refund rate 40% in the last 365 days (by amount)"
    g = grade(facts(orders=8, refunds=1, paid=1000, refunded=10), AS_OF)
    (reason,) = [r for r in g.reasons if r.code == "refund_rate"]
    assert (reason.points, reason.label_en) == (
        -5,
        "Refund rate 12.5% in the last 365 days (by count)",
    )


def test_penalties_are_capped_and_the_score_floored() -> None:
    g = grade(facts(refunds=1, refunded=100, late=6, disputes=5), AS_OF)
    assert points(g) == [
        ("base", 60),
        ("late_payments", -20),
        ("refund_rate", -20),
        ("disputes", -30),
        ("bounds", 10),
    ]
    assert (g.score, g.letter) == (0, "D")
    assert g.reasons[-1].label_en == "Score floored at 0"
    assert sum(r.points for r in g.reasons) == 0


def test_first_order_in_the_future_and_bad_input() -> None:
    g = grade(facts(first=-5, last=-5), AS_OF)  # clock skew: tenure counts as 0 days
    assert points(g) == [("base", 60), ("on_time", 10)]
    with pytest.raises(ValueError, match="disputes_365d"):
        grade(facts(disputes=-1), AS_OF)
    with pytest.raises(ValueError, match="paid_amount_365d"):
        grade(facts(paid=-1), AS_OF)
