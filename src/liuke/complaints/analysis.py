"""Read-only complaint analyses: where complaints concentrate, who files them, what to fix first.

Every function reads one workspace and one window ``[start, end]`` of the workspace's local days
(converted once to UTC bounds); none writes. Cases merged into another (``merged_into_id`` set)
are duplicates and never counted, nor are recovery records attached to them. Each function
returns zero or empty figures for an empty window and never divides by zero: a share of an
empty total is 0.0, while a mean, rate or estimate without data is ``None`` (a zero would
mislead).

* :func:`pareto` - the vital few categories / lines / channels / tiers / cells (80/20).
* :func:`customer_value_pareto` - share of complaints vs share of revenue per value tier.
* :func:`fix_ranking` - which issue to fix first: estimated satisfaction gain per recovery cost.
* :func:`root_causes` - recovery records by root cause; repeated causes call for a process change.
* :func:`silent_dissatisfaction` - how many unhappy customers never complain (ratio estimate).
* :func:`feature_requests` - suggestions and "please add ..." complaints grouped by similarity.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from liuke.commerce.models import Order, ProductLine
from liuke.complaints.models import KINDS, Case, RecoveryRecord
from liuke.conversations.models import Conversation
from liuke.customers.models import Customer
from liuke.quality.models import Inspection
from liuke.workspaces.clock import zone_of

__all__ = [
    "PARETO_BY",
    "REQUEST_CUES",
    "VALUE_TIERS",
    "CauseRow",
    "FeatureRequests",
    "FixRow",
    "Pareto",
    "ParetoItem",
    "RequestGroup",
    "SilentEstimate",
    "ValueTierRow",
    "csat_of",
    "customer_value_pareto",
    "feature_requests",
    "fix_ranking",
    "pareto",
    "root_causes",
    "silent_dissatisfaction",
]

PARETO_BY = ("category", "subcategory", "product_line", "channel", "tier", "cell")
VALUE_TIERS = ("top20", "next30", "rest50", "no_orders")
UNKNOWN = "unknown"
VITAL_SHARE = Decimal("0.8")
REVENUE_DAYS = 365
CENT = Decimal("0.01")
ZERO = Decimal("0")

REQUEST_CUES = re.compile(
    r"希望|能不能|能否|可不可以|建议|为什么没有|没有.{0,6}功能|支持.{0,10}吗|增加|添加"
    r"|please add|would be nice|wish|feature request|support for|why (is|isn't) there no"
    r"|can you add",
    re.IGNORECASE,
)
"""A complaint whose text matches asks for something not offered: it is also a feature request."""

GROUP_DISTANCE = 0.7
"""Average-linkage cosine distance below which request texts are one group (tuned on short
Chinese and English requests: paraphrases of one request stay well below, unrelated ones near 1)."""
MAX_TEXTS = 5000
"""At most this many request texts (the newest) are clustered: the distances take N² memory."""
MAX_CASE_IDS = 20
EXAMPLES = 3
LABEL_TERMS = 3
EXAMPLE_CHARS = 200

# Request and filler words shared by most requests: they say nothing about *what* is asked for.
_STOPWORD_TEXT = """
    希望 能 不能 能不能 能否 可不可以 可以 建议 为什么 没有 功能 支持 吗 增加 添加 一下 一个
    你们 我们 我 你 的 了 呢 吧 啊 是 在 和 也 就 都 很 请 还 要 想 有 给
    please add would be nice wish feature request support for why is isn't there no can you
    it to have an the of and or we our your my me this that with in on be isn there
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_SPLIT = re.compile(r"[^0-9a-z]+")


# ---------------------------------------------------------------------------------------------
# shared helpers


def _bounds(
    s: Session, workspace_id: int, start: date, end: date, tz: ZoneInfo | None = None
) -> tuple[datetime, datetime]:
    """UTC ``[lo, hi)`` covering the local days ``start..end`` of the workspace's time zone."""
    tz = tz or zone_of(s, workspace_id)
    lo = datetime.combine(start, time.min, tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return lo, hi


def _cases_in(
    workspace_id: int, lo: datetime, hi: datetime, kind: str | None = "complaint"
) -> list[ColumnElement[bool]]:
    """The filter of a window's counted cases: this workspace, received in [lo, hi), no dupes."""
    where = [
        Case.workspace_id == workspace_id,
        Case.merged_into_id.is_(None),
        Case.received_at >= lo,
        Case.received_at < hi,
    ]
    if kind is not None:
        where.append(Case.kind == kind)
    return where


def csat_of(meta: Any) -> float | None:
    """The 1-5 satisfaction score in a conversation's meta, or None when absent or not a score.

    Read in Python rather than through JSON operators so SQLite and PostgreSQL agree.
    """
    if not isinstance(meta, dict):
        return None
    value = meta.get("csat")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 1 <= value <= 5 else None


def _share(part: float | Decimal, whole: float | Decimal) -> float:
    return float(part) / float(whole) if whole else 0.0


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _money(value: Any) -> Decimal:
    """A money sum from the database as a two-place Decimal (SQLite hands back floats)."""
    if value is None:
        return ZERO.quantize(CENT)
    return Decimal(str(value)).quantize(CENT)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")


# ---------------------------------------------------------------------------------------------
# 1. Pareto


@dataclass(frozen=True)
class ParetoItem:
    """One bar of the Pareto chart. The dimension fields of ``by`` are set, the others None."""

    key: str
    label: str
    count: int
    share: float
    cumulative_share: float
    vital_few: bool
    category: str | None = None
    subcategory: str | None = None
    product_line_id: int | None = None
    product_line_name: str | None = None
    channel: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class Pareto:
    by: str
    kind: str
    start: date
    end: date
    total: int
    items: tuple[ParetoItem, ...]

    @property
    def vital_few(self) -> tuple[ParetoItem, ...]:
        return tuple(i for i in self.items if i.vital_few)


def _pareto_item(
    by: str,
    category: str | None,
    subcategory: str,
    line_id: int | None,
    line_name: str | None,
    channel: str,
    tier: str,
) -> tuple[str, str, dict[str, Any]]:
    """(key, label, dimension fields) of one case row for the chosen dimension."""
    cat = category or UNKNOWN
    line_key = str(line_id) if line_id is not None else UNKNOWN
    line_label = (line_name or str(line_id)) if line_id is not None else UNKNOWN
    line = {"product_line_id": line_id, "product_line_name": line_label}
    if by == "category":
        return cat, cat, {"category": category}
    if by == "subcategory":
        sub = subcategory or UNKNOWN
        fields = {"category": category, "subcategory": subcategory}
        return f"{cat}|{sub}", f"{cat} / {sub}", fields
    if by == "product_line":
        return line_key, line_label, line
    if by == "channel":
        return channel, channel, {"channel": channel}
    if by == "tier":
        return tier, tier, {"tier": tier}
    return f"{cat}|{line_key}", f"{cat} × {line_label}", {"category": category, **line}


def pareto(
    s: Session, workspace_id: int, start: date, end: date, by: str, kind: str = "complaint"
) -> Pareto:
    """Cases of ``kind`` in the window counted per ``by``, largest first, with the vital few.

    Method: count the window's cases (duplicates excluded) per item, sort by count (ties by
    label), share = count / total, cumulative share = running sum. The vital few are the items
    that together make up the first 80% of cases: every item whose preceding cumulative share
    is below 80%, so the item that crosses 80% is included. ``by`` is one of :data:`PARETO_BY`;
    ``cell`` is category × product line; a case without a product line (or category) is its
    own item labelled "unknown".
    """
    if by not in PARETO_BY:
        raise ValueError(f"by must be one of {', '.join(PARETO_BY)}; got {by!r}")
    _check_kind(kind)
    lo, hi = _bounds(s, workspace_id, start, end)
    rows = s.execute(
        select(
            Case.category,
            Case.subcategory,
            Case.product_line_id,
            ProductLine.name,
            Case.channel_kind,
            Case.customer_tier,
            func.count(Case.id),
        )
        .outerjoin(
            ProductLine,
            and_(
                ProductLine.id == Case.product_line_id,
                ProductLine.workspace_id == workspace_id,
            ),
        )
        .where(*_cases_in(workspace_id, lo, hi, kind))
        .group_by(
            Case.category,
            Case.subcategory,
            Case.product_line_id,
            ProductLine.name,
            Case.channel_kind,
            Case.customer_tier,
        )
    ).all()
    counts: Counter[str] = Counter()
    described: dict[str, tuple[str, dict[str, Any]]] = {}
    for category, sub, line_id, line_name, channel, tier, n in rows:
        key, label, fields = _pareto_item(by, category, sub, line_id, line_name, channel, tier)
        counts[key] += int(n)
        described[key] = (label, fields)
    total = sum(counts.values())
    ordered = sorted(counts, key=lambda k: (-counts[k], described[k][0], k))
    items: list[ParetoItem] = []
    running = 0
    for key in ordered:
        label, fields = described[key]
        vital = Decimal(running) < VITAL_SHARE * total  # exact: no float rounding at 80%
        running += counts[key]
        items.append(
            ParetoItem(
                key=key,
                label=label,
                count=counts[key],
                share=_share(counts[key], total),
                cumulative_share=_share(running, total),
                vital_few=vital,
                **fields,
            )
        )
    return Pareto(by=by, kind=kind, start=start, end=end, total=total, items=tuple(items))


# ---------------------------------------------------------------------------------------------
# 2. customer value tiers


@dataclass(frozen=True)
class ValueTierRow:
    """One value tier: how its share of complaints compares with its share of revenue."""

    tier: str
    customers: int
    revenue: Decimal
    revenue_share: float
    complaining_customers: int
    complaints: int
    complaints_share: float
    complaints_per_1000: float


def customer_value_pareto(
    s: Session, workspace_id: int, start: date, end: date
) -> list[ValueTierRow]:
    """Which customers complain: each value tier's share of complaints vs its share of revenue.

    Method: a customer's value is their paid revenue (orders with status "paid") in the 365
    local days ending on ``end``. Paying customers (revenue > 0) are ranked by revenue (ties by
    customer id): the first ceil(20%) are "top20", up to ceil(50%) "next30", the rest "rest50";
    customers without paid revenue are "no_orders". Complaints are the window's complaint cases;
    cases without a customer are left out of the shares. complaints_per_1000 = complaints /
    customers × 1000. All four tiers are always returned; empty ones are all zero.
    """
    tz = zone_of(s, workspace_id)
    lo, hi = _bounds(s, workspace_id, start, end, tz)
    year_lo, _ = _bounds(s, workspace_id, end - timedelta(days=REVENUE_DAYS - 1), end, tz)
    customers = set(s.scalars(select(Customer.id).where(Customer.workspace_id == workspace_id)))
    revenue_rows = s.execute(
        select(Order.customer_id, func.sum(Order.amount))
        .where(
            Order.workspace_id == workspace_id,
            Order.status == "paid",
            Order.ordered_at >= year_lo,
            Order.ordered_at < hi,
        )
        .group_by(Order.customer_id)
    ).all()
    revenue = {cid: _money(total) for cid, total in revenue_rows if cid in customers}
    paying = sorted((c for c, r in revenue.items() if r > 0), key=lambda c: (-revenue[c], c))
    paid = set(paying)
    n = len(paying)
    top, half = (n * 2 + 9) // 10, (n + 1) // 2  # ceil(20%), ceil(50%)
    tier_of = {c: "no_orders" for c in customers}
    for rank, cid in enumerate(paying):
        tier_of[cid] = "top20" if rank < top else "next30" if rank < half else "rest50"
    complaint_rows = s.execute(
        select(Case.customer_id, func.count(Case.id))
        .where(*_cases_in(workspace_id, lo, hi), Case.customer_id.is_not(None))
        .group_by(Case.customer_id)
    ).all()
    complaints = {cid: int(k) for cid, k in complaint_rows if cid in customers}
    total_revenue = sum((revenue[c] for c in paying), ZERO)
    total_complaints = sum(complaints.values())
    rows: list[ValueTierRow] = []
    for tier in VALUE_TIERS:
        members = [c for c, t in tier_of.items() if t == tier]
        tier_revenue = sum((revenue[c] for c in members if c in paid), ZERO)
        tier_complaints = sum(complaints.get(c, 0) for c in members)
        rows.append(
            ValueTierRow(
                tier=tier,
                customers=len(members),
                revenue=tier_revenue.quantize(CENT),
                revenue_share=_share(tier_revenue, total_revenue),
                complaining_customers=sum(1 for c in members if complaints.get(c)),
                complaints=tier_complaints,
                complaints_share=_share(tier_complaints, total_complaints),
                complaints_per_1000=_share(tier_complaints * 1000, len(members)),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# 3. fix ranking


@dataclass(frozen=True)
class FixRow:
    """One issue (category + subcategory) with its cost and estimated satisfaction gain."""

    category: str | None
    subcategory: str
    label: str
    complaints: int
    cost_total: Decimal | None
    cost_per_case: Decimal | None
    csat_responses: int
    mean_csat: float | None
    baseline_csat: float | None
    gain: float | None
    gain_per_cost: float | None


def _csat_values(metas: Iterable[Any]) -> list[float]:
    return [v for v in (csat_of(m) for m in metas) if v is not None]


def fix_ranking(s: Session, workspace_id: int, start: date, end: date) -> list[FixRow]:
    """Which issue to fix first: estimated satisfaction gain per unit of recovery cost.

    Method (a simple, transparent estimate, not a causal claim): per issue (category +
    subcategory) of the window's complaint cases, count the cases; sum the cost of the recovery
    records attached to them (cost per case = total / count; None when no record); take the
    mean CSAT of the cases' conversations and the baseline = mean CSAT of the window's
    conversations that are no complaint case. gain = count × (baseline − issue mean), i.e. the
    satisfaction the issue's customers would have had had they been like everyone else (None
    without CSAT on either side); gain_per_cost = gain / cost total (None when the cost is 0 or
    unknown). Sorted by gain_per_cost, then gain, descending (None last), then count.
    """
    lo, hi = _bounds(s, workspace_id, start, end)
    case_where = _cases_in(workspace_id, lo, hi)
    cases = s.execute(
        select(Case.id, Case.category, Case.subcategory, Case.conversation_id).where(*case_where)
    ).all()
    cost_rows = s.execute(
        select(RecoveryRecord.case_id, func.sum(RecoveryRecord.cost))
        .join(Case, Case.id == RecoveryRecord.case_id)
        .where(RecoveryRecord.workspace_id == workspace_id, *case_where)
        .group_by(RecoveryRecord.case_id)
    ).all()
    cost_of = {cid: _money(total) for cid, total in cost_rows}
    conv_ids = select(Case.conversation_id).where(*case_where, Case.conversation_id.is_not(None))
    csat_by_conv = {
        cid: csat_of(meta)
        for cid, meta in s.execute(
            select(Conversation.id, Conversation.meta).where(
                Conversation.workspace_id == workspace_id, Conversation.id.in_(conv_ids)
            )
        )
    }
    is_complaint = exists().where(
        Case.workspace_id == workspace_id,
        Case.kind == "complaint",
        Case.conversation_id == Conversation.id,
    )
    baseline = _mean(
        _csat_values(
            s.scalars(
                select(Conversation.meta).where(
                    Conversation.workspace_id == workspace_id,
                    Conversation.created_at >= lo,
                    Conversation.created_at < hi,
                    ~is_complaint,
                )
            )
        )
    )
    issues: dict[tuple[str | None, str], list[tuple[int, int | None]]] = defaultdict(list)
    for case_id, category, sub, conv_id in cases:
        issues[(category, sub)].append((case_id, conv_id))
    rows: list[FixRow] = []
    for (category, sub), members in issues.items():
        count = len(members)
        costed = [cost_of[c] for c, _ in members if c in cost_of]
        cost = sum(costed, ZERO).quantize(CENT) if costed else None
        scores = [v for _, conv in members if (v := csat_by_conv.get(conv)) is not None]
        mean = _mean(scores)
        gain = count * (baseline - mean) if baseline is not None and mean is not None else None
        rows.append(
            FixRow(
                category=category,
                subcategory=sub,
                label=f"{category or UNKNOWN} / {sub or UNKNOWN}",
                complaints=count,
                cost_total=cost,
                cost_per_case=(cost / count).quantize(CENT) if cost is not None else None,
                csat_responses=len(scores),
                mean_csat=mean,
                baseline_csat=baseline,
                gain=gain,
                gain_per_cost=gain / float(cost) if gain is not None and cost else None,
            )
        )

    def order(r: FixRow) -> tuple[bool, float, bool, float, int, str]:
        gpc, gain = r.gain_per_cost, r.gain
        return (
            gpc is None,
            -(gpc or 0.0),
            gain is None,
            -(gain or 0.0),
            -r.complaints,
            r.label,
        )

    return sorted(rows, key=order)


# ---------------------------------------------------------------------------------------------
# 4. root causes


@dataclass(frozen=True)
class CauseRow:
    """One (root cause, detail): how often it failed, what recovery cost, how often it worked."""

    root_cause: str
    cause_detail: str
    count: int
    cost_total: Decimal
    recovered: int
    not_recovered: int
    pending: int
    recovered_share: float | None
    process_change: bool


def root_causes(
    s: Session, workspace_id: int, start: date, end: date, min_repeat: int = 5
) -> list[CauseRow]:
    """Recovery records created in the window, grouped by (root cause, cause detail).

    Method: count and cost per group; recovered share = recovered / (recovered + not
    recovered), None while every outcome is pending. ``process_change`` marks a cause seen at
    least ``min_repeat`` times: a common cause, so change the process rather than only close the
    cases. Records of duplicate (merged) cases are left out. Sorted by count, then cost, desc.
    """
    lo, hi = _bounds(s, workspace_id, start, end)
    rows = s.execute(
        select(
            RecoveryRecord.root_cause,
            RecoveryRecord.cause_detail,
            RecoveryRecord.outcome,
            func.count(RecoveryRecord.id),
            func.sum(RecoveryRecord.cost),
        )
        .outerjoin(Case, and_(Case.id == RecoveryRecord.case_id, Case.workspace_id == workspace_id))
        .where(
            RecoveryRecord.workspace_id == workspace_id,
            RecoveryRecord.created_at >= lo,
            RecoveryRecord.created_at < hi,
            Case.merged_into_id.is_(None),
        )
        .group_by(RecoveryRecord.root_cause, RecoveryRecord.cause_detail, RecoveryRecord.outcome)
    ).all()
    outcomes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    costs: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for cause, detail, outcome, n, cost in rows:
        outcomes[(cause, detail)][outcome] += int(n)
        costs[(cause, detail)] += _money(cost)
    result: list[CauseRow] = []
    for (cause, detail), seen in outcomes.items():
        count = sum(seen.values())
        closed = seen["recovered"] + seen["not_recovered"]
        result.append(
            CauseRow(
                root_cause=cause,
                cause_detail=detail,
                count=count,
                cost_total=costs[(cause, detail)].quantize(CENT),
                recovered=seen["recovered"],
                not_recovered=seen["not_recovered"],
                pending=seen["pending"],
                recovered_share=seen["recovered"] / closed if closed else None,
                process_change=count >= min_repeat,
            )
        )
    return sorted(result, key=lambda r: (-r.count, -r.cost_total, r.root_cause, r.cause_detail))


# ---------------------------------------------------------------------------------------------
# 5. silent dissatisfaction

SILENT_METHOD = (
    "Ratio estimate. Complainants are the distinct customers with a complaint case in the "
    "window. Detractors are the customers who gave a CSAT of {csat} or less in the window; r is "
    "the share of detractors who also filed a complaint. Assuming detractors complain at the "
    "same rate as all unhappy customers, estimated unhappy customers = complainants / r and "
    "estimated silent = estimated unhappy - complainants; one complaint stands for (1 - r) / r "
    "silent customers. Observed silent customers are those with a negative signal (a detractor "
    "CSAT, or an inspected conversation with anger >= {anger} or an escalation) and no "
    "complaint: a lower bound, since most unhappy customers leave no signal at all."
)


@dataclass(frozen=True)
class SilentEstimate:
    """How many unhappy customers never complain: observed counts and a ratio estimate."""

    csat_detractor_max: int
    anger_threshold: float
    complainants: int
    angry_customers: int  # (a) anger >= threshold or escalation in an inspected conversation
    detractors: int  # (b) a CSAT <= csat_detractor_max
    detractors_who_complained: int
    negative_customers: int  # (a) or (b)
    observed_silent: int  # (a) or (b), and no complaint
    observed_silent_per_complaint: float | None
    complaint_rate: float | None  # r
    estimated_unhappy: float | None
    estimated_silent: float | None
    silent_per_complaint: float | None  # "one complaint stands for N silent"
    reason: str | None
    method: str


def silent_dissatisfaction(
    s: Session,
    workspace_id: int,
    start: date,
    end: date,
    csat_detractor_max: int = 2,
    anger_threshold: float = 0.6,
) -> SilentEstimate:
    """Customers unhappy without complaining, observed and estimated (see ``method``).

    Method: complainants = distinct customers of the window's complaint cases. Negative signals
    in the window's conversations: (a) its inspection has max_anger >= ``anger_threshold`` or an
    escalation, (b) its CSAT <= ``csat_detractor_max``. Observed silent = customers with (a) or
    (b) and no complaint. r = detractors (b) who complained / detractors; estimated unhappy =
    complainants / r, estimated silent = that − complainants, assuming detractors complain at
    the same rate as all unhappy customers; None with a ``reason`` without detractors or when
    r = 0.
    """
    lo, hi = _bounds(s, workspace_id, start, end)
    complainants = set(
        s.scalars(
            select(Case.customer_id)
            .where(*_cases_in(workspace_id, lo, hi), Case.customer_id.is_not(None))
            .distinct()
        )
    )
    in_window = (
        Conversation.workspace_id == workspace_id,
        Conversation.created_at >= lo,
        Conversation.created_at < hi,
        Conversation.customer_id.is_not(None),
    )
    angry = set(
        s.scalars(
            select(Conversation.customer_id)
            .join(
                Inspection,
                and_(
                    Inspection.conversation_id == Conversation.id,
                    Inspection.workspace_id == workspace_id,
                ),
            )
            .where(
                *in_window,
                or_(Inspection.max_anger >= anger_threshold, Inspection.escalation.is_(True)),
            )
            .distinct()
        )
    )
    detractors = {
        cid
        for cid, meta in s.execute(
            select(Conversation.customer_id, Conversation.meta).where(*in_window)
        )
        if (v := csat_of(meta)) is not None and v <= csat_detractor_max
    }
    negative = angry | detractors
    silent = negative - complainants
    complained = len(detractors & complainants)
    n_complainants = len(complainants)
    rate = complained / len(detractors) if detractors else None
    unhappy = estimated_silent = per_complaint = None
    reason: str | None = None
    if rate is None:
        reason = (
            "no detractor CSAT in the window: the complaint rate of unhappy customers is unknown"
        )
    elif rate == 0:
        reason = "no detractor filed a complaint (r = 0): the ratio estimate is unbounded"
    else:
        unhappy = n_complainants / rate
        estimated_silent = unhappy - n_complainants
        per_complaint = estimated_silent / n_complainants
    return SilentEstimate(
        csat_detractor_max=csat_detractor_max,
        anger_threshold=anger_threshold,
        complainants=n_complainants,
        angry_customers=len(angry),
        detractors=len(detractors),
        detractors_who_complained=complained,
        negative_customers=len(negative),
        observed_silent=len(silent),
        observed_silent_per_complaint=len(silent) / n_complainants if n_complainants else None,
        complaint_rate=rate,
        estimated_unhappy=unhappy,
        estimated_silent=estimated_silent,
        silent_per_complaint=per_complaint,
        reason=reason,
        method=SILENT_METHOD.format(csat=csat_detractor_max, anger=anger_threshold),
    )


# ---------------------------------------------------------------------------------------------
# 6. feature requests


@dataclass(frozen=True)
class RequestGroup:
    """Similar requests: a label of their top terms, how many cases and customers ask."""

    label: str
    count: int
    customers: int
    case_ids: tuple[int, ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class FeatureRequests:
    """Groups of at least ``min_group`` cases, largest first; smaller ones only as ``ungrouped``."""

    groups: tuple[RequestGroup, ...]
    ungrouped: int  # cases in groups smaller than min_group
    total: int  # request texts found in the window
    left_out: int = 0  # oldest texts beyond MAX_TEXTS, not clustered


def _words(text: str) -> list[str]:
    """Meaningful rjieba words: lower case, no punctuation, no request or filler words.

    Latin tokens are split at hyphens and the like ("apple-pay" is "apple", "pay"); single
    Latin letters are dropped.
    """
    import rjieba

    out: list[str] = []
    for token in rjieba.cut(text.lower()):
        parts = _LATIN_SPLIT.split(token) if token.isascii() else [token.strip()]
        out.extend(
            p
            for p in parts
            if _WORD.search(p) and p not in _STOPWORDS and not (len(p) < 2 and p.isascii())
        )
    return out


def _features(text: str) -> list[str]:
    """Words plus the character 2-grams inside Chinese words (robust to segmentation).

    Latin words get no 2-grams: "pa", "ay" would make "PayPal" look like "Apple Pay".
    """
    words = _words(text)
    grams = [f"\x02{w[i : i + 2]}" for w in words if _CJK.search(w) for i in range(len(w) - 1)]
    return words + grams


def _clusters(texts: Sequence[str]) -> tuple[list[int], Any]:
    """Cluster label per text (texts without features are singletons) and the fitted TF-IDF.

    Cosine distances are computed on the sparse TF-IDF matrix and handed over precomputed: the
    same clustering as ``metric="cosine"`` without a dense texts × vocabulary matrix.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_features, sublinear_tf=True)
    featured = [i for i, t in enumerate(texts) if _features(t)]
    labels = list(range(-len(texts), 0))  # distinct negatives: singletons unless clustered
    if not featured:
        return labels, None
    matrix = vectorizer.fit_transform([texts[i] for i in featured])
    if len(featured) == 1:
        labels[featured[0]] = 0
        return labels, vectorizer
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics.pairwise import cosine_distances

    distances = cosine_distances(matrix).clip(min=0.0)  # rounding can give -1e-16
    model = AgglomerativeClustering(
        metric="precomputed",
        linkage="average",
        distance_threshold=GROUP_DISTANCE,
        n_clusters=None,
    )
    for i, label in zip(featured, model.fit_predict(distances), strict=True):
        labels[i] = int(label)
    return labels, vectorizer


def _label(texts: Sequence[str], vectorizer: Any) -> str:
    """The group's top terms: words in most of its texts, rarer across all requests first.

    Single characters come last: "花" / "呗" say less than "分期".
    """
    seen: Counter[str] = Counter()
    for text in texts:
        seen.update(set(_words(text)))
    idf: dict[str, float] = {}
    if vectorizer is not None:
        idf = {t: float(vectorizer.idf_[j]) for t, j in vectorizer.vocabulary_.items()}
    ranked = sorted(seen, key=lambda w: (len(w) < 2, -seen[w] * idf.get(w, 1.0), -len(w), w))
    return " / ".join(ranked[:LABEL_TERMS]) or UNKNOWN


def feature_requests(
    s: Session, workspace_id: int, start: date, end: date, min_group: int = 2
) -> FeatureRequests:
    """What customers ask for, grouped: suggestions plus complaints asking for something absent.

    Method: the texts (title and description) of the window's "suggestion" cases and of its
    complaints matching :data:`REQUEST_CUES` (Chinese and English request phrases). Features:
    TF-IDF over rjieba words (request and filler words removed) plus the character 2-grams
    inside Chinese words; agglomerative clustering, average linkage, cosine distance threshold
    :data:`GROUP_DISTANCE`. A group's label is its 3 top terms (in most of its texts, weighted
    by rarity across requests). Groups of fewer than ``min_group`` cases are counted in
    ``ungrouped`` only. Beyond :data:`MAX_TEXTS` texts the oldest are counted in ``left_out``
    (and ``total``) but not clustered.
    """
    lo, hi = _bounds(s, workspace_id, start, end)
    rows = s.execute(
        select(Case.id, Case.kind, Case.customer_id, Case.title, Case.description)
        .where(
            *_cases_in(workspace_id, lo, hi, kind=None),
            Case.kind.in_(("suggestion", "complaint")),
        )
        .order_by(Case.id)
    ).all()
    picked: list[tuple[int, int | None, str]] = []
    for case_id, kind, customer_id, title, description in rows:
        text = "\n".join(p.strip() for p in (title or "", description or "") if p.strip())
        if text and (kind == "suggestion" or REQUEST_CUES.search(text)):
            picked.append((case_id, customer_id, text))
    if not picked:
        return FeatureRequests(groups=(), ungrouped=0, total=0)
    left_out = max(0, len(picked) - MAX_TEXTS)
    picked = picked[left_out:]  # ordered by case id: the newest are kept
    labels, vectorizer = _clusters([t for _, _, t in picked])
    members: dict[int, list[tuple[int, int | None, str]]] = defaultdict(list)
    for label, row in zip(labels, picked, strict=True):
        members[label].append(row)
    groups: list[RequestGroup] = []
    ungrouped = 0
    for rows_of in members.values():
        if len(rows_of) < min_group:
            ungrouped += len(rows_of)
            continue
        texts = [t for _, _, t in rows_of]
        examples = list(dict.fromkeys(t[:EXAMPLE_CHARS] for t in texts))[:EXAMPLES]
        groups.append(
            RequestGroup(
                label=_label(texts, vectorizer),
                count=len(rows_of),
                customers=len({c for _, c, _ in rows_of if c is not None}),
                case_ids=tuple(sorted(c for c, _, _ in rows_of)[:MAX_CASE_IDS]),
                examples=tuple(examples),
            )
        )
    groups.sort(key=lambda g: (-g.count, g.label))
    return FeatureRequests(
        groups=tuple(groups), ungrouped=ungrouped, total=len(picked) + left_out, left_out=left_out
    )
