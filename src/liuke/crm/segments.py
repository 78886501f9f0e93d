"""Customer segments: RFM scores, value tiers, user-editable rules and membership over time.

Everything here is pure computation on plain values (no database), so a daily job, a page and
a test can all feed it the same way and get the same frozen answers back.

RFM (``rfm``)
    Per customer with at least one paid order on or before ``as_of``: recency = days since the
    last paid order, frequency = paid orders in the last 365 days, monetary = paid revenue in
    the last 365 days ("the last 365 days" = order dates ``as_of - 364`` .. ``as_of``). Refunded
    and cancelled orders count for nothing; orders dated after ``as_of`` are ignored, so a
    recomputation for a past day gives that day's answer. Dates are the calendar date of
    ``ordered_at`` as given: convert to the workspace's time zone before calling.

    Scores 1..``bins`` (5 best; for recency, fewest days is best) come from each customer's
    mid-rank percentile ``p = (below + equal / 2) / n`` as ``floor(p * bins) + 1``. Equal values
    always get equal scores (a tie is never split by input order), and with fewer customers
    than bins the scores spread over the scale instead of filling 1, 2, 3...: one customer
    scores 3 of 5, two customers score 2 and 4, everybody tied scores 3.

    Segment names, default scheme ``"cn8"`` (the eight classes common in China): each of R, F
    and M is "high" when the customer's score is above the average score of all scored
    customers (equal to the average is low). M decides 重要 (important) or 一般 (general);
    R and F decide the kind: both high 价值 (value), R high F low 发展 (develop), R low F high
    保持 (keep), both low 挽留 (win back). ``scheme="classic"`` (``bins=5`` only) names the
    widely used R x F grid instead: champions, loyal, potential loyalists, new, promising, need
    attention, about to sleep, at risk, can't lose them, hibernating and lost (R = F = 1).

Value tiers (``value_tiers``)
    The 80/20 view: paying customers (revenue above zero) ranked by revenue; the first 20 %
    are ``top20``, the next 30 % ``next30``, the rest ``rest50`` (counts rounded up), and zero or
    negative revenue is ``none``. Customers with equal revenue share a tier (the higher one), so
    a tie at a cut never depends on ids. ``top20_share`` is the revenue share of exactly the top
    20 % of paying customers, read off the Pareto curve (interpolated between customers), so it
    is the measured "80" of 80/20 even when the customer count is not a multiple of five.

Rules (``parse_rule``, ``matches``, ``describe``)
    A small JSON condition language users edit: ``{"all": [...]}``, ``{"any": [...]}``,
    ``{"not": rule}`` and leaves ``{"field": "recency_days", "op": "<=", "value": 30}`` over the
    fields in ``FIELDS``. Operators by field type: numbers take ``== != < <= > >=``, ``in`` /
    ``not_in`` (a list) and ``between`` (``[low, high]``, both inclusive); text takes ``== !=
    in not_in`` (closed lists such as ``tier`` only accept their codes); tags take ``==`` (has
    the tag), ``!=`` (lacks it), ``in`` (has any of them) and ``not_in`` (has none of them).
    Limits: at most 8 levels deep, 200 nodes, 100 values per list. Evaluation is three-valued,
    like SQL's NULL: a leaf on a missing (or ill-typed) profile value is *unknown*, ``not``
    keeps unknown unknown, and only a rule that is definitely true matches. So a missing field
    never matches, not even under ``not`` or ``!=``, and never raises.

Membership (``membership_changes``)
    The joins and leaves between two snapshots of ``customer -> segment codes``, which is what
    the daily snapshot job stores.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple, TypeAlias

from liuke.core.i18n import normalize_locale

WINDOW_DAYS = 365

# ---------------------------------------------------------------------------------------------
# RFM

SEGMENTS_CN8: dict[str, tuple[str, str]] = {
    "key_value": ("重要价值客户", "High-value customers"),
    "key_develop": ("重要发展客户", "Key customers to develop"),
    "key_keep": ("重要保持客户", "Key customers to keep"),
    "key_win_back": ("重要挽留客户", "Key customers to win back"),
    "general_value": ("一般价值客户", "General value customers"),
    "general_develop": ("一般发展客户", "General customers to develop"),
    "general_keep": ("一般保持客户", "General customers to keep"),
    "general_win_back": ("一般挽留客户", "General customers to win back"),
}
# (R high, F high, M high) -> segment code
_CN8: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "key_value",
    (True, False, True): "key_develop",
    (False, True, True): "key_keep",
    (False, False, True): "key_win_back",
    (True, True, False): "general_value",
    (True, False, False): "general_develop",
    (False, True, False): "general_keep",
    (False, False, False): "general_win_back",
}
SEGMENTS_CLASSIC: dict[str, tuple[str, str]] = {
    "champions": ("冠军客户", "Champions"),
    "loyal": ("忠诚客户", "Loyal customers"),
    "potential_loyalists": ("潜在忠诚客户", "Potential loyalists"),
    "new": ("新客户", "New customers"),
    "promising": ("有潜力客户", "Promising"),
    "need_attention": ("需要关注客户", "Need attention"),
    "about_to_sleep": ("即将沉睡客户", "About to sleep"),
    "at_risk": ("有流失风险客户", "At risk"),
    "cant_lose": ("不能失去的客户", "Can't lose them"),
    "hibernating": ("沉睡客户", "Hibernating"),
    "lost": ("已流失客户", "Lost"),
}
Scheme = Literal["cn8", "classic"]


@dataclass(frozen=True)
class OrderFact:
    """One order as RFM needs it (mirrors ``liuke.commerce.models.Order``)."""

    customer_id: int
    amount: Decimal
    status: str  # paid | refunded | cancelled: only paid counts
    ordered_at: datetime


@dataclass(frozen=True)
class RfmScore:
    """A customer's raw RFM values, their scores (``bins`` best) and the segment they name."""

    customer_id: int
    recency_days: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: str  # a code of SEGMENTS_CN8 or SEGMENTS_CLASSIC
    label_zh: str
    label_en: str

    @property
    def code(self) -> str:
        """The scores as the usual three-digit cell, e.g. "545"."""
        return f"{self.r}{self.f}{self.m}"


def quantile_scores(values: Sequence[Any], bins: int = 5) -> list[int]:
    """Scores 1..bins by mid-rank percentile: ties share a score, small n spreads out."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    ordered = sorted(values)
    n = len(ordered)
    out = []
    for v in values:
        lo, hi = bisect_left(ordered, v), bisect_right(ordered, v)
        # p = (lo + (hi - lo) / 2) / n = (lo + hi) / 2n, in exact integers
        out.append(min(bins, bins * (lo + hi) // (2 * n) + 1))
    return out


def _classic(r: int, f: int) -> str:
    """The R x F grid (scores 1..5) behind the classic segment names."""
    if r <= 2:
        if f == 5:
            return "cant_lose"
        if f >= 3:
            return "at_risk"
        return "lost" if r == 1 and f == 1 else "hibernating"
    if r == 3:
        if f <= 2:
            return "about_to_sleep"
        return "need_attention" if f == 3 else "loyal"
    if f == 1:
        return "new" if r == 5 else "promising"
    if f <= 3:
        return "potential_loyalists"
    return "champions" if r == 5 else "loyal"


def rfm(
    orders: Sequence[OrderFact], as_of: date, *, bins: int = 5, scheme: Scheme = "cn8"
) -> list[RfmScore]:
    """RFM values, scores and segment of every customer with a paid order, by customer id."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if scheme not in ("cn8", "classic"):
        raise ValueError(f"unknown RFM scheme {scheme!r}")
    if scheme == "classic" and bins != 5:
        raise ValueError("the classic segment grid needs bins=5")
    last: dict[int, date] = {}
    frequency: dict[int, int] = defaultdict(int)
    monetary: dict[int, Decimal] = defaultdict(Decimal)
    for order in orders:
        if order.status != "paid":
            continue
        day = order.ordered_at.date()
        age = (as_of - day).days
        if age < 0:
            continue
        cid = order.customer_id
        if cid not in last or day > last[cid]:
            last[cid] = day
        if age < WINDOW_DAYS:
            frequency[cid] += 1
            monetary[cid] += order.amount
    ids = sorted(last)
    if not ids:
        return []
    recency = [(as_of - last[c]).days for c in ids]
    freq = [frequency[c] for c in ids]
    money = [monetary[c] for c in ids]
    rs = quantile_scores([-d for d in recency], bins)
    fs = quantile_scores(freq, bins)
    ms = quantile_scores(money, bins)
    n = len(ids)
    sum_r, sum_f, sum_m = sum(rs), sum(fs), sum(ms)
    out = []
    for i, cid in enumerate(ids):
        if scheme == "cn8":
            # above the average score, compared exactly: s > sum / n  <=>  s * n > sum
            key = (rs[i] * n > sum_r, fs[i] * n > sum_f, ms[i] * n > sum_m)
            segment = _CN8[key]
            zh, en = SEGMENTS_CN8[segment]
        else:
            segment = _classic(rs[i], fs[i])
            zh, en = SEGMENTS_CLASSIC[segment]
        out.append(
            RfmScore(cid, recency[i], freq[i], money[i], rs[i], fs[i], ms[i], segment, zh, en)
        )
    return out


# ---------------------------------------------------------------------------------------------
# Value tiers (80/20)

Tier = Literal["top20", "next30", "rest50", "none"]
TIERS: dict[str, tuple[str, str]] = {
    "top20": ("头部20%客户", "Top 20 %"),
    "next30": ("中部30%客户", "Next 30 %"),
    "rest50": ("尾部50%客户", "Remaining 50 %"),
    "none": ("无消费客户", "No revenue"),
}


@dataclass(frozen=True)
class CurvePoint:
    """A point of the Pareto curve: the top ``customer_share`` bring ``revenue_share``."""

    customer_share: float
    revenue_share: float


@dataclass(frozen=True)
class TierSummary:
    """How many customers a tier holds and what part of the revenue they bring."""

    tier: Tier
    customers: int
    revenue: Decimal
    revenue_share: float  # 0.0 when there is no revenue at all


@dataclass(frozen=True)
class ValueTiers:
    """Each customer's value tier, the tiers' totals, the measured 80/20 share and the curve."""

    tiers: dict[int, Tier]
    summary: list[TierSummary]  # top20, next30, rest50, none
    paying_customers: int
    total_revenue: Decimal  # of paying customers
    top20_share: float | None  # revenue share of the top 20 % of paying customers; None: none
    gini: float | None  # 0 = everyone brings the same, towards 1 = one customer brings all
    curve: list[CurvePoint]  # from (0, 0) to (1, 1), customers by revenue descending


def value_tiers(revenue_by_customer: Mapping[int, Decimal], *, max_points: int = 101) -> ValueTiers:
    """Tiers by revenue rank, the top 20 %'s revenue share and a Pareto curve for a chart.

    The curve has a point per customer while that is at most ``max_points`` points, else
    ``max_points`` evenly spaced points interpolated between customers.
    """
    if max_points < 2:
        raise ValueError("max_points must be at least 2")
    paying = sorted(
        ((cid, rev) for cid, rev in revenue_by_customer.items() if rev > 0),
        key=lambda item: (-item[1], item[0]),
    )
    n = len(paying)
    k20, k50 = (2 * n + 9) // 10, (n + 1) // 2  # ceil(20 %), ceil(50 %)
    revenues = [rev for _, rev in paying]
    negated = [-r for r in revenues]  # ascending, for bisect
    tiers: dict[int, Tier] = {cid: "none" for cid in revenue_by_customer}
    for cid, rev in paying:
        above = bisect_left(negated, -rev)  # customers with strictly more revenue
        tiers[cid] = "top20" if above < k20 else "next30" if above < k50 else "rest50"
    total = sum(revenues, Decimal(0))
    cum = [Decimal(0)]
    for rev in revenues:
        cum.append(cum[-1] + rev)

    def share_at(num: int, den: int) -> float:
        """Revenue share of the top num/den of paying customers, linear between customers."""
        i, rem = divmod(n * num, den)
        value = cum[i] + (revenues[i] * rem / den if rem else Decimal(0))
        return float(value / total)

    summary = []
    order: tuple[Tier, ...] = ("top20", "next30", "rest50", "none")
    for tier in order:
        members = [cid for cid, t in tiers.items() if t == tier]
        revenue = sum(
            (revenue_by_customer[c] for c in members if revenue_by_customer[c] > 0), Decimal(0)
        )
        share = float(revenue / total) if total > 0 else 0.0
        summary.append(TierSummary(tier, len(members), revenue, share))
    if n == 0:
        return ValueTiers(tiers, summary, 0, total, None, None, [])
    if n + 1 <= max_points:
        curve = [CurvePoint(i / n, float(cum[i] / total)) for i in range(n + 1)]
    else:
        m = max_points - 1
        curve = [CurvePoint(k / m, share_at(k, m)) for k in range(m + 1)]
    area = sum((cum[i] + cum[i + 1]) / 2 for i in range(n)) / (n * total)
    gini = max(0.0, float(2 * area - 1))
    return ValueTiers(tiers, summary, n, total, share_at(1, 5), gini, curve)


# ---------------------------------------------------------------------------------------------
# Rules

FieldType = Literal["number", "text", "tags"]
Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "between"]
OPS: tuple[Op, ...] = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "between")
OPS_BY_TYPE: dict[FieldType, tuple[Op, ...]] = {
    "number": OPS,
    "text": ("==", "!=", "in", "not_in"),
    "tags": ("==", "!=", "in", "not_in"),
}
MAX_DEPTH = 8
MAX_NODES = 200
MAX_LIST = 100


class FieldSpec(NamedTuple):
    """A field rules may test: its type, labels, and the codes of a closed list of values."""

    type: FieldType
    label_zh: str
    label_en: str  # lower case unless an acronym: it is used mid-sentence
    choices: tuple[tuple[str, str, str], ...] = ()  # (code, zh, en)


def _choices(table: Mapping[str, tuple[str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((code, zh, en) for code, (zh, en) in table.items())


FIELDS: dict[str, FieldSpec] = {
    "recency_days": FieldSpec("number", "最近一次购买距今天数", "days since last purchase"),
    "frequency": FieldSpec("number", "近一年购买次数", "purchases in the last 365 days"),
    "monetary": FieldSpec("number", "近一年消费金额", "spend in the last 365 days"),
    "r_score": FieldSpec("number", "R 评分", "R score"),
    "f_score": FieldSpec("number", "F 评分", "F score"),
    "m_score": FieldSpec("number", "M 评分", "M score"),
    "rfm_segment": FieldSpec(
        "text", "RFM 分群", "RFM segment", _choices(SEGMENTS_CN8) + _choices(SEGMENTS_CLASSIC)
    ),
    "value_tier": FieldSpec("text", "价值分层", "value tier", _choices(TIERS)),
    "tier": FieldSpec(
        "text",
        "客户级别",
        "customer tier",
        (("key_account", "重点客户", "key account"), ("ordinary", "普通客户", "ordinary")),
    ),
    "grade": FieldSpec("text", "信用等级", "account grade", tuple((g, g, g) for g in "ABCD")),
    "credit_score": FieldSpec("number", "信用评分", "account score"),
    "churn_risk": FieldSpec("number", "流失风险", "churn risk"),
    "complaints_90d": FieldSpec("number", "近90天投诉数", "complaints in the last 90 days"),
    "open_complaints": FieldSpec("number", "未结投诉数", "open complaints"),
    "csat_last": FieldSpec("number", "最近一次满意度评分", "last CSAT score"),
    "nps_last": FieldSpec("number", "最近一次 NPS 评分", "last NPS score"),
    "tenure_days": FieldSpec("number", "首单至今天数", "days since first order"),
    "tags": FieldSpec("tags", "标签", "tags"),
    "city": FieldSpec("text", "城市", "city"),
    "province": FieldSpec("text", "省份", "province"),
}

Scalar: TypeAlias = int | float | str
Value: TypeAlias = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class All:
    """True when every sub-rule is."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    """True when at least one sub-rule is."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    """True when the sub-rule is false (unknown stays unknown)."""

    rule: Rule


@dataclass(frozen=True)
class Leaf:
    """One test of one profile field; lists (``in``, ``between``) are tuples."""

    field: str
    op: Op
    value: Value


Rule: TypeAlias = All | AnyOf | Not | Leaf


class RuleError(ValueError):
    """A rule that does not parse: ``path`` names the bad node ("$.all[1].not"), ``code`` why."""

    def __init__(self, path: str, code: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.code = code


def _kind(obj: object) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "boolean"
    if isinstance(obj, int | float):
        return "number"
    if isinstance(obj, str):
        return "string"
    if isinstance(obj, list | tuple):
        return "list"
    if isinstance(obj, Mapping):
        return "object"
    return type(obj).__name__


def parse_rule(obj: object) -> Rule:
    """Validate a decoded JSON rule; a ``RuleError`` (a ``ValueError``) names the bad node."""
    return _parse(obj, "$", 1, [0])


def _parse(obj: object, path: str, depth: int, count: list[int]) -> Rule:
    if depth > MAX_DEPTH:
        raise RuleError(path, "too_deep", f"nested more than {MAX_DEPTH} levels deep")
    count[0] += 1
    if count[0] > MAX_NODES:
        raise RuleError(path, "too_many_nodes", f"a rule may have at most {MAX_NODES} conditions")
    if not isinstance(obj, Mapping):
        raise RuleError(path, "not_object", f"expected an object, got {_kind(obj)}")
    keys = set(obj)
    for word in ("all", "any", "not"):
        if word in keys:
            if keys != {word}:
                extra = ", ".join(sorted(map(str, keys - {word})))
                raise RuleError(path, "extra_keys", f"{word!r} cannot be combined with {extra}")
            if word == "not":
                return Not(_parse(obj[word], f"{path}.not", depth + 1, count))
            items = obj[word]
            if not isinstance(items, list | tuple):
                raise RuleError(path, "not_list", f"{word!r} needs a list, got {_kind(items)}")
            if not items:
                raise RuleError(path, "empty", f"{word!r} needs at least one condition")
            rules = tuple(
                _parse(item, f"{path}.{word}[{i}]", depth + 1, count)
                for i, item in enumerate(items)
            )
            return All(rules) if word == "all" else AnyOf(rules)
    if "field" in keys or "op" in keys:
        return _parse_leaf(obj, path)
    raise RuleError(path, "unknown_node", "expected 'all', 'any', 'not' or a field condition")


def _parse_leaf(obj: Mapping[Any, Any], path: str) -> Leaf:
    expected = {"field", "op", "value"}
    missing, extra = expected - set(obj), set(obj) - expected
    if missing:
        raise RuleError(path, "missing_keys", f"missing {', '.join(sorted(missing))}")
    if extra:
        raise RuleError(path, "extra_keys", f"unexpected {', '.join(sorted(map(str, extra)))}")
    name, op = obj["field"], obj["op"]
    if not isinstance(name, str) or name not in FIELDS:
        raise RuleError(path, "unknown_field", f"unknown field {name!r}")
    spec = FIELDS[name]
    if op not in OPS:
        raise RuleError(path, "unknown_op", f"unknown operator {op!r}")
    if op not in OPS_BY_TYPE[spec.type]:
        raise RuleError(path, "bad_op", f"{op!r} does not apply to {spec.type} field {name!r}")
    return Leaf(name, op, _parse_value(spec, name, op, obj["value"], path))


def _parse_value(spec: FieldSpec, name: str, op: str, raw: object, path: str) -> Value:
    want = "a number" if spec.type == "number" else "a string"

    def scalar(v: object) -> Scalar:
        if spec.type == "number":
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise RuleError(path, "bad_value", f"{op!r} on {name!r} needs {want}, got {v!r}")
            return v
        if not isinstance(v, str):
            raise RuleError(path, "bad_value", f"{op!r} on {name!r} needs {want}, got {v!r}")
        codes = [c[0] for c in spec.choices]
        if codes and v not in codes:
            raise RuleError(
                path, "bad_value", f"{v!r} is not a value of {name!r} ({', '.join(codes)})"
            )
        return v

    if op in ("in", "not_in", "between"):
        if not isinstance(raw, list | tuple):
            raise RuleError(path, "bad_value", f"{op!r} needs a list, got {_kind(raw)}")
        if op == "between":
            if len(raw) != 2:
                raise RuleError(path, "bad_value", "'between' needs [low, high]")
            low, high = scalar(raw[0]), scalar(raw[1])
            if low > high:  # type: ignore[operator]
                raise RuleError(path, "bad_value", f"'between' low {low!r} is above high {high!r}")
            return (low, high)
        if not raw:
            raise RuleError(path, "bad_value", f"{op!r} needs at least one value")
        if len(raw) > MAX_LIST:
            raise RuleError(path, "bad_value", f"{op!r} takes at most {MAX_LIST} values")
        return tuple(scalar(v) for v in raw)
    return scalar(raw)


def to_json(rule: Rule) -> dict[str, Any]:
    """The rule as the JSON object ``parse_rule`` reads (for storing an edited rule)."""
    if isinstance(rule, All):
        return {"all": [to_json(r) for r in rule.rules]}
    if isinstance(rule, AnyOf):
        return {"any": [to_json(r) for r in rule.rules]}
    if isinstance(rule, Not):
        return {"not": to_json(rule.rule)}
    value = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return {"field": rule.field, "op": rule.op, "value": value}


def matches(rule: Rule, profile: Mapping[str, Any]) -> bool:
    """Whether the profile definitely satisfies the rule (missing values never match)."""
    return _eval(rule, profile) is True


def _eval(rule: Rule, profile: Mapping[str, Any]) -> bool | None:
    """Kleene three-valued logic: None is unknown."""
    if isinstance(rule, All | AnyOf):
        results = [_eval(r, profile) for r in rule.rules]
        decisive = isinstance(rule, AnyOf)  # any: one True decides; all: one False decides
        if decisive in results:
            return decisive
        return None if None in results else not decisive
    if isinstance(rule, Not):
        inner = _eval(rule.rule, profile)
        return None if inner is None else not inner
    return _eval_leaf(rule, profile.get(rule.field))


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _eval_leaf(leaf: Leaf, raw: Any) -> bool | None:
    kind, op, value = FIELDS[leaf.field].type, leaf.op, leaf.value
    if kind == "tags":
        if not isinstance(raw, list | tuple | set | frozenset):
            return None
        tags = {t for t in raw if isinstance(t, str)}
        wanted = set(value) if isinstance(value, tuple) else {value}
        has = bool(tags & wanted)
        return has if op in ("==", "in") else not has
    x: float | str
    if kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
            return None
        x = float(raw)
        if not math.isfinite(x):
            return None
    elif isinstance(raw, str):
        x = raw
    else:
        return None
    if isinstance(value, tuple):
        if op == "between":
            return bool(_COMPARE["<="](value[0], x) and _COMPARE["<="](x, value[1]))
        return (x in value) == (op == "in")
    if op == "==":
        return x == value
    if op == "!=":
        return x != value
    return bool(_COMPARE[op](x, value))


def describe(rule: Rule, locale: str = "zh_CN") -> str:
    """The rule as a sentence in ``zh_CN`` or ``en`` (other locales: Chinese, the default)."""
    zh = (normalize_locale(locale) or "zh_CN") == "zh_CN"
    text = _describe(rule, zh)
    return text if zh else text[:1].upper() + text[1:]


def _describe(rule: Rule, zh: bool) -> str:
    if isinstance(rule, All | AnyOf):
        joiner = ("且" if zh else " and ") if isinstance(rule, All) else ("或" if zh else " or ")
        return joiner.join(_nested(r, zh) for r in rule.rules)
    if isinstance(rule, Not):
        inner = _describe(rule.rule, zh)
        return f"并非（{inner}）" if zh else f"not ({inner})"
    return _describe_leaf(rule, zh)


def _nested(rule: Rule, zh: bool) -> str:
    text = _describe(rule, zh)
    if isinstance(rule, All | AnyOf) and len(rule.rules) > 1:
        return f"（{text}）" if zh else f"({text})"
    return text


def _show(spec: FieldSpec, v: Scalar, zh: bool) -> str:
    if isinstance(v, str):
        for code, label_zh, label_en in spec.choices:
            if code == v:
                return label_zh if zh else label_en
        return f"“{v}”" if zh else f'"{v}"'
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


_EN_OPS = {
    "==": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_ZH_OPS = {"==": "为", "!=": "不为", "<": "小于", "<=": "不超过", ">": "大于", ">=": "至少为"}


def _describe_leaf(leaf: Leaf, zh: bool) -> str:
    spec = FIELDS[leaf.field]
    label = spec.label_zh if zh else spec.label_en
    values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
    shown = [_show(spec, v, zh) for v in values]
    listed = ("、" if zh else ", ").join(shown)
    op = leaf.op
    if spec.type == "tags":
        if zh:
            return {
                "==": f"带有标签{listed}",
                "!=": f"不带标签{listed}",
                "in": f"带有标签{listed}中的任一个",
                "not_in": f"不带标签{listed}中的任何一个",
            }[op]
        return {
            "==": f"has the tag {listed}",
            "!=": f"does not have the tag {listed}",
            "in": f"has any of the tags {listed}",
            "not_in": f"has none of the tags {listed}",
        }[op]
    if op == "between":
        return (
            f"{label}介于{shown[0]}与{shown[1]}之间"
            if zh
            else f"{label} is between {shown[0]} and {shown[1]}"
        )
    if op == "in":
        return f"{label}为{listed}之一" if zh else f"{label} is one of {listed}"
    if op == "not_in":
        return f"{label}不为{listed}中的任何一个" if zh else f"{label} is none of {listed}"
    return f"{label}{_ZH_OPS[op]}{listed}" if zh else f"{label} {_EN_OPS[op]} {listed}"


# ---------------------------------------------------------------------------------------------
# Membership over time


@dataclass(frozen=True)
class Change:
    """A customer joined or left a segment between two snapshots."""

    customer_id: int
    segment: str
    kind: Literal["joined", "left"]


def membership_changes(
    before: Mapping[int, AbstractSet[str]], after: Mapping[int, AbstractSet[str]]
) -> list[Change]:
    """Joins and leaves per customer and segment, by customer, segment; absent = no segments."""
    out: list[Change] = []
    empty: frozenset[str] = frozenset()
    for cid in sorted(set(before) | set(after)):
        old, new = before.get(cid, empty), after.get(cid, empty)
        out.extend(Change(cid, s, "left") for s in sorted(old - new))
        out.extend(Change(cid, s, "joined") for s in sorted(new - old))
    out.sort(key=lambda c: (c.customer_id, c.segment))
    return out
