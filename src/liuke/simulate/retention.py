"""The simulated shop's retention desk, after the conversations and cases exist.

What real people would have done by the last simulated day: CSAT and NPS surveys answered
(:mod:`liuke.simulate.surveys`); the shop's retention settings entered by its admin; the
nightly retention job run (churn records, profiles, the churn model, segments, follow-up
rules); lost-customer research calls (流失客户调研) that reached part of the churned customers
and recorded why they left; the follow-up visits already due, mostly done; and a win-back
offer just started to the key customers who have gone quiet. A separate
seeded stream, so the conversations never change.

The research answer follows what the customer lived through in their last contact, which is
how the planted churn works (``simulate.engine``: a bad contact triples the chance of leaving):
a rude reply mostly reads as "attitude", an unresolved product complaint as "product", a price
complaint as "price"; customers who left after a good contact name price, competitors or other
reasons. So the measured reason distribution is the planted mechanism seen through a survey.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from liuke.conversations.models import Channel, Conversation, ConversationLabel, Message
from liuke.core.db import Database, utcnow
from liuke.crm import followups, settings, winback
from liuke.crm import segment_store as store
from liuke.crm.jobs import DailyReport, run_daily
from liuke.crm.models import ChurnRecord, FollowUp
from liuke.simulate.signals import PLANTED
from liuke.simulate.surveys import SurveysWritten, write_surveys
from liuke.simulate.text import RUDE_PHRASES
from liuke.workspaces.models import Workspace

REACH_RATE = 0.65  # research calls that reach the lost customer
LONG_WAIT_S = PLANTED.long_wait_s
EMAIL_WAIT_S = PLANTED.long_wait_email_s
# (reason, weight) by what the last contact was like
ANSWERS: dict[str, Sequence[tuple[str, int]]] = {
    "rude": (("attitude", 80), ("competitor", 10), ("other", 10)),
    "product": (("product", 70), ("competitor", 20), ("price", 10)),
    "price": (("price", 70), ("competitor", 30)),
    "wait": (("attitude", 55), ("competitor", 25), ("other", 20)),
    "good": (("price", 35), ("competitor", 35), ("product", 15), ("other", 15)),
}
# the simulated shop's retention settings, as its admin would enter them: its own economics
# (yuan; margin as a share), and a visit for every customer at 60 % churn risk or more, key
# account or not (the default visits key accounts only)
SHOP_SETTINGS = {
    "acquisition_cost": "150.00",
    "retention_cost": "20.00",
    "gross_margin": 0.25,
    "high_risk": 0.6,
    "follow_up_high_risk_tiers": ["key_account", "ordinary"],
}
# what the desk's visits came to, for tasks due before the last day; the rest stay open, overdue
VISIT_DONE = 0.9
OUTCOMES: Sequence[tuple[str, int]] = (
    ("reached", 45),
    ("resolved_issue", 25),
    ("retained", 15),
    ("not_reached", 15),
)
WINBACK_SEGMENT = "rfm:key_win_back"
OTHER_DETAIL = ("搬家了，不在配送范围", "暂时不需要了", "公司统一采购", "moved abroad")


@dataclass(frozen=True)
class RetentionWork:
    daily: DailyReport
    surveys: SurveysWritten
    researched: int
    reasons: dict[str, int]
    visited: int
    campaign_id: int | None


def _last_contacts(s: Session, workspace_id: int) -> dict[int, Conversation]:
    """Each churned customer's last conversation at or before they left."""
    rows = s.execute(
        select(ChurnRecord.customer_id, ChurnRecord.churned_at, Conversation)
        .join(Conversation, Conversation.customer_id == ChurnRecord.customer_id)
        .where(
            ChurnRecord.workspace_id == workspace_id,
            Conversation.workspace_id == workspace_id,
            Conversation.created_at <= ChurnRecord.churned_at,
        )
        .order_by(ChurnRecord.customer_id, Conversation.created_at)
    ).all()
    return {cid: conv for cid, _, conv in rows}  # ordered: the last one wins


def _experience(s: Session, conversations: list[Conversation]) -> dict[int, str]:
    ids = [c.id for c in conversations]
    labels: dict[int, set[str]] = {}
    for conv_id, label in s.execute(
        select(ConversationLabel.conversation_id, ConversationLabel.label).where(
            ConversationLabel.conversation_id.in_(ids)
        )
    ):
        labels.setdefault(conv_id, set()).add(label)
    rude: set[int] = set()
    for conv_id, body in s.execute(
        select(Message.conversation_id, Message.body).where(
            Message.conversation_id.in_(ids), Message.sender_type == "agent"
        )
    ):
        if any(p in body for p in RUDE_PHRASES):
            rude.add(conv_id)
    out: dict[int, str] = {}
    for c in conversations:
        lab = labels.get(c.id, set())
        wait = (
            None
            if c.first_response_at is None
            else (c.first_response_at - c.created_at).total_seconds()
        )
        if c.id in rude or "complaint:service_attitude" in lab:
            out[c.id] = "rude"
        elif "complaint:product_quality" in lab:
            out[c.id] = "product"
        elif "complaint:price" in lab:
            out[c.id] = "price"
        elif c.status == "abandoned" or (wait is not None and wait > LONG_WAIT_S):
            out[c.id] = "wait"
        else:
            out[c.id] = "good"
    return out


def hurt_customers(s: Session, workspace_id: int, rude_agent_id: int) -> set[int]:
    """Customers with at least one bad contact by the simulator's own definition (the rude
    agent replied, the contact was abandoned, a complaint was left unresolved, or the first
    agent reply came after 300 s on chat, a day on e-mail): the ground truth the churn model's
    risk list is checked against (tests, bench/churn_eval.py)."""
    first_reply = (
        select(
            Message.conversation_id.label("cid"),
            func.min(Message.created_at).label("first"),
            func.max(case((Message.sender_user_id == rude_agent_id, 1), else_=0)).label("rude"),
        )
        .where(Message.workspace_id == workspace_id, Message.sender_type == "agent")
        .group_by(Message.conversation_id)
        .subquery()
    )
    complaint = (
        select(ConversationLabel.conversation_id)
        .where(ConversationLabel.label == "complaint")
        .scalar_subquery()
    )
    rows = s.execute(
        select(
            Conversation.customer_id,
            Conversation.created_at,
            Conversation.status,
            Conversation.resolved_at.is_(None) & Conversation.id.in_(complaint),
            Channel.kind,
            first_reply.c.first,
            first_reply.c.rude,
        )
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(first_reply, first_reply.c.cid == Conversation.id)
        .where(Conversation.workspace_id == workspace_id, Conversation.customer_id.is_not(None))
    )
    hurt: set[int] = set()
    for customer, created, status, unresolved, kind, first, rude in rows:
        limit = EMAIL_WAIT_S if kind == "email" else LONG_WAIT_S
        waited = first is not None and (first - created).total_seconds() > limit
        if rude or status == "abandoned" or unresolved or waited:
            hurt.add(int(customer))
    return hurt


def research_churn(db: Database, workspace_id: int, seed: int = 42) -> dict[str, int]:
    """Call the lost customers (in a seeded order) and record the reasons of those reached."""
    rng = random.Random(f"retention-research-{seed}")
    counts: dict[str, int] = {}
    with db.session() as s:
        last = _last_contacts(s, workspace_id)
        kinds = _experience(s, list(last.values()))
        records = list(
            s.scalars(
                select(ChurnRecord)
                .where(ChurnRecord.workspace_id == workspace_id, ChurnRecord.reason == "unknown")
                .order_by(ChurnRecord.id)
            )
        )
        for rec in records:
            if rng.random() >= REACH_RATE:
                continue
            conv = last.get(rec.customer_id)
            kind = "good" if conv is None else kinds[conv.id]
            reasons, weights = zip(*ANSWERS[kind], strict=True)
            reason = rng.choices(reasons, weights=weights)[0]
            detail = rng.choice(OTHER_DETAIL) if reason == "other" else ""
            winback.set_reason(s, workspace_id, rec.id, reason, detail=detail)
            counts[reason] = counts.get(reason, 0) + 1
    return counts


def work_retention(
    db: Database, workspace_id: int, seed: int = 42, now: datetime | None = None
) -> RetentionWork:
    with db.session() as s:
        surveys = write_surveys(s, workspace_id, seed)
        ws = s.get(Workspace, workspace_id)
        current = dict(((ws.settings if ws is not None else None) or {}).get("retention") or {})
        settings.save(s, workspace_id, {**SHOP_SETTINGS, **current})
    now = now or utcnow()
    daily = run_daily(db, workspace_id, now, train=True)
    reasons = research_churn(db, workspace_id, seed)
    visited = visit(db, workspace_id, now, seed)
    campaign = launch_campaign(db, workspace_id, now, seed)
    return RetentionWork(daily, surveys, sum(reasons.values()), reasons, visited, campaign)


def launch_campaign(db: Database, workspace_id: int, now: datetime, seed: int = 42) -> int | None:
    """The shop's manager starts a win-back offer to its key customers who have gone quiet
    (重要挽留客户), a fifth held out to measure it; None when the segment is empty."""
    with db.session() as s:
        segment = store.segment_by_code(s, workspace_id, WINBACK_SEGMENT)
        if segment is None or not store.current_members(s, workspace_id, segment.id):
            return None
        campaign = winback.create_campaign(
            s,
            workspace_id,
            name="重要挽留客户 · 满300减50",
            segment_id=segment.id,
            channel="sms",
            offer="专属满300减50券，7天有效",
            cost_per_contact=Decimal("2.00"),
            holdout_share=0.2,
            seed=seed,
        )
        winback.start_campaign(s, workspace_id, campaign.id, at=now)
        return campaign.id


def visit(db: Database, workspace_id: int, now: datetime, seed: int = 42) -> int:
    """The desk's visits: most tasks due before today were done, within a day of their due
    time, by their assignee; a few were let slip and stay open (the overdue list)."""
    rng = random.Random(f"retention-visits-{seed}")
    outcomes, weights = zip(*OUTCOMES, strict=True)
    done = 0
    with db.session() as s:
        tasks = list(
            s.scalars(
                select(FollowUp)
                .where(
                    FollowUp.workspace_id == workspace_id,
                    FollowUp.status == "open",
                    FollowUp.due_at < now - timedelta(days=1),
                )
                .order_by(FollowUp.id)
            )
        )
        for task in tasks:
            if rng.random() >= VISIT_DONE:
                continue
            at = min(task.due_at + timedelta(minutes=rng.randint(-600, 1440)), now)
            outcome = rng.choices(outcomes, weights=weights)[0]
            followups.complete(s, workspace_id, task.id, outcome, actor_id=task.assignee_id, at=at)
            done += 1
    return done
