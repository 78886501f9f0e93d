"""The churn model's feature table, read from the operational tables in a few SQL queries.

``feature_frame(s, workspace_id, as_of)`` returns one row per customer of the workspace
(customers created at or before ``as_of``), indexed by customer id, with the columns of
``CHURN_SPEC``. It never queries per customer: each source table is read once with one
(windowed, workspace-scoped) query and aggregated in pandas, so the 20,000 customers and
150,000 conversations of the demo take a few seconds.

**Observation points.** Every customer can be observed at their *own* moment:
``observe_at`` (a Series of aware UTC datetimes indexed by customer id) replaces ``as_of`` for
the customers it names. Only what was known then counts: orders at or before that moment,
conversations created at or before it (their outcome -- wait, abandonment, transfers, CSAT,
quality hits -- is the conversation's own and known when it ends), complaints received by then
and still unresolved ``RESOLUTION_GRACE`` after it, survey answers submitted within the grace.
Windows (``SERVICE_DAYS``, ``PURCHASE_DAYS``) end at the observation point. ``risk.train``
uses this to observe churned customers at their churn date and retained ones at matched
moments (see ``docs/retention.md``); scoring observes everyone at ``as_of``.

There is deliberately **no "days since the last contact" or "days since the last activity"**
feature: a churned customer's churn date is their last activity, so at that moment such a
feature is 0 for every churner -- the label written as a feature.

Reason groups (``REASON_GROUPS``): purchases, service experience, complaints, surveys, profile;
``CATEGORY_OF`` maps each column to its group, and every column has a Chinese and an English
label (``CHURN_LABELS``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Executable, func, select
from sqlalchemy.orm import Session

from liuke.commerce.models import Order
from liuke.complaints.models import Case
from liuke.conversations.models import Channel, Conversation, ConversationLabel, Message
from liuke.crm.churn import FeatureSpec
from liuke.customers.models import Customer
from liuke.quality.models import InspectionHit
from liuke.surveys.models import SurveyResponse

__all__ = [
    "CATEGORY_LABELS",
    "CATEGORY_OF",
    "CHURN_LABELS",
    "CHURN_SPEC",
    "LAST_CONTACT_ISSUES",
    "LONG_WAIT_SECONDS",
    "PURCHASE_DAYS",
    "QUALITY_HIT_KINDS",
    "REASON_GROUPS",
    "RESOLUTION_GRACE",
    "SERVICE_DAYS",
    "TIER_VALUES",
    "VALUE_LABELS",
    "feature_frame",
]

SERVICE_DAYS = 90
"""Window of the contact, wait, transfer, quality and complaint counts."""
PURCHASE_DAYS = 365
"""Window of orders, revenue, refunds and CSAT."""
RESOLUTION_GRACE = timedelta(days=1)
"""A complaint resolved (or a survey answered) within this long after the observation point
counts as known then: the conversation that ends with the churn is resolved seconds later."""
LONG_WAIT_SECONDS: dict[str, int] = {"email": 86_400, "default": 300}
"""First agent reply later than this after the contact started is a long wait (per channel
kind; the chat standard of 5 minutes, a day on email)."""
QUALITY_HIT_KINDS = ("attitude", "forbidden_phrase")
"""Inspection rule kinds that mean the agent was rude (overturned hits do not count)."""

REASON_GROUPS: dict[str, tuple[str, str]] = {
    "purchases": ("购买行为", "purchases"),
    "service": ("服务体验", "service experience"),
    "complaints": ("投诉", "complaints"),
    "surveys": ("满意度调查", "surveys"),
    "profile": ("客户档案", "profile"),
}
"""Reason group key -> (Chinese, English) label."""
CATEGORY_LABELS = REASON_GROUPS

NUMERIC = (
    "recency_days",
    "orders_365",
    "revenue_365",
    "refunds_365",
    "contacts_90",
    "bad_contacts_90",
    "long_waits_90",
    "abandoned_90",
    "transfers_90",
    "quality_hits_90",
    "complaints_90",
    "unresolved_complaints",
    "csat_mean",
    "csat_last",
    "nps_last",
    "tenure_days",
)
CATEGORICAL = ("last_contact_issue", "tier")

CATEGORY_OF: dict[str, str] = {
    "recency_days": "purchases",
    "orders_365": "purchases",
    "revenue_365": "purchases",
    "refunds_365": "purchases",
    "contacts_90": "service",
    "bad_contacts_90": "service",
    "long_waits_90": "service",
    "abandoned_90": "service",
    "transfers_90": "service",
    "quality_hits_90": "service",
    "complaints_90": "complaints",
    "unresolved_complaints": "complaints",
    "csat_mean": "surveys",
    "csat_last": "surveys",
    "nps_last": "surveys",
    "tenure_days": "profile",
    "last_contact_issue": "service",
    "tier": "profile",
}

CHURN_LABELS: dict[str, tuple[str, str]] = {
    "recency_days": ("距上次购买天数", "days since the last purchase"),
    "orders_365": ("近一年订单数", "orders in the last year"),
    "revenue_365": ("近一年消费金额", "revenue in the last year"),
    "refunds_365": ("近一年退款订单数", "refunded orders in the last year"),
    "contacts_90": ("近90天咨询次数", "contacts in the last 90 days"),
    "bad_contacts_90": (
        "近90天服务出问题的咨询次数",
        "contacts that went wrong in the last 90 days",
    ),
    "long_waits_90": ("近90天长时间等待次数", "long waits for an agent in the last 90 days"),
    "abandoned_90": ("近90天未接通/放弃的咨询", "abandoned contacts in the last 90 days"),
    "transfers_90": ("近90天转接次数", "transfers in the last 90 days"),
    "quality_hits_90": ("近90天遭遇服务态度问题", "rude-agent quality hits in the last 90 days"),
    "complaints_90": ("近90天投诉次数", "complaints in the last 90 days"),
    "unresolved_complaints": ("未解决的投诉", "unresolved complaints"),
    "csat_mean": ("平均满意度(CSAT)", "mean CSAT"),
    "csat_last": ("最近一次满意度(CSAT)", "last CSAT"),
    "nps_last": ("最近一次NPS", "last NPS"),
    "tenure_days": ("注册天数", "days since sign-up"),
    "last_contact_issue": ("最近一次咨询遇到的问题", "what went wrong in the last contact"),
    "tier": ("客户等级", "customer tier"),
}
LAST_CONTACT_ISSUES: dict[str, tuple[str, str]] = {
    "rude_agent": ("客服态度差", "rude agent"),
    "unresolved_complaint": ("投诉未解决", "complaint left unresolved"),
    "abandoned": ("无人接待/放弃", "abandoned, nobody answered"),
    "long_wait": ("等待过久", "waited too long for an agent"),
    "none": ("无问题", "nothing went wrong"),
    "no_contact": ("近90天无咨询", "no contact in 90 days"),
}
"""Values of ``last_contact_issue`` (the worst, in this order) and their labels."""
TIER_VALUES: dict[str, tuple[str, str]] = {
    "key_account": ("大客户", "key account"),
    "ordinary": ("普通客户", "ordinary"),
}
VALUE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "last_contact_issue": LAST_CONTACT_ISSUES,
    "tier": TIER_VALUES,
}
"""How a categorical feature's values read in a reason, per feature."""

CHURN_SPEC = FeatureSpec(NUMERIC, CATEGORICAL, dict(CHURN_LABELS))
"""What ``risk.train`` fits: every column is its own reason; ``CATEGORY_OF`` groups them."""

DAY_S = 86_400.0


def _frame(s: Session, stmt: Executable, columns: list[str]) -> pd.DataFrame:
    rows = s.execute(stmt).all()
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)


def _ts(col: pd.Series) -> pd.Series:
    """Aware datetimes (or None) -> float epoch seconds (NaN for None)."""
    if col.empty:
        return col.astype(np.float64)
    return col.map(lambda v: np.nan if v is None or v is pd.NaT else v.timestamp()).astype(
        np.float64
    )


def _with_obs(events: pd.DataFrame, obs: pd.Series) -> pd.DataFrame:
    """Events of known customers with their observation point (epoch s) as column ``obs``."""
    if events.empty:
        return events.assign(obs=np.empty(0, dtype=np.float64))
    out = events[events["customer_id"].isin(obs.index)].copy()
    out["obs"] = obs.reindex(out["customer_id"]).to_numpy()
    return out


def _count(
    index: pd.Index, df: pd.DataFrame, mask: pd.Series | np.ndarray | None = None
) -> pd.Series:
    sub = df if mask is None else df[mask]
    return sub.groupby("customer_id").size().reindex(index, fill_value=0).astype(np.float64)


def feature_frame(
    s: Session,
    workspace_id: int,
    as_of: datetime,
    observe_at: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per customer created at or before ``as_of`` (index: customer id, sorted), the
    columns of ``CHURN_SPEC`` plus ``observed_at`` (the observation point used)."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware UTC datetime")
    cust = _frame(
        s,
        select(Customer.id, Customer.tier, Customer.created_at).where(
            Customer.workspace_id == workspace_id, Customer.created_at <= as_of
        ),
        ["customer_id", "tier", "created_at"],
    )
    cust = cust.sort_values("customer_id").set_index("customer_id")
    index = cust.index
    obs = pd.Series(as_of.timestamp(), index=index, dtype=np.float64)
    if observe_at is not None and len(observe_at):
        given = _ts(pd.Series(list(observe_at.to_numpy()), index=observe_at.index))
        given = given[given.index.isin(index)]
        obs.loc[given.index] = np.minimum(given.to_numpy(), as_of.timestamp())
    start = datetime.fromtimestamp(
        float(obs.min()) if len(obs) else as_of.timestamp(), as_of.tzinfo
    )
    since_buy = start - timedelta(days=PURCHASE_DAYS)
    grace = RESOLUTION_GRACE.total_seconds()
    out = pd.DataFrame(index=index)

    # ------------------------------------------------------------------ purchases
    orders = _frame(
        s,
        select(Order.customer_id, Order.status, Order.amount, Order.ordered_at).where(
            Order.workspace_id == workspace_id,
            Order.ordered_at <= as_of,
            Order.ordered_at > since_buy,
        ),
        ["customer_id", "status", "amount", "t"],
    )
    orders["t"] = _ts(orders["t"])
    orders["amount"] = pd.to_numeric(orders["amount"], errors="coerce").astype(np.float64)
    o = _with_obs(orders, obs)
    o = o[(o["t"] <= o["obs"]) & (o["t"] > o["obs"] - PURCHASE_DAYS * DAY_S)]
    paid = o[o["status"] == "paid"]
    last_paid = paid.groupby("customer_id")["t"].max().reindex(index)
    out["recency_days"] = (obs - last_paid) / DAY_S
    out["orders_365"] = _count(index, paid)
    out["revenue_365"] = paid.groupby("customer_id")["amount"].sum().reindex(index, fill_value=0.0)
    out["refunds_365"] = _count(index, o, o["status"] == "refunded")

    # ------------------------------------------------------------------ service experience
    since_srv = start - timedelta(days=SERVICE_DAYS)
    first_agent = (
        select(Message.conversation_id, func.min(Message.created_at).label("first_agent"))
        .where(Message.workspace_id == workspace_id, Message.sender_type == "agent")
        .group_by(Message.conversation_id)
        .subquery()
    )
    conv = _frame(
        s,
        select(
            Conversation.id,
            Conversation.customer_id,
            Conversation.created_at,
            Conversation.resolved_at,
            Conversation.status,
            Conversation.transfer_count,
            Conversation.timing_known,
            Channel.kind,
            first_agent.c.first_agent,
        )
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(first_agent, first_agent.c.conversation_id == Conversation.id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.customer_id.is_not(None),
            Conversation.created_at <= as_of,
            Conversation.created_at > since_srv,
        ),
        [
            "conversation_id",
            "customer_id",
            "t",
            "resolved",
            "status",
            "transfers",
            "timing_known",
            "kind",
            "first_agent",
        ],
    )
    for col in ("t", "resolved", "first_agent"):
        conv[col] = _ts(conv[col])
    c = _with_obs(conv, obs)
    c = c[(c["t"] <= c["obs"]) & (c["t"] > c["obs"] - SERVICE_DAYS * DAY_S)]
    limit = c["kind"].map(LONG_WAIT_SECONDS).fillna(LONG_WAIT_SECONDS["default"])
    wait = c["first_agent"] - c["t"]
    long_wait = (wait > limit) & c["timing_known"].astype(bool)
    out["contacts_90"] = _count(index, c)
    out["long_waits_90"] = _count(index, c, long_wait)
    out["abandoned_90"] = _count(index, c, c["status"] == "abandoned")
    out["transfers_90"] = (
        c.groupby("customer_id")["transfers"].sum().reindex(index, fill_value=0).astype(float)
    )

    hits = _frame(
        s,
        select(Conversation.customer_id, Conversation.created_at, InspectionHit.conversation_id)
        .join(Conversation, Conversation.id == InspectionHit.conversation_id)
        .where(
            InspectionHit.workspace_id == workspace_id,
            InspectionHit.kind.in_(QUALITY_HIT_KINDS),
            func.coalesce(InspectionHit.verdict, "") != "overturned",
            Conversation.customer_id.is_not(None),
            Conversation.created_at <= as_of,
            Conversation.created_at > since_srv,
        )
        .distinct(),
        ["customer_id", "t", "conversation_id"],
    )
    hits["t"] = _ts(hits["t"])
    h = _with_obs(hits, obs)
    h = h[(h["t"] <= h["obs"]) & (h["t"] > h["obs"] - SERVICE_DAYS * DAY_S)]
    out["quality_hits_90"] = (
        h.groupby("customer_id")["conversation_id"].nunique().reindex(index, fill_value=0)
    ).astype(float)

    # ------------------------------------------------------------------ complaints
    labelled = _frame(
        s,
        select(ConversationLabel.conversation_id).where(
            ConversationLabel.workspace_id == workspace_id,
            ConversationLabel.label == "complaint",
        ),
        ["conversation_id"],
    )
    cases = _frame(
        s,
        select(Case.customer_id, Case.conversation_id, Case.received_at, Case.resolved_at).where(
            Case.workspace_id == workspace_id,
            Case.kind == "complaint",
            Case.merged_into_id.is_(None),
            Case.customer_id.is_not(None),
            Case.received_at <= as_of,
            Case.received_at > since_buy,
        ),
        ["customer_id", "conversation_id", "t", "resolved"],
    )
    cases["t"] = _ts(cases["t"])
    cases["resolved"] = _ts(cases["resolved"])
    # one complaint per complaint conversation (resolved at the earliest of the conversation
    # and its case), plus the cases that came without a conversation
    comp_conv = conv[conv["conversation_id"].isin(set(labelled["conversation_id"]))]
    comp_conv = comp_conv[["conversation_id", "customer_id", "t", "resolved"]]
    case_res = cases.dropna(subset=["conversation_id"]).groupby("conversation_id")["resolved"].min()
    comp_conv = comp_conv.assign(
        resolved=np.fmin(
            comp_conv["resolved"].to_numpy(),
            case_res.reindex(comp_conv["conversation_id"]).to_numpy(),
        )
    )
    other_cases = cases[~cases["conversation_id"].isin(set(comp_conv["conversation_id"]))]
    complaints = pd.concat(
        [
            comp_conv[["customer_id", "t", "resolved"]],
            other_cases[["customer_id", "t", "resolved"]],
        ],
        ignore_index=True,
    )
    k = _with_obs(complaints, obs)
    k = k[k["t"] <= k["obs"]]
    open_then = k["resolved"].isna() | (k["resolved"] > k["obs"] + grace)
    out["complaints_90"] = _count(index, k, k["t"] > k["obs"] - SERVICE_DAYS * DAY_S)
    out["unresolved_complaints"] = _count(index, k, open_then)

    # the last contact's worst issue (the moment a churner left is their last contact)
    res = case_res.reindex(c["conversation_id"]).to_numpy()
    resolved = np.fmin(c["resolved"].to_numpy(), res)
    unresolved = c["conversation_id"].isin(set(comp_conv["conversation_id"])).to_numpy() & (
        np.isnan(resolved) | (resolved > c["obs"].to_numpy() + grace)
    )
    rude = c["conversation_id"].isin(set(h["conversation_id"])).to_numpy()
    issue = np.select(
        [rude, unresolved, (c["status"] == "abandoned").to_numpy(), long_wait.to_numpy()],
        ["rude_agent", "unresolved_complaint", "abandoned", "long_wait"],
        default="none",
    )
    last = (
        c.assign(issue=issue)
        .sort_values(["customer_id", "t", "conversation_id"], kind="stable")
        .groupby("customer_id")["issue"]
        .last()
    )
    out["last_contact_issue"] = last.reindex(index).fillna("no_contact").astype(object)
    out["bad_contacts_90"] = _count(index, c, issue != "none")

    # ------------------------------------------------------------------ surveys
    responses = _frame(
        s,
        select(
            SurveyResponse.customer_id,
            SurveyResponse.kind,
            SurveyResponse.score,
            SurveyResponse.submitted_at,
        ).where(
            SurveyResponse.workspace_id == workspace_id,
            SurveyResponse.customer_id.is_not(None),
            SurveyResponse.score.is_not(None),
            SurveyResponse.kind.in_(("csat", "nps")),
            SurveyResponse.submitted_at <= as_of + RESOLUTION_GRACE,
            SurveyResponse.submitted_at > since_buy,
        ),
        ["customer_id", "kind", "score", "t"],
    )
    responses["t"] = _ts(responses["t"])
    responses["score"] = pd.to_numeric(responses["score"], errors="coerce")
    csat = responses[responses["kind"] == "csat"][["customer_id", "score", "t"]]
    if csat.empty:  # no CSAT answers stored yet: the score the conversation recorded
        csat = _meta_csat(s, workspace_id, as_of, since_buy)
    r = _with_obs(csat, obs)
    r = r[(r["t"] <= r["obs"] + grace) & (r["t"] > r["obs"] - PURCHASE_DAYS * DAY_S)]
    r = r.sort_values(["customer_id", "t"], kind="stable")
    grouped = r.groupby("customer_id")["score"]
    out["csat_mean"] = grouped.mean().reindex(index)
    out["csat_last"] = grouped.last().reindex(index)
    nps = _with_obs(responses[responses["kind"] == "nps"], obs)
    nps = nps[(nps["t"] <= nps["obs"] + grace) & (nps["t"] > nps["obs"] - PURCHASE_DAYS * DAY_S)]
    nps = nps.sort_values(["customer_id", "t"], kind="stable")
    out["nps_last"] = nps.groupby("customer_id")["score"].last().reindex(index)

    # ------------------------------------------------------------------ profile
    created = _ts(cust["created_at"])
    out["tenure_days"] = ((obs - created) / DAY_S).clip(lower=0)
    out["tier"] = cust["tier"].astype(object)
    for col in NUMERIC:
        out[col] = out[col].astype(np.float64)
    out["observed_at"] = pd.to_datetime(obs, unit="s", utc=True)
    return out[[*NUMERIC, *CATEGORICAL, "observed_at"]]


def _meta_csat(s: Session, workspace_id: int, as_of: datetime, since: datetime) -> pd.DataFrame:
    """CSAT recorded on the conversation (``meta['csat']``), timed at the conversation's end."""
    score = Conversation.meta["csat"].as_float()
    frame = _frame(
        s,
        select(
            Conversation.customer_id,
            score,
            func.coalesce(
                Conversation.resolved_at, Conversation.last_message_at, Conversation.created_at
            ),
        ).where(
            Conversation.workspace_id == workspace_id,
            Conversation.customer_id.is_not(None),
            Conversation.created_at <= as_of,
            Conversation.created_at > since,
            score.is_not(None),
        ),
        ["customer_id", "score", "t"],
    )
    frame["t"] = _ts(frame["t"])
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame.dropna(subset=["score"])
