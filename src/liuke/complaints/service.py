"""Cases: intake, the status workflow, one-stop ownership, classification, merge and links.

The only place that writes cases. Every change is a :class:`CaseEvent` on the case (the
timeline people read) and a domain event in the outbox (what analytics, crm and reports read).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from liuke.commerce.models import ProductLine
from liuke.complaints import recovery
from liuke.complaints import settings as cs
from liuke.complaints.models import (
    CATEGORIES,
    KINDS,
    OPEN_STATUSES,
    SEVERITIES,
    SOURCES,
    TIERS,
    Case,
    CaseEvent,
    CaseReview,
)
from liuke.conversations.models import Channel, Conversation
from liuke.core.db import add_or_existing, utcnow
from liuke.core.errors import BadRequest, Conflict
from liuke.core.events import emit
from liuke.core.tenancy import ensure_scoped_ids, get_scoped, scoped
from liuke.customers.models import Customer
from liuke.workspaces.models import User, Workspace, user_skill_groups

# allowed moves; closing needs a resolution first, and a closed case can only be reopened
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "in_progress", "resolved"),
    "acknowledged": ("in_progress", "resolved"),
    "in_progress": ("resolved",),
    "reopened": ("acknowledged", "in_progress", "resolved"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
}
MAX_TEXT = 20_000


class Suggested(Protocol):
    @property
    def label(self) -> str | None: ...
    @property
    def confidence(self) -> float: ...


class Suggester(Protocol):
    """What intake needs from the classifier (see :mod:`liuke.complaints.classifier`)."""

    @property
    def version(self) -> str: ...

    def suggest(self, text: str) -> tuple[Suggested, Suggested | None]: ...

    def suggest_many(
        self, texts: Sequence[str]
    ) -> Sequence[tuple[Suggested, Suggested | None]]: ...


def settings_of(s: Session, workspace_id: int) -> cs.ComplaintSettings:
    raw = s.scalar(select(Workspace.settings).where(Workspace.id == workspace_id)) or {}
    return cs.parse(raw.get("complaints"))


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise BadRequest(detail=f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _active_user(s: Session, workspace_id: int, user_id: int) -> User:
    user = get_scoped(s, User, workspace_id, user_id, "user")
    if not user.is_active:
        raise BadRequest(detail=f"user {user_id} is deactivated and cannot own cases")
    return user


def log_event(
    s: Session,
    case: Case,
    kind: str,
    actor_id: int | None,
    body: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    ev = CaseEvent(
        workspace_id=case.workspace_id,
        case_id=case.id,
        kind=kind,
        actor_id=actor_id,
        body=body,
        data=data or {},
        created_at=at or utcnow(),
    )
    s.add(ev)
    return ev


def case_text(case: Case) -> str:
    return f"{case.title}\n{case.description}".strip()


@dataclass(frozen=True)
class Intake:
    """A new case as a channel, the API or an agent describes it."""

    kind: str = "complaint"
    title: str = ""
    description: str = ""
    source: str = "agent"
    customer_id: int | None = None
    conversation_id: int | None = None
    channel_kind: str | None = None
    category: str | None = None
    product_line_id: int | None = None
    subcategory: str = ""
    severity: str = "normal"
    owner_id: int | None = None
    received_at: datetime | None = None
    external_id: str | None = None
    meta: dict[str, Any] | None = None


def _validate(s: Session, workspace_id: int, new: Intake) -> None:
    _choice(new.kind, KINDS, "kind")
    _choice(new.source, SOURCES, "source")
    _choice(new.severity, SEVERITIES, "severity")
    if new.category is not None:
        _choice(new.category, CATEGORIES, "category")
    if new.channel_kind is not None:
        _choice(new.channel_kind, ("web", "email", "api", "phone"), "channel_kind")
    if not (new.title.strip() or new.description.strip()):
        raise BadRequest(detail="a case needs a title or a description: the text is empty")
    if len(new.title) > 300 or len(new.description) > MAX_TEXT:
        raise BadRequest(detail=f"title is at most 300 and description {MAX_TEXT} characters")
    ensure_scoped_ids(s, Customer, workspace_id, [new.customer_id], "customer")
    ensure_scoped_ids(s, ProductLine, workspace_id, [new.product_line_id], "product_line")
    if new.owner_id is not None:
        _active_user(s, workspace_id, new.owner_id)


@dataclass(frozen=True)
class Context:
    """What intake looks up around a new case: its conversation's channel, customer and tier."""

    channel_kind: str
    customer_id: int | None
    customer_tier: str
    product_line_id: int | None
    received_at: datetime


def build_case(
    workspace_id: int, new: Intake, ctx: Context, conf: cs.ComplaintSettings, now: datetime
) -> Case:
    """The new row, nothing looked up or written: shared by one-at-a-time and bulk intake."""
    return Case(
        workspace_id=workspace_id,
        kind=new.kind,
        status="new",
        severity=new.severity,
        source=new.source,
        title=new.title.strip()[:300],
        description=new.description.strip()[:MAX_TEXT],
        external_id=new.external_id,
        customer_id=ctx.customer_id,
        conversation_id=new.conversation_id,
        channel_kind=ctx.channel_kind,
        customer_tier=ctx.customer_tier if ctx.customer_tier in TIERS else "ordinary",
        category=new.category,
        category_confirmed=new.category is not None,
        product_line_id=new.product_line_id or ctx.product_line_id,
        subcategory=new.subcategory.strip()[:100],
        owner_id=new.owner_id,
        first_owner_id=new.owner_id,
        received_at=ctx.received_at,
        due_at=ctx.received_at + timedelta(hours=conf.due_hours[new.severity]),
        created_at=now,
        updated_at=now,
        meta=dict(new.meta or {}),
    )


def apply_suggestion(
    case: Case, cat: Suggested | None, line: Suggested | None, version: str
) -> None:
    """Keep the classifier's suggestion beside the case; it fills the cell nobody has set."""
    case.classifier_version = version[:64]
    if cat is not None and cat.label in CATEGORIES:
        case.suggested_category, case.suggested_category_confidence = cat.label, cat.confidence
    if line is not None and line.label and line.label.isdigit():
        case.suggested_product_line_id = int(line.label)
        case.suggested_product_line_confidence = line.confidence
        if case.product_line_id is None and not case.category_confirmed:
            case.product_line_id = int(line.label)
    if not case.category_confirmed:
        case.category = case.category or case.suggested_category or "other"


def created_payload(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "kind": case.kind,
        "category": case.category,
        "product_line_id": case.product_line_id,
        "customer_id": case.customer_id,
        "conversation_id": case.conversation_id,
        "channel_kind": case.channel_kind,
        "customer_tier": case.customer_tier,
        "severity": case.severity,
    }


def record_created(s: Session, case: Case, actor_id: int | None) -> None:
    """The new case's first timeline entries (the case must have its id)."""
    at = case.received_at
    log_event(s, case, "created", actor_id, case.description, {"source": case.source}, at=at)
    if case.owner_id is not None:
        log_event(s, case, "assigned", actor_id, data={"owner_id": case.owner_id}, at=at)


def _context(s: Session, workspace_id: int, new: Intake) -> Context:
    conv: Conversation | None = None
    channel_kind = new.channel_kind or "api"
    if new.conversation_id is not None:
        conv = get_scoped(s, Conversation, workspace_id, new.conversation_id, "conversation")
        kind = s.scalar(select(Channel.kind).where(Channel.id == conv.channel_id))
        channel_kind = new.channel_kind or kind or "api"
    customer_id = new.customer_id or (conv.customer_id if conv else None)
    tier = "ordinary"
    if customer_id is not None:
        tier = s.scalar(select(Customer.tier).where(Customer.id == customer_id)) or "ordinary"
    received = new.received_at or (conv.created_at if conv else utcnow())
    return Context(
        channel_kind, customer_id, tier, conv.product_line_id if conv else None, received
    )


class OwnerPool:
    """Least-loaded assignment for cases nobody owns: the members of the complaints group,
    weighted by the open cases they already hold (one query, then counted in memory)."""

    def __init__(self, s: Session, workspace_id: int, group_id: int | None) -> None:
        self.load: dict[int, int] = {}
        if group_id is None:
            return
        members = s.scalars(
            select(User.id)
            .join(user_skill_groups, user_skill_groups.c.user_id == User.id)
            .where(
                User.workspace_id == workspace_id,
                User.is_active.is_(True),
                user_skill_groups.c.skill_group_id == group_id,
            )
        )
        self.load = {int(u): 0 for u in members}
        if self.load:
            for owner, n in s.execute(
                select(Case.owner_id, func.count())
                .where(
                    Case.workspace_id == workspace_id,
                    Case.owner_id.in_(list(self.load)),
                    Case.status.in_(OPEN_STATUSES),
                )
                .group_by(Case.owner_id)
            ).all():
                if owner is not None:
                    self.load[int(owner)] = int(n)

    def pick(self) -> int | None:
        if not self.load:
            return None
        user = min(self.load, key=lambda u: (self.load[u], u))
        self.load[user] += 1
        return user


def create_case(
    s: Session,
    workspace_id: int,
    new: Intake,
    *,
    actor_id: int | None = None,
    suggester: Suggester | None = None,
    notify: bool = True,
) -> tuple[Case, bool]:
    """Open a case (or return the one already opened for the same conversation or external id).

    The grid cell is fixed here: the customer's tier and the channel as they are now, the
    category and product line as given, else as the classifier suggests (unconfirmed).
    """
    _validate(s, workspace_id, new)
    conf = settings_of(s, workspace_id)
    if new.owner_id is None and conf.owner_group_id is not None:
        new = replace(new, owner_id=OwnerPool(s, workspace_id, conf.owner_group_id).pick())
    case = build_case(workspace_id, new, _context(s, workspace_id, new), conf, utcnow())
    if suggester is not None:
        cat, line = suggester.suggest(case_text(case))
        if line is not None and line.label and line.label.isdigit():
            known = ProductLine.workspace_id == workspace_id, ProductLine.id == int(line.label)
            if s.scalar(select(ProductLine.id).where(*known)) is None:
                line = None  # a model trained on a line this workspace does not have
        apply_suggestion(case, cat, line, suggester.version)
    elif case.category is None:
        case.category = "other"

    def existing() -> Case | None:
        q = scoped(Case, workspace_id)
        if new.conversation_id is not None:
            found = s.scalar(q.where(Case.conversation_id == new.conversation_id))
            if found is not None:
                return found
        if new.external_id is not None:
            return s.scalar(q.where(Case.external_id == new.external_id))
        return None

    if (found := existing()) is not None:
        return found, False
    case, created = add_or_existing(s, case, existing)
    if not created:
        return case, False
    record_created(s, case, actor_id)
    emit(s, workspace_id, "case.created", created_payload(case))
    if case.kind == "complaint" and case.source != "import":
        s.add(recovery.pending_for(case))
    if notify and case.kind == "complaint":
        acknowledge(s, case, actor_id, locale=_locale(s, workspace_id))
    return case, True


def resuggest_many(cases: Sequence[Case], suggester: Suggester) -> None:
    """Refresh unconfirmed cases' suggestions (after retraining); confirmed cells stay."""
    todo = [c for c in cases if not c.category_confirmed]
    many = getattr(suggester, "suggest_many", None)
    pairs = (
        many([case_text(c) for c in todo])
        if many
        else [suggester.suggest(case_text(c)) for c in todo]
    )
    for case, (cat, line) in zip(todo, pairs, strict=True):
        case.category = None
        apply_suggestion(case, cat, line, suggester.version)


def _locale(s: Session, workspace_id: int) -> str:
    return s.scalar(select(Workspace.default_locale).where(Workspace.id == workspace_id)) or "zh_CN"


ACK_TEXT = {
    "zh_CN": "您好，您的投诉已受理（编号 {number}），我们会在 {hours} 小时内处理并答复您。",
    "en": "Your complaint has been received (case {number}); we will answer within {hours} hours.",
}


def case_number(case: Case) -> str:
    return f"C{case.id:06d}"


def acknowledge(s: Session, case: Case, actor_id: int | None, locale: str = "zh_CN") -> None:
    """Tell the customer at once that the complaint is registered: an unanswered complaint is
    the one that escalates. In a conversation the note is posted there; otherwise the
    ``case.acknowledgement`` event asks the mail sender to write."""
    from liuke.conversations.service import NewMessage, post_message

    now = utcnow()
    hours = int((case.due_at - case.received_at).total_seconds() // 3600) if case.due_at else 48
    text = ACK_TEXT.get(locale, ACK_TEXT["zh_CN"]).format(number=case_number(case), hours=hours)
    if case.status == "new":
        case.status, case.acknowledged_at = "acknowledged", now
    if case.conversation_id is not None:
        post_message(
            s,
            case.workspace_id,
            NewMessage(
                conversation_id=case.conversation_id,
                sender_type="system",
                body=text,
                idempotency_key=f"case-ack-{case.id}",
                meta={"case_id": case.id},
            ),
        )
        case.customer_notified_at = now
        log_event(s, case, "customer_notified", actor_id, text, {"via": "conversation"})
    else:
        log_event(s, case, "acknowledged", actor_id, text)
        emit(
            s,
            case.workspace_id,
            "case.acknowledgement",
            {"case_id": case.id, "customer_id": case.customer_id, "text": text},
        )


def get_case(s: Session, workspace_id: int, case_id: int) -> Case:
    return get_scoped(s, Case, workspace_id, case_id, "case")


def live_case(s: Session, workspace_id: int, case_id: int) -> Case:
    """A case that can still be worked: a merged duplicate sends people to its survivor."""
    case = get_case(s, workspace_id, case_id)
    if case.merged_into_id is not None:
        raise BadRequest(detail=f"case {case_id} was merged into {case.merged_into_id}; work there")
    return case


def _touch(case: Case, now: datetime) -> None:
    case.updated_at = now


def change_status(
    s: Session,
    workspace_id: int,
    case_id: int,
    status: str,
    *,
    actor_id: int | None,
    resolution: str | None = None,
    at: datetime | None = None,
) -> Case:
    case = get_case(s, workspace_id, case_id)
    set_status(s, case, status, actor_id=actor_id, resolution=resolution, at=at)
    s.flush()
    return case


def set_status(
    s: Session,
    case: Case,
    status: str,
    *,
    actor_id: int | None,
    resolution: str | None = None,
    at: datetime | None = None,
) -> None:
    """Move a loaded case along the workflow (the caller flushes)."""
    workspace_id, case_id = case.workspace_id, case.id
    _choice(status, tuple(TRANSITIONS), "status")
    if case.merged_into_id is not None:
        raise BadRequest(detail=f"case {case_id} was merged into {case.merged_into_id}; work there")
    if status not in TRANSITIONS[case.status]:
        allowed = ", ".join(TRANSITIONS[case.status])
        raise BadRequest(detail=f"a {case.status} case can move to: {allowed} (not {status})")
    now = at or utcnow()
    text = (resolution or "").strip()
    if status == "resolved":
        if case.kind == "complaint" and not (text or case.resolution):
            raise BadRequest(detail="say how the complaint was resolved (resolution)")
        case.resolution = text or case.resolution
        case.resolved_at = now
    elif status == "closed":
        case.closed_at = now
    elif status == "reopened":
        case.reopen_count += 1
        case.resolved_at = case.closed_at = None
    elif status == "acknowledged":
        case.acknowledged_at = case.acknowledged_at or now
    old, case.status = case.status, status
    _touch(case, now)
    log_event(s, case, "status", actor_id, text, {"from": old, "to": status}, at=now)
    emit(
        s,
        workspace_id,
        f"case.{status}",
        {"case_id": case.id, "from": old, "to": status, "category": case.category},
    )


def assign(
    s: Session,
    workspace_id: int,
    case_id: int,
    owner_id: int,
    *,
    actor_id: int | None,
    reason: str = "",
) -> Case:
    """One-stop ownership: the first owner keeps the case; moving it needs a reason and counts."""
    case = live_case(s, workspace_id, case_id)
    _active_user(s, workspace_id, owner_id)
    if owner_id == case.owner_id:
        return case
    now = utcnow()
    if case.owner_id is None:
        case.owner_id = owner_id
        case.first_owner_id = case.first_owner_id or owner_id
        log_event(s, case, "assigned", actor_id, data={"owner_id": owner_id})
    else:
        if not reason.strip():
            raise BadRequest(detail="the case has an owner: say why it must change hands")
        old = case.owner_id
        case.owner_id = owner_id
        case.reassign_count += 1
        log_event(s, case, "reassigned", actor_id, reason.strip(), {"from": old, "to": owner_id})
    _touch(case, now)
    emit(
        s,
        workspace_id,
        "case.assigned",
        {"case_id": case.id, "owner_id": owner_id, "reassign_count": case.reassign_count},
    )
    s.flush()
    return case


def add_entry(
    s: Session, workspace_id: int, case_id: int, kind: str, body: str, *, actor_id: int | None
) -> CaseEvent:
    """A note (internal) or a message (to or from the customer) on the case's timeline."""
    case = get_case(s, workspace_id, case_id)
    _choice(kind, ("note", "message"), "kind")
    text = body.strip()
    if not text:
        raise BadRequest(detail="the text is empty")
    if len(text) > MAX_TEXT:
        raise BadRequest(detail=f"at most {MAX_TEXT} characters")
    ev = log_event(s, case, kind, actor_id, text)
    _touch(case, ev.created_at)
    s.flush()
    return ev


def classify(
    s: Session,
    workspace_id: int,
    case_id: int,
    *,
    category: str,
    product_line_id: int | None,
    subcategory: str | None = None,
    actor_id: int | None,
) -> Case:
    """A person confirms or corrects the grid cell; corrections are what the classifier learns."""
    case = live_case(s, workspace_id, case_id)
    _choice(category, CATEGORIES, "category")
    ensure_scoped_ids(s, ProductLine, workspace_id, [product_line_id], "product_line")
    classify_case(
        s,
        case,
        category=category,
        product_line_id=product_line_id,
        subcategory=subcategory,
        actor_id=actor_id,
        conf=settings_of(s, workspace_id),
    )
    s.flush()
    return case


def classify_case(
    s: Session,
    case: Case,
    *,
    category: str,
    product_line_id: int | None,
    subcategory: str | None,
    actor_id: int | None,
    conf: cs.ComplaintSettings,
) -> None:
    """Set a loaded case's confirmed cell (values already checked; the caller flushes)."""
    workspace_id = case.workspace_id
    before = {"category": case.category, "product_line_id": case.product_line_id}
    corrected = (case.suggested_category is not None and case.suggested_category != category) or (
        case.suggested_product_line_id is not None
        and case.suggested_product_line_id != product_line_id
    )
    case.category, case.product_line_id = category, product_line_id
    if subcategory is not None:
        case.subcategory = subcategory.strip()[:100]
    case.category_confirmed = True
    if case.review_status == "none" and sampled(workspace_id, case.id, conf.review_share):
        case.review_status = "queued"
    _touch(case, utcnow())
    after = {"category": category, "product_line_id": product_line_id, "corrected": corrected}
    log_event(s, case, "classified", actor_id, data={"before": before, "after": after})
    emit(s, workspace_id, "case.classified", {"case_id": case.id, **after})


def sampled(workspace_id: int, case_id: int, share: float) -> bool:
    """A stable draw: the same case is always in or out of the QA sample, on any worker."""
    return zlib.crc32(f"{workspace_id}:{case_id}".encode()) / 2**32 < share


def merge(
    s: Session,
    workspace_id: int,
    target_id: int,
    source_ids: Sequence[int],
    *,
    actor_id: int | None,
) -> Case:
    """Fold duplicates (one customer, several channels) into one case; nothing is deleted: the
    duplicates stay, closed and pointing at the survivor, and their timelines show under it."""
    target = get_case(s, workspace_id, target_id)
    if target.merged_into_id is not None:
        raise BadRequest(detail=f"case {target_id} was itself merged into {target.merged_into_id}")
    ids = list(dict.fromkeys(source_ids))
    if not ids or target_id in ids:
        raise BadRequest(detail="give the duplicate case ids, not including the target")
    sources = [get_case(s, workspace_id, i) for i in ids]
    ancestors: set[int] = set()
    up = target.parent_id
    while up is not None:  # the target's children-to-be must not include its own ancestors
        ancestors.add(up)
        up = s.scalar(select(Case.parent_id).where(Case.id == up))
    now = utcnow()
    for src in sources:
        if src.id in ancestors:
            raise BadRequest(
                detail=f"case {src.id} is an ancestor of {target_id}: unlink it before merging"
            )
        if src.merged_into_id is not None:
            raise Conflict(detail=f"case {src.id} is already merged into {src.merged_into_id}")
        if src.customer_id and target.customer_id and src.customer_id != target.customer_id:
            raise BadRequest(detail=f"case {src.id} belongs to another customer: link it instead")
        src.merged_into_id = target.id
        old = src.status
        src.status, src.closed_at = "closed", src.closed_at or now
        _touch(src, now)
        log_event(s, src, "merged", actor_id, data={"into": target.id, "from_status": old})
        # children of a duplicate follow it to the survivor
        s.execute(
            update(Case)
            .where(Case.workspace_id == workspace_id, Case.parent_id == src.id)
            .values(parent_id=target.id)
        )
        # so do the duplicates merged into it earlier (their timelines show under the survivor)
        s.execute(
            update(Case)
            .where(Case.workspace_id == workspace_id, Case.merged_into_id == src.id)
            .values(merged_into_id=target.id)
        )
    log_event(s, target, "merged", actor_id, data={"merged": ids})
    _touch(target, now)
    emit(s, workspace_id, "case.merged", {"case_id": target.id, "merged": ids})
    s.flush()
    return target


def link(
    s: Session, workspace_id: int, parent_id: int, child_ids: Sequence[int], *, actor_id: int | None
) -> Case:
    """One cause, many customers: children point at the parent case that owns the fix."""
    parent = get_case(s, workspace_id, parent_id)
    ids = list(dict.fromkeys(child_ids))
    if not ids or parent_id in ids:
        raise BadRequest(detail="give the child case ids, not including the parent")
    ancestors = {parent.id}
    up = parent.parent_id
    while up is not None:  # refuse cycles: a child may not be an ancestor of its parent
        ancestors.add(up)
        up = s.scalar(select(Case.parent_id).where(Case.id == up))
    for cid in ids:
        child = get_case(s, workspace_id, cid)
        if child.id in ancestors:
            raise BadRequest(detail=f"case {cid} is an ancestor of {parent_id}: that is a cycle")
        child.parent_id = parent.id
        log_event(s, child, "linked", actor_id, data={"parent_id": parent.id})
    log_event(s, parent, "linked", actor_id, data={"children": ids})
    emit(s, workspace_id, "case.linked", {"case_id": parent.id, "children": ids})
    s.flush()
    return parent


def unlink(s: Session, workspace_id: int, child_id: int, *, actor_id: int | None) -> Case:
    child = get_case(s, workspace_id, child_id)
    if child.parent_id is None:
        raise BadRequest(detail=f"case {child_id} has no parent")
    log_event(s, child, "unlinked", actor_id, data={"parent_id": child.parent_id})
    emit(s, workspace_id, "case.unlinked", {"case_id": child.id, "parent_id": child.parent_id})
    child.parent_id = None
    s.flush()
    return child


def timeline(s: Session, workspace_id: int, case_id: int) -> list[CaseEvent]:
    """The case's events and those of every case merged into it, in time order."""
    case = get_case(s, workspace_id, case_id)
    merged = list(
        s.scalars(
            select(Case.id).where(Case.workspace_id == workspace_id, Case.merged_into_id == case.id)
        )
    )
    return list(
        s.scalars(
            scoped(CaseEvent, workspace_id)
            .where(CaseEvent.case_id.in_([case.id, *merged]))
            .order_by(CaseEvent.created_at, CaseEvent.id)
        )
    )


@dataclass(frozen=True)
class CaseFilter:
    kind: str | None = None
    status: str | None = None
    category: str | None = None
    product_line_id: int | None = None
    customer_id: int | None = None
    owner_id: int | None = None
    customer_tier: str | None = None
    channel_kind: str | None = None
    review_status: str | None = None
    overdue: bool | None = None
    include_merged: bool = False
    q: str | None = None


def case_query(workspace_id: int, f: CaseFilter, now: datetime | None = None) -> Select[Any]:
    stmt: Select[Any] = scoped(Case, workspace_id)
    for col, value in (
        (Case.kind, f.kind),
        (Case.status, f.status),
        (Case.category, f.category),
        (Case.product_line_id, f.product_line_id),
        (Case.customer_id, f.customer_id),
        (Case.owner_id, f.owner_id),
        (Case.customer_tier, f.customer_tier),
        (Case.channel_kind, f.channel_kind),
        (Case.review_status, f.review_status),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    if not f.include_merged:
        stmt = stmt.where(Case.merged_into_id.is_(None))
    if f.overdue:
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES), Case.due_at < (now or utcnow()))
    elif f.overdue is not None:  # overdue=false: every case that is not overdue
        stmt = stmt.where(
            Case.status.not_in(OPEN_STATUSES)
            | Case.due_at.is_(None)
            | (Case.due_at >= (now or utcnow()))
        )
    if f.q:
        like = f"%{f.q.strip()[:100]}%"
        stmt = stmt.where(Case.title.ilike(like) | Case.description.ilike(like))
    return stmt


# --- quality-assurance second review -------------------------------------------------------


def submit_review(
    s: Session,
    workspace_id: int,
    case_id: int,
    *,
    reviewer_id: int,
    category: str,
    product_line_id: int | None,
    note: str = "",
) -> CaseReview:
    """A second person classifies a sampled case blind; agreement measures the grid's reliability."""
    case = get_case(s, workspace_id, case_id)
    _choice(category, CATEGORIES, "category")
    ensure_scoped_ids(s, ProductLine, workspace_id, [product_line_id], "product_line")
    if not case.category_confirmed:
        raise BadRequest(detail="the case has not been classified yet; classify it first")
    confirmer = s.scalar(
        select(CaseEvent.actor_id)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "classified")
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    if confirmer is not None and confirmer == reviewer_id:
        raise BadRequest(detail="a second review must be done by someone else")
    if s.scalar(scoped(CaseReview, workspace_id).where(CaseReview.case_id == case.id)):
        raise Conflict(detail=f"case {case_id} has already been reviewed")
    review = CaseReview(
        workspace_id=workspace_id,
        case_id=case.id,
        reviewer_id=reviewer_id,
        first_category=case.category,
        category=category,
        first_product_line_id=case.product_line_id,
        product_line_id=product_line_id,
        agrees=category == case.category and product_line_id == case.product_line_id,
        note=note.strip(),
    )
    s.add(review)
    case.review_status = "reviewed"
    log_event(s, case, "reviewed", reviewer_id, note.strip(), {"agrees": review.agrees})
    s.flush()
    return review


@dataclass(frozen=True)
class Agreement:
    reviewed: int
    agreed: int
    rate: float | None  # share of reviews where both people chose the same cell
    kappa: float | None  # Cohen's kappa on the category: agreement beyond chance
    queued: int


def agreement(s: Session, workspace_id: int) -> Agreement:
    rows = s.execute(
        select(CaseReview.first_category, CaseReview.category, CaseReview.agrees).where(
            CaseReview.workspace_id == workspace_id
        )
    ).all()
    queued = int(
        s.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.workspace_id == workspace_id, Case.review_status == "queued")
        )
        or 0
    )
    n = len(rows)
    if n == 0:
        return Agreement(0, 0, None, None, queued)
    agreed = sum(1 for r in rows if r.agrees)
    po = sum(1 for r in rows if r.first_category == r.category) / n
    pe = sum(
        (sum(1 for r in rows if r.first_category == c) / n)
        * (sum(1 for r in rows if r.category == c) / n)
        for c in CATEGORIES
    )
    kappa = None if pe >= 1 else (po - pe) / (1 - pe)
    return Agreement(n, agreed, agreed / n, kappa, queued)
