"""Complaint analyses on a small world whose every figure is computed by hand (SQLite and PG).

Local time is China time (UTC+8); the window is 2026-03-02..2026-03-04. Ten complaint cases
count (K1..K10); D1 is K1's merged duplicate, K_before / K_after lie just outside the window
(local days, not UTC days). A second workspace holds look-alike rows that must never count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from liuke.commerce.models import Order, Product, ProductLine
from liuke.complaints import analysis as an
from liuke.complaints.models import Case, RecoveryRecord
from liuke.conversations.models import Conversation
from liuke.conversations.service import channel_by_kind
from liuke.core.db import Database
from liuke.customers.models import Customer
from liuke.quality.models import Inspection
from liuke.workspaces import service as ws_service

START, END = date(2026, 3, 2), date(2026, 3, 4)
CN = timedelta(hours=8)


def local(d: date, h: int = 12, m: int = 0) -> datetime:
    """A China local time as aware UTC."""
    return datetime(d.year, d.month, d.day, h, m, tzinfo=UTC) - CN


DAY2, DAY3 = date(2026, 3, 3), END


@dataclass
class World:
    ws: int
    other: int
    lines: dict[str, int] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)


class Builder:
    def __init__(self, s: Session, name: str) -> None:
        self.s = s
        w = ws_service.create_workspace(s, f"ca-{uuid.uuid4().hex[:12]}", name)
        self.ws = w.id
        self.web = channel_by_kind(s, w.id, "web").id
        self.customers: dict[str, int] = {}
        self.cases: dict[str, int] = {}
        self.lines: dict[str, int] = {}
        self.product: int | None = None
        self._n = 0

    def line(self, code: str, name: str) -> int:
        pl = ProductLine(workspace_id=self.ws, code=code, name=name)
        self.s.add(pl)
        self.s.flush()
        self.lines[code] = pl.id
        return pl.id

    def customer(self, key: str, tier: str = "ordinary") -> int:
        c = Customer(workspace_id=self.ws, name=key, tier=tier)
        self.s.add(c)
        self.s.flush()
        self.customers[key] = c.id
        return c.id

    def order(self, customer: str, amount: str, at: datetime, status: str = "paid") -> None:
        if self.product is None:
            line = self.lines.get("phone") or self.line("phone", "手机")
            p = Product(workspace_id=self.ws, product_line_id=line, sku="P1", name="手机")
            self.s.add(p)
            self.s.flush()
            self.product = p.id
        self.s.add(
            Order(
                workspace_id=self.ws,
                customer_id=self.customers[customer],
                product_id=self.product,
                amount=Decimal(amount),
                status=status,
                ordered_at=at,
            )
        )

    def conv(
        self,
        customer: str | None,
        at: datetime,
        csat: Any = None,
        anger: float | None = None,
        escalation: bool = False,
    ) -> int:
        self._n += 1
        c = Conversation(
            workspace_id=self.ws,
            channel_id=self.web,
            customer_id=self.customers[customer] if customer else None,
            external_id=f"c{self._n}",
            created_at=at,
            meta={} if csat is None else {"csat": csat},
        )
        self.s.add(c)
        self.s.flush()
        if anger is not None or escalation:
            self.s.add(
                Inspection(
                    workspace_id=self.ws,
                    conversation_id=c.id,
                    score=80,
                    max_anger=anger or 0.0,
                    escalation=escalation,
                )
            )
        return c.id

    def case(
        self,
        key: str,
        category: str | None,
        sub: str = "",
        line: str | None = None,
        channel: str = "web",
        tier: str = "ordinary",
        customer: str | None = None,
        conv: int | None = None,
        at: datetime | None = None,
        kind: str = "complaint",
        title: str = "",
        description: str = "",
        merged_into: str | None = None,
    ) -> int:
        c = Case(
            workspace_id=self.ws,
            kind=kind,
            category=category,
            subcategory=sub,
            product_line_id=self.lines[line] if line else None,
            channel_kind=channel,
            customer_tier=tier,
            customer_id=self.customers[customer] if customer else None,
            conversation_id=conv,
            received_at=at or local(DAY2),
            title=title,
            description=description,
            merged_into_id=self.cases[merged_into] if merged_into else None,
        )
        self.s.add(c)
        self.s.flush()
        self.cases[key] = c.id
        return c.id

    def recovery(
        self,
        case: str | None,
        cause: str,
        detail: str,
        cost: str,
        outcome: str,
        at: datetime | None = None,
    ) -> None:
        self.s.add(
            RecoveryRecord(
                workspace_id=self.ws,
                source_kind="case" if case else "inspection",
                source_id=self.cases[case] if case else 1,
                case_id=self.cases[case] if case else None,
                root_cause=cause,
                cause_detail=detail,
                action="apology",
                cost=Decimal(cost),
                outcome=outcome,
                created_at=at or local(DAY3),
            )
        )


def build_main(s: Session) -> Builder:
    b = Builder(s, "主店")
    b.line("phone", "手机")
    b.line("appliance", "家电")
    b.customer("c1", "key_account")
    b.customer("c2", "key_account")
    for i in range(3, 11):
        b.customer(f"c{i}")
    # paid revenue in the 365 local days ending 2026-03-04: c1..c8 pay; c9's order is older
    year_start = END - timedelta(days=364)
    for key, amount in [("c1", "5000"), ("c2", "3000"), ("c3", "1000"), ("c4", "800")]:
        b.order(key, amount, local(DAY2))
    b.order("c5", "500", local(START))
    b.order("c6", "300", local(year_start, 0, 5))  # first local day of the year: counts
    b.order("c7", "200", local(START))
    b.order("c7", "10000", local(END + timedelta(days=1), 0, 10))  # after the window
    b.order("c8", "100", local(START))
    b.order("c8", "9999", local(START), status="refunded")
    b.order("c8", "5000", local(year_start - timedelta(days=1), 23, 50))  # a day too early
    b.order("c9", "2000", local(END - timedelta(days=400)))
    b.order("c10", "50", local(START), status="cancelled")

    # conversations: (customer, csat, anger, escalation)
    conv1 = b.conv("c1", local(START, 0, 20), csat=2, anger=0.9)
    conv2 = b.conv("c1", local(DAY2), csat=1)
    conv3 = b.conv("c3", local(DAY2), csat=3)
    conv4 = b.conv("c5", local(DAY2), csat=4)
    conv5 = b.conv("c10", local(DAY2))
    conv6 = b.conv("c6", local(DAY2), csat=1)
    conv8 = b.conv("c9", local(DAY2), csat=2)
    conv9 = b.conv("c10", local(DAY3), csat=5)
    conv_d = b.conv("c4", local(DAY2), csat=1)  # the duplicate's conversation
    # not complaints: the baseline (5 + 4 + 1 + 4 + 1) / 5 = 3.0, invalid scores ignored
    b.conv("c7", local(DAY2), csat=5, anger=0.7)
    b.conv("c8", local(DAY2), csat=4, anger=0.1, escalation=True)
    b.conv("c4", local(DAY2), csat=1, anger=0.2)
    b.conv("c3", local(DAY3), csat=4, anger=0.6)
    b.conv("c5", local(DAY3), csat="5")
    b.conv("c6", local(DAY3), csat=True)
    b.conv("c6", local(DAY3), csat=7)
    b.conv(None, local(DAY3), csat=1)
    b.conv("c2", local(START - timedelta(days=1)), csat=1, anger=0.95)  # before the window
    b.conv("c5", local(END + timedelta(days=1), 0, 30), csat=1)  # after the window

    b.case(
        "K1",
        "product_quality",
        "屏幕",
        "phone",
        "web",
        "key_account",
        "c1",
        conv1,
        at=local(START, 0, 30),
    )
    b.case("K2", "product_quality", "屏幕", "phone", "web", "key_account", "c1", conv2)
    b.case("K3", "product_quality", "屏幕", "phone", "email", "ordinary", "c3", conv3)
    b.case("K4", "product_quality", "电池", "appliance", "web", "ordinary", "c5", conv4)
    b.case("K5", "product_quality", "电池", "appliance", "web", "ordinary", "c10", conv5)
    b.case("K6", "service_policy", "退货", "phone", "email", "ordinary", "c6", conv6)
    b.case(
        "K7",
        "service_policy",
        "退货",
        "appliance",
        "email",
        "key_account",
        "c2",
        description="建议推出以旧换新活动",
    )
    b.case("K8", "service_policy", "退货", None, "web", "ordinary", "c9", conv8)
    b.case(
        "K9", "work_quality", "态度", None, "phone", "ordinary", "c10", conv9, at=local(END, 23, 50)
    )
    b.case("K10", None, "", None, "web", "ordinary", None, title="屏幕碎了")
    b.case(
        "D1",
        "product_quality",
        "屏幕",
        "phone",
        "web",
        "ordinary",
        "c4",
        conv_d,
        description="希望增加以旧换新",
        merged_into="K1",
    )
    b.case(
        "K_before",
        "product_quality",
        "屏幕",
        "phone",
        "web",
        "ordinary",
        "c7",
        at=local(START - timedelta(days=1), 23, 30),
        title="希望增加以旧换新",
    )
    b.case(
        "K_after",
        "product_quality",
        "屏幕",
        "phone",
        "web",
        "ordinary",
        "c8",
        at=local(END + timedelta(days=1), 0, 10),
    )

    # suggestions: 2 Chinese (+ K7) about trade-in, 2 English about Apple Pay, 1 unrelated
    b.case("S1", None, kind="suggestion", customer="c1", title="希望增加以旧换新")
    b.case("S2", None, kind="suggestion", customer="c2", description="能不能增加以旧换新服务？")
    b.case("S4", None, kind="suggestion", customer="c3", title="Please add Apple Pay")
    b.case(
        "S5",
        None,
        kind="suggestion",
        customer="c4",
        description="It would be nice to pay with Apple Pay",
    )
    b.case("S6", None, kind="suggestion", customer="c5", title="客服电话总是占线")
    b.case(
        "S_dup", None, kind="suggestion", customer="c6", title="希望增加以旧换新", merged_into="S1"
    )
    b.case(
        "S_before",
        None,
        kind="suggestion",
        customer="c6",
        title="希望增加以旧换新",
        at=local(START - timedelta(days=2)),
    )
    b.case("I1", None, kind="inquiry", customer="c6", title="希望增加以旧换新")

    b.recovery("K1", "product", "屏幕批次缺陷", "100.50", "recovered", at=local(START))
    b.recovery("K2", "product", "屏幕批次缺陷", "50", "recovered")
    b.recovery("K3", "product", "屏幕批次缺陷", "150", "not_recovered")
    b.recovery("K4", "product", "电池鼓包", "40", "pending")
    b.recovery("K6", "policy", "退货政策", "0", "recovered")
    b.recovery("K7", "policy", "退货政策", "0", "not_recovered")
    b.recovery(None, "person", "话术不当", "10", "pending")
    b.recovery(None, "person", "话术不当", "10", "pending")
    b.recovery("D1", "process", "重复工单", "999", "recovered")  # the duplicate's
    b.recovery(
        None,
        "product",
        "屏幕批次缺陷",
        "70",
        "recovered",
        at=local(START - timedelta(days=1), 23, 0),
    )
    return b


def build_other(s: Session) -> Builder:
    """Look-alike rows in another workspace: any leak changes the main figures."""
    b = Builder(s, "别家")
    b.line("phone", "手机")
    b.customer("x1", "key_account")
    b.customer("x2")
    b.order("x1", "99999", local(DAY2))
    conv = b.conv("x1", local(DAY2), csat=1, anger=0.99, escalation=True)
    b.conv("x2", local(DAY2), csat=5)
    b.case("X1", "product_quality", "屏幕", "phone", "web", "key_account", "x1", conv)
    b.case(
        "X2",
        "work_quality",
        "态度",
        None,
        "phone",
        "ordinary",
        "x2",
        description="希望增加以旧换新",
    )
    b.case("XS1", None, kind="suggestion", customer="x1", title="希望增加以旧换新")
    b.case("XS2", None, kind="suggestion", customer="x2", title="Please add Apple Pay")
    for _ in range(6):
        b.recovery("X1", "product", "屏幕批次缺陷", "1000", "recovered")
    return b


@pytest.fixture(scope="module")
def world(db: Database) -> Iterator[World]:
    with db.session() as s:
        main, other = build_main(s), build_other(s)
        w = World(main.ws, other.ws, main.lines, main.customers, main.cases)
    yield w


@pytest.fixture
def s(db: Database) -> Iterator[Session]:
    with db.session() as session:
        yield session


def approx(x: float) -> Any:
    return pytest.approx(x, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# Pareto


def _items(p: an.Pareto) -> list[tuple[str, int, float, bool]]:
    return [(i.label, i.count, round(i.cumulative_share, 9), i.vital_few) for i in p.items]


def test_pareto_by_category_includes_the_item_that_reaches_80(world: World, s: Session) -> None:
    p = an.pareto(s, world.ws, START, END, "category")
    assert p.total == 10 and p.by == "category" and p.kind == "complaint"
    assert _items(p) == [
        ("product_quality", 5, 0.5, True),
        ("service_policy", 3, 0.8, True),
        ("unknown", 1, 0.9, False),  # ties sorted by label
        ("work_quality", 1, 1.0, False),
    ]
    assert [i.share for i in p.items] == [0.5, 0.3, 0.1, 0.1]
    assert [i.category for i in p.items] == [
        "product_quality",
        "service_policy",
        None,
        "work_quality",
    ]
    assert [i.key for i in p.vital_few] == ["product_quality", "service_policy"]


def test_pareto_by_subcategory_and_product_line(world: World, s: Session) -> None:
    p = an.pareto(s, world.ws, START, END, "subcategory")
    assert _items(p) == [
        ("product_quality / 屏幕", 3, 0.3, True),
        ("service_policy / 退货", 3, 0.6, True),
        ("product_quality / 电池", 2, 0.8, True),
        ("unknown / unknown", 1, 0.9, False),
        ("work_quality / 态度", 1, 1.0, False),
    ]
    assert (p.items[0].category, p.items[0].subcategory) == ("product_quality", "屏幕")

    p = an.pareto(s, world.ws, START, END, "product_line")
    assert _items(p) == [
        ("手机", 4, 0.4, True),
        ("unknown", 3, 0.7, True),
        ("家电", 3, 1.0, True),
    ]
    phone, unknown, appliance = p.items
    assert (phone.product_line_id, phone.product_line_name) == (world.lines["phone"], "手机")
    assert (unknown.product_line_id, unknown.key) == (None, "unknown")
    assert appliance.product_line_id == world.lines["appliance"]


def test_pareto_by_channel_tier_and_cell(world: World, s: Session) -> None:
    p = an.pareto(s, world.ws, START, END, "channel")
    assert _items(p) == [("web", 6, 0.6, True), ("email", 3, 0.9, True), ("phone", 1, 1.0, False)]
    assert p.items[0].channel == "web"
    p = an.pareto(s, world.ws, START, END, "tier")
    assert _items(p) == [("ordinary", 7, 0.7, True), ("key_account", 3, 1.0, True)]
    p = an.pareto(s, world.ws, START, END, "cell")
    assert _items(p) == [
        ("product_quality × 手机", 3, 0.3, True),
        ("product_quality × 家电", 2, 0.5, True),
        ("service_policy × unknown", 1, 0.6, True),
        ("service_policy × 家电", 1, 0.7, True),
        ("service_policy × 手机", 1, 0.8, True),
        ("unknown × unknown", 1, 0.9, False),
        ("work_quality × unknown", 1, 1.0, False),
    ]
    top = p.items[0]
    assert (top.category, top.product_line_id, top.key) == (
        "product_quality",
        world.lines["phone"],
        f"product_quality|{world.lines['phone']}",
    )


def test_pareto_other_kind_window_and_bad_arguments(world: World, s: Session) -> None:
    p = an.pareto(s, world.ws, START, END, "category", kind="suggestion")
    assert _items(p) == [("unknown", 5, 1.0, True)]  # S_dup merged, S_before outside
    # one local day: only K1 (00:30 local is still 2026-03-01 in UTC)
    p = an.pareto(s, world.ws, START, START, "category")
    assert _items(p) == [("product_quality", 1, 1.0, True)]
    assert an.pareto(s, world.ws, END, START, "category").items == ()  # empty window
    with pytest.raises(ValueError, match="category, subcategory, product_line, channel"):
        an.pareto(s, world.ws, START, END, "colour")
    with pytest.raises(ValueError, match="kind"):
        an.pareto(s, world.ws, START, END, "category", kind="praise")


# ---------------------------------------------------------------------------------------------
# customer value tiers


def test_customer_value_tiers(world: World, s: Session) -> None:
    rows = an.customer_value_pareto(s, world.ws, START, END)
    got = [
        (
            r.tier,
            r.customers,
            r.revenue,
            r.complaining_customers,
            r.complaints,
            r.complaints_per_1000,
        )
        for r in rows
    ]
    # 8 paying customers: top20 = ceil(1.6) = 2 (c1, c2), next30 up to ceil(4) (c3, c4),
    # rest50 c5..c8 (c6's order on the year's first local day counts, c8's day-early one not);
    # no_orders: c9 (order 400 days old), c10 (cancelled). K10 has no customer.
    assert got == [
        ("top20", 2, Decimal("8000.00"), 2, 3, 1500.0),
        ("next30", 2, Decimal("1800.00"), 1, 1, 500.0),
        ("rest50", 4, Decimal("1100.00"), 2, 2, 500.0),
        ("no_orders", 2, Decimal("0.00"), 2, 3, 1500.0),
    ]
    assert [r.revenue_share for r in rows] == [
        approx(8000 / 10900),
        approx(1800 / 10900),
        approx(1100 / 10900),
        0.0,
    ]
    assert [r.complaints_share for r in rows] == [
        approx(3 / 9),
        approx(1 / 9),
        approx(2 / 9),
        approx(3 / 9),
    ]


# ---------------------------------------------------------------------------------------------
# fix ranking


def test_fix_ranking(world: World, s: Session) -> None:
    rows = an.fix_ranking(s, world.ws, START, END)
    got = [
        (r.label, r.complaints, r.cost_total, r.cost_per_case, r.csat_responses, r.mean_csat)
        for r in rows
    ]
    assert got == [
        ("product_quality / 屏幕", 3, Decimal("300.50"), Decimal("100.17"), 3, 2.0),
        ("product_quality / 电池", 2, Decimal("40.00"), Decimal("20.00"), 1, 4.0),
        ("service_policy / 退货", 3, Decimal("0.00"), Decimal("0.00"), 2, 1.5),
        ("work_quality / 态度", 1, None, None, 1, 5.0),
        ("unknown / unknown", 1, None, None, 0, None),
    ]
    assert {r.baseline_csat for r in rows} == {3.0}
    # gain = count x (3.0 - mean); per cost only where a cost was spent (not 0, not unknown)
    assert [r.gain for r in rows] == [approx(3.0), approx(-2.0), approx(4.5), approx(-2.0), None]
    assert [r.gain_per_cost for r in rows] == [approx(3 / 300.5), approx(-2 / 40), None, None, None]
    assert rows[0].category == "product_quality" and rows[0].subcategory == "屏幕"


# ---------------------------------------------------------------------------------------------
# root causes


def test_root_causes(world: World, s: Session) -> None:
    rows = an.root_causes(s, world.ws, START, END, min_repeat=3)
    got = [
        (
            r.root_cause,
            r.cause_detail,
            r.count,
            r.cost_total,
            r.recovered,
            r.not_recovered,
            r.pending,
            r.recovered_share,
            r.process_change,
        )
        for r in rows
    ]
    assert got == [
        ("product", "屏幕批次缺陷", 3, Decimal("300.50"), 2, 1, 0, approx(2 / 3), True),
        ("person", "话术不当", 2, Decimal("20.00"), 0, 0, 2, None, False),
        ("policy", "退货政策", 2, Decimal("0.00"), 1, 1, 0, 0.5, False),
        ("product", "电池鼓包", 1, Decimal("40.00"), 0, 0, 1, None, False),
    ]
    assert not any(r.process_change for r in an.root_causes(s, world.ws, START, END))


# ---------------------------------------------------------------------------------------------
# silent dissatisfaction


def test_silent_dissatisfaction(world: World, s: Session) -> None:
    e = an.silent_dissatisfaction(s, world.ws, START, END)
    # complainants c1 c2 c3 c5 c6 c9 c10; angry c1 c3 (0.6) c7 c8 (escalation);
    # detractors c1 c6 c9 c4; silent c4 c7 c8
    assert (e.complainants, e.angry_customers, e.detractors, e.detractors_who_complained) == (
        7,
        4,
        4,
        3,
    )
    assert (e.negative_customers, e.observed_silent) == (7, 3)
    assert e.observed_silent_per_complaint == approx(3 / 7)
    assert e.complaint_rate == 0.75
    assert e.estimated_unhappy == approx(7 / 0.75)
    assert e.estimated_silent == approx(7 / 0.75 - 7)
    assert e.silent_per_complaint == approx(1 / 3)
    assert e.reason is None
    assert "same rate" in e.method and "complainants / r" in e.method
    assert (e.csat_detractor_max, e.anger_threshold) == (2, 0.6)

    # stricter thresholds: detractors only CSAT 1 (c1, c6, c4), anger only >= 0.8 (c1)
    e = an.silent_dissatisfaction(
        s, world.ws, START, END, csat_detractor_max=1, anger_threshold=0.8
    )
    assert (e.detractors, e.detractors_who_complained, e.angry_customers) == (3, 2, 2)
    assert e.observed_silent == 2  # c4 (detractor), c8 (escalation)
    assert e.complaint_rate == approx(2 / 3)
    assert e.estimated_unhappy == approx(10.5)


def test_silent_estimate_is_none_when_no_detractor_complains(world: World, s: Session) -> None:
    # the window's first day: K1 by c1, whose conversation that day has CSAT 2 (not <= 1)
    e = an.silent_dissatisfaction(s, world.ws, START, START, csat_detractor_max=1)
    assert (e.complainants, e.detractors) == (1, 0)
    assert e.estimated_unhappy is None and e.reason is not None and "no detractor" in e.reason
    e = an.silent_dissatisfaction(s, world.ws, DAY2, DAY2, csat_detractor_max=1)
    # day 2: detractors c1, c6 (complained) and c4 (silent)
    assert e.complaint_rate == approx(2 / 3)


# ---------------------------------------------------------------------------------------------
# feature requests


def test_feature_requests_group_similar_texts(world: World, s: Session) -> None:
    fr = an.feature_requests(s, world.ws, START, END)
    c = world.cases
    # S1, S2 and complaint K7 (a cue: 建议); S4, S5; S6 alone. K10 (no cue), D1 (merged),
    # K_before / S_before (outside), I1 (an inquiry) are not requests here.
    assert fr.total == 6 and fr.ungrouped == 1
    trade_in, apple = fr.groups
    assert (trade_in.label, trade_in.count, trade_in.customers) == ("以旧换新 / 推出 / 服务", 3, 2)
    assert trade_in.case_ids == tuple(sorted((c["S1"], c["S2"], c["K7"])))
    assert trade_in.examples == (
        "建议推出以旧换新活动",
        "希望增加以旧换新",
        "能不能增加以旧换新服务？",
    )
    assert (apple.label, apple.count, apple.customers) == ("apple / pay", 2, 2)
    assert apple.case_ids == (c["S4"], c["S5"])
    assert apple.examples == ("Please add Apple Pay", "It would be nice to pay with Apple Pay")

    fr = an.feature_requests(s, world.ws, START, END, min_group=3)
    assert [g.count for g in fr.groups] == [3] and fr.ungrouped == 3
    fr = an.feature_requests(s, world.ws, START, END, min_group=1)
    assert [g.count for g in fr.groups] == [3, 2, 1] and fr.ungrouped == 0


def test_feature_requests_with_one_text(world: World, s: Session) -> None:
    # a window holding only S_before: one text, grouped without calling sklearn
    day = START - timedelta(days=2)
    fr = an.feature_requests(s, world.ws, day, day, min_group=1)
    assert fr.total == 1 and fr.ungrouped == 0
    (only,) = fr.groups
    assert (only.label, only.count, only.case_ids) == ("以旧换新", 1, (world.cases["S_before"],))


# ---------------------------------------------------------------------------------------------
# isolation and empty workspaces


def test_the_other_workspace_sees_only_its_rows(world: World, s: Session) -> None:
    assert an.pareto(s, world.other, START, END, "category").total == 2
    tiers = an.customer_value_pareto(s, world.other, START, END)
    assert [(r.tier, r.customers, r.complaints) for r in tiers] == [
        ("top20", 1, 1),
        ("next30", 0, 0),
        ("rest50", 0, 0),
        ("no_orders", 1, 1),
    ]
    (cause,) = an.root_causes(s, world.other, START, END)
    assert (cause.count, cause.cost_total, cause.process_change) == (6, Decimal("6000.00"), True)
    e = an.silent_dissatisfaction(s, world.other, START, END)
    assert (e.complainants, e.detractors, e.complaint_rate) == (2, 1, 1.0)
    assert e.estimated_silent == 0.0
    fr = an.feature_requests(s, world.other, START, END)
    assert fr.total == 3 and fr.groups[0].count == 2


def test_empty_workspace_returns_zeros(db: Database, s: Session) -> None:
    with db.session() as setup:
        ws = ws_service.create_workspace(setup, f"ca-{uuid.uuid4().hex[:12]}", "空店").id
    for by in an.PARETO_BY:
        p = an.pareto(s, ws, START, END, by)
        assert (p.total, p.items, p.vital_few) == (0, (), ())
    assert [
        (r.tier, r.customers, r.revenue, r.revenue_share, r.complaints_share, r.complaints_per_1000)
        for r in an.customer_value_pareto(s, ws, START, END)
    ] == [(t, 0, Decimal("0.00"), 0.0, 0.0, 0.0) for t in an.VALUE_TIERS]
    assert an.fix_ranking(s, ws, START, END) == []
    assert an.root_causes(s, ws, START, END) == []
    e = an.silent_dissatisfaction(s, ws, START, END)
    assert (e.complainants, e.detractors, e.observed_silent, e.complaint_rate) == (0, 0, 0, None)
    assert e.observed_silent_per_complaint is None and e.estimated_silent is None
    assert e.reason and e.method
    assert an.feature_requests(s, ws, START, END) == an.FeatureRequests((), 0, 0)


def test_csat_of() -> None:
    assert [an.csat_of(m) for m in ({"csat": 4}, {"csat": 1.0}, {}, {"csat": "5"})] == [
        4.0,
        1.0,
        None,
        None,
    ]
    assert [an.csat_of(m) for m in ({"csat": True}, {"csat": 0}, {"csat": 6}, None)] == [None] * 4


def test_feature_requests_cap_and_featureless_texts(
    world: World, s: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(an, "MAX_TEXTS", 5)
    fr = an.feature_requests(s, world.ws, START, END)
    # the oldest text (K7) is left out: S1 and S2 still make a group, S4 and S5 too
    assert (fr.total, fr.left_out, fr.ungrouped) == (6, 1, 1)
    assert [(g.count, g.label) for g in fr.groups] == [(2, "apple / pay"), (2, "以旧换新 / 服务")]
    # a text of request words only has no features: its own group, sklearn never sees it
    labels, _ = an._clusters(["希望增加", "以旧换新", "希望增加以旧换新"])
    assert labels[1] == labels[2] and labels[0] not in labels[1:]
