"""Cases from conversations, and the workspace's classifier: loaded once, retrained on demand.

Each workspace has its own model file (its own product lines and wording); a workspace without
one gets the bilingual keyword lexicon for the category until people have confirmed enough cases.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from liuke.complaints import recovery, service
from liuke.complaints.classifier import CaseClassifier, Example
from liuke.complaints.models import Case
from liuke.complaints.settings import ComplaintSettings
from liuke.conversations.models import Channel, Conversation, ConversationLabel, Message
from liuke.core.config import get_settings
from liuke.core.db import utcnow
from liuke.core.events import emit_many
from liuke.core.tenancy import scoped
from liuke.customers.models import Customer
from liuke.workspaces.clock import zone_of
from liuke.workspaces.models import User

# conversation labels that open a case, and the case kind they open
LABEL_KINDS = {"complaint": "complaint", "suggestion": "suggestion"}
MAX_CUSTOMER_MESSAGES = 6  # the opening of the conversation says what the complaint is about

_cache: dict[Path, tuple[float, CaseClassifier]] = {}
_lock = threading.Lock()


def model_path(workspace_id: int, model_dir: Path | None = None) -> Path:
    return (model_dir or get_settings().model_dir) / "complaints" / f"ws{workspace_id}.joblib"


def suggester_for(
    s: Session | None, workspace_id: int, model_dir: Path | None = None
) -> CaseClassifier:
    """The workspace's trained classifier (re-read when the file changes), else the lexicon."""
    path = model_path(workspace_id, model_dir)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return CaseClassifier()
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    model = CaseClassifier.load(path)
    with _lock:
        _cache[path] = (mtime, model)
    return model


@dataclass(frozen=True)
class Training:
    examples: int
    categories: int
    product_lines: int
    version: str
    path: Path


def retrain(s: Session, workspace_id: int, model_dir: Path | None = None) -> Training:
    """Fit on every case a person has classified (confirmed or corrected) and replace the file."""
    rows = s.execute(
        select(Case.title, Case.description, Case.category, Case.product_line_id).where(
            Case.workspace_id == workspace_id,
            Case.category_confirmed.is_(True),
            Case.merged_into_id.is_(None),
        )
    ).all()
    examples = [
        Example(
            text=f"{r.title}\n{r.description}".strip(),
            category=r.category,
            product_line=str(r.product_line_id) if r.product_line_id is not None else None,
        )
        for r in rows
    ]
    # one BLAS thread: on small machines the thread pool makes the fit several times slower
    with threadpool_limits(1):
        model = CaseClassifier().train(examples)
    path = model_path(workspace_id, model_dir)
    model.save(path)
    return Training(
        len(examples),
        len({e.category for e in examples if e.category}),
        len({e.product_line for e in examples if e.product_line}),
        model.version,
        path,
    )


def conversation_text(s: Session, workspace_id: int, conversation_id: int) -> str:
    bodies = s.scalars(
        scoped(Message, workspace_id)
        .where(Message.conversation_id == conversation_id, Message.sender_type == "customer")
        .order_by(Message.seq)
        .limit(MAX_CUSTOMER_MESSAGES)
    )
    return "\n".join(b.body for b in bodies)


def case_kind_of(labels: list[str]) -> str | None:
    for label in labels:
        kind = LABEL_KINDS.get(label.split(":", 1)[0])
        if kind is not None:
            return kind
    return None


def _active(s: Session, user_id: int | None) -> bool:
    return user_id is not None and bool(s.scalar(select(User.is_active).where(User.id == user_id)))


def case_from_conversation(
    s: Session,
    workspace_id: int,
    conversation_id: int,
    suggester: service.Suggester | None,
    *,
    notify: bool = True,
) -> Case | None:
    """Open the case for a labelled conversation (once); None when it carries no such label."""
    conv = s.scalar(scoped(Conversation, workspace_id).where(Conversation.id == conversation_id))
    if conv is None:
        return None
    labels = list(
        s.scalars(
            select(ConversationLabel.label).where(ConversationLabel.conversation_id == conv.id)
        )
    )
    kind = case_kind_of(labels)
    if kind is None:
        return None
    found = s.scalar(scoped(Case, workspace_id).where(Case.conversation_id == conv.id))
    if found is not None:
        return found
    text = conversation_text(s, workspace_id, conv.id)
    title = (conv.subject or text.split("\n", 1)[0] or "").strip()[:300]
    case, _ = service.create_case(
        s,
        workspace_id,
        service.Intake(
            kind=kind,
            title=title or f"conversation {conv.id}",
            description=text,
            source="conversation",
            conversation_id=conv.id,
            owner_id=conv.assignee_id if _active(s, conv.assignee_id) else None,
        ),
        suggester=suggester,
        notify=notify,
    )
    return case


def backfill(
    s: Session,
    workspace_id: int,
    suggester: service.Suggester,
    *,
    batch: int = 1000,
) -> int:
    """Open the cases of labelled conversations that have none (history, or missed events).

    In batches: one query per table per batch and one classifier call, where the one-at-a-time
    path costs a dozen queries per case. Historic conversations are not acknowledged again:
    the customer was answered at the time.
    """
    conf = service.settings_of(s, workspace_id)
    has_case = select(Case.conversation_id).where(
        Case.workspace_id == workspace_id, Case.conversation_id.is_not(None)
    )
    rows = s.execute(
        select(ConversationLabel.conversation_id, ConversationLabel.label)
        .where(
            ConversationLabel.workspace_id == workspace_id,
            ConversationLabel.conversation_id.not_in(has_case),
        )
        .order_by(ConversationLabel.conversation_id)
    ).all()
    kinds: dict[int, str] = {}
    for conv_id, label in rows:
        kind = case_kind_of([label])
        if kind is not None:
            kinds.setdefault(int(conv_id), kind)
    ids = sorted(kinds)
    pool = service.OwnerPool(s, workspace_id, conf.owner_group_id)
    for lo in range(0, len(ids), batch):
        _backfill_batch(s, workspace_id, ids[lo : lo + batch], kinds, suggester, conf, pool)
    return len(ids)


def _backfill_batch(
    s: Session,
    workspace_id: int,
    ids: list[int],
    kinds: dict[int, str],
    suggester: service.Suggester,
    conf: ComplaintSettings,
    pool: service.OwnerPool,
) -> None:
    convs = s.execute(
        select(
            Conversation.id,
            Conversation.subject,
            Conversation.customer_id,
            Conversation.assignee_id,
            Conversation.product_line_id,
            Conversation.created_at,
            Channel.kind,
            Customer.tier,
            User.is_active,
        )
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(User, User.id == Conversation.assignee_id)
        .where(Conversation.workspace_id == workspace_id, Conversation.id.in_(ids))
        .order_by(Conversation.id)
    ).all()
    texts: dict[int, list[str]] = defaultdict(list)
    for conv_id, body in s.execute(
        select(Message.conversation_id, Message.body)
        .where(
            Message.workspace_id == workspace_id,
            Message.conversation_id.in_(ids),
            Message.sender_type == "customer",
        )
        .order_by(Message.conversation_id, Message.seq)
    ).all():
        if len(texts[conv_id]) < MAX_CUSTOMER_MESSAGES:
            texts[conv_id].append(body)
    now = utcnow()
    cases = []
    for c in convs:
        text = "\n".join(texts.get(c.id, []))
        title = (c.subject or text.split("\n", 1)[0] or "").strip()[:300] or f"conversation {c.id}"
        new = service.Intake(
            kind=kinds[c.id],
            title=title,
            description=text,
            source="conversation",
            conversation_id=c.id,
            owner_id=c.assignee_id if c.is_active else pool.pick(),
        )
        ctx = service.Context(
            c.kind, c.customer_id, c.tier or "ordinary", c.product_line_id, c.created_at
        )
        cases.append(service.build_case(workspace_id, new, ctx, conf, now))
    for case, (cat, line) in zip(
        cases, suggester.suggest_many([service.case_text(c) for c in cases]), strict=True
    ):
        service.apply_suggestion(case, cat, line, suggester.version)
    s.add_all(cases)
    s.flush()
    for case in cases:
        service.record_created(s, case, None)
        if case.kind == "complaint":
            s.add(recovery.pending_for(case))
    emit_many(s, workspace_id, "case.created", [service.created_payload(c) for c in cases])
    s.flush()


@dataclass(frozen=True)
class Imported:
    read: int
    created: int
    existing: int
    product_lines: int


def import_cfpb(s: Session, workspace_id: int, path: Path, *, batch: int = 1000) -> Imported:
    """The public CFPB complaint sample as cases (idempotent on the complaint id).

    Product -> product line and issue -> category follow the documented rules in
    :mod:`liuke.complaints.cfpb`; that classification comes from the consumer's own choice of
    issue, so it is stored as confirmed. The company's response is the case's resolution.
    """
    from liuke.commerce.models import ProductLine
    from liuke.commerce.service import create_product_line
    from liuke.complaints import cfpb

    rows = cfpb.read_cfpb(path)
    conf = service.settings_of(s, workspace_id)
    lines = dict(
        s.execute(
            select(ProductLine.code, ProductLine.id).where(ProductLine.workspace_id == workspace_id)
        ).all()
    )
    made = 0
    for code in sorted({r.product_line for r in rows} - set(lines)):
        zh, en = cfpb.PRODUCT_LINE_NAMES.get(code, (code, code))
        lines[code] = create_product_line(s, workspace_id, code, zh, owner_department=en).id
        made += 1
    seen = set(
        s.scalars(
            select(Case.external_id).where(
                Case.workspace_id == workspace_id, Case.external_id.like("cfpb-%")
            )
        )
    )
    zone = zone_of(s, workspace_id)
    todo = [r for r in rows if f"cfpb-{r.complaint_id}" not in seen]
    now = utcnow()
    for lo in range(0, len(todo), batch):
        cases = []
        for r in todo[lo : lo + batch]:
            received = datetime.combine(r.received, time(12), zone)
            new = service.Intake(
                kind="complaint",
                title=f"{r.product}: {r.issue}"[:300],
                description=r.narrative,
                source="import",
                channel_kind=r.channel_kind,
                category=r.category,
                product_line_id=lines[r.product_line],
                subcategory=r.issue[:100],
                external_id=f"cfpb-{r.complaint_id}",
                meta={
                    "source": "cfpb",
                    "company": r.company,
                    "state": r.state,
                    "tags": list(r.tags),
                    "timely": r.timely,
                    "relief": r.relief,
                    "disputed": r.disputed,
                    "sub_product": r.sub_product,
                    "sub_issue": r.sub_issue,
                },
            )
            ctx = service.Context(r.channel_kind, None, "ordinary", lines[r.product_line], received)
            case = service.build_case(workspace_id, new, ctx, conf, now)
            if r.relief != "in_progress":
                case.status, case.resolution = "closed", r.company_response
                case.resolved_at = case.closed_at = (
                    datetime.combine(r.sent_to_company, time(12), zone)
                    if r.sent_to_company
                    else received
                )
            cases.append(case)
        s.add_all(cases)
        s.flush()
        for case in cases:
            service.record_created(s, case, None)
        emit_many(s, workspace_id, "case.created", [service.created_payload(c) for c in cases])
        s.flush()
    return Imported(len(rows), len(todo), len(rows) - len(todo), made)
