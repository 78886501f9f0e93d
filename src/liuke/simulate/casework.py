"""The simulated shop's people working its complaint cases, after the conversations exist.

What real people would have done by the last simulated day: every labelled conversation has
become a case; agents confirmed or corrected the category of cases older than two days (the
recent ones still carry only the classifier's suggestion); resolved complaints were closed with
a recovery action whose cost and outcome follow the case; a trickle of suggestions asks for
things the shop does not offer. A separate seeded stream, so the conversations never change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.complaints import intake, recovery, service, spc
from liuke.complaints.models import Case, RecoveryRecord
from liuke.conversations.models import Conversation, ConversationLabel
from liuke.core.db import Database
from liuke.customers.models import Customer
from liuke.simulate import catalog
from liuke.workspaces.models import Role, SkillGroup, User, Workspace

# the simulator's complaint subtypes in the classification grid (documented in docs/complaints.md)
SUBTYPE_CATEGORY = {
    "product_quality": "product_quality",
    "after_sales": "service_policy",
    "price": "service_policy",
    "service_attitude": "work_quality",
    "logistics": "other",
}
# the recovery a complaint of each category usually gets: (action, cost range in yuan, cause)
RECOVERY = {
    "product_quality": (("replacement", 80, 600), ("refund", 50, 900)),
    "service_policy": (("refund", 10, 200), ("compensation", 10, 50)),
    "work_quality": (("apology", 0, 0), ("follow_up_call", 0, 0), ("compensation", 20, 50)),
    "other": (("compensation", 5, 30), ("apology", 0, 0)),
}
ROOT_CAUSE = {
    "product_quality": "product",
    "service_policy": "policy",
    "work_quality": "person",
    "other": "process",
}
CAUSE_DETAIL = {
    "product_quality": "到货故障/质量缺陷",
    "after_sales": "退换货规则",
    "price": "价格保护规则",
    "service_attitude": "客服服务态度",
    "logistics": "快递延误",
}
SUGGESTIONS = (
    ("希望支持以旧换新", "旧手机能不能抵扣？希望支持以旧换新服务"),
    ("希望支持以旧换新", "你们有没有以旧换新？希望增加这个服务"),
    ("希望开通夜间人工客服", "晚上十点以后找不到人工客服，建议开通夜间人工客服"),
    ("希望开通夜间人工客服", "夜里咨询一直没人回，能不能增加夜间人工客服"),
    ("能否支持分期付款", "买家电能不能分期付款？希望增加分期"),
    ("能否支持分期付款", "建议增加免息分期付款，大件商品一次付太多"),
    ("Please add Apple Pay", "Please add Apple Pay at checkout, it would be nice"),
    ("Please add Apple Pay", "Can you add Apple Pay support? I wish I could pay with it"),
)
CONFIRM_AFTER = timedelta(days=2)  # agents classify within two days; newer cases wait
SUGGESTIONS_PER_WEEK = 6


@dataclass(frozen=True)
class Casework:
    cases: int
    confirmed: int
    corrected: int
    recoveries: int
    suggestions: int
    alerts: int
    training_examples: int


def _people(s: Session, workspace_id: int) -> tuple[list[int], int | None]:
    rows = s.execute(
        select(User.id, Role.name)
        .join(Role, Role.id == User.role_id)
        .where(User.workspace_id == workspace_id, User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    agents = [r.id for r in rows if r.name == "agent"]
    manager = next((r.id for r in rows if r.name == "manager"), None)
    return agents, manager


def work_cases(
    db: Database, workspace_id: int, end: date | None = None, seed: int = 42
) -> Casework:
    """Run the case history of a simulated workspace up to ``end`` (default: its last day).

    Idempotent: cases that exist are kept, so a second run only adds what is missing.
    """
    rng = random.Random(f"casework-{seed}")
    zone = ZoneInfo(catalog.TIMEZONE)
    if end is None:
        with db.session() as s:
            last = s.scalar(
                select(Conversation.created_at)
                .where(Conversation.workspace_id == workspace_id)
                .order_by(Conversation.created_at.desc())
                .limit(1)
            )
        end = (last or datetime.now(UTC)).astimezone(zone).date()
    cutoff = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    with db.session() as s:
        _configure(s, workspace_id)
        n_cases = intake.backfill(s, workspace_id, intake.suggester_for(s, workspace_id))
        agents, manager = _people(s, workspace_id)
        conf = service.settings_of(s, workspace_id)
        confirmed = corrected = recoveries = 0
        rows = s.execute(
            select(Case, Conversation)
            .join(Conversation, Conversation.id == Case.conversation_id)
            .where(Case.workspace_id == workspace_id, Case.category_confirmed.is_(False))
            .order_by(Case.id)
        ).all()
        labels = _subtypes(s, workspace_id)
        pendings = {
            r.case_id: r
            for r in s.scalars(
                select(RecoveryRecord).where(
                    RecoveryRecord.workspace_id == workspace_id,
                    RecoveryRecord.source_kind == "case",
                    RecoveryRecord.action == "",
                )
            )
        }
        for case, conv in rows:
            sub = labels.get(conv.id)
            if sub is None or case.received_at > cutoff - CONFIRM_AFTER:
                continue
            actor = case.owner_id or manager
            if case.owner_id is None and agents:
                actor = rng.choice(agents)
                service.assign(s, workspace_id, case.id, actor, actor_id=manager)
            category = SUBTYPE_CATEGORY.get(sub, "other")
            corrected += case.suggested_category not in (None, category)
            service.classify_case(
                s,
                case,
                category=category,
                product_line_id=conv.product_line_id,
                subcategory=sub,
                actor_id=actor,
                conf=conf,
            )
            confirmed += 1
            if case.kind == "complaint" and conv.resolved_at is not None:
                recoveries += _resolve(
                    s, workspace_id, case, conv, category, sub, actor, rng, pendings.get(case.id)
                )
        suggestions = _suggestions(s, workspace_id, end, rng)
        s.commit()
        training = intake.retrain(s, workspace_id)
        model = intake.suggester_for(s, workspace_id)
        pending = s.scalars(
            select(Case).where(
                Case.workspace_id == workspace_id, Case.category_confirmed.is_(False)
            )
        )
        service.resuggest_many(list(pending), model)
        detection = spc.detect(s, workspace_id, end)
        s.commit()
    return Casework(
        n_cases,
        confirmed,
        corrected,
        recoveries,
        suggestions,
        len(detection.raised),
        training.examples,
    )


def _configure(s: Session, workspace_id: int) -> None:
    """The shop's complaint desk owns the cases nobody else does; the manager gets the warning."""
    group = s.scalar(
        select(SkillGroup.id).where(
            SkillGroup.workspace_id == workspace_id,
            SkillGroup.name == next(g.name for g in catalog.SKILL_GROUPS if g.key == "complaints"),
        )
    )
    ws = s.get(Workspace, workspace_id)
    assert ws is not None
    current = dict((ws.settings or {}).get("complaints") or {})
    current.setdefault("owner_group_id", group)
    current.setdefault("recipients", [f"manager@{catalog.EMAIL_DOMAIN}"])
    ws.settings = {**(ws.settings or {}), "complaints": current}
    s.flush()


def _subtypes(s: Session, workspace_id: int) -> dict[int, str]:
    out: dict[int, str] = {}
    for conv_id, label in s.execute(
        select(ConversationLabel.conversation_id, ConversationLabel.label).where(
            ConversationLabel.workspace_id == workspace_id,
            ConversationLabel.label.like("complaint:%"),
        )
    ).all():
        out[int(conv_id)] = label.split(":", 1)[1]
    return out


def _resolve(
    s: Session,
    workspace_id: int,
    case: Case,
    conv: Conversation,
    category: str,
    sub: str,
    actor: int | None,
    rng: random.Random,
    pending: RecoveryRecord | None,
) -> int:
    assert conv.resolved_at is not None
    service.set_status(
        s, case, "resolved", actor_id=actor, resolution="已处理并答复客户", at=conv.resolved_at
    )
    action, lo, hi = rng.choice(RECOVERY[category])
    csat = (conv.meta or {}).get("csat")
    outcome = "pending"
    if isinstance(csat, int):
        outcome = "recovered" if csat >= 4 else "not_recovered" if csat <= 2 else "pending"
    cost = Decimal(rng.randint(lo, hi)) if hi else Decimal(0)
    if pending is None:
        pending = recovery.record(
            s,
            workspace_id,
            source_kind="case",
            source_id=case.id,
            root_cause=ROOT_CAUSE[category],
            action=action,
            at=conv.resolved_at,
            case=case,
        )
    recovery.decide(
        s,
        pending,
        root_cause=ROOT_CAUSE[category],
        action=action,
        cost=cost,
        outcome=outcome,
        cause_detail=CAUSE_DETAIL.get(sub, sub),
        owner_id=actor,
        at=conv.resolved_at,
    )
    if outcome != "pending":
        service.set_status(s, case, "closed", actor_id=actor, at=conv.resolved_at)
    return 1


def _suggestions(s: Session, workspace_id: int, end: date, rng: random.Random) -> int:
    customers = list(
        s.scalars(
            select(Customer.id).where(Customer.workspace_id == workspace_id).order_by(Customer.id)
        )
    )
    first = s.scalar(
        select(Conversation.created_at)
        .where(Conversation.workspace_id == workspace_id)
        .order_by(Conversation.created_at)
        .limit(1)
    )
    if not customers or first is None:
        return 0
    days = max(1, (datetime.combine(end, time.max, UTC) - first).days)
    n = max(len(SUGGESTIONS), days * SUGGESTIONS_PER_WEEK // 7)
    for i in range(n):
        title, text = (
            SUGGESTIONS[i % len(SUGGESTIONS)] if i < len(SUGGESTIONS) else rng.choice(SUGGESTIONS)
        )
        service.create_case(
            s,
            workspace_id,
            service.Intake(
                kind="suggestion",
                title=title,
                description=text,
                source="agent",
                customer_id=rng.choice(customers),
                channel_kind=rng.choice(("web", "email", "phone")),
                received_at=first + timedelta(seconds=rng.randint(0, days * 86_400)),
                external_id=f"sim-suggestion-{i}",
            ),
            notify=False,
        )
    return n
