"""Cases from conversations, and the workspace's classifier: loaded once, retrained on demand.

Each workspace has its own model file (its own product lines and wording); a workspace without
one gets the bilingual keyword lexicon for the category until people have confirmed enough cases.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.complaints import service
from liuke.complaints.classifier import CaseClassifier, Example
from liuke.complaints.models import Case
from liuke.conversations.models import Conversation, ConversationLabel, Message
from liuke.core.config import get_settings
from liuke.core.tenancy import scoped
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
