"""Stored segments and their membership over time.

A segment is a rule in the language of :mod:`liuke.crm.segments` (validated with
``parse_rule``; a bad rule is a 400 naming the bad node, e.g. ``$.all[1]: unknown field``).
Kinds: ``rule`` (made and edited by people), and system segments that liuke keeps itself:
one per RFM class (``rfm:<code>``, kind ``rfm``), one per value tier (``tier:<tier>``, kind
``value_tier``) and ``risk:high`` (kind ``rule``, the high-risk rule of the retention settings:
churn probability at least ``high_risk`` among the follow-up tiers; it gives the high-risk
follow-up rule its spells). System codes hold a colon, which people's codes cannot; system
segments can be switched on and off but not edited or deleted.

Membership is stored as spells ``[since, until)`` (``until`` NULL while a member).
``refresh_memberships(day)`` evaluates every active segment over the profiles of all customers
and closes the spells of those who left (``until = day``) and opens spells for those who joined
(``since = day``); a rerun on the same day changes nothing, and a segment switched off has its
open spells closed. Days must not go backwards: a day before the last refresh is refused, so
history is never rewritten.

The profile a rule sees per customer (fields of ``segments.FIELDS``): from ``customer_scores``
recency_days, frequency, monetary, r/f/m_score (digits of the RFM code), rfm_segment,
value_tier, grade, credit_score (grade score), churn_risk (churn probability 0..1); from
``customers`` tier, tags, city and province (``attributes["city"]`` / ``["province"]``);
complaints_90d (complaint cases received in the 90 local days ending on ``day``, merged
duplicates excluded), open_complaints, tenure_days (days since the first order that was not
cancelled) and csat_last / nps_last (the latest CSAT / NPS score in ``survey_responses`` on or
before ``day``). A customer without a score row simply has those fields missing: a rule on a
missing field never matches it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from liuke.commerce.models import Order
from liuke.complaints.models import OPEN_STATUSES, Case
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest, Conflict
from liuke.core.tenancy import get_scoped
from liuke.crm import segments as seg
from liuke.crm.models import CustomerScore, Segment, SegmentMembership
from liuke.crm.profiles import chunks, local_bounds, local_today, zone_of
from liuke.crm.settings import RetentionSettings, settings_of
from liuke.customers.models import Customer, CustomerTag

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RISK_CODE = "risk:high"


def is_system(segment: Segment) -> bool:
    return ":" in segment.code


def _rule_error(exc: seg.RuleError) -> BadRequest:
    return BadRequest(detail=f"bad rule at {exc}")


def check_rule(raw: Any) -> seg.Rule:
    """The parsed rule, or a 400 whose message names the bad node (``$.all[0]: ...``)."""
    try:
        return seg.parse_rule(raw)
    except seg.RuleError as exc:
        raise _rule_error(exc) from exc


# --- system segments --------------------------------------------------------------------------


def _risk_rule(conf: RetentionSettings) -> dict[str, Any] | None:
    if not conf.follow_up_high_risk_tiers:
        return None
    return {
        "all": [
            {"field": "churn_risk", "op": ">=", "value": conf.high_risk},
            {"field": "tier", "op": "in", "value": list(conf.follow_up_high_risk_tiers)},
        ]
    }


def system_definitions(conf: RetentionSettings) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for code, (zh, en) in seg.SEGMENTS_CN8.items():
        out.append(
            {
                "code": f"rfm:{code}", "name": zh, "description": en, "kind": "rfm",
                "rule": {"field": "rfm_segment", "op": "==", "value": code},
            }
        )  # fmt: skip
    for tier, (zh, en) in seg.TIERS.items():
        out.append(
            {
                "code": f"tier:{tier}", "name": zh, "description": en, "kind": "value_tier",
                "rule": {"field": "value_tier", "op": "==", "value": tier},
            }
        )  # fmt: skip
    risk = _risk_rule(conf)
    out.append(
        {
            "code": RISK_CODE,
            "name": "高流失风险重点客户",
            "description": "High churn risk in the follow-up tiers (retention settings)",
            "kind": "rule",
            "rule": risk or {"field": "churn_risk", "op": ">=", "value": conf.high_risk},
            "active": risk is not None,
        }
    )
    return out


def ensure_system_segments(s: Session, workspace_id: int) -> None:
    """Create the missing system segments; keep ``risk:high``'s rule in step with the settings."""
    conf = settings_of(s, workspace_id)
    existing = {
        sg.code: sg
        for sg in s.scalars(
            select(Segment).where(Segment.workspace_id == workspace_id, Segment.code.contains(":"))
        )
    }
    now = utcnow()
    for d in system_definitions(conf):
        sg = existing.get(d["code"])
        if sg is None:
            s.add(
                Segment(
                    workspace_id=workspace_id, code=d["code"], name=d["name"],
                    description=d["description"], kind=d["kind"], rule=d["rule"],
                    active=d.get("active", True), created_at=now, updated_at=now,
                )
            )  # fmt: skip
        elif d["code"] == RISK_CODE and (sg.rule != d["rule"] or sg.active != d["active"]):
            sg.rule, sg.active, sg.updated_at = d["rule"], d["active"], now
    s.flush()


# --- people's segments ------------------------------------------------------------------------


def get_segment(s: Session, workspace_id: int, segment_id: int) -> Segment:
    return get_scoped(s, Segment, workspace_id, segment_id, "segment")


def segment_by_code(s: Session, workspace_id: int, code: str) -> Segment | None:
    return s.scalar(
        select(Segment).where(Segment.workspace_id == workspace_id, Segment.code == code)
    )


def _check_text(code: str | None, name: str | None) -> None:
    if code is not None and not CODE_RE.match(code):
        raise BadRequest(
            detail="code: 1-64 lower-case letters, digits, '_' or '-', starting with a letter or digit"
        )
    if name is not None and not (name.strip() and len(name) <= 200):
        raise BadRequest(detail="name: 1-200 characters")


def create_segment(
    s: Session,
    workspace_id: int,
    *,
    code: str,
    name: str,
    rule: Any,
    description: str = "",
    active: bool = True,
    actor_id: int | None = None,
) -> Segment:
    _check_text(code, name)
    parsed = check_rule(rule)
    if segment_by_code(s, workspace_id, code) is not None:
        raise Conflict(detail=f"a segment with code {code!r} exists")
    now = utcnow()
    sg = Segment(
        workspace_id=workspace_id, code=code, name=name.strip(), description=description,
        kind="rule", rule=seg.to_json(parsed), active=active, member_count=0,
        created_by=actor_id, created_at=now, updated_at=now,
    )  # fmt: skip
    s.add(sg)
    s.flush()
    return sg


def update_segment(
    s: Session,
    workspace_id: int,
    segment_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    rule: Any = None,
    active: bool | None = None,
) -> Segment:
    """Change a segment; membership follows at the next refresh (history is kept)."""
    sg = get_segment(s, workspace_id, segment_id)
    if is_system(sg) and (name, description, rule) != (None, None, None):
        raise BadRequest(detail=f"{sg.code} is a system segment: only 'active' can change")
    if sg.code == RISK_CODE and active is not None:
        raise BadRequest(detail=f"{RISK_CODE} follows the retention settings (follow-up tiers)")
    _check_text(None, name)
    if rule is not None:
        sg.rule = seg.to_json(check_rule(rule))
    if name is not None:
        sg.name = name.strip()
    if description is not None:
        sg.description = description
    if active is not None:
        sg.active = active
    sg.updated_at = utcnow()
    s.flush()
    return sg


def delete_segment(s: Session, workspace_id: int, segment_id: int) -> None:
    """Delete a people's segment and its membership history (campaigns keep their targets)."""
    sg = get_segment(s, workspace_id, segment_id)
    if is_system(sg):
        raise BadRequest(detail=f"{sg.code} is a system segment and cannot be deleted")
    s.delete(sg)
    s.flush()


def segment_query(
    workspace_id: int, *, kind: str | None = None, active: bool | None = None
) -> Select[Segment]:
    stmt = select(Segment).where(Segment.workspace_id == workspace_id)
    if kind is not None:
        stmt = stmt.where(Segment.kind == kind)
    if active is not None:
        stmt = stmt.where(Segment.active.is_(active))
    return stmt


def status_note(sg: Segment) -> str:
    """What a reader should know about the segment's size, in words."""
    if sg.refreshed_at is None:
        return "not refreshed yet: membership is computed by the daily refresh"
    if not sg.active:
        return "switched off: membership is not tracked"
    if sg.member_count == 0:
        return "no customer matches this segment at the last refresh"
    return ""


# --- profiles ---------------------------------------------------------------------------------


def build_profiles(s: Session, workspace_id: int, day: date) -> dict[int, dict[str, Any]]:
    """The field-catalogue values of every customer (see the module docstring)."""
    zone = zone_of(s, workspace_id)
    out: dict[int, dict[str, Any]] = {}
    for cid, tier, attributes in s.execute(
        select(Customer.id, Customer.tier, Customer.attributes).where(
            Customer.workspace_id == workspace_id
        )
    ):
        p: dict[str, Any] = {"tier": tier, "tags": [], "complaints_90d": 0, "open_complaints": 0}
        if isinstance(attributes, dict):
            for key in ("city", "province"):
                if isinstance(attributes.get(key), str):
                    p[key] = attributes[key]
        out[cid] = p
    for cid, tag in s.execute(
        select(CustomerTag.customer_id, CustomerTag.tag).where(
            CustomerTag.workspace_id == workspace_id
        )
    ):
        if cid in out:
            out[cid]["tags"].append(tag)
    for row in s.execute(
        select(
            CustomerScore.customer_id, CustomerScore.recency_days, CustomerScore.frequency,
            CustomerScore.monetary, CustomerScore.rfm_code, CustomerScore.rfm_segment,
            CustomerScore.value_tier, CustomerScore.grade, CustomerScore.grade_score,
            CustomerScore.churn_probability,
        ).where(CustomerScore.workspace_id == workspace_id)
    ):  # fmt: skip
        prof = out.get(row.customer_id)
        if prof is None:
            continue
        if row.recency_days is not None:
            prof["recency_days"] = row.recency_days
            prof["frequency"] = row.frequency
            prof["monetary"] = float(row.monetary or 0)
        if len(row.rfm_code or "") == 3 and row.rfm_code.isdigit():
            prof["r_score"], prof["f_score"], prof["m_score"] = (int(ch) for ch in row.rfm_code)
        for key, value in (
            ("rfm_segment", row.rfm_segment),
            ("value_tier", row.value_tier),
            ("grade", row.grade),
        ):
            if value:
                prof[key] = value
        if row.grade:
            prof["credit_score"] = row.grade_score
        if row.churn_probability is not None:
            prof["churn_risk"] = row.churn_probability
    lo, hi = local_bounds(zone, day - timedelta(days=89), day)
    base = (
        Case.workspace_id == workspace_id,
        Case.customer_id.is_not(None),
        Case.kind == "complaint",
        Case.merged_into_id.is_(None),
    )
    for cid, n in s.execute(
        select(Case.customer_id, func.count())
        .where(*base, Case.received_at >= lo, Case.received_at < hi)
        .group_by(Case.customer_id)
    ):
        if cid in out:
            out[cid]["complaints_90d"] = int(n)
    for cid, n in s.execute(
        select(Case.customer_id, func.count())
        .where(*base, Case.status.in_(OPEN_STATUSES))
        .group_by(Case.customer_id)
    ):
        if cid in out:
            out[cid]["open_complaints"] = int(n)
    for cid, first in s.execute(
        select(Order.customer_id, func.min(Order.ordered_at))
        .where(
            Order.workspace_id == workspace_id, Order.status != "cancelled", Order.ordered_at < hi
        )
        .group_by(Order.customer_id)
    ):
        if cid in out and first is not None:
            out[cid]["tenure_days"] = max(0, (day - first.astimezone(zone).date()).days)
    _survey_scores(s, workspace_id, hi, out)
    return out


def _survey_scores(
    s: Session, workspace_id: int, before: datetime, out: dict[int, dict[str, Any]]
) -> None:
    """csat_last / nps_last from survey responses, when the surveys tables have any."""
    try:
        from liuke.surveys.models import SurveyResponse
    except ImportError:  # pragma: no cover - surveys is part of the package
        return
    for kind, key in (("csat", "csat_last"), ("nps", "nps_last")):
        latest = (
            select(
                SurveyResponse.customer_id.label("cid"),
                func.max(SurveyResponse.submitted_at).label("at"),
            )
            .where(
                SurveyResponse.workspace_id == workspace_id,
                SurveyResponse.kind == kind,
                SurveyResponse.customer_id.is_not(None),
                SurveyResponse.score.is_not(None),
                SurveyResponse.submitted_at < before,
            )
            .group_by(SurveyResponse.customer_id)
            .subquery()
        )
        rows = s.execute(
            select(SurveyResponse.customer_id, SurveyResponse.score, SurveyResponse.id)
            .join(
                latest,
                (SurveyResponse.customer_id == latest.c.cid)
                & (SurveyResponse.submitted_at == latest.c.at),
            )
            .where(SurveyResponse.workspace_id == workspace_id, SurveyResponse.kind == kind)
            .order_by(SurveyResponse.id)
        )
        for cid, score, _ in rows:  # ties on the time: the last id wins
            if cid in out:
                out[cid][key] = score


# --- membership -------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    day: date
    segments: int = 0
    joined: int = 0
    left: int = 0
    members: dict[str, int] = field(default_factory=dict)  # segment code -> members now
    empty: list[str] = field(default_factory=list)  # active segments nobody matches


def last_refresh_day(s: Session, workspace_id: int) -> date | None:
    since, until = s.execute(
        select(func.max(SegmentMembership.since), func.max(SegmentMembership.until)).where(
            SegmentMembership.workspace_id == workspace_id
        )
    ).one()
    days = [d for d in (since, until) if d is not None]
    return max(days) if days else None


def refresh_memberships(
    s: Session, workspace_id: int, day: date, *, codes: list[str] | None = None
) -> RefreshReport:
    """Evaluate the active segments (all, or those named in ``codes``) over every customer's
    profile on ``day`` and store who joined and who left as membership spells."""
    ensure_system_segments(s, workspace_id)
    last = last_refresh_day(s, workspace_id)
    if last is not None and day < last:
        raise BadRequest(detail=f"membership is stored up to {last}; refresh {last} or later")
    stmt = select(Segment).where(Segment.workspace_id == workspace_id)
    if codes is not None:
        stmt = stmt.where(Segment.code.in_(codes))
    chosen = list(s.scalars(stmt.order_by(Segment.id)))
    report = RefreshReport(day)
    if not chosen:
        return report
    rules: dict[int, seg.Rule | None] = {}
    for sg in chosen:
        if sg.active:
            try:
                rules[sg.id] = seg.parse_rule(sg.rule)
            except seg.RuleError:  # stored before a catalogue change: track nothing, say so
                rules[sg.id] = None
    profiles = build_profiles(s, workspace_id, day) if any(rules.values()) else {}
    open_spells: dict[int, dict[int, tuple[int, date]]] = defaultdict(dict)
    for sid, cid, mid, since in s.execute(
        select(
            SegmentMembership.segment_id,
            SegmentMembership.customer_id,
            SegmentMembership.id,
            SegmentMembership.since,
        ).where(
            SegmentMembership.workspace_id == workspace_id,
            SegmentMembership.segment_id.in_([sg.id for sg in chosen]),
            SegmentMembership.until.is_(None),
        )
    ):
        open_spells[sid][cid] = (mid, since)
    to_close: list[int] = []
    to_drop: list[int] = []  # spells opened today and left today again: never happened
    new_rows: list[dict[str, Any]] = []
    now = utcnow()
    for sg in chosen:
        rule = rules.get(sg.id)
        members = (
            {cid for cid, p in profiles.items() if seg.matches(rule, p)}
            if rule is not None
            else set()
        )
        current = open_spells.get(sg.id, {})
        for cid, (mid, since) in current.items():
            if cid not in members:
                (to_drop if since >= day else to_close).append(mid)
        joined = members - current.keys()
        new_rows.extend(
            {
                "workspace_id": workspace_id,
                "segment_id": sg.id,
                "customer_id": cid,
                "since": day,
                "until": None,
            }
            for cid in sorted(joined)
        )
        report.joined += len(joined)
        report.left += len(current.keys() - members)
        report.segments += 1
        sg.member_count = len(members)
        sg.refreshed_at = now
        report.members[sg.code] = len(members)
        if sg.active and not members:
            report.empty.append(sg.code)
    for part in chunks(to_close):
        s.execute(
            update(SegmentMembership)
            .where(SegmentMembership.id.in_(list(part)))
            .values(until=day)
            .execution_options(synchronize_session=False)
        )
    for ids in chunks(to_drop):
        s.execute(
            delete(SegmentMembership)
            .where(SegmentMembership.id.in_(list(ids)))
            .execution_options(synchronize_session=False)
        )
    for batch in chunks(new_rows):
        s.execute(insert(SegmentMembership), list(batch))
    s.flush()
    return report


@dataclass(frozen=True)
class Preview:
    matching: int
    customers: int
    sample: list[int]  # up to 20 customer ids
    description_zh: str
    description_en: str


def preview_rule(s: Session, workspace_id: int, rule: Any, day: date | None = None) -> Preview:
    """How many customers a rule would hold today (nothing is stored)."""
    parsed = check_rule(rule)
    profiles = build_profiles(s, workspace_id, day or local_today(s, workspace_id))
    hits = sorted(cid for cid, p in profiles.items() if seg.matches(parsed, p))
    return Preview(
        len(hits),
        len(profiles),
        hits[:20],
        seg.describe(parsed, "zh_CN"),
        seg.describe(parsed, "en"),
    )


def describe(sg: Segment, locale: str = "zh_CN") -> str:
    try:
        return seg.describe(seg.parse_rule(sg.rule), locale)
    except seg.RuleError as exc:
        return f"(invalid rule: {exc})"


def members_query(workspace_id: int, segment_id: int, day: date | None = None) -> Any:
    """Members (current, or on ``day``) with their name and scores; order by ``Customer.id``."""
    cond = [
        SegmentMembership.workspace_id == workspace_id,
        SegmentMembership.segment_id == segment_id,
    ]
    if day is None:
        cond.append(SegmentMembership.until.is_(None))
    else:
        cond += [
            SegmentMembership.since <= day,
            (SegmentMembership.until.is_(None)) | (SegmentMembership.until > day),
        ]
    return (
        select(
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.tier,
            SegmentMembership.since,
            CustomerScore.rfm_segment,
            CustomerScore.value_tier,
            CustomerScore.grade,
            CustomerScore.monetary,
            CustomerScore.churn_probability,
        )
        .join(Customer, Customer.id == SegmentMembership.customer_id)
        .outerjoin(
            CustomerScore,
            (CustomerScore.customer_id == Customer.id)
            & (CustomerScore.workspace_id == workspace_id),
        )
        .where(*cond)
    )


@dataclass(frozen=True)
class HistoryDay:
    day: date
    joined: int
    left: int
    members: int  # at the end of the day


def segment_history(
    s: Session,
    workspace_id: int,
    segment_id: int,
    start: date | None = None,
    end: date | None = None,
) -> list[HistoryDay]:
    """Joins and leaves per day (days with a change), with the member count after each day."""
    get_segment(s, workspace_id, segment_id)
    base = (
        SegmentMembership.workspace_id == workspace_id,
        SegmentMembership.segment_id == segment_id,
    )
    joins: dict[date, int] = dict(
        s.execute(
            select(SegmentMembership.since, func.count())
            .where(*base)
            .group_by(SegmentMembership.since)
        ).all()
    )
    leaves: dict[date, int] = {
        d: int(n)
        for d, n in s.execute(
            select(SegmentMembership.until, func.count())
            .where(*base, SegmentMembership.until.is_not(None))
            .group_by(SegmentMembership.until)
        )
        if d is not None
    }
    out, members = [], 0
    for d in sorted(set(joins) | set(leaves)):
        j, lv = int(joins.get(d, 0)), int(leaves.get(d, 0))
        members += j - lv
        if (start is None or d >= start) and (end is None or d <= end):
            out.append(HistoryDay(d, j, lv, members))
    return out


@dataclass(frozen=True)
class Spell:
    segment_id: int
    code: str
    name: str
    since: date
    until: date | None


def customer_spells(
    s: Session, workspace_id: int, customer_id: int, *, current_only: bool = False
) -> list[Spell]:
    """A customer's membership history (newest first); the caller checked the customer id."""
    stmt = (
        select(
            Segment.id, Segment.code, Segment.name, SegmentMembership.since, SegmentMembership.until
        )
        .join(Segment, Segment.id == SegmentMembership.segment_id)
        .where(
            SegmentMembership.workspace_id == workspace_id,
            SegmentMembership.customer_id == customer_id,
        )
    )
    if current_only:
        stmt = stmt.where(SegmentMembership.until.is_(None))
    rows = s.execute(stmt.order_by(SegmentMembership.since.desc(), Segment.code)).all()
    return [Spell(*r) for r in rows]


def current_members(s: Session, workspace_id: int, segment_id: int) -> list[int]:
    return list(
        s.scalars(
            select(SegmentMembership.customer_id)
            .where(
                SegmentMembership.workspace_id == workspace_id,
                SegmentMembership.segment_id == segment_id,
                SegmentMembership.until.is_(None),
            )
            .order_by(SegmentMembership.customer_id)
        )
    )


def refreshed_on(s: Session, workspace_id: int) -> datetime | None:
    return s.scalar(
        select(func.max(Segment.refreshed_at)).where(Segment.workspace_id == workspace_id)
    )
