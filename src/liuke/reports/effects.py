"""Recommended improvements ranked by expected effect.

Every problem a report finds (an agent worse than peers, hours with missed contacts, a channel
that converts badly, a complaint spike, an attribute customers rate low) touched a set of
customers in the period. Its expected effect is the revenue those customers are expected to
keep if the problem had not happened, by the workspace's own churn model (crm/risk.py):

    effect = sum over touched customers of (p_i - p_i') x revenue_i

where p_i is the customer's churn probability from their features at the end of the period,
p_i' the probability with the problem's features set to what a clean experience gives (no
rude-agent hits for an attitude problem, no long waits for a speed problem, no abandoned
contacts for missed hours, no transfers, no unresolved complaints), and revenue_i their
365-day revenue. A channel or agent that converts badly also loses orders outright: lost
orders = conversations x (the rest's rate - its rate) at the period's mean order value.

It is the model's estimate, not an experiment: it says where the money at risk sits, which is
what orders the work. The cleared features count the customer's last 90 days, so an effect is
an upper bound for the problem's own share. Without a trained churn model the effect is 0 and
problems rank by the customers they touched; the report says so.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import func, select
from threadpoolctl import threadpool_limits

from liuke.analytics.catalogue import BY_NAME, DIMENSION_BY_NAME
from liuke.analytics.diagnosis import Finding
from liuke.commerce.models import Order
from liuke.complaints.models import Case, ComplaintAlert
from liuke.conversations.models import Channel, Conversation
from liuke.core.db import utcnow
from liuke.core.errors import NotFound
from liuke.crm import risk
from liuke.crm.features import CHURN_SPEC, LONG_WAIT_SECONDS, feature_frame
from liuke.quality.models import InspectionHit
from liuke.quality.service import AgentQuality
from liuke.reports.document import Recommendation
from liuke.surveys.models import QuestionnaireVersion, SurveyResponse
from liuke.surveys.service import SATISFIED_AT
from liuke.workspaces.clock import local_bounds, zone_of

if TYPE_CHECKING:
    from liuke.reports.builder import Build

MAX_RECOMMENDATIONS = 8
MAX_EVIDENCE = 2  # the summary page must hold every action
REVENUE_CAP_QUANTILE = 0.95
RESPONSE_METRICS = (
    "first_response_time",
    "agent_first_response_time",
    "average_response_time",
    "sla_first_response",
    "sla_average_response",
)


@dataclass
class Candidate:
    """A problem and who it touched; merged per target before ranking."""

    target: tuple[str, str]  # (dimension, key): one recommendation per agent, hour, channel...
    title: str
    evidence: list[str]
    action: str
    source: str
    customers: set[int] = field(default_factory=set)
    direct: float = 0.0  # revenue lost outright (orders not made)
    fixes: set[str] = field(default_factory=set)  # keys of FIXES this problem's fix clears


def _fix_attitude(f: pd.DataFrame) -> None:
    f["bad_contacts_90"] = (f["bad_contacts_90"] - f["quality_hits_90"]).clip(lower=0)
    f["quality_hits_90"] = 0
    f.loc[f["last_contact_issue"] == "rude_agent", "last_contact_issue"] = "none"


def _fix_wait(f: pd.DataFrame) -> None:
    f["bad_contacts_90"] = (f["bad_contacts_90"] - f["long_waits_90"]).clip(lower=0)
    f["long_waits_90"] = 0
    f.loc[f["last_contact_issue"] == "long_wait", "last_contact_issue"] = "none"


def _fix_missed(f: pd.DataFrame) -> None:
    f["bad_contacts_90"] = (f["bad_contacts_90"] - f["abandoned_90"]).clip(lower=0)
    f["abandoned_90"] = 0
    f.loc[f["last_contact_issue"] == "abandoned", "last_contact_issue"] = "none"


def _fix_transfers(f: pd.DataFrame) -> None:
    f["transfers_90"] = 0


def _fix_complaints(f: pd.DataFrame) -> None:
    f["unresolved_complaints"] = 0
    f.loc[f["last_contact_issue"] == "unresolved_complaint", "last_contact_issue"] = "none"


FIXES = {
    "attitude": _fix_attitude,
    "wait": _fix_wait,
    "missed": _fix_missed,
    "transfers": _fix_transfers,
    "complaints": _fix_complaints,
}
METRIC_FIX: dict[str, str] = {
    **dict.fromkeys(RESPONSE_METRICS, "wait"),
    "missed_rate": "missed",
    "transfers_per_conversation": "transfers",
    "one_touch_resolution_rate": "complaints",
}
ATTRIBUTE_FIX = {
    "speed": "wait",
    "attitude": "attitude",
    "resolution": "complaints",
    "expertise": "transfers",
}


@dataclass(frozen=True)
class _Conv:
    """One conversation of the period, with the failures a customer met in it."""

    customer: int
    hour: int  # local
    agent: int | None
    channel: int
    skill_group: int | None
    product_line: int | None
    abandoned: bool
    transferred: bool
    long_wait: bool  # the first reply came later than the channel's long-wait limit
    rude: bool  # an attitude hit that was not overturned

    def failed(self, fix: str | None) -> bool:
        """Whether the customer met the failure ``fix`` clears (any conversation when None)."""
        return {
            None: True,
            "missed": self.abandoned,
            "transfers": self.transferred,
            "wait": self.long_wait or self.abandoned,
            "attitude": self.rude,
            "complaints": True,
        }.get(fix, True)


@dataclass
class _Period:
    """The period's conversations, the churn model and features, read once for every problem."""

    conversations: list[_Conv]
    order_value: float
    model: Any | None  # crm.churn.ChurnModel
    features: pd.DataFrame | None  # CHURN_SPEC columns + revenue, one row per live customer
    revenue_cap: float  # revenues are capped here (95th percentile) so one big buyer cannot
    # decide the ranking


def _state(b: Build) -> _Period:
    cached = b.cache.get("effects")
    if isinstance(cached, _Period):
        return cached
    zone = zone_of(b.s, b.workspace_id)
    lo, hi = local_bounds(zone, b.period.start, b.period.end)
    rude = set(
        b.s.scalars(
            select(InspectionHit.conversation_id).where(
                InspectionHit.workspace_id == b.workspace_id,
                InspectionHit.kind == "attitude",
                (InspectionHit.verdict.is_(None)) | (InspectionHit.verdict != "overturned"),
            )
        )
    )
    rows = []
    for cid, cust, at, agent, channel, kind, group, line, status, transfers, first in b.s.execute(
        select(
            Conversation.id,
            Conversation.customer_id,
            Conversation.created_at,
            Conversation.assignee_id,
            Conversation.channel_id,
            Channel.kind,
            Conversation.skill_group_id,
            Conversation.product_line_id,
            Conversation.status,
            Conversation.transfer_count,
            Conversation.first_response_at,
        )
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(
            Conversation.workspace_id == b.workspace_id,
            Conversation.created_at >= lo,
            Conversation.created_at < hi,
            Conversation.customer_id.is_not(None),
        )
    ):
        limit = LONG_WAIT_SECONDS.get(kind, LONG_WAIT_SECONDS["default"])
        waited = first is not None and (first - at).total_seconds() > limit
        rows.append(
            _Conv(int(cust or 0), at.astimezone(zone).hour, agent, channel, group, line,
                  status == "abandoned", bool(transfers), waited, cid in rude)
        )  # fmt: skip
    n, total = b.s.execute(
        select(func.count(), func.coalesce(func.sum(Order.amount), 0)).where(
            Order.workspace_id == b.workspace_id,
            Order.status == "paid",
            Order.ordered_at >= lo,
            Order.ordered_at < hi,
        )
    ).one()
    model = frame = None
    cap = 0.0
    with contextlib.suppress(NotFound):
        model = risk.load_model(b.workspace_id, b.model_dir)
    if model is not None:
        touched = {r.customer for r in rows}
        frame = feature_frame(b.s, b.workspace_id, min(hi, utcnow()))
        frame = frame.loc[frame.index.isin(touched)]
        if len(frame):
            cap = float(frame["revenue_365"].fillna(0).quantile(REVENUE_CAP_QUANTILE))
    state = _Period(rows, float(total or 0) / int(n) if n else 0.0, model, frame, cap)
    b.cache["effects"] = state
    return state


def note_missing_model(b: Build) -> None:
    if _state(b).model is None:
        b.notes.append(
            b.t(
                "流失模型尚未训练，行动按涉及客户数排序（运行 `liuke retention daily` 后可估算影响金额）。",
                "No churn model yet: actions rank by customers touched (run `liuke retention daily` to value them).",
            )
        )


def kept_revenue(state: _Period, fixes_of: dict[int, set[str]]) -> float:
    """Revenue kept if each customer had not met the failures named for them (see the module
    docstring); 0 without a model."""
    if state.model is None or state.features is None or not fixes_of:
        return 0.0
    f = state.features
    ids = [c for c in fixes_of if c in f.index]
    if not ids:
        return 0.0
    before = f.loc[ids, list(CHURN_SPEC.columns)].copy()
    after = before.copy()
    for key in FIXES:
        who = [c for c in ids if key in fixes_of[c]]
        if who:
            part = after.loc[who].copy()
            FIXES[key](part)
            after.loc[who] = part
    with threadpool_limits(1):
        gain = state.model.predict_proba(before) - state.model.predict_proba(after)
    revenue = f.loc[ids, "revenue_365"].fillna(0).clip(upper=state.revenue_cap)
    return max(0.0, float((gain * revenue.to_numpy(dtype=float)).sum()))


_DIMENSION_OF: dict[str, Callable[[_Conv], Any]] = {
    "hour": lambda c: c.hour,
    "agent": lambda c: c.agent,
    "channel": lambda c: c.channel,
    "skill_group": lambda c: c.skill_group,
    "product_line": lambda c: c.product_line,
}


def _touched(b: Build, dimension: str, key: Any, fix: str | None = None) -> set[int]:
    """Customers who met the problem: their conversation in the period falls in the finding's
    row and went wrong the way the fix addresses (abandoned, waited, transferred, rude)."""
    value_of = _DIMENSION_OF.get(dimension)
    if value_of is None:
        return set()
    return {
        c.customer
        for c in _state(b).conversations
        if str(value_of(c)) == str(key) and c.failed(fix)
    }


def _action(b: Build, dimension: str, label: str, metric: str) -> str:
    t = b.t
    if dimension == "agent":
        if metric in RESPONSE_METRICS:
            return t(
                f"检查 {label} 的并发上限与排班，一对一辅导响应速度。",
                f"Check {label}'s concurrency limit and shifts; coach on response speed.",
            )
        if metric == "conversion_rate":
            return t(
                f"辅导 {label} 的售前话术，安排优秀坐席带教。",
                f"Coach {label} on pre-sales replies with a top agent as mentor.",
            )
        return t(
            f"复核 {label} 的近期会话，针对性辅导。",
            f"Review {label}'s recent conversations and coach on what they show.",
        )
    if dimension == "hour":
        return t(
            f"{label} 增加值班人手，或开启机器人兜底与留言回呼，避免客户无人接待。",
            f"Staff {label} better, or let the bot take a callback request so nobody is left unanswered.",
        )
    if dimension == "channel":
        if metric == "conversion_rate":
            return t(
                f"排查渠道「{label}」的售前流程（机器人话术、报价、转人工）。",
                f"Walk through channel '{label}''s pre-sales path (bot replies, quotes, hand-off).",
            )
        if metric == "bot_answer_rate":
            return t(
                f"补充渠道「{label}」机器人的知识库。",
                f"Fill the knowledge gaps of the bot on channel '{label}'.",
            )
        return t(
            f"检查渠道「{label}」的接待流程与人手。",
            f"Check reception and staffing on channel '{label}'.",
        )
    if dimension == "skill_group":
        return t(
            f"为技能组「{label}」补充人手并培训。",
            f"Add people to and train skill group '{label}'.",
        )
    if dimension == "product_line":
        return t(
            f"与产品线「{label}」负责部门一起复盘服务问题。",
            f"Review the service problems with the owners of product line '{label}'.",
        )
    return t(f"针对「{label}」制定改进措施。", f"Act on '{label}'.")


def finding_candidate(b: Build, f: Finding) -> Candidate | None:
    """A diagnosis finding as a candidate (rows that name no customers are skipped)."""
    if f.dimension not in ("agent", "channel", "skill_group", "product_line"):
        return None
    metric = BY_NAME[f.metric]
    from liuke.reports.builder import UNIT_KIND, _finding_label

    kind = UNIT_KIND[metric.unit]
    label = _finding_label(b, f)
    dim = DIMENSION_BY_NAME[f.dimension].label(b.locale)
    evidence = b.t(
        f"{metric.label(b.locale)} {b.show(f.value, kind)}，其余 {b.show(f.rest, kind)}（{f.units} 个样本）",
        f"{metric.label(b.locale)} {b.show(f.value, kind)} vs {b.show(f.rest, kind)} ({f.units} units)",
    )
    direct = 0.0
    if f.metric == "conversion_rate":
        direct = max(0.0, f.rest - f.value) * f.units * _state(b).order_value
    fix = METRIC_FIX.get(f.metric)
    return Candidate(
        (f.dimension, str(f.key)),
        b.t(f"{dim}「{label}」", f"{dim} '{label}'"),
        [evidence],
        _action(b, f.dimension, label, f.metric),
        "quality" if f.dimension == "agent" else "service",
        _touched(b, f.dimension, f.key, fix),
        direct,
        {fix} if fix else set(),
    )


def hours_label(hours: list[int]) -> str:
    """Flagged hours as spans: [22, 23, 2] -> '02:00–02:59、22:00–23:59'."""
    spans: list[list[int]] = []
    for h in sorted(set(hours)):
        if spans and h == spans[-1][1] + 1:
            spans[-1][1] = h
        else:
            spans.append([h, h])
    return ", ".join(f"{a:02d}:00–{z:02d}:59" for a, z in spans)


def hour_candidate(b: Build, metric: str, findings: list[Finding]) -> Candidate:
    """Every flagged hour of one metric as one staffing problem (across channel scopes)."""
    from liuke.reports.builder import UNIT_KIND

    m = BY_NAME[metric]
    kind = UNIT_KIND[m.unit]
    label = hours_label([int(f.key) for f in findings])
    dim = DIMENSION_BY_NAME["hour"].label(b.locale)
    customers: set[int] = set()
    for f in findings:
        customers |= _touched(b, "hour", f.key, METRIC_FIX.get(metric))
    evidence = [
        b.t(
            f"{int(f.key):02d} 点{m.label(b.locale)} {b.show(f.value, kind)}，其余 {b.show(f.rest, kind)}（{f.scope}，{f.units} 个样本）",
            f"{int(f.key):02d}:00 {m.label(b.locale)} {b.show(f.value, kind)} vs {b.show(f.rest, kind)} ({f.scope}, {f.units} units)",
        )
        for f in findings
    ]
    return Candidate(
        ("hour", metric),
        b.t(f"{dim} {label}", f"{dim} {label}"),
        evidence,
        _action(b, "hour", label, metric),
        "service",
        customers,
        fixes={METRIC_FIX[metric]} if metric in METRIC_FIX else set(),
    )


def attitude_candidate(b: Build, a: AgentQuality, mine: float, others: float) -> Candidate:
    dim = DIMENSION_BY_NAME["agent"].label(b.locale)
    return Candidate(
        ("agent", str(a.agent_id)),
        b.t(f"{dim}「{a.name}」", f"{dim} '{a.name}'"),
        [
            b.t(
                f"{mine * 100:.1f}% 的会话有态度问题，其他人 {others * 100:.1f}%",
                f"attitude problems in {mine * 100:.1f}% of conversations vs {others * 100:.1f}% for the others",
            )
        ],
        b.t(
            f"立即复核 {a.name} 的会话并进行服务态度辅导；辅导完成前由组长抽检。",
            f"Review {a.name}'s conversations now and coach on attitude; a team lead spot-checks until done.",
        ),
        "quality",
        _touched(b, "agent", a.agent_id, "attitude"),
        fixes={"attitude"},
    )


def alert_candidate(b: Build, alert: ComplaintAlert, label: str) -> Candidate:
    """Customers who complained in the alert's cell over its days.

    One action per department the alerts were escalated to: a defect shows up at once by
    category, by product line and by their cell, and it is one root cause for one owner to
    trace, not three jobs."""
    zone = zone_of(b.s, b.workspace_id)
    lo, hi = local_bounds(zone, alert.first_period, alert.last_period)
    stmt = select(Case.customer_id).where(
        Case.workspace_id == b.workspace_id,
        Case.kind == "complaint",
        Case.merged_into_id.is_(None),
        Case.received_at >= lo,
        Case.received_at < hi,
        Case.customer_id.is_not(None),
    )
    cell = alert.cell
    if (cat := cell.get("category")) is not None:
        stmt = stmt.where(Case.category == cat)
    if (line := cell.get("product_line_id")) is not None:
        stmt = stmt.where(Case.product_line_id == line)
    if (tier := cell.get("customer_tier")) is not None:
        stmt = stmt.where(Case.customer_tier == tier)
    if (kind := cell.get("channel_kind")) is not None:
        stmt = stmt.where(Case.channel_kind == kind)
    customers = {int(c) for c in b.s.scalars(stmt) if c is not None}
    owner = alert.department or b.t("负责部门", "the owner")
    return Candidate(
        ("alert", alert.department or alert.cell_key),
        b.t(f"投诉异常（升级至{owner}）", f"Complaint spikes escalated to {owner}"),
        [
            b.t(
                f"「{label}」{alert.first_period}–{alert.last_period} 峰值 {alert.peak_count} 件（每万单 {alert.peak_rate:.1f}，中心线 {alert.center:.1f}）",
                f"'{label}' {alert.first_period}–{alert.last_period}, peak {alert.peak_count} ({alert.peak_rate:.1f} per 10k orders, center {alert.center:.1f})",
            )
        ],
        b.t(
            f"由{owner}追查根因（批次、供应商、出厂检验），并对涉及客户主动补救回访。",
            f"{owner[0].upper() + owner[1:]} traces the root cause (batch, supplier, outgoing inspection) and reaches out to the customers affected.",
        ),
        "complaints",
        customers,
        fixes={"complaints"},
    )


def ipa_candidate(b: Build, attribute: str, label: str, satisfied: float) -> Candidate:
    """Customers who rated the attribute below satisfied in the period."""
    zone = zone_of(b.s, b.workspace_id)
    lo, hi = local_bounds(zone, b.period.start, b.period.end)
    keys: dict[tuple[int, int], list[str]] = defaultdict(list)
    for ver in b.s.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.workspace_id == b.workspace_id)
    ):
        for q in ver.questions:
            if q.get("attribute") == attribute:
                keys[(ver.questionnaire_id, ver.version)].append(str(q["key"]))
    customers = set()
    for cust, qid, version, answers in b.s.execute(
        select(
            SurveyResponse.customer_id,
            SurveyResponse.questionnaire_id,
            SurveyResponse.version,
            SurveyResponse.answers,
        ).where(
            SurveyResponse.workspace_id == b.workspace_id,
            SurveyResponse.kind == "csat",
            SurveyResponse.submitted_at >= lo,
            SurveyResponse.submitted_at < hi,
            SurveyResponse.customer_id.is_not(None),
        )
    ):
        for key in keys.get((int(qid), int(version)), []):
            value = (answers or {}).get(key)
            if isinstance(value, int | float) and value < SATISFIED_AT:
                customers.add(int(cust))
    return Candidate(
        ("ipa", attribute),
        b.t(f"满意度短板「{label}」", f"Satisfaction gap '{label}'"),
        [b.t(f"满意率仅 {satisfied * 100:.1f}%，且对总体满意度影响大", f"only {satisfied * 100:.1f}% satisfied, and it weighs on overall satisfaction")],
        b.t(f"把「{label}」列为本月改进重点：设目标、培训并每周跟踪。", f"Make '{label}' this month's improvement goal: set a target, train, track weekly."),
        "satisfaction",
        customers,
        fixes={ATTRIBUTE_FIX[attribute]} if attribute in ATTRIBUTE_FIX else set(),
    )  # fmt: skip


def rank(b: Build, candidates: list[Candidate]) -> list[Recommendation]:
    """Merge candidates per target, value them, and keep the largest effects first."""
    merged: dict[tuple[str, str], Candidate] = {}
    for c in candidates:
        if c.target in merged:
            m = merged[c.target]
            new = [e for e in c.evidence if e not in m.evidence]
            # the specific finding (attitude, complaint spike) reads first
            m.evidence = (
                new + m.evidence if c.source in ("quality", "complaints") else m.evidence + new
            )
            m.customers |= c.customers
            m.direct += c.direct
            m.fixes |= c.fixes
            if c.source in ("quality", "complaints"):  # the more specific action wins
                m.action = c.action
        else:
            merged[c.target] = Candidate(
                c.target, c.title, list(c.evidence), c.action, c.source, set(c.customers),
                c.direct, set(c.fixes),
            )  # fmt: skip
    if not merged:
        return []
    state = _state(b)
    valued = []
    for c in merged.values():
        kept = kept_revenue(state, dict.fromkeys(c.customers, c.fixes)) if c.fixes else 0.0
        valued.append((kept + c.direct, c))
    valued.sort(key=lambda v: (-v[0], -len(v[1].customers), v[1].title))
    chosen = [c for _, c in valued[:MAX_RECOMMENDATIONS]]
    # the headline's total: every customer once, with all the fixes that touch them
    fixes_of: dict[int, set[str]] = defaultdict(set)
    for c in chosen:
        for cust in c.customers:
            fixes_of[cust] |= c.fixes
    b.cache["union_effect"] = kept_revenue(state, fixes_of) + sum(c.direct for c in chosen)
    out = []
    for i, (effect, c) in enumerate(valued[:MAX_RECOMMENDATIONS], start=1):
        # without a model the summary says the ranking is by customers touched
        text = b.t(f"涉及 {len(c.customers):,} 位客户", f"{len(c.customers):,} customers touched")
        out.append(
            Recommendation(
                rank=i,
                title=c.title,
                evidence=("；" if b.zh else "; ").join(c.evidence[:MAX_EVIDENCE])
                + (
                    b.t(f" 等 {len(c.evidence)} 项", f" and {len(c.evidence) - MAX_EVIDENCE} more")
                    if len(c.evidence) > MAX_EVIDENCE
                    else ""
                ),
                action=c.action,
                effect=round(effect, 2),
                effect_text=text,
                customers=len(c.customers),
                source=c.source,
            )
        )
    return out
