"""Quality inspection: rules, inspecting conversations, the review queue, alerts, trends.

The only module that writes quality tables. Inspection reads conversations and messages
(read-only, through their tables) and never changes them; what other capabilities need from a
finding travels as a domain event (``quality.inspected``, ``quality.service_failure``,
``quality.anger_rising``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from liuke.conversations.models import Channel, Conversation, ConversationLabel, Message
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest, Conflict
from liuke.core.events import emit
from liuke.core.tenancy import ensure_scoped_ids, get_scoped, scoped
from liuke.customers.models import Customer
from liuke.quality.customer_emotion import CustomerEmotion, rising
from liuke.quality.inspector import Result, inspect_many
from liuke.quality.models import (
    VERDICTS,
    CoachingNote,
    Inspection,
    InspectionHit,
    InspectionRule,
    QualityAlert,
)
from liuke.quality.rules import KINDS, LIST_PARAMS, Msg, RuleSpec, Transcript, default_rules
from liuke.quality.text import normalise
from liuke.workspaces.models import User, Workspace

INSPECTED_STATUSES = ("resolved", "closed")
DEFAULT_REVIEW = {"below_score": 70, "anger": 0.85, "sample_share": 0.02}
# A cue reviewers overturn this often (with enough verdicts) stops counting in that workspace.
MUTE_PRECISION = 0.3
MUTE_MIN_VERDICTS = 5
CHUNK = 500
SCORE_BANDS = ((90, "90-100"), (80, "80-89"), (70, "70-79"), (60, "60-69"), (0, "<60"))
CHURN_WINDOW = timedelta(days=30)  # churn "after" a conversation: within this many days


# --- rules -------------------------------------------------------------------------------------


def ensure_rules(s: Session, workspace_id: int) -> list[InspectionRule]:
    """The workspace's rules, creating the default set the first time."""
    rules = list(s.scalars(scoped(InspectionRule, workspace_id).order_by(InspectionRule.id)))
    if rules:
        return rules
    for code, kind, weight, params in default_rules():
        s.add(
            InspectionRule(
                workspace_id=workspace_id,
                code=code,
                kind=kind,
                name=code,
                weight=weight,
                params=params,
            )
        )
    s.flush()
    return list(s.scalars(scoped(InspectionRule, workspace_id).order_by(InspectionRule.id)))


def _check_rule(kind: str, weight: int, max_hits: int, params: dict[str, Any]) -> None:
    if kind not in KINDS:
        raise BadRequest(detail=f"unknown rule kind {kind!r}; one of {', '.join(KINDS)}")
    if not 0 <= weight <= 100:
        raise BadRequest(detail="weight must be between 0 and 100")
    if not 1 <= max_hits <= 50:
        raise BadRequest(detail="max_hits must be between 1 and 50")
    for key, value in params.items():
        if key in LIST_PARAMS:
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                raise BadRequest(detail=f"params.{key} must be a list of strings")
        elif key == "seconds" and not _positive_map(value):
            raise BadRequest(detail="params.seconds maps channel kinds to positive seconds")


def _positive_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, int | float) and v > 0 for v in value.values()
    )


def create_rule(
    s: Session,
    workspace_id: int,
    *,
    code: str,
    kind: str,
    name: str = "",
    weight: int = 5,
    max_hits: int = 3,
    params: dict[str, Any] | None = None,
) -> InspectionRule:
    ensure_rules(s, workspace_id)
    params = params or {}
    _check_rule(kind, weight, max_hits, params)
    taken = s.scalar(scoped(InspectionRule, workspace_id).where(InspectionRule.code == code))
    if taken is not None:
        raise Conflict(detail=f"a rule with code {code!r} exists")
    rule = InspectionRule(
        workspace_id=workspace_id,
        code=code,
        kind=kind,
        name=name or code,
        weight=weight,
        max_hits=max_hits,
        params=params,
    )
    s.add(rule)
    s.flush()
    emit(s, workspace_id, "quality.rule_changed", {"rule_id": rule.id, "code": code})
    return rule


def update_rule(
    s: Session, workspace_id: int, rule_id: int, changes: dict[str, Any]
) -> InspectionRule:
    rule = get_scoped(s, InspectionRule, workspace_id, rule_id, "inspection_rule")
    weight = changes.get("weight", rule.weight)
    max_hits = changes.get("max_hits", rule.max_hits)
    params = changes.get("params", rule.params)
    _check_rule(rule.kind, weight, max_hits, params)
    for field in ("name", "weight", "max_hits", "params", "is_active"):
        if field in changes and changes[field] is not None:
            setattr(rule, field, changes[field])
    rule.updated_at = utcnow()
    s.flush()
    emit(s, workspace_id, "quality.rule_changed", {"rule_id": rule.id, "code": rule.code})
    return rule


def _specs(rules: Iterable[InspectionRule]) -> list[RuleSpec]:
    return [
        RuleSpec(r.code, r.kind, r.weight, dict(r.params), r.max_hits) for r in rules if r.is_active
    ]


# --- precision from reviews -----------------------------------------------------------------


@dataclass(frozen=True)
class Precision:
    key: str
    confirmed: int
    overturned: int

    @property
    def reviewed(self) -> int:
        return self.confirmed + self.overturned

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.reviewed if self.reviewed else None


def _precision(s: Session, workspace_id: int, column: Any) -> list[Precision]:
    rows = s.execute(
        select(column, InspectionHit.verdict, func.count())
        .where(InspectionHit.workspace_id == workspace_id, InspectionHit.verdict.is_not(None))
        .group_by(column, InspectionHit.verdict)
    ).all()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    for key, verdict, n in rows:
        counts[key][verdict] = int(n)
    return [Precision(k, c["confirmed"], c["overturned"]) for k, c in sorted(counts.items())]


def rule_precision(s: Session, workspace_id: int) -> dict[str, Precision]:
    return {p.key: p for p in _precision(s, workspace_id, InspectionHit.rule_code)}


def cue_precision(s: Session, workspace_id: int) -> list[Precision]:
    """Per phrase (the hit's evidence) of phrase-based rules: what reviewers made of it."""
    return [
        p for p in _precision(s, workspace_id, InspectionHit.evidence) if p.key and len(p.key) <= 64
    ]


def emotion_feedback(s: Session, workspace_id: int) -> tuple[list[str], list[int]]:
    """Reviewed anger findings as labelled examples for retraining the emotion model.

    A confirmed finding is a negative customer message (label 0); an overturned one was not
    negative enough to be anger, which the model learns as label 1 (not negative).
    """
    rows = s.execute(
        select(InspectionHit.evidence, InspectionHit.verdict).where(
            InspectionHit.workspace_id == workspace_id,
            InspectionHit.kind == "customer_anger",
            InspectionHit.verdict.is_not(None),
        )
    ).all()
    return [e for e, _ in rows], [0 if v == "confirmed" else 1 for _, v in rows]


def muted_cues(s: Session, workspace_id: int) -> frozenset[str]:
    return frozenset(
        normalise(p.key)
        for p in cue_precision(s, workspace_id)
        if p.reviewed >= MUTE_MIN_VERDICTS and (p.precision or 0.0) < MUTE_PRECISION
    )


# --- inspecting ----------------------------------------------------------------------------


def _review_settings(s: Session, workspace_id: int) -> dict[str, float]:
    ws = s.get(Workspace, workspace_id)
    custom = (ws.settings or {}).get("quality", {}) if ws is not None else {}
    return {k: float(custom.get(k, v)) for k, v in DEFAULT_REVIEW.items()}


def _sampled(workspace_id: int, conversation_id: int, share: float) -> bool:
    """A stable random sample: re-inspecting a conversation keeps its sampling decision."""
    digest = hashlib.blake2b(f"{workspace_id}:{conversation_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def queue_reason(result: Result, review: dict[str, float], sampled: bool) -> str | None:
    if result.escalation or result.max_anger >= review["anger"]:
        return "anger"
    if result.score < review["below_score"]:
        return "low_score"
    return "sample" if sampled else None


def transcripts(
    s: Session, workspace_id: int, conversations: Sequence[Conversation]
) -> list[Transcript]:
    ids = [c.id for c in conversations]
    kinds = dict(
        s.execute(
            select(Channel.id, Channel.kind).where(Channel.workspace_id == workspace_id)
        ).all()
    )
    by_conv: dict[int, list[Msg]] = defaultdict(list)
    if ids:
        rows = s.execute(
            select(
                Message.conversation_id,
                Message.seq,
                Message.sender_type,
                Message.body,
                Message.created_at,
                Message.sender_user_id,
                Message.id,
            )
            .where(Message.workspace_id == workspace_id, Message.conversation_id.in_(ids))
            .order_by(Message.conversation_id, Message.seq)
        )
        for cid, seq, sender, body, at, uid, mid in rows:
            by_conv[cid].append(Msg(seq, sender, body, at, uid, mid))
    return [
        Transcript(
            messages=by_conv.get(c.id, []),
            channel_kind=kinds.get(c.channel_id, "web"),
            status=c.status,
            transfer_count=c.transfer_count,
            timed=(c.meta or {}).get("timestamps") != "absent"
            and not (c.meta or {}).get("partial"),
        )
        for c in conversations
    ]


def _primary_agent(c: Conversation, t: Transcript) -> int | None:
    if c.assignee_id is not None:
        return c.assignee_id
    agents = [m.user_id for m in t.messages if m.sender == "agent" and m.user_id is not None]
    return agents[-1] if agents else None


def inspect_conversations(
    s: Session, workspace_id: int, conversation_ids: Sequence[int], emotion: CustomerEmotion
) -> list[Inspection]:
    """Inspect (or re-inspect) conversations; unchanged hits keep their id and verdict."""
    ensure_scoped_ids(s, Conversation, workspace_id, conversation_ids, "conversation")
    specs = _specs(ensure_rules(s, workspace_id))
    review = _review_settings(s, workspace_id)
    muted = muted_cues(s, workspace_id)
    out: list[Inspection] = []
    for start in range(0, len(conversation_ids), CHUNK):
        chunk = list(conversation_ids[start : start + CHUNK])
        convs = list(
            s.scalars(
                scoped(Conversation, workspace_id)
                .where(Conversation.id.in_(chunk))
                .order_by(Conversation.id)
            )
        )
        ts = transcripts(s, workspace_id, convs)
        results = inspect_many(ts, specs, emotion, muted)
        out += _store(s, workspace_id, convs, ts, results, review, emotion.version)
    return out


def _store(
    s: Session,
    workspace_id: int,
    convs: Sequence[Conversation],
    ts: Sequence[Transcript],
    results: Sequence[Result],
    review: dict[str, float],
    model_version: str,
) -> list[Inspection]:
    ids = [c.id for c in convs]
    old = {
        i.conversation_id: i
        for i in s.scalars(
            scoped(Inspection, workspace_id).where(Inspection.conversation_id.in_(ids))
        )
    }
    HitKey = tuple[int, str, str | None, int | None, str]
    previous: dict[HitKey, list[InspectionHit]] = defaultdict(list)
    if old:
        for h in s.scalars(
            scoped(InspectionHit, workspace_id)
            .where(InspectionHit.inspection_id.in_([i.id for i in old.values()]))
            .order_by(InspectionHit.id)
        ):
            key = (h.conversation_id, h.rule_code, h.category, h.message_seq, h.evidence)
            previous[key].append(h)
    now = utcnow()
    inspections: list[Inspection] = []
    for c, t, r in zip(convs, ts, results, strict=True):
        reason = queue_reason(r, review, _sampled(workspace_id, c.id, review["sample_share"]))
        ins = old.get(c.id) or Inspection(workspace_id=workspace_id, conversation_id=c.id)
        ins.agent_id = _primary_agent(c, t)
        ins.score = r.score
        ins.hit_count = len(r.hits)
        ins.max_anger = r.max_anger
        ins.escalation = r.escalation
        ins.reasons = r.reasons
        ins.trajectory = [[seq, a] for seq, a in r.trajectory]
        ins.model_version = model_version
        ins.ended_at = c.closed_at or c.resolved_at or c.last_message_at or c.created_at
        ins.inspected_at = now
        if ins.review_status != "reviewed":
            ins.review_status = "queued" if reason else "none"
            ins.queue_reason = reason
        if ins.id is None:
            s.add(ins)
        inspections.append(ins)
    s.flush()
    rows = []
    for c, ins, r in zip(convs, inspections, results, strict=True):
        overturned = 0
        for hit in r.hits:
            same = previous.get((c.id, hit.rule, hit.category, hit.seq, hit.evidence))
            if same:  # unchanged finding: keep its id and any verdict on it
                h = same.pop(0)
                h.points, h.kind, h.agent_id = hit.points, hit.kind, hit.agent_id
                h.span_start, h.span_end = hit.span if hit.span else (None, None)
                overturned += hit.points if h.verdict == "overturned" else 0
                continue
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "inspection_id": ins.id,
                    "conversation_id": c.id,
                    "rule_code": hit.rule,
                    "kind": hit.kind,
                    "category": hit.category,
                    "message_seq": hit.seq,
                    "agent_id": hit.agent_id,
                    "evidence": hit.evidence,
                    "span_start": hit.span[0] if hit.span else None,
                    "span_end": hit.span[1] if hit.span else None,
                    "points": hit.points,
                }
            )
        ins.score = min(100, ins.score + overturned)
    gone = [h.id for hs in previous.values() for h in hs]
    if gone:
        s.execute(delete(InspectionHit).where(InspectionHit.id.in_(gone)))
    if rows:
        s.execute(insert(InspectionHit), rows)
    s.flush()
    for c, ins in zip(convs, inspections, strict=True):
        emit(
            s,
            workspace_id,
            "quality.inspected",
            {
                "conversation_id": c.id,
                "inspection_id": ins.id,
                "agent_id": ins.agent_id,
                "score": ins.score,
                "hits": ins.hit_count,
                "queued": ins.queue_reason,
            },
        )
    return inspections


def live_conversation_ids(s: Session, workspace_id: int) -> list[int]:
    """Open and pending conversations (their anger is checked live, not inspected yet)."""
    return list(
        s.scalars(
            select(Conversation.id)
            .where(
                Conversation.workspace_id == workspace_id,
                Conversation.status.in_(("open", "pending")),
            )
            .order_by(Conversation.id)
        )
    )


def pending_conversation_ids(
    s: Session, workspace_id: int, since: datetime | None = None, limit: int | None = None
) -> list[int]:
    """Ended conversations without an inspection (the backfill for history written as facts)."""
    stmt = (
        select(Conversation.id)
        .outerjoin(
            Inspection,
            (Inspection.conversation_id == Conversation.id)
            & (Inspection.workspace_id == workspace_id),
        )
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.status.in_(INSPECTED_STATUSES),
            Inspection.id.is_(None),
        )
        .order_by(Conversation.id)
    )
    if since is not None:
        stmt = stmt.where(Conversation.created_at >= since)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(s.scalars(stmt))


# --- review ------------------------------------------------------------------------------------


def review_queue(workspace_id: int) -> Any:
    """Queued inspections, worst first: angriest customers, then lowest scores."""
    return (
        scoped(Inspection, workspace_id)
        .where(Inspection.review_status == "queued")
        .order_by(
            (Inspection.queue_reason == "anger").desc(),
            Inspection.score,
            Inspection.max_anger.desc(),
            Inspection.id,
        )
    )


def inspection_query(
    workspace_id: int,
    *,
    review_status: str | None = None,
    agent_id: int | None = None,
    max_score: int | None = None,
    rule: str | None = None,
) -> tuple[Any, tuple[Any, ...]]:
    """The filtered inspection list (API and pages) and its order: the queue worst first,
    anything else newest first."""
    if review_status == "queued":
        stmt = review_queue(workspace_id)
        order: tuple[Any, ...] = ()
    else:
        stmt = scoped(Inspection, workspace_id)
        order = (Inspection.ended_at.desc(), Inspection.id.desc())
        if review_status in {"none", "reviewed"}:
            stmt = stmt.where(Inspection.review_status == review_status)
    if agent_id is not None:
        stmt = stmt.where(Inspection.agent_id == agent_id)
    if max_score is not None:
        stmt = stmt.where(Inspection.score <= max_score)
    if rule:
        stmt = stmt.where(
            Inspection.id.in_(
                select(InspectionHit.inspection_id).where(
                    InspectionHit.workspace_id == workspace_id, InspectionHit.rule_code == rule
                )
            )
        )
    return stmt, order


def review_inspection(
    s: Session,
    workspace_id: int,
    inspection_id: int,
    reviewer_id: int | None,
    verdicts: dict[int, str],
) -> Inspection:
    """Confirm or overturn hits; the score is recomputed without the overturned ones."""
    ins = get_scoped(s, Inspection, workspace_id, inspection_id, "inspection")
    hits = {
        h.id: h
        for h in s.scalars(
            scoped(InspectionHit, workspace_id).where(InspectionHit.inspection_id == ins.id)
        )
    }
    unknown = sorted(set(verdicts) - set(hits))
    if unknown:
        raise BadRequest(detail=f"hits {unknown} do not belong to inspection {ins.id}")
    bad = sorted({v for v in verdicts.values() if v not in VERDICTS})
    if bad:
        raise BadRequest(detail=f"verdict must be one of {', '.join(VERDICTS)}")
    now = utcnow()
    for hit_id, verdict in verdicts.items():
        h = hits[hit_id]
        h.verdict, h.reviewed_by, h.reviewed_at = verdict, reviewer_id, now
    ins.score = max(0, 100 - sum(h.points for h in hits.values() if h.verdict != "overturned"))
    if all(h.verdict is not None for h in hits.values()):
        ins.review_status, ins.reviewed_by, ins.reviewed_at = "reviewed", reviewer_id, now
    s.flush()
    emit(
        s,
        workspace_id,
        "quality.reviewed",
        {
            "inspection_id": ins.id,
            "conversation_id": ins.conversation_id,
            "reviewer_id": reviewer_id,
            "confirmed": [i for i, v in verdicts.items() if v == "confirmed"],
            "overturned": [i for i, v in verdicts.items() if v == "overturned"],
            "score": ins.score,
        },
    )
    return ins


def add_coaching_note(
    s: Session,
    workspace_id: int,
    author_id: int | None,
    *,
    agent_id: int,
    body: str,
    inspection_id: int | None = None,
    hit_id: int | None = None,
) -> CoachingNote:
    if not body.strip():
        raise BadRequest(detail="a coaching note needs text")
    ensure_scoped_ids(s, User, workspace_id, [agent_id], "user")
    ensure_scoped_ids(s, Inspection, workspace_id, [inspection_id], "inspection")
    ensure_scoped_ids(s, InspectionHit, workspace_id, [hit_id], "inspection_hit")
    note = CoachingNote(
        workspace_id=workspace_id,
        agent_id=agent_id,
        inspection_id=inspection_id,
        hit_id=hit_id,
        author_id=author_id,
        body=body.strip(),
    )
    s.add(note)
    s.flush()
    emit(
        s,
        workspace_id,
        "quality.coaching_note",
        {"note_id": note.id, "agent_id": agent_id, "inspection_id": inspection_id},
    )
    return note


def report_service_failure(
    s: Session, workspace_id: int, reporter_id: int | None, hit_id: int, note: str = ""
) -> InspectionHit:
    """Hand a confirmed finding to service recovery (complaints listens for the event)."""
    hit = get_scoped(s, InspectionHit, workspace_id, hit_id, "inspection_hit")
    if hit.verdict == "overturned":
        raise BadRequest(detail="an overturned hit is not a service failure")
    if hit.escalated_at is not None:
        raise Conflict(detail="this finding was already reported as a service failure")
    hit.escalated_at = utcnow()
    if hit.verdict is None:
        hit.verdict, hit.reviewed_by, hit.reviewed_at = "confirmed", reporter_id, hit.escalated_at
    s.flush()
    emit(
        s,
        workspace_id,
        "quality.service_failure",
        {
            "hit_id": hit.id,
            "conversation_id": hit.conversation_id,
            "agent_id": hit.agent_id,
            "rule_code": hit.rule_code,
            "kind": hit.kind,
            "category": hit.category,
            "evidence": hit.evidence,
            "root_cause_hint": "person" if hit.agent_id else "process",
            "reported_by": reporter_id,
            "note": note.strip(),
        },
    )
    return hit


# --- live anger --------------------------------------------------------------------------------


def check_live_anger(
    s: Session, workspace_id: int, conversation_id: int, emotion: CustomerEmotion
) -> QualityAlert | None:
    """After a customer message: raise one alert per rise of anger in an open conversation."""
    conv = s.scalar(scoped(Conversation, workspace_id).where(Conversation.id == conversation_id))
    if conv is None or conv.status not in {"open", "pending"}:
        return None
    rows = list(
        s.execute(
            select(Message.seq, Message.body)
            .where(
                Message.workspace_id == workspace_id,
                Message.conversation_id == conv.id,
                Message.sender_type == "customer",
            )
            .order_by(Message.seq.desc())
            .limit(6)
        )
    )[::-1]
    if len(rows) < 2:
        return None
    scores = emotion.score([body for _, body in rows])
    angers = [e.anger for e in scores]
    last_seq = rows[-1][0]
    if not rising(angers):
        return None
    existing = s.scalar(
        scoped(QualityAlert, workspace_id).where(
            QualityAlert.conversation_id == conv.id, QualityAlert.message_seq == last_seq
        )
    )
    if existing is not None:  # the same message delivered twice (at-least-once events)
        return existing
    alert = QualityAlert(
        workspace_id=workspace_id,
        conversation_id=conv.id,
        agent_id=conv.assignee_id,
        message_seq=last_seq,
        anger=angers[-1],
        trajectory=[[seq, a] for (seq, _), a in zip(rows, angers, strict=True)],
        cue=scores[-1].cue,
    )
    s.add(alert)
    s.flush()
    emit(
        s,
        workspace_id,
        "quality.anger_rising",
        {
            "alert_id": alert.id,
            "conversation_id": conv.id,
            "agent_id": conv.assignee_id,
            "anger": alert.anger,
            "message_seq": last_seq,
        },
    )
    return alert


def acknowledge_alert(
    s: Session, workspace_id: int, alert_id: int, user_id: int | None
) -> QualityAlert:
    alert = get_scoped(s, QualityAlert, workspace_id, alert_id, "quality_alert")
    if alert.status != "acknowledged":
        alert.status, alert.acknowledged_by, alert.acknowledged_at = (
            "acknowledged",
            user_id,
            utcnow(),
        )
        s.flush()
    return alert


# --- per-agent trends and outcomes ---------------------------------------------------------


@dataclass(frozen=True)
class AgentQuality:
    agent_id: int
    name: str
    inspections: int
    mean_score: float
    hits_by_kind: dict[str, int]
    hits_by_category: dict[str, int]

    def rate(self, kind: str) -> float:
        """Hits of ``kind`` per inspected conversation."""
        return self.hits_by_kind.get(kind, 0) / self.inspections if self.inspections else 0.0

    def category_rate(self, category: str) -> float:
        n = self.hits_by_category.get(category, 0)
        return n / self.inspections if self.inspections else 0.0


def agent_quality(
    s: Session,
    workspace_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    min_inspections: int = 1,
) -> list[AgentQuality]:
    """Every agent's inspected conversations, mean score and hits per kind, worst first."""
    conds = [Inspection.workspace_id == workspace_id, Inspection.agent_id.is_not(None)]
    if since is not None:
        conds.append(Inspection.ended_at >= since)
    if until is not None:
        conds.append(Inspection.ended_at < until)
    base = s.execute(
        select(Inspection.agent_id, func.count(), func.avg(Inspection.score))
        .where(*conds)
        .group_by(Inspection.agent_id)
    ).all()
    kinds: dict[int, dict[str, int]] = defaultdict(dict)
    cats: dict[int, dict[str, int]] = defaultdict(dict)
    hit_rows = s.execute(
        select(InspectionHit.agent_id, InspectionHit.kind, InspectionHit.category, func.count())
        .join(Inspection, Inspection.id == InspectionHit.inspection_id)
        .where(*conds, InspectionHit.agent_id == Inspection.agent_id)
        .where((InspectionHit.verdict.is_(None)) | (InspectionHit.verdict != "overturned"))
        .group_by(InspectionHit.agent_id, InspectionHit.kind, InspectionHit.category)
    ).all()
    for agent_id, kind, category, n in hit_rows:
        if agent_id is None:
            continue
        kinds[agent_id][kind] = kinds[agent_id].get(kind, 0) + int(n)
        if category:
            cats[agent_id][category] = cats[agent_id].get(category, 0) + int(n)
    names = dict(
        s.execute(select(User.id, User.name).where(User.workspace_id == workspace_id)).all()
    )
    out = [
        AgentQuality(
            int(agent_id),
            names.get(agent_id, str(agent_id)),
            int(n),
            round(float(mean), 2),
            kinds.get(agent_id, {}),
            cats.get(agent_id, {}),
        )
        for agent_id, n, mean in base
        if n >= min_inspections
    ]
    return sorted(out, key=lambda a: (a.mean_score, a.agent_id))


def agent_trend(
    s: Session, workspace_id: int, agent_id: int, days: int = 90, bucket_days: int = 7
) -> list[tuple[datetime, int, float]]:
    """(bucket start, inspections, mean score) for one agent, oldest first."""
    ensure_scoped_ids(s, User, workspace_id, [agent_id], "user")
    latest = s.scalar(
        select(func.max(Inspection.ended_at)).where(
            Inspection.workspace_id == workspace_id, Inspection.agent_id == agent_id
        )
    )
    if latest is None:
        return []
    start = latest - timedelta(days=days)
    rows = s.execute(
        select(Inspection.ended_at, Inspection.score).where(
            Inspection.workspace_id == workspace_id,
            Inspection.agent_id == agent_id,
            Inspection.ended_at >= start,
        )
    ).all()
    buckets: dict[int, list[int]] = defaultdict(list)
    for ended, score in rows:
        if ended is None:
            continue
        buckets[int((ended - start).total_seconds() // (bucket_days * 86400))].append(score)
    return [
        (start + timedelta(days=b * bucket_days), len(v), round(sum(v) / len(v), 2))
        for b, v in sorted(buckets.items())
    ]


@dataclass(frozen=True)
class Outcome:
    kind: str  # a hit kind, or "none" for conversations without hits
    conversations: int
    customers: int
    churned: float | None  # share of conversations whose customer churned within 30 days
    complaints: float | None  # share of conversations labelled as a complaint
    csat: float | None  # mean CSAT (1-5) where surveyed


def outcomes(s: Session, workspace_id: int) -> list[Outcome]:
    """Outcomes of customers after conversations with each hit kind, against clean ones."""
    convs = s.execute(
        select(
            Inspection.conversation_id,
            Inspection.ended_at,
            Conversation.customer_id,
            Conversation.meta,
        )
        .join(Conversation, Conversation.id == Inspection.conversation_id)
        .where(Inspection.workspace_id == workspace_id)
    ).all()
    if not convs:
        return []
    kinds_of: dict[int, set[str]] = defaultdict(set)
    for cid, kind in s.execute(
        select(InspectionHit.conversation_id, InspectionHit.kind)
        .where(InspectionHit.workspace_id == workspace_id)
        .where((InspectionHit.verdict.is_(None)) | (InspectionHit.verdict != "overturned"))
        .distinct()
    ):
        kinds_of[cid].add(kind)
    complaint_ids = set(
        s.scalars(
            select(ConversationLabel.conversation_id).where(
                ConversationLabel.workspace_id == workspace_id,
                ConversationLabel.label.like("complaint%"),
            )
        )
    )
    churned_at: dict[int, datetime] = {}
    for cust_id, attrs in s.execute(
        select(Customer.id, Customer.attributes).where(Customer.workspace_id == workspace_id)
    ):
        if value := (attrs or {}).get("churned_at"):
            try:
                at = datetime.fromisoformat(str(value))
            except ValueError:
                continue
            churned_at[cust_id] = at if at.tzinfo else at.replace(tzinfo=UTC)
    groups: dict[str, list[tuple[int, datetime | None, int | None, Any]]] = defaultdict(list)
    for cid, ended, cust, meta in convs:
        for kind in kinds_of.get(cid) or {"none"}:
            groups[kind].append((cid, ended, cust, meta))
    out = []
    for kind, members in sorted(groups.items()):
        customers: set[int] = set()
        scores: list[float] = []
        churn: list[float] = []
        for _cid, ended, cust, meta in members:
            if cust is not None:
                customers.add(cust)
                gone = churned_at.get(cust)
                churn.append(
                    1.0
                    if gone is not None
                    and ended is not None
                    and timedelta(0) <= gone - ended <= CHURN_WINDOW
                    else 0.0
                )
            if isinstance((meta or {}).get("csat"), int | float):
                scores.append(float(meta["csat"]))
        out.append(
            Outcome(
                kind,
                len(members),
                len(customers),
                round(sum(churn) / len(churn), 4) if churn else None,
                round(sum(m[0] in complaint_ids for m in members) / len(members), 4),
                round(sum(scores) / len(scores), 3) if scores else None,
            )
        )
    return out


def score_distribution(s: Session, workspace_id: int) -> dict[str, int]:
    """Inspections per score band, for the list page and the real-data report."""
    bands = dict.fromkeys((label for _, label in SCORE_BANDS), 0)
    for score, n in s.execute(
        select(Inspection.score, func.count())
        .where(Inspection.workspace_id == workspace_id)
        .group_by(Inspection.score)
    ):
        bands[next(label for floor, label in SCORE_BANDS if score >= floor)] += int(n)
    return bands


def hit_counts(s: Session, workspace_id: int) -> dict[str, int]:
    return {
        str(k): int(n)
        for k, n in s.execute(
            select(InspectionHit.rule_code, func.count())
            .where(InspectionHit.workspace_id == workspace_id)
            .group_by(InspectionHit.rule_code)
            .order_by(func.count().desc())
        )
    }
