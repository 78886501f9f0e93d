"""The simulated shop's surveys, written after the conversations exist.

The conversation engine already decided which resolved conversations answered a CSAT survey
and their headline score (``conversations.meta["csat"]``). This module turns that into survey
rows: every resolved or closed conversation was invited (in the chat widget for web and API
conversations, by e-mail for e-mail conversations with an address, else by link) and only the
surveyed ones answered, so the response rate is what the engine's survey shares imply (about a
third, higher after a bad experience). Each answer rates four attributes, drawn from what
happened in that conversation (read back from its own rows) blended with the customer's overall
score. A sample of conversations also answered a CES question, and a sample of customers a
periodic NPS survey. Every draw has its own seeded stream per conversation or customer, so
the figures are the same for a seed whatever else the world holds. (Tokens are random: they are
secrets, not figures.)

Planted for the importance-performance analysis (``PLANTED_IPA``):

* speed (响应速度) is the most important attribute and under-performs: its score follows the
  real wait for the first agent reply, and it carries the largest share of the overall score;
  it must come out important with a share satisfied at or below the 85 % target (a gap);
* attitude (服务态度) is important too but performs well, except where the rude agent spoke
  (a rude reply scores 1-2): "keep up the good work";
* resolution (问题解决: lower after each transfer, after a complaint or a bot hand-off) and
  expertise (专业程度) matter less.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liuke.conversations.models import Channel, Conversation, ConversationLabel, Message
from liuke.customers.models import Customer
from liuke.simulate.signals import PLANTED
from liuke.simulate.text import contains_rude_phrase
from liuke.simulate.world import insert_rows, reserve_ids, table_of
from liuke.surveys import service
from liuke.surveys.models import Questionnaire, SurveyInvitation, SurveyResponse

# the share of the customer's overall score each attribute carries (the rest: what happened)
HALO = {"speed": 0.55, "attitude": 0.35, "resolution": 0.25, "expertise": 0.10}
NOISE = {"speed": 0.6, "attitude": 0.45, "resolution": 0.6, "expertise": 0.6}
SKIP_ATTRIBUTES = 0.15  # respondents who answer only the headline question
CES_SHARE = 0.2  # conversations also asked how easy it was
CES_ANSWER = 0.8  # of those who answered the CSAT
NPS_SHARE = 0.3  # customers with a conversation asked for NPS once in the window
NPS_ANSWER = 0.35
EMAIL_BOUNCE = 0.02  # e-mail invitations that fail (mailbox unavailable)
PLANTED_IPA: dict[str, Any] = {
    "gap": ["speed"],
    "important": ["speed", "attitude"],
    "keep_up": ["attitude"],
    "halo": HALO,
    "target": 0.85,
}
COMMENTS = {
    "speed": ("等了太久才有人回复", "I waited far too long for a reply"),
    "attitude": ("客服态度很差", "The agent was rude"),
    "resolution": ("转了好几次也没解决", "Passed around and still not solved"),
    "expertise": ("客服对产品不太了解", "The agent did not know the product"),
    "good": ("很满意，谢谢！", "Very happy, thanks!"),
}
NPS_REASONS = {
    "promoter": ("服务好，发货快", "Good service and fast delivery"),
    "passive": ("还可以，价格有点高", "Fine, a bit expensive"),
    "detractor": ("客服体验差，不会再来了", "Poor service; I will not be back"),
}


@dataclass
class SurveysWritten:
    """What was written, and the planted IPA signal the analysis must find."""

    invitations: int = 0
    responses: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (sent, answered)
    planted: dict[str, Any] = field(default_factory=lambda: dict(PLANTED_IPA))
    skipped: bool = False


@dataclass(frozen=True)
class _Conv:
    id: int
    customer_id: int | None
    agent_id: int | None
    channel_kind: str
    status: str
    created_at: datetime
    ended_at: datetime | None
    transfers: int
    meta: dict[str, Any]


def _clamp(x: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(x)))


def _speed_base(wait_ratio: float | None) -> float:
    """What the first-reply wait earns, as a 1-5 score (bot-only conversations: instant)."""
    if wait_ratio is None:
        return 4.6
    for limit, score in ((0.1, 4.5), (0.3, 3.9), (0.6, 3.3), (1.0, 2.8)):
        if wait_ratio <= limit:
            return score
    return 1.8


def attribute_bases(
    *,
    wait_ratio: float | None,
    rude: bool,
    transfers: int,
    complaint: bool,
    bot: str | None,
) -> dict[str, float]:
    """The 1-5 score each attribute earns from what happened in the conversation."""
    resolution = (
        4.6 - 0.9 * transfers - (0.6 if complaint else 0) - (0.4 if bot == "handoff" else 0)
    )
    expertise = 4.1 if bot == "resolved" else 3.7 if bot == "handoff" else 4.4
    return {
        "speed": _speed_base(wait_ratio),
        "attitude": 1.5 if rude else (4.5 if complaint else 4.85),
        "expertise": expertise - (0.4 if complaint else 0),
        "resolution": max(1.0, resolution),
    }


def _lang(meta: dict[str, Any]) -> int:
    return 1 if meta.get("lang") == "en" else 0


def write_surveys(s: Session, workspace_id: int, seed: int) -> SurveysWritten:
    """Write the simulated world's survey invitations and answers (see the module docstring).

    Runs once per workspace: if the simulator's survey rows are there already, nothing is
    written and ``skipped`` is True.
    """
    already = s.scalar(
        select(func.count())
        .select_from(SurveyInvitation)
        .where(
            SurveyInvitation.workspace_id == workspace_id,
            SurveyInvitation.trigger.in_(("resolved", "periodic")),
        )
    )
    if already:
        return SurveysWritten(skipped=True)
    qs = service.ensure_defaults(s, workspace_id)
    convs = _conversations(s, workspace_id)
    if not convs:
        return SurveysWritten()
    world_end = max(c.ended_at or c.created_at for c in convs)
    complaint = set(
        s.scalars(
            select(ConversationLabel.conversation_id).where(
                ConversationLabel.workspace_id == workspace_id,
                ConversationLabel.label == "complaint",
            )
        )
    )
    first_agent = dict(
        s.execute(
            select(Message.conversation_id, func.min(Message.created_at))
            .where(Message.workspace_id == workspace_id, Message.sender_type == "agent")
            .group_by(Message.conversation_id)
        ).all()
    )
    ended = [c for c in convs if c.status in ("resolved", "closed") and c.ended_at is not None]
    answered_ids = [c.id for c in ended if isinstance(c.meta.get("csat"), int)]
    rude = _rude(s, workspace_id, answered_ids)
    emails = set(
        s.scalars(
            select(Customer.id).where(
                Customer.workspace_id == workspace_id, Customer.email.is_not(None)
            )
        )
    )

    invitations: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    out = SurveysWritten()

    def add(
        q: Questionnaire,
        c_customer: int | None,
        c_conv: int | None,
        agent: int | None,
        channel: str,
        trigger: str,
        sent: datetime,
        answer: dict[str, Any] | None,
        comment: str,
        answered_at: datetime | None,
        failed: bool = False,
    ) -> None:
        expires = sent + timedelta(days=service.EXPIRY_DAYS[q.kind])
        status = (
            "failed"
            if failed
            else "answered"
            if answer is not None
            else ("expired" if expires < world_end else "sent")
        )
        inv = {
            "workspace_id": workspace_id,
            "questionnaire_id": q.id,
            "version": q.current_version,
            "kind": q.kind,
            "customer_id": c_customer,
            "conversation_id": c_conv,
            "agent_id": agent,
            "channel": channel,
            "trigger": trigger,
            "token": secrets.token_urlsafe(24),
            "status": status,
            "error": "550 mailbox unavailable" if failed else "",
            "sent_at": sent,
            "expires_at": expires,
            "answered_at": answered_at if answer is not None else None,
        }
        invitations.append(inv)
        sent_n, ans_n = out.by_kind.get(q.kind, (0, 0))
        out.by_kind[q.kind] = (sent_n + (0 if failed else 1), ans_n + (answer is not None))
        if answer is None:
            return
        head = "overall" if q.kind == "csat" else "recommend" if q.kind == "nps" else "effort"
        responses.append(
            {
                "_inv": len(invitations) - 1,
                "workspace_id": workspace_id,
                "questionnaire_id": q.id,
                "version": q.current_version,
                "kind": q.kind,
                "customer_id": c_customer,
                "conversation_id": c_conv,
                "agent_id": agent,
                "channel": channel,
                "score": float(answer[head]),
                "answers": answer,
                "comment": comment,
                "submitted_at": answered_at,
            }
        )

    def delays(rng: random.Random, channel: str) -> tuple[int, int]:
        sent = rng.randint(3, 30) if channel == "widget" else rng.randint(60, 1800)
        if channel == "widget":
            return sent, rng.randint(10, 900)
        return sent, rng.randint(600, 2 * 86_400)

    for c in ended:
        rng = random.Random(f"{seed}:survey:{c.id}")
        assert c.ended_at is not None
        if c.channel_kind in ("web", "api"):
            channel = "widget"
        elif c.channel_kind == "email" and c.customer_id in emails:
            channel = "email"
        else:
            channel = "link"
        sent_s, answer_s = delays(rng, channel)
        sent = min(c.ended_at + timedelta(seconds=sent_s), world_end)
        at = min(sent + timedelta(seconds=answer_s), world_end)
        csat = c.meta.get("csat")
        lang = _lang(c.meta)
        is_complaint = c.id in complaint
        threshold = PLANTED.long_wait_email_s if c.channel_kind == "email" else PLANTED.long_wait_s
        fa = first_agent.get(c.id)
        wait_ratio = (
            None if fa is None else max(0.0, (fa - c.created_at).total_seconds()) / threshold
        )
        bot = c.meta.get("bot") if isinstance(c.meta.get("bot"), str) else None
        if isinstance(csat, int):
            bases = attribute_bases(
                wait_ratio=wait_ratio,
                rude=c.id in rude,
                transfers=c.transfers,
                complaint=is_complaint,
                bot=bot,
            )
            answer: dict[str, Any] = {"overall": csat}
            if rng.random() >= SKIP_ATTRIBUTES:
                for name, w in HALO.items():
                    raw = w * csat + (1 - w) * bases[name] + rng.gauss(0, NOISE[name])
                    answer[name] = _clamp(raw, 1, 5)
            comment = ""
            if rng.random() < 0.2:
                rated = {k: v for k, v in answer.items() if k != "overall"}
                worst = min(rated, key=lambda k: (rated[k], k)) if rated else None
                key = worst if worst is not None and rated[worst] <= 2 else "good"
                if csat <= 3 and key == "good":
                    key = "resolution"
                comment = COMMENTS[key][lang]
                answer["comment"] = comment
            add(
                qs["csat"],
                c.customer_id,
                c.id,
                c.agent_id,
                channel,
                "resolved",
                sent,
                answer,
                comment,
                at,
            )
        else:
            bounce = channel == "email" and rng.random() < EMAIL_BOUNCE
            add(
                qs["csat"],
                c.customer_id,
                c.id,
                c.agent_id,
                channel,
                "resolved",
                sent,
                None,
                "",
                None,
                bounce,
            )
        if rng.random() < CES_SHARE:
            ces_answer: dict[str, Any] | None = None
            if isinstance(csat, int) and rng.random() < CES_ANSWER:
                effort = (
                    6.3
                    - 1.0 * c.transfers
                    - (1.8 if wait_ratio is not None and wait_ratio > 1 else 0)
                    - (0.8 if is_complaint else 0)
                    - (0.5 if bot == "handoff" else 0)
                    + rng.gauss(0, 0.8)
                )
                ces_answer = {"effort": _clamp(effort, 1, 7)}
            add(
                qs["ces"],
                c.customer_id,
                c.id,
                c.agent_id,
                channel,
                "resolved",
                sent,
                ces_answer,
                "",
                at + timedelta(seconds=20),
            )

    _nps(convs, qs["nps"], emails, rude, complaint, first_agent, world_end, seed, add)
    _insert(s, invitations, responses)
    out.invitations, out.responses = len(invitations), len(responses)
    return out


def _conversations(s: Session, workspace_id: int) -> list[_Conv]:
    rows = s.execute(
        select(
            Conversation.id,
            Conversation.customer_id,
            Conversation.assignee_id,
            Channel.kind,
            Conversation.status,
            Conversation.created_at,
            Conversation.resolved_at,
            Conversation.closed_at,
            Conversation.transfer_count,
            Conversation.meta,
        )
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(Conversation.workspace_id == workspace_id)
        .order_by(Conversation.id)
    ).all()
    return [
        _Conv(
            int(r[0]),
            r[1],
            r[2],
            str(r[3]),
            str(r[4]),
            r[5],
            r[6] or r[7],
            int(r[8] or 0),
            dict(r[9] or {}),
        )
        for r in rows
    ]


def _rude(s: Session, workspace_id: int, conv_ids: list[int]) -> set[int]:
    """Conversations where an agent reply carried one of the planted rude phrases."""
    found: set[int] = set()
    for i in range(0, len(conv_ids), 900):
        chunk = conv_ids[i : i + 900]
        for cid, body in s.execute(
            select(Message.conversation_id, Message.body).where(
                Message.workspace_id == workspace_id,
                Message.sender_type == "agent",
                Message.conversation_id.in_(chunk),
            )
        ):
            if cid not in found and contains_rude_phrase(body):
                found.add(int(cid))
    return found


def _nps(
    convs: list[_Conv],
    q: Questionnaire,
    emails: set[int],
    rude: set[int],
    complaint: set[int],
    first_agent: dict[int, datetime],
    world_end: datetime,
    seed: int,
    add: Any,
) -> None:
    """A periodic NPS survey to a sample of the customers who contacted the shop."""
    by_customer: dict[int, list[_Conv]] = defaultdict(list)
    for c in convs:
        if c.customer_id is not None:
            by_customer[c.customer_id].append(c)
    for customer_id in sorted(by_customer):
        rng = random.Random(f"{seed}:nps:{customer_id}")
        if rng.random() >= NPS_SHARE:
            continue
        mine = by_customer[customer_id]
        sent = mine[0].created_at + timedelta(days=rng.uniform(1, 20))
        if sent > world_end:
            continue
        channel = "email" if customer_id in emails else "link"
        answered = rng.random() < NPS_ANSWER
        if not answered:
            add(q, customer_id, None, None, channel, "periodic", sent, None, "", None)
            continue

        def bad(c: _Conv) -> bool:
            fa = first_agent.get(c.id)
            limit = PLANTED.long_wait_email_s if c.channel_kind == "email" else PLANTED.long_wait_s
            slow = fa is not None and (fa - c.created_at).total_seconds() > limit
            return c.id in rude or c.id in complaint or slow or c.status == "abandoned"

        bad_share = sum(bad(c) for c in mine) / len(mine)
        csats = [c.meta["csat"] for c in mine if isinstance(c.meta.get("csat"), int)]
        latent = 8.4 - 5.0 * bad_share + rng.gauss(0, 1.4)
        if csats:
            latent += 0.8 * (sum(csats) / len(csats) - 4)
        score = _clamp(latent, 0, 10)
        group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        answer: dict[str, Any] = {"recommend": score}
        comment = ""
        if rng.random() < 0.4:
            comment = NPS_REASONS[group][_lang(mine[0].meta)]
            answer["reason"] = comment
        at = min(sent + timedelta(seconds=rng.randint(600, 3 * 86_400)), world_end)
        add(q, customer_id, None, None, channel, "periodic", sent, answer, comment, at)


def _insert(s: Session, invitations: list[dict[str, Any]], responses: list[dict[str, Any]]) -> None:
    inv_table, resp_table = table_of(SurveyInvitation), table_of(SurveyResponse)
    ids = reserve_ids(s, inv_table, len(invitations))
    for i, row in zip(ids, invitations, strict=True):
        row["id"] = i
    insert_rows(s, inv_table, invitations)
    rows = []
    for r in responses:
        inv_id = invitations[r.pop("_inv")]["id"]
        rows.append({"invitation_id": inv_id, **r})
    insert_rows(s, resp_table, rows)
    s.flush()
