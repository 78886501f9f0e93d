"""Account grades A-D: a transparent points scorecard over a customer's last year.

A grade tells a service team how much trust an account has earned in paying and keeping its
orders (who gets an extended payment term, a no-questions refund, a manual review). It is a
scorecard rather than a model so that every point can be shown and argued with: each rule
that moves the score is a reason, and the reasons always add up to the score.

Facts cover the 365 days up to ``as_of`` unless named otherwise. ``orders_365d`` counts orders
placed (cancelled ones excluded), ``refunds_365d`` / ``refund_amount_365d`` the refunds
issued, ``paid_amount_365d`` the amount paid before refunds, ``disputes_365d`` chargebacks and
payment disputes, ``late_payments_365d`` payments made after they were due.

| Rule | Condition | Points |
|---|---|---|
| Base | every customer | 60 |
| No history | no order ever (tenure, volume, dormant and on-time rules do not apply) | -5 |
| Tenure | first order 90-364 days before ``as_of`` | +5 |
|  | 365-729 days | +10 |
|  | 730 days or more | +15 |
| Volume | 3-5 orders in 365 days | +5 |
|  | 6-11 orders | +8 |
|  | 12 orders or more | +10 |
| Dormant | has ordered before, but not in the last 365 days | -5 |
| On-time payment | at least 1 order in 365 days and no late payment | +10 |
| Late payments | -5 per late payment in 365 days | at most -20 |
| Refund rate | the worse of refunds / orders and refunded / paid amount: over 5 % up to 15 % | -5 |
|  | over 15 % up to 30 % | -10 |
|  | over 30 % | -20 |
| Disputes | -15 per chargeback or payment dispute in 365 days | at most -30 |
| Open complaints | any open complaint: listed, not scored | 0 |
| Bounds | the score is kept within 0-100 | the difference |

Letters: **A** 80 or more, **B** 65-79, **C** 50-64, **D** below 50. A customer with no orders
scores 55, a C ("new / no history"), unless disputes or late payments on record pull it lower.

Open complaints never move the score: a grade is about paying and keeping orders, and
docking customers for complaining would punish what service teams want them to do. They are
listed (0 points) so nobody acts on a grade while a complaint is still open. A rate whose
denominator is zero (no orders, nothing paid) is not computed, so no input divides by zero.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Letter = Literal["A", "B", "C", "D"]

BASE = 60
NO_HISTORY = -5
TENURE = ((730, 15, "2年", "2 years"), (365, 10, "1年", "1 year"), (90, 5, "3个月", "3 months"))
VOLUME = ((12, 10), (6, 8), (3, 5))  # orders in 365 days, points
DORMANT = -5
ON_TIME = 10
LATE_EACH, LATE_CAP = -5, -20
REFUND_BANDS = ((Fraction(30, 100), -20), (Fraction(15, 100), -10), (Fraction(5, 100), -5))
DISPUTE_EACH, DISPUTE_CAP = -15, -30
THRESHOLDS: tuple[tuple[int, Letter], ...] = ((80, "A"), (65, "B"), (50, "C"))
LETTERS: dict[Letter, tuple[str, str]] = {
    "A": ("优质", "Excellent"),
    "B": ("良好", "Good"),
    "C": ("一般", "Fair"),
    "D": ("需关注", "Watch"),
}


@dataclass(frozen=True)
class CreditFacts:
    """What the scorecard reads about one customer (see the module docstring for each)."""

    customer_id: int
    orders_365d: int
    paid_amount_365d: Decimal
    refunds_365d: int
    refund_amount_365d: Decimal
    disputes_365d: int
    late_payments_365d: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    open_complaints: int


@dataclass(frozen=True)
class GradeReason:
    """One line of the scorecard that applied: what, in both languages, and its points."""

    code: str
    label_zh: str
    label_en: str
    points: int


@dataclass(frozen=True)
class Grade:
    """The letter, the 0-100 score, and the reasons, which sum to the score."""

    letter: Letter
    score: int
    reasons: list[GradeReason]
    label_zh: str  # the letter in words: 优质 / 良好 / 一般 / 需关注
    label_en: str
    customer_id: int


def letter_for(score: int) -> Letter:
    """A >= 80, B >= 65, C >= 50, else D."""
    for floor, letter in THRESHOLDS:
        if score >= floor:
            return letter
    return "D"


def _pct(rate: Fraction) -> str:
    text = f"{float(rate) * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def grade(facts: CreditFacts, as_of: date) -> Grade:
    """Score the facts with the scorecard; every rule that applied is a reason."""
    for f in fields(facts):
        value = getattr(facts, f.name)
        if isinstance(value, int | Decimal) and f.name != "customer_id" and value < 0:
            raise ValueError(f"{f.name} cannot be negative")
    reasons = [GradeReason("base", "基础分", "Starting score", BASE)]
    add = reasons.append
    no_history = (
        facts.first_order_at is None and facts.last_order_at is None and facts.orders_365d == 0
    )
    if no_history:
        add(
            GradeReason(
                "no_history", "新客户，暂无订单记录", "New customer, no order history", NO_HISTORY
            )
        )
    else:
        if facts.first_order_at is not None:
            days = max(0, (as_of - facts.first_order_at.date()).days)
            for least, points, zh, en in TENURE:
                if days >= least:
                    add(
                        GradeReason(
                            "tenure",
                            f"首单至今{days}天（满{zh}）",
                            f"First order {days} days ago ({en} or more)",
                            points,
                        )
                    )
                    break
        n = facts.orders_365d
        for least, points in VOLUME:
            if n >= least:
                add(
                    GradeReason(
                        "volume", f"近一年下单{n}笔", f"{n} orders in the last 365 days", points
                    )
                )
                break
        if n == 0:
            add(GradeReason("dormant", "近一年无订单", "No orders in the last 365 days", DORMANT))
        elif facts.late_payments_365d == 0:
            add(
                GradeReason(
                    "on_time",
                    "近一年按时付款，无逾期",
                    "Paid on time: no late payment in the last 365 days",
                    ON_TIME,
                )
            )
    late = facts.late_payments_365d
    if late:
        points = max(LATE_CAP, LATE_EACH * late)
        add(
            GradeReason(
                "late_payments",
                f"近一年逾期付款{late}次",
                f"{late} late payment(s) in the last 365 days",
                points,
            )
        )
    rates: list[tuple[Fraction, str, str]] = []
    if facts.orders_365d > 0:
        rates.append((Fraction(facts.refunds_365d, facts.orders_365d), "按笔数", "by count"))
    if facts.paid_amount_365d > 0:
        rate = Fraction(facts.refund_amount_365d) / Fraction(facts.paid_amount_365d)
        rates.append((rate, "按金额", "by amount"))
    if rates:
        rate, by_zh, by_en = max(rates, key=lambda r: r[0])
        for above, points in REFUND_BANDS:
            if rate > above:
                add(
                    GradeReason(
                        "refund_rate",
                        f"近一年退款率{_pct(rate)}（{by_zh}）",
                        f"Refund rate {_pct(rate)} in the last 365 days ({by_en})",
                        points,
                    )
                )
                break
    disputes = facts.disputes_365d
    if disputes:
        add(
            GradeReason(
                "disputes",
                f"近一年拒付或支付争议{disputes}次",
                f"{disputes} chargeback(s) or payment dispute(s) in the last 365 days",
                max(DISPUTE_CAP, DISPUTE_EACH * disputes),
            )
        )
    if facts.open_complaints:
        k = facts.open_complaints
        add(
            GradeReason(
                "open_complaints",
                f"有{k}件未结投诉（不计分，请先处理）",
                f"{k} open complaint(s): not scored, resolve first",
                0,
            )
        )
    raw = sum(r.points for r in reasons)
    score = min(100, max(0, raw))
    if score != raw:
        zh, en = (
            ("分数下限为0", "Score floored at 0")
            if raw < 0
            else ("分数上限为100", "Score capped at 100")
        )
        add(GradeReason("bounds", zh, en, score - raw))
    letter = letter_for(score)
    zh, en = LETTERS[letter]
    return Grade(letter, score, reasons, zh, en, facts.customer_id)
