"""Recommended improvements ranked by expected effect.

Every problem a report finds (an agent worse than peers, an hour with missed contacts, a
channel that converts badly, a complaint spike, an attribute customers rate low) touched a set
of customers in the period. The expected effect of fixing it is the revenue those customers are
expected to take with them *beyond* what a typical contacted customer would:

    effect = max(0, sum over touched customers of (p_i - p_ref) x revenue_i)

where p_i is the customer's stored churn probability (the nightly churn model), revenue_i their
365-day revenue, and p_ref the mean probability of every customer contacted in the period. A
channel that converts badly also loses orders outright: lost orders = conversations x (rest's
rate - its rate), valued at the period's mean order value, added to the effect.

This is an association, not a causal estimate: it says where the money at risk sits, which is
what a manager needs to order the work. Without churn scores the effect is 0 and the ranking
falls back to the number of customers touched; the report says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from liuke.analytics.catalogue import BY_NAME, DIMENSION_BY_NAME
from liuke.analytics.diagnosis import Finding
from liuke.commerce.models import Order
from liuke.complaints.models import Case, ComplaintAlert
from liuke.conversations.models import Conversation
from liuke.crm.models import CustomerScore
from liuke.quality.service import AgentQuality
from liuke.reports.document import Recommendation
from liuke.surveys.models import QuestionnaireVersion, SurveyResponse
from liuke.surveys.service import SATISFIED_AT
from liuke.workspaces.clock import local_bounds, zone_of

if TYPE_CHECKING:
    from liuke.reports.builder import Build

MAX_RECOMMENDATIONS = 8
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


@dataclass
class _Period:
    """The period's conversations and scores, read once for every candidate."""

    conversations: list[tuple[int | None, int, int | None, int, int | None, str, int | None]]
    scores: dict[int, tuple[float, float]]  # customer -> (churn probability, revenue)
    order_value: float


def _state(b: Build) -> _Period:
    cached = b.cache.get("effects")
    if isinstance(cached, _Period):
        return cached
    zone = zone_of(b.s, b.workspace_id)
    lo, hi = local_bounds(zone, b.period.start, b.period.end)
    rows = []
    for cust, at, agent, channel, group, line, status in b.s.execute(
        select(
            Conversation.customer_id,
            Conversation.created_at,
            Conversation.assignee_id,
            Conversation.channel_id,
            Conversation.skill_group_id,
            Conversation.product_line_id,
            Conversation.status,
        ).where(
            Conversation.workspace_id == b.workspace_id,
            Conversation.created_at >= lo,
            Conversation.created_at < hi,
        )
    ):
        rows.append((cust, at.astimezone(zone).hour, agent, channel, group, status, line))
    scores = {
        int(c): (float(p or 0.0), float(m or 0))
        for c, p, m in b.s.execute(
            select(
                CustomerScore.customer_id,
                CustomerScore.churn_probability,
                CustomerScore.monetary,
            ).where(
                CustomerScore.workspace_id == b.workspace_id,
                CustomerScore.churn_probability.is_not(None),
            )
        )
    }
    n, total = b.s.execute(
        select(func.count(), func.coalesce(func.sum(Order.amount), 0)).where(
            Order.workspace_id == b.workspace_id,
            Order.status == "paid",
            Order.ordered_at >= lo,
            Order.ordered_at < hi,
        )
    ).one()
    state = _Period(rows, scores, float(total or 0) / int(n) if n else 0.0)
    b.cache["effects"] = state
    return state


def _touched(b: Build, dimension: str, key: Any, metric: str | None = None) -> set[int]:
    """Customers whose conversations in the period fall in the finding's row."""
    column = {"hour": 1, "agent": 2, "channel": 3, "skill_group": 4, "product_line": 6}.get(
        dimension
    )
    if column is None:
        return set()
    out = set()
    for row in _state(b).conversations:
        if row[0] is None or str(row[column]) != str(key):
            continue
        if metric == "missed_rate" and row[5] != "abandoned":
            continue
        out.add(int(row[0]))
    return out


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
    if f.dimension not in ("agent", "hour", "channel", "skill_group", "product_line"):
        return None
    metric = BY_NAME[f.metric]
    from liuke.reports.builder import UNIT_KIND, _finding_label, show

    kind = UNIT_KIND[metric.unit]
    label = _finding_label(b, f)
    dim = DIMENSION_BY_NAME[f.dimension].label(b.locale)
    evidence = b.t(
        f"{metric.label(b.locale)} {show(f.value, kind)}，其余 {show(f.rest, kind)}（{f.units} 个样本）",
        f"{metric.label(b.locale)} {show(f.value, kind)} vs {show(f.rest, kind)} ({f.units} units)",
    )
    direct = 0.0
    if f.metric == "conversion_rate":
        direct = max(0.0, f.rest - f.value) * f.units * _state(b).order_value
    return Candidate(
        (f.dimension, str(f.key)),
        b.t(f"{dim}「{label}」", f"{dim} '{label}'"),
        [evidence],
        _action(b, f.dimension, label, f.metric),
        "quality" if f.dimension == "agent" else "service",
        _touched(b, f.dimension, f.key, f.metric),
        direct,
    )


def attitude_candidate(b: Build, a: AgentQuality, others: float) -> Candidate:
    dim = DIMENSION_BY_NAME["agent"].label(b.locale)
    return Candidate(
        ("agent", str(a.agent_id)),
        b.t(f"{dim}「{a.name}」", f"{dim} '{a.name}'"),
        [
            b.t(
                f"态度问题率 {a.rate('attitude') * 100:.1f}%，其他人 {others * 100:.1f}%",
                f"attitude hits {a.rate('attitude') * 100:.1f}% vs {others * 100:.1f}% for the others",
            )
        ],
        b.t(
            f"立即复核 {a.name} 的会话并进行服务态度辅导；辅导完成前由组长抽检。",
            f"Review {a.name}'s conversations now and coach on attitude; a team lead spot-checks until done.",
        ),
        "quality",
        _touched(b, "agent", a.agent_id),
    )


def alert_candidate(b: Build, alert: ComplaintAlert, label: str) -> Candidate:
    """Customers who complained in the alert's cell over its days."""
    zone = zone_of(b.s, b.workspace_id)
    lo, hi = local_bounds(zone, alert.first_period, alert.last_period)
    stmt = select(Case.customer_id).where(
        Case.workspace_id == b.workspace_id,
        Case.kind == "complaint",
        Case.received_at >= lo,
        Case.received_at < hi,
        Case.customer_id.is_not(None),
    )
    if (cat := alert.cell.get("category")) is not None:
        stmt = stmt.where(Case.category == cat)
    if (line := alert.cell.get("product_line_id")) is not None:
        stmt = stmt.where(Case.product_line_id == line)
    customers = {int(c) for c in b.s.scalars(stmt) if c is not None}
    return Candidate(
        ("alert", alert.cell_key),
        b.t(f"投诉异常「{label}」", f"Complaint spike '{label}'"),
        [
            b.t(
                f"{alert.first_period}–{alert.last_period} 峰值 {alert.peak_count} 件，中心线 {alert.center:.1f}",
                f"{alert.first_period}–{alert.last_period}, peak {alert.peak_count} against a center of {alert.center:.1f}",
            )
        ],
        b.t(
            f"由{alert.department or '负责部门'}追查根因（批次、供应商、出厂检验），并对涉及客户主动补救回访。",
            f"{alert.department or 'The owner'} traces the root cause (batch, supplier, outgoing inspection); reach out to the customers affected.",
        ),
        "complaints",
        customers,
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
    )  # fmt: skip


def rank(b: Build, candidates: list[Candidate]) -> list[Recommendation]:
    """Merge candidates per target, value them, and keep the largest effects first."""
    merged: dict[tuple[str, str], Candidate] = {}
    for c in candidates:
        if c.target in merged:
            m = merged[c.target]
            m.evidence += [e for e in c.evidence if e not in m.evidence]
            m.customers |= c.customers
            m.direct += c.direct
            if c.source in ("quality", "complaints"):  # the more specific action wins
                m.action = c.action
        else:
            merged[c.target] = Candidate(
                c.target, c.title, list(c.evidence), c.action, c.source, set(c.customers), c.direct
            )
    if not merged:
        return []
    state = _state(b)
    contacted = {row[0] for row in state.conversations if row[0] is not None}
    probs = [state.scores[c][0] for c in contacted if c in state.scores]
    p_ref = sum(probs) / len(probs) if probs else 0.0
    valued = []
    for c in merged.values():
        excess = sum(
            (state.scores[x][0] - p_ref) * state.scores[x][1]
            for x in c.customers
            if x in state.scores
        )
        valued.append((max(0.0, excess) + c.direct, c))
    valued.sort(key=lambda v: (-v[0], -len(v[1].customers), v[1].title))
    from liuke.reports.builder import show

    out = []
    for i, (effect, c) in enumerate(valued[:MAX_RECOMMENDATIONS], start=1):
        text = (
            b.t(f"涉及 {len(c.customers)} 位客户，预计超额流失营收 {show(effect, 'money')}", f"{len(c.customers)} customers touched, {show(effect, 'money')} excess revenue at risk")
            if state.scores
            else b.t(f"涉及 {len(c.customers)} 位客户（尚无流失评分，按人数排序）", f"{len(c.customers)} customers touched (no churn scores yet: ranked by customers)")
        )  # fmt: skip
        out.append(
            Recommendation(
                rank=i,
                title=c.title,
                evidence="；".join(c.evidence) if b.zh else "; ".join(c.evidence),
                action=c.action,
                effect=round(effect, 2),
                effect_text=text,
                customers=len(c.customers),
                source=c.source,
            )
        )
    return out
