"""Win-back and lost-customer research: churn reasons and targeted campaigns with a holdout.

Churn records are created by detection and imports (``crm/labels.py``) or here, by a person
who learns that a customer left (source ``recorded``). This module records and edits the
reason (attitude, product, price, competitor, other, unknown) with a free-text detail, lists
the lost customers and measures the churn-reason distribution, with ``unknown`` always shown
so a distribution built on few known reasons says so.

Campaigns go to the current members of a segment. When a campaign is created its targets are
fixed: every member, a share of them held out (not contacted) chosen by a seeded shuffle
(the seed is the campaign id unless given), so the result can be compared against customers
who were left alone. Starting a campaign marks the contacted targets (liuke does not send
the offer itself); results count paid orders from the start to the finish (or now):
converted share and revenue of contacted targets against the holdout, the lift, the
incremental revenue, the cost (``cost_per_contact`` x contacted) and the return on it, and a
Fisher exact test of the conversion difference.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from liuke.commerce.models import Order
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest, Conflict
from liuke.core.events import emit
from liuke.core.tenancy import ensure_scoped_ids, get_scoped
from liuke.crm import segment_store as store
from liuke.crm.models import (
    CAMPAIGN_STATES,
    CHURN_REASONS,
    CHURN_SOURCES,
    Campaign,
    CampaignTarget,
    ChurnRecord,
)
from liuke.crm.profiles import chunks, local_bounds, zone_of
from liuke.crm.settings import settings_of
from liuke.customers.models import Customer

CHANNELS = ("email", "sms", "phone", "wechat", "app", "other")
MAX_DETAIL = 2000


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise BadRequest(detail=f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


# --- churn records ----------------------------------------------------------------------------


def get_record(s: Session, workspace_id: int, record_id: int) -> ChurnRecord:
    return get_scoped(s, ChurnRecord, workspace_id, record_id, "churn_record")


def _set(record: ChurnRecord, reason: str, detail: str | None, actor_id: int | None) -> None:
    _choice(reason, CHURN_REASONS, "reason")
    if detail is not None:
        if len(detail) > MAX_DETAIL:
            raise BadRequest(detail=f"detail: at most {MAX_DETAIL} characters")
        record.detail = detail.strip()
    if reason == "other" and not record.detail:
        raise BadRequest(detail="reason 'other' needs a detail saying what it was")
    record.reason = reason
    record.recorded_by = actor_id
    record.updated_at = utcnow()


def set_reason(
    s: Session,
    workspace_id: int,
    record_id: int,
    reason: str,
    *,
    detail: str | None = None,
    actor_id: int | None = None,
) -> ChurnRecord:
    """Record or correct why a lost customer left (``detail`` None keeps the old detail)."""
    record = get_record(s, workspace_id, record_id)
    old = record.reason
    _set(record, reason, detail, actor_id)
    emit(
        s, workspace_id, "churn.reason_recorded",
        {"churn_record_id": record.id, "customer_id": record.customer_id, "from": old, "to": reason},
    )  # fmt: skip
    s.flush()
    return record


def record_churn(
    s: Session,
    workspace_id: int,
    customer_id: int,
    reason: str,
    *,
    detail: str = "",
    churned_at: datetime | None = None,
    actor_id: int | None = None,
) -> tuple[ChurnRecord, bool]:
    """A person records that a customer left and why; if the customer already has a record
    (detected or imported), its reason is set instead (created False)."""
    ensure_scoped_ids(s, Customer, workspace_id, [customer_id], "customer")
    if churned_at is not None and churned_at.tzinfo is None:
        raise BadRequest(detail="churned_at needs a time zone")
    if churned_at is not None and churned_at > utcnow():
        raise BadRequest(detail="churned_at is in the future")
    record = s.scalar(
        select(ChurnRecord).where(
            ChurnRecord.workspace_id == workspace_id, ChurnRecord.customer_id == customer_id
        )
    )
    if record is not None:
        return set_reason(
            s, workspace_id, record.id, reason, detail=detail, actor_id=actor_id
        ), False
    now = utcnow()
    record = ChurnRecord(
        workspace_id=workspace_id, customer_id=customer_id, churned_at=churned_at or now,
        source="recorded", reason="unknown", detail="", created_at=now, updated_at=now,
    )  # fmt: skip
    _set(record, reason, detail, actor_id)
    s.add(record)
    s.flush()
    emit(
        s, workspace_id, "churn.reason_recorded",
        {"churn_record_id": record.id, "customer_id": customer_id, "from": None, "to": reason},
    )  # fmt: skip
    return record, True


@dataclass(frozen=True)
class ChurnFilter:
    reason: str | None = None
    source: str | None = None
    start: date | None = None  # local days of churned_at, inclusive
    end: date | None = None
    won_back: bool | None = None
    customer_id: int | None = None


def check_churn_filter(s: Session, workspace_id: int, f: ChurnFilter) -> None:
    if f.reason is not None:
        _choice(f.reason, CHURN_REASONS, "reason")
    if f.source is not None:
        _choice(f.source, CHURN_SOURCES, "source")
    if f.start and f.end and f.start > f.end:
        raise BadRequest(detail="start is after end")
    ensure_scoped_ids(s, Customer, workspace_id, [f.customer_id], "customer")


def churn_query(s: Session, workspace_id: int, f: ChurnFilter) -> Select[ChurnRecord]:
    """Records of the workspace; order by ``ChurnRecord.churned_at.desc(), ChurnRecord.id.desc()``."""
    check_churn_filter(s, workspace_id, f)
    stmt = select(ChurnRecord).where(ChurnRecord.workspace_id == workspace_id)
    if f.reason is not None:
        stmt = stmt.where(ChurnRecord.reason == f.reason)
    if f.source is not None:
        stmt = stmt.where(ChurnRecord.source == f.source)
    if f.customer_id is not None:
        stmt = stmt.where(ChurnRecord.customer_id == f.customer_id)
    if f.won_back is not None:
        stmt = stmt.where(
            ChurnRecord.won_back_at.is_not(None)
            if f.won_back
            else ChurnRecord.won_back_at.is_(None)
        )
    if f.start is not None or f.end is not None:
        zone = zone_of(s, workspace_id)
        lo, hi = local_bounds(zone, f.start or date(1970, 1, 1), f.end or date(9998, 12, 30))
        stmt = stmt.where(ChurnRecord.churned_at >= lo, ChurnRecord.churned_at < hi)
    return stmt


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int
    share: float | None  # of all records in the window; None when there are none
    share_of_known: float | None  # of records with a known reason (None for 'unknown')


@dataclass(frozen=True)
class Distribution:
    start: date | None
    end: date | None
    total: int
    known: int
    won_back: int
    reasons: list[ReasonCount]  # every reason, 'unknown' included, in CHURN_REASONS order
    note: str


def reason_distribution(
    s: Session, workspace_id: int, start: date | None = None, end: date | None = None
) -> Distribution:
    """How many lost customers left for each reason over a window of churn days."""
    stmt = churn_query(s, workspace_id, ChurnFilter(start=start, end=end)).subquery()
    counts: dict[str, int] = {
        str(r): int(n)
        for r, n in s.execute(select(stmt.c.reason, func.count()).group_by(stmt.c.reason))
    }
    won_back = int(
        s.scalar(select(func.count()).select_from(stmt).where(stmt.c.won_back_at.is_not(None))) or 0
    )
    total = sum(int(v) for v in counts.values())
    unknown = int(counts.get("unknown", 0))
    known = total - unknown
    out = []
    for reason in CHURN_REASONS:
        n = int(counts.get(reason, 0))
        out.append(
            ReasonCount(
                reason, n, n / total if total else None,
                None if reason == "unknown" else (n / known if known else None),
            )
        )  # fmt: skip
    if total == 0:
        note = "no lost customers in this window"
    elif known == 0:
        note = "no reason recorded yet: every lost customer is 'unknown'"
    elif unknown / total > 0.5:
        note = f"{unknown} of {total} reasons are unknown: read the shares with care"
    else:
        note = ""
    return Distribution(start, end, total, known, won_back, out, note)


# --- campaigns --------------------------------------------------------------------------------


def get_campaign(s: Session, workspace_id: int, campaign_id: int) -> Campaign:
    return get_scoped(s, Campaign, workspace_id, campaign_id, "campaign")


def create_campaign(
    s: Session,
    workspace_id: int,
    *,
    name: str,
    segment_id: int,
    channel: str = "email",
    offer: str = "",
    cost_per_contact: Decimal = Decimal("0"),
    holdout_share: float = 0.1,
    seed: int | None = None,
    actor_id: int | None = None,
) -> Campaign:
    """A draft campaign whose targets are the segment's current members, some held out."""
    name = name.strip()
    if not name or len(name) > 200:
        raise BadRequest(detail="name: 1-200 characters")
    _choice(channel, CHANNELS, "channel")
    cost = Decimal(str(cost_per_contact))
    if not cost.is_finite() or not Decimal(0) <= cost <= Decimal("1e9"):
        raise BadRequest(detail="cost_per_contact must be an amount from 0 to 1,000,000,000")
    if not 0 <= holdout_share <= 0.9:
        raise BadRequest(detail="holdout_share must be from 0 to 0.9")
    segment = store.get_segment(s, workspace_id, segment_id)
    if s.scalar(
        select(Campaign.id).where(Campaign.workspace_id == workspace_id, Campaign.name == name)
    ):
        raise Conflict(detail=f"a campaign named {name!r} exists")
    members = store.current_members(s, workspace_id, segment.id)
    if not members:
        why = (
            "has never been refreshed"
            if segment.refreshed_at is None
            else "has no members at its last refresh"
        )
        raise BadRequest(detail=f"segment {segment.code} {why}: a campaign needs targets")
    now = utcnow()
    campaign = Campaign(
        workspace_id=workspace_id, name=name, segment_id=segment.id, channel=channel,
        offer=offer, cost_per_contact=cost.quantize(Decimal("0.01")),
        holdout_share=float(holdout_share), status="draft", created_by=actor_id, created_at=now,
    )  # fmt: skip
    s.add(campaign)
    s.flush()
    shuffled = list(members)
    random.Random(campaign.id if seed is None else seed).shuffle(shuffled)
    k = round(len(members) * holdout_share)
    held = set(shuffled[:k])
    rows = [
        {"workspace_id": workspace_id, "campaign_id": campaign.id, "customer_id": cid,
         "holdout": cid in held, "revenue_after": Decimal(0)}
        for cid in members
    ]  # fmt: skip
    for part in chunks(rows):
        s.execute(insert(CampaignTarget), list(part))
    emit(
        s, workspace_id, "campaign.created",
        {"campaign_id": campaign.id, "segment_id": segment.id, "targets": len(rows), "holdout": k},
    )  # fmt: skip
    s.flush()
    return campaign


def start_campaign(
    s: Session, workspace_id: int, campaign_id: int, at: datetime | None = None
) -> Campaign:
    c = get_campaign(s, workspace_id, campaign_id)
    if c.status != "draft":
        raise Conflict(detail=f"campaign {c.id} is {c.status}: only a draft can start")
    now = at or utcnow()
    c.status, c.started_at = "running", now
    s.execute(
        update(CampaignTarget)
        .where(
            CampaignTarget.workspace_id == workspace_id,
            CampaignTarget.campaign_id == c.id,
            CampaignTarget.holdout.is_(False),
        )
        .values(contacted_at=now)
        .execution_options(synchronize_session=False)
    )
    emit(s, workspace_id, "campaign.started", {"campaign_id": c.id})
    s.flush()
    return c


def finish_campaign(
    s: Session, workspace_id: int, campaign_id: int, at: datetime | None = None
) -> Campaign:
    """End a running campaign and store each target's conversion and revenue after the start."""
    c = get_campaign(s, workspace_id, campaign_id)
    if c.status != "running":
        raise Conflict(detail=f"campaign {c.id} is {c.status}: only a running campaign can finish")
    c.status, c.ended_at = "finished", at or utcnow()
    assert c.started_at is not None
    for cid, first, revenue in _orders_after(s, workspace_id, c.id, c.started_at, c.ended_at):
        s.execute(
            update(CampaignTarget)
            .where(CampaignTarget.campaign_id == c.id, CampaignTarget.customer_id == cid)
            .values(converted_at=first, revenue_after=revenue)
            .execution_options(synchronize_session=False)
        )
    emit(s, workspace_id, "campaign.finished", {"campaign_id": c.id})
    s.flush()
    return c


def campaign_query(workspace_id: int, status: str | None = None) -> Select[Campaign]:
    if status is not None:
        _choice(status, CAMPAIGN_STATES, "status")
    stmt = select(Campaign).where(Campaign.workspace_id == workspace_id)
    return stmt if status is None else stmt.where(Campaign.status == status)


def _orders_after(
    s: Session, workspace_id: int, campaign_id: int, start: datetime, end: datetime
) -> list[Any]:
    """(customer, first paid order, paid revenue) of targets who bought in [start, end)."""
    return list(
        s.execute(
            select(Order.customer_id, func.min(Order.ordered_at), func.sum(Order.amount))
            .join(
                CampaignTarget,
                (CampaignTarget.customer_id == Order.customer_id)
                & (CampaignTarget.campaign_id == campaign_id),
            )
            .where(
                Order.workspace_id == workspace_id,
                Order.status == "paid",
                Order.ordered_at >= start,
                Order.ordered_at < end,
            )
            .group_by(Order.customer_id)
        ).all()
    )


@dataclass(frozen=True)
class GroupResult:
    customers: int
    converted: int
    conversion: float | None
    revenue: Decimal
    revenue_per_customer: Decimal | None


@dataclass(frozen=True)
class CampaignResults:
    campaign_id: int
    status: str
    start: datetime
    end: datetime  # finish, or now for a running campaign
    targets: GroupResult  # contacted
    holdout: GroupResult
    lift_points: float | None  # conversion difference, percentage points
    lift_relative: float | None  # targets / holdout - 1
    p_value: float | None  # Fisher exact, two-sided
    incremental_conversions: float | None
    incremental_revenue: Decimal | None
    contacted: int
    cost: Decimal
    net_return: Decimal | None  # incremental revenue - cost
    roi: float | None  # net_return / cost
    incremental_margin: Decimal | None  # when the workspace's gross margin is set
    note: str


def _group(n: int, converted: int, revenue: Decimal) -> GroupResult:
    return GroupResult(
        n, converted, converted / n if n else None, revenue,
        (revenue / n).quantize(Decimal("0.01")) if n else None,
    )  # fmt: skip


def campaign_results(
    s: Session, workspace_id: int, campaign_id: int, now: datetime | None = None
) -> CampaignResults:
    c = get_campaign(s, workspace_id, campaign_id)
    if c.started_at is None:
        raise BadRequest(detail=f"campaign {c.id} has not started: no results yet")
    end = c.ended_at or now or utcnow()
    targets = s.execute(
        select(
            CampaignTarget.customer_id, CampaignTarget.holdout, CampaignTarget.contacted_at
        ).where(CampaignTarget.workspace_id == workspace_id, CampaignTarget.campaign_id == c.id)
    ).all()
    bought = {
        cid: Decimal(rev or 0)
        for cid, _, rev in _orders_after(s, workspace_id, c.id, c.started_at, end)
    }
    groups: dict[bool, list[int]] = {True: [], False: []}
    contacted = 0
    for cid, holdout, contacted_at in targets:
        groups[bool(holdout)].append(cid)
        contacted += contacted_at is not None
    res = {}
    for key, ids in groups.items():
        conv = [cid for cid in ids if cid in bought]
        res[key] = _group(len(ids), len(conv), sum((bought[cid] for cid in conv), Decimal(0)))
    t, h = res[False], res[True]
    cost = (c.cost_per_contact * contacted).quantize(Decimal("0.01"))
    notes = []
    lift_points = lift_relative = p_value = inc_conv = None
    inc_rev = net = None
    roi = None
    margin = None
    if t.conversion is not None and h.conversion is not None:
        lift_points = (t.conversion - h.conversion) * 100
        lift_relative = t.conversion / h.conversion - 1 if h.conversion > 0 else None
        inc_conv = (t.conversion - h.conversion) * t.customers
        assert t.revenue_per_customer is not None and h.revenue_per_customer is not None
        inc_rev = ((t.revenue / t.customers - h.revenue / h.customers) * t.customers).quantize(
            Decimal("0.01")
        )
        net = inc_rev - cost
        roi = float(net / cost) if cost > 0 else None
        from scipy.stats import fisher_exact

        table = [[t.converted, t.customers - t.converted], [h.converted, h.customers - h.converted]]
        p_value = float(fisher_exact(table).pvalue)
        conf = settings_of(s, workspace_id)
        if conf.gross_margin is not None:
            margin = (inc_rev * Decimal(str(conf.gross_margin))).quantize(Decimal("0.01"))
        if h.customers < 30:
            notes.append(f"only {h.customers} customers held out: the lift is a rough guide")
    else:
        notes.append("no holdout: the lift and the incremental revenue cannot be measured")
    if c.status == "running":
        notes.append("running: figures up to now")
    return CampaignResults(
        c.id, c.status, c.started_at, end, t, h, lift_points, lift_relative, p_value, inc_conv,
        inc_rev, contacted, cost, net, roi, margin, "; ".join(notes),
    )  # fmt: skip


def target_counts(
    s: Session, workspace_id: int, campaign_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """campaign id -> (targets, held out)."""
    if not campaign_ids:
        return {}
    rows = s.execute(
        select(CampaignTarget.campaign_id, CampaignTarget.holdout, func.count())
        .where(
            CampaignTarget.workspace_id == workspace_id,
            CampaignTarget.campaign_id.in_(campaign_ids),
        )
        .group_by(CampaignTarget.campaign_id, CampaignTarget.holdout)
    ).all()
    out: dict[int, list[int]] = {cid: [0, 0] for cid in campaign_ids}
    for cid, holdout, n in rows:
        out[cid][0] += int(n)
        if holdout:
            out[cid][1] += int(n)
    return {k: (v[0], v[1]) for k, v in out.items()}
