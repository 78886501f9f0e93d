"""RFM scores and names, value tiers, the rule language and membership changes, by hand."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from liuke.crm.segments import (
    FIELDS,
    MAX_DEPTH,
    MAX_NODES,
    SEGMENTS_CLASSIC,
    SEGMENTS_CN8,
    All,
    AnyOf,
    Change,
    Leaf,
    Not,
    OrderFact,
    RuleError,
    describe,
    matches,
    membership_changes,
    parse_rule,
    quantile_scores,
    rfm,
    to_json,
    value_tiers,
)

AS_OF = date(2025, 6, 30)


def order(cid: int, days_ago: int, amount: int | str, status: str = "paid") -> OrderFact:
    at = datetime(2025, 6, 30, 12, tzinfo=UTC) - timedelta(days=days_ago)
    return OrderFact(cid, Decimal(amount), status, at)


# --- RFM --------------------------------------------------------------------------------------


def test_quantile_scores_ties_and_small_counts() -> None:
    assert quantile_scores([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert quantile_scores(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quantile_scores([50, 10, 30]) == [5, 1, 3]  # input order does not matter
    # ties share a score: seven 1s sit at the 35th percentile, mid-rank -> 2
    assert quantile_scores([1] * 7 + [2, 3, 10]) == [2] * 7 + [4, 5, 5]
    assert quantile_scores([7, 7, 7, 7]) == [3, 3, 3, 3]
    # fewer values than bins spread over the scale
    assert quantile_scores([42]) == [3]
    assert quantile_scores([1, 9]) == [2, 4]
    assert quantile_scores([1, 2, 3, 4]) == [1, 2, 4, 5]
    assert quantile_scores([1, 2, 3], bins=3) == [1, 2, 3]
    with pytest.raises(ValueError):
        quantile_scores([1], bins=0)


def five_customers() -> list[OrderFact]:
    return [
        # 1: recency 1, F 5, M 500
        *(order(1, d, 100) for d in (1, 30, 60, 90, 120)),
        # 2: recency 5, F 1, M 1000
        order(2, 5, 1000),
        # 3: recency 30, F 3, M 300 (a refund and a cancellation count for nothing)
        *(order(3, d, 100) for d in (30, 100, 200)),
        order(3, 3, 5000, "refunded"),
        order(3, 2, 5000, "cancelled"),
        # 4: recency 100, F 4, M 50
        *(order(4, d, "12.5") for d in (100, 150, 200, 250)),
        # 5: recency 400: nothing in the window
        order(5, 400, 9999),
        # 6: only refunded: not scored at all; 7: only after as_of: not known yet
        order(6, 10, 100, "refunded"),
        order(7, -1, 100),
    ]


def test_rfm_values_scores_and_cn8_names() -> None:
    scores = rfm(five_customers(), AS_OF)
    assert [s.customer_id for s in scores] == [1, 2, 3, 4, 5]
    raw = [(s.recency_days, s.frequency, s.monetary) for s in scores]
    assert raw == [
        (1, 5, Decimal(500)),
        (5, 1, Decimal(1000)),
        (30, 3, Decimal(300)),
        (100, 4, Decimal(50)),
        (400, 0, Decimal(0)),
    ]
    assert [s.code for s in scores] == ["554", "425", "333", "242", "111"]
    # each score against the average score (3): above is high, equal is low
    assert [s.segment for s in scores] == [
        "key_value",
        "key_develop",
        "general_win_back",
        "general_keep",
        "general_win_back",
    ]
    assert [s.label_zh for s in scores] == [
        "重要价值客户",
        "重要发展客户",
        "一般挽留客户",
        "一般保持客户",
        "一般挽留客户",
    ]
    assert scores[0].label_en == "High-value customers"


def test_rfm_the_other_four_cn8_classes() -> None:
    orders = [
        # w: recent, frequent, small spend
        order(1, 1, 5),
        *(order(1, d, 3) for d in (10, 20, 30, 40, 50)),
        # x: recent once, small
        order(2, 2, 10),
        # y: lapsed, frequent, big
        *(order(3, d, 180) for d in (50, 60, 100, 150, 200)),
        # z: lapsed, rare, big
        order(4, 60, 400),
        order(4, 300, 400),
    ]
    scores = rfm(orders, AS_OF)
    assert [s.code for s in scores] == ["552", "411", "245", "124"]
    assert [s.label_zh for s in scores] == [
        "一般价值客户",
        "一般发展客户",
        "重要保持客户",
        "重要挽留客户",
    ]


def test_rfm_window_is_the_last_365_days() -> None:
    scores = rfm([order(1, 364, 10), order(1, 365, 20), order(1, 500, 40)], AS_OF)
    (only,) = scores
    assert (only.recency_days, only.frequency, only.monetary) == (364, 1, Decimal(10))


def test_rfm_ties_and_fewer_customers_than_bins() -> None:
    (one,) = rfm([order(9, 10, 100)], AS_OF)
    assert one.code == "333"
    assert one.segment == "general_win_back"  # at the average is not above it
    pairs = [order(c, d, 50) for c in (1, 2) for d in (10, 20)]
    twins = rfm([*pairs, order(3, 200, 5)], AS_OF)
    assert twins[0].code == twins[1].code == "444"
    assert twins[2].code == "111"
    assert twins[0].segment == "key_value"
    two = rfm([order(1, 1, 100), order(2, 50, 10)], AS_OF)
    assert [s.code for s in two] == ["434", "232"]  # F tied at 1 order each: the middle
    assert rfm([], AS_OF) == []
    assert rfm([order(1, 1, 5, "cancelled")], AS_OF) == []


def test_rfm_classic_scheme() -> None:
    scores = rfm(five_customers(), AS_OF, scheme="classic")
    assert [s.segment for s in scores] == [
        "champions",  # R5 F5
        "potential_loyalists",  # R4 F2
        "need_attention",  # R3 F3
        "at_risk",  # R2 F4
        "lost",  # R1 F1
    ]
    assert scores[0].label_zh == SEGMENTS_CLASSIC["champions"][0]
    with pytest.raises(ValueError, match="bins=5"):
        rfm(five_customers(), AS_OF, bins=4, scheme="classic")
    with pytest.raises(ValueError):
        rfm(five_customers(), AS_OF, bins=0)


def test_rfm_other_bins() -> None:
    scores = rfm(five_customers(), AS_OF, bins=3)
    # p = 0.1 0.3 0.5 0.7 0.9 -> floor(3p) + 1
    assert [s.r for s in scores] == [3, 3, 2, 1, 1]


def test_segment_catalogues_are_bilingual() -> None:
    assert len(SEGMENTS_CN8) == 8
    assert {zh for zh, _ in SEGMENTS_CN8.values()} == {
        "重要价值客户",
        "重要发展客户",
        "重要保持客户",
        "重要挽留客户",
        "一般价值客户",
        "一般发展客户",
        "一般保持客户",
        "一般挽留客户",
    }
    for zh, en in (*SEGMENTS_CN8.values(), *SEGMENTS_CLASSIC.values()):
        assert zh and en


# --- value tiers ------------------------------------------------------------------------------


def test_value_tiers_and_the_80_20_share() -> None:
    revenue = {
        1: Decimal(100),
        2: Decimal(50),
        3: Decimal(20),
        4: Decimal(10),
        5: Decimal(10),
        7: Decimal(5),
        8: Decimal(3),
        9: Decimal(1),
        10: Decimal(1),
        11: Decimal(1),
        6: Decimal(0),
        12: Decimal(-30),  # net refunds
    }
    vt = value_tiers(revenue)
    assert vt.paying_customers == 10
    assert vt.total_revenue == Decimal(201)
    assert [c for c, t in vt.tiers.items() if t == "top20"] == [1, 2]
    assert sorted(c for c, t in vt.tiers.items() if t == "next30") == [3, 4, 5]
    assert sorted(c for c, t in vt.tiers.items() if t == "rest50") == [7, 8, 9, 10, 11]
    assert sorted(c for c, t in vt.tiers.items() if t == "none") == [6, 12]
    assert vt.top20_share == pytest.approx(150 / 201)
    by_tier = {s.tier: s for s in vt.summary}
    assert (by_tier["top20"].customers, by_tier["top20"].revenue) == (2, Decimal(150))
    assert by_tier["next30"].revenue_share == pytest.approx(40 / 201)
    assert by_tier["rest50"].revenue == Decimal(11)
    assert (by_tier["none"].customers, by_tier["none"].revenue) == (2, Decimal(0))
    assert [s.tier for s in vt.summary] == ["top20", "next30", "rest50", "none"]
    # one point per customer, from (0, 0) to (1, 1)
    assert len(vt.curve) == 11
    assert (vt.curve[0].customer_share, vt.curve[0].revenue_share) == (0.0, 0.0)
    assert vt.curve[2].customer_share == pytest.approx(0.2)
    assert vt.curve[2].revenue_share == pytest.approx(150 / 201)
    assert vt.curve[-1].revenue_share == pytest.approx(1.0)


def test_value_tiers_interpolates_and_keeps_ties_together() -> None:
    vt = value_tiers({i + 1: Decimal(v) for i, v in enumerate([100, 50, 20, 10, 10, 5, 5])})
    # 20 % of 7 customers = 1.4: 100 + 0.4 * 50 = 120 of 200
    assert vt.top20_share == pytest.approx(0.6)
    assert [vt.tiers[i] for i in range(1, 8)] == [
        "top20",
        "top20",  # ceil(1.4) = 2
        "next30",
        "next30",
        "next30",  # tied with customer 4, so the same tier
        "rest50",
        "rest50",
    ]
    # 20 % of 10 is 2 customers, but the 2nd and 3rd bring the same: both are top20
    tie = value_tiers(
        {1: Decimal(100), 2: Decimal(50), 3: Decimal(50)} | {i: Decimal(1) for i in range(4, 11)}
    )
    assert [tie.tiers[i] for i in (1, 2, 3, 4)] == ["top20", "top20", "top20", "next30"]
    assert tie.summary[0].customers == 3
    assert tie.top20_share == pytest.approx(150 / 207)  # the measured share stays at 20 %


def test_value_tiers_gini_and_sampled_curve() -> None:
    even = value_tiers({1: Decimal(10), 2: Decimal(10), 3: Decimal(10), 4: Decimal(10)})
    assert even.gini == pytest.approx(0.0)
    assert even.top20_share == pytest.approx(0.2)
    skewed = value_tiers({1: Decimal(70), 2: Decimal(10), 3: Decimal(10), 4: Decimal(10)})
    # sum |xi - xj| / (2 n^2 mean) = 360 / 800
    assert skewed.gini == pytest.approx(0.45)
    many = value_tiers({i: Decimal(i) for i in range(1, 1001)}, max_points=11)
    assert [p.customer_share for p in many.curve] == pytest.approx([k / 10 for k in range(11)])
    shares = [p.revenue_share for p in many.curve]
    assert shares[0] == 0.0 and shares[-1] == pytest.approx(1.0)
    assert shares == sorted(shares)
    gains = [b - a for a, b in itertools.pairwise(shares)]
    assert gains == sorted(gains, reverse=True)  # a Pareto curve is concave
    with pytest.raises(ValueError):
        value_tiers({1: Decimal(1)}, max_points=1)


def test_value_tiers_without_revenue() -> None:
    vt = value_tiers({1: Decimal(0), 2: Decimal(0)})
    assert vt.tiers == {1: "none", 2: "none"}
    assert (vt.paying_customers, vt.top20_share, vt.gini, vt.curve) == (0, None, None, [])
    assert value_tiers({}).summary[0].customers == 0


# --- rules ------------------------------------------------------------------------------------

RECENT = {"field": "recency_days", "op": "<=", "value": 30}
RULE = {
    "all": [
        RECENT,
        {
            "any": [
                {"field": "tier", "op": "==", "value": "key_account"},
                {"field": "tags", "op": "in", "value": ["VIP", "大促"]},
            ]
        },
        {"not": {"field": "city", "op": "in", "value": ["上海", "北京"]}},
    ]
}


def test_parse_rule_builds_the_tree_and_round_trips() -> None:
    rule = parse_rule(RULE)
    assert isinstance(rule, All)
    assert rule.rules[0] == Leaf("recency_days", "<=", 30)
    assert isinstance(rule.rules[1], AnyOf)
    assert rule.rules[2] == Not(Leaf("city", "in", ("上海", "北京")))
    assert to_json(rule) == RULE
    assert parse_rule(to_json(rule)) == rule


def nest(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = dict(RECENT)
    for _ in range(levels):
        node = {"not": node}
    return node


@pytest.mark.parametrize(
    ("obj", "path", "code"),
    [
        ({"all": []}, "$", "empty"),
        (
            {"any": [RECENT, {"field": "shoe_size", "op": "==", "value": 42}]},
            "$.any[1]",
            "unknown_field",
        ),
        (
            {"all": [{"not": {"field": "tier", "op": "<", "value": "ordinary"}}]},
            "$.all[0].not",
            "bad_op",
        ),
        ({"field": "recency_days", "op": "<=", "value": "30"}, "$", "bad_value"),
        ({"field": "recency_days", "op": "<=", "value": True}, "$", "bad_value"),
        ({"field": "recency_days", "op": "<=", "value": float("nan")}, "$", "bad_value"),
        ({"field": "monetary", "op": "between", "value": [500, 100]}, "$", "bad_value"),
        ({"field": "monetary", "op": "between", "value": [1, 2, 3]}, "$", "bad_value"),
        ({"field": "city", "op": "in", "value": "上海"}, "$", "bad_value"),
        ({"field": "city", "op": "in", "value": []}, "$", "bad_value"),
        ({"field": "city", "op": "==", "value": 3}, "$", "bad_value"),
        ({"field": "tier", "op": "==", "value": "vip"}, "$", "bad_value"),
        ({"field": "tags", "op": "between", "value": ["a", "b"]}, "$", "bad_op"),
        ({"field": "recency_days", "op": "~", "value": 1}, "$", "unknown_op"),
        ({"field": "recency_days", "op": "<="}, "$", "missing_keys"),
        ({**RECENT, "note": "x"}, "$", "extra_keys"),
        ({"all": [RECENT], "any": [RECENT]}, "$", "extra_keys"),
        ({"all": RECENT}, "$", "not_list"),
        ({"any": [RECENT, "recency_days <= 30"]}, "$.any[1]", "not_object"),
        ({}, "$", "unknown_node"),
        (nest(MAX_DEPTH), "$" + ".not" * MAX_DEPTH, "too_deep"),
        ({"any": [RECENT] * MAX_NODES}, f"$.any[{MAX_NODES - 1}]", "too_many_nodes"),
    ],
)
def test_parse_rule_errors_name_the_node(obj: object, path: str, code: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_rule(obj)
    err = caught.value
    assert isinstance(err, RuleError)
    assert (err.path, err.code) == (path, code)
    assert str(err).startswith(f"{path}: ")


def test_parse_rule_limits_are_inclusive() -> None:
    parse_rule(nest(MAX_DEPTH - 1))  # 8 levels: 7 nots and the leaf
    parse_rule({"any": [RECENT] * (MAX_NODES - 1)})  # 200 nodes with the 'any'
    assert str(_error({"field": "shoe_size", "op": "==", "value": 1})) == (
        "$: unknown field 'shoe_size'"
    )


def _error(obj: object) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse_rule(obj)
    return caught.value


def test_matches() -> None:
    rule = parse_rule(RULE)
    base: dict[str, Any] = {"recency_days": 10, "tier": "ordinary", "tags": ["VIP"], "city": "杭州"}
    assert matches(rule, base)
    assert not matches(rule, {**base, "recency_days": 31})
    assert not matches(rule, {**base, "tags": []})
    assert matches(rule, {**base, "tags": [], "tier": "key_account"})
    assert not matches(rule, {**base, "city": "上海"})


def test_missing_or_ill_typed_fields_never_match_nor_raise() -> None:
    rule = parse_rule(RULE)
    assert not matches(rule, {"recency_days": 10, "tier": "ordinary", "tags": ["VIP"]})  # no city
    for leaf in (
        {"field": "city", "op": "!=", "value": "上海"},
        {"not": {"field": "city", "op": "==", "value": "上海"}},
        {"field": "tags", "op": "not_in", "value": ["VIP"]},
        {"field": "monetary", "op": ">=", "value": 0},
    ):
        r = parse_rule(leaf)
        assert not matches(r, {})
        assert not matches(r, {"city": None, "tags": None, "monetary": None})
        assert not matches(r, {"city": 12, "tags": "VIP", "monetary": "lots"})
    # unknown in an 'any' is still decided by a true branch, in an 'all' by a false one
    either = parse_rule({"any": [{"field": "city", "op": "==", "value": "上海"}, RECENT]})
    assert matches(either, {"recency_days": 3})
    both = parse_rule({"not": {"all": [{"field": "city", "op": "==", "value": "上海"}, RECENT]}})
    assert matches(both, {"recency_days": 99})  # all(unknown, false) = false, not -> true
    assert not matches(both, {"recency_days": 3})  # all(unknown, true) = unknown


def test_leaf_operators() -> None:
    def check(field: str, op: str, value: Any, profile_value: Any) -> bool:
        return matches(
            parse_rule({"field": field, "op": op, "value": value}), {field: profile_value}
        )

    assert check("monetary", "between", [100, 500], Decimal("100.00"))
    assert check("monetary", "between", [100, 500], 500)
    assert not check("monetary", "between", [100, 500], Decimal("500.01"))
    assert check("frequency", "in", [1, 2, 3], 2)
    assert check("frequency", "not_in", [1, 2, 3], 4)
    assert check("csat_last", ">", 4, 4.5) and not check("csat_last", ">", 4, 4)
    assert check("csat_last", ">=", 4, 4) and check("csat_last", "<", 4, 3.9)
    assert check("nps_last", "==", 10, 10.0) and check("nps_last", "!=", 10, 9)
    assert not check("frequency", "==", 1, True)  # a boolean is not a number
    assert check("grade", "in", ["A", "B"], "B") and check("grade", "!=", "A", "B")
    assert check("tags", "==", "VIP", ["VIP", "老客"]) and check("tags", "!=", "VIP", ["老客"])
    assert check("tags", "in", ["VIP", "新客"], {"新客"}) and check("tags", "not_in", ["VIP"], [])
    assert check("rfm_segment", "==", "key_value", "key_value")
    assert check("rfm_segment", "==", "champions", "champions")


def test_describe_in_both_languages() -> None:
    rule = parse_rule(RULE)
    assert describe(rule, "zh_CN") == (
        "最近一次购买距今天数不超过30且（客户级别为重点客户或带有标签“VIP”、“大促”中的任一个）"
        "且并非（城市为“上海”、“北京”之一）"
    )
    assert describe(rule, "en") == (
        "Days since last purchase is at most 30 and (customer tier is key account or has any "
        'of the tags "VIP", "大促") and not (city is one of "上海", "北京")'
    )
    between = parse_rule({"field": "monetary", "op": "between", "value": [100, 2500.5]})
    assert describe(between, "zh_CN") == "近一年消费金额介于100与2500.5之间"
    assert describe(between, "en-US") == "Spend in the last 365 days is between 100 and 2500.5"
    segment = parse_rule({"field": "rfm_segment", "op": "not_in", "value": ["key_value", "lost"]})
    assert describe(segment, "zh") == "RFM 分群不为重要价值客户、已流失客户中的任何一个"
    assert describe(segment, "en") == "RFM segment is none of High-value customers, Lost"
    assert describe(parse_rule({"field": "tags", "op": "!=", "value": "VIP"}), "en") == (
        'Does not have the tag "VIP"'
    )
    assert describe(parse_rule(RECENT), "fr") == "最近一次购买距今天数不超过30"  # default locale


def test_fields_catalogue() -> None:
    for name in ("recency_days", "frequency", "monetary", "tier", "rfm_segment", "churn_risk"):
        assert name in FIELDS
    for name in ("complaints_90d", "csat_last", "nps_last", "grade", "tags", "city"):
        assert name in FIELDS
    assert FIELDS["tags"].type == "tags"
    assert FIELDS["recency_days"][:3] == (
        "number",
        "最近一次购买距今天数",
        "days since last purchase",
    )
    assert {c[0] for c in FIELDS["tier"].choices} == {"key_account", "ordinary"}
    for spec in FIELDS.values():
        assert spec.type in ("number", "text", "tags") and spec.label_zh and spec.label_en


# --- membership -------------------------------------------------------------------------------


def test_membership_changes() -> None:
    before = {1: {"key_value", "vip"}, 2: {"general_keep"}, 3: {"x"}}
    after = {1: {"key_keep", "vip"}, 2: {"general_keep"}, 4: {"new"}}
    assert membership_changes(before, after) == [
        Change(1, "key_keep", "joined"),
        Change(1, "key_value", "left"),
        Change(3, "x", "left"),
        Change(4, "new", "joined"),
    ]
    assert membership_changes(after, after) == []
    assert membership_changes({}, {5: set()}) == []
