"""Service recovery: every service failure gets a root cause, an action with its cost, an outcome.

Failures come from complaints (a case), quality inspection (a confirmed finding reported as a
service failure) and SLA breaches (a conversation); the record points back at its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from liuke.complaints.models import (
    ACTIONS,
    FAILURE_SOURCES,
    OUTCOMES,
    ROOT_CAUSES,
    Case,
    RecoveryRecord,
)
from liuke.conversations.models import Conversation
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest
from liuke.core.events import emit
from liuke.core.tenancy import get_scoped, scoped
from liuke.quality.models import InspectionHit
from liuke.workspaces.models import User

MAX_COST = Decimal("1000000")
# a complaint's provisional root cause until someone decides the recovery
CATEGORY_CAUSE = {
    "product_quality": "product",
    "service_policy": "policy",
    "work_quality": "person",
    "other": "process",
}


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise BadRequest(detail=f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _cost(raw: Any) -> Decimal:
    try:
        cost = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise BadRequest(detail=f"cost must be a number (got {raw!r})") from exc
    if not cost.is_finite():  # NaN would not even compare
        raise BadRequest(detail=f"cost must be a number (got {raw!r})")
    if not Decimal(0) <= cost <= MAX_COST:  # range first: quantizing 1e30 overflows
        raise BadRequest(detail=f"cost must be between 0 and {MAX_COST}")
    return cost.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Source:
    case_id: int | None
    conversation_id: int | None
    customer_id: int | None


def _source(s: Session, workspace_id: int, kind: str, source_id: int) -> Source:
    """The failure being recovered, checked to belong to this workspace."""
    if kind == "case":
        case = get_scoped(s, Case, workspace_id, source_id, "case")
        return Source(case.id, case.conversation_id, case.customer_id)
    if kind == "inspection":
        hit = get_scoped(s, InspectionHit, workspace_id, source_id, "inspection_hit")
        customer = s.scalar(
            select(Conversation.customer_id).where(Conversation.id == hit.conversation_id)
        )
        return Source(None, hit.conversation_id, customer)
    conv = get_scoped(s, Conversation, workspace_id, source_id, "conversation")
    return Source(None, conv.id, conv.customer_id)


def record(
    s: Session,
    workspace_id: int,
    *,
    source_kind: str,
    source_id: int,
    root_cause: str,
    action: str,
    cost: Any = 0,
    outcome: str = "pending",
    cause_detail: str = "",
    note: str = "",
    owner_id: int | None = None,
    at: datetime | None = None,
    case: Case | None = None,
) -> RecoveryRecord:
    """Log a recovery action. ``action`` may be empty for a failure still awaiting a decision.

    ``case``: the source case when the caller has it loaded (saves the lookup).
    """
    _choice(source_kind, FAILURE_SOURCES, "source_kind")
    _choice(root_cause, ROOT_CAUSES, "root_cause")
    if action:
        _choice(action, ACTIONS, "action")
    _choice(outcome, OUTCOMES, "outcome")
    if outcome != "pending" and not action:
        raise BadRequest(detail="choose the recovery action before recording its outcome")
    if case is not None and source_kind == "case" and case.workspace_id == workspace_id:
        src = Source(case.id, case.conversation_id, case.customer_id)
    else:
        src = _source(s, workspace_id, source_kind, source_id)
    if owner_id is not None:
        get_scoped(s, User, workspace_id, owner_id, "user")
    now = at or utcnow()
    rec = RecoveryRecord(
        workspace_id=workspace_id,
        source_kind=source_kind,
        source_id=source_id,
        case_id=src.case_id,
        conversation_id=src.conversation_id,
        customer_id=src.customer_id,
        root_cause=root_cause,
        cause_detail=cause_detail.strip()[:200],
        action=action,
        cost=_cost(cost),
        outcome=outcome,
        note=note.strip(),
        owner_id=owner_id,
        created_at=now,
        completed_at=None if outcome == "pending" else now,
    )
    s.add(rec)
    s.flush()  # the id goes into the event
    emit(
        s,
        workspace_id,
        "recovery.recorded",
        {
            "recovery_id": rec.id,
            "source_kind": source_kind,
            "source_id": source_id,
            "customer_id": rec.customer_id,
            "root_cause": root_cause,
            "action": action,
            "cost": str(rec.cost),
            "outcome": outcome,
        },
    )
    return rec


def decide(
    s: Session,
    rec: RecoveryRecord,
    *,
    root_cause: str,
    action: str,
    cost: Any,
    outcome: str,
    cause_detail: str = "",
    owner_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Settle a pending record (the one a complaint opened with): cause, action, cost, outcome."""
    _choice(root_cause, ROOT_CAUSES, "root_cause")
    _choice(action, ACTIONS, "action")
    _choice(outcome, OUTCOMES, "outcome")
    rec.root_cause, rec.action, rec.cost, rec.outcome = root_cause, action, _cost(cost), outcome
    rec.cause_detail = cause_detail.strip()[:200] or rec.cause_detail
    rec.owner_id = owner_id or rec.owner_id
    rec.completed_at = None if outcome == "pending" else (at or utcnow())
    emit(
        s,
        rec.workspace_id,
        "recovery.recorded",
        {
            "recovery_id": rec.id,
            "source_kind": rec.source_kind,
            "source_id": rec.source_id,
            "customer_id": rec.customer_id,
            "root_cause": root_cause,
            "action": action,
            "cost": str(rec.cost),
            "outcome": outcome,
        },
    )


def update(
    s: Session, workspace_id: int, recovery_id: int, changes: dict[str, Any]
) -> RecoveryRecord:
    rec = get_scoped(s, RecoveryRecord, workspace_id, recovery_id, "recovery")
    if "root_cause" in changes:
        rec.root_cause = _choice(changes["root_cause"], ROOT_CAUSES, "root_cause")
    if "action" in changes:
        rec.action = _choice(changes["action"], ACTIONS, "action")
    if "cost" in changes:
        rec.cost = _cost(changes["cost"])
    if "cause_detail" in changes:
        rec.cause_detail = str(changes["cause_detail"]).strip()[:200]
    if "note" in changes:
        rec.note = str(changes["note"]).strip()
    if "outcome" in changes:
        rec.outcome = _choice(changes["outcome"], OUTCOMES, "outcome")
        if rec.outcome != "pending" and not rec.action:
            raise BadRequest(detail="choose the recovery action before recording its outcome")
        rec.completed_at = None if rec.outcome == "pending" else utcnow()
        emit(
            s,
            workspace_id,
            "recovery.outcome",
            {"recovery_id": rec.id, "customer_id": rec.customer_id, "outcome": rec.outcome},
        )
    s.flush()
    return rec


def recovery_query(
    workspace_id: int,
    *,
    source_kind: str | None = None,
    outcome: str | None = None,
    root_cause: str | None = None,
    case_id: int | None = None,
    customer_id: int | None = None,
) -> Select[Any]:
    stmt: Select[Any] = scoped(RecoveryRecord, workspace_id)
    for col, value in (
        (RecoveryRecord.source_kind, source_kind),
        (RecoveryRecord.outcome, outcome),
        (RecoveryRecord.root_cause, root_cause),
        (RecoveryRecord.case_id, case_id),
        (RecoveryRecord.customer_id, customer_id),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    return stmt


def pending_for(case: Case) -> RecoveryRecord:
    """The recovery every complaint starts with: cause provisional, action still to decide.

    Opened with the case so that no complaint can be closed without the recovery log seeing
    it; the owner decides the action, its cost and the outcome later.
    """
    return RecoveryRecord(
        workspace_id=case.workspace_id,
        source_kind="case",
        source_id=case.id,
        case_id=case.id,
        conversation_id=case.conversation_id,
        customer_id=case.customer_id,
        root_cause=CATEGORY_CAUSE.get(case.category or "other", "process"),
        action="",
        outcome="pending",
        owner_id=case.owner_id,
        created_at=case.received_at,
    )


def cases_without_recovery(s: Session, workspace_id: int, limit: int = 100) -> list[Case]:
    """Resolved complaints whose recovery was never decided (no record with an action): the
    case was closed, the customer not won back."""
    has = select(RecoveryRecord.case_id).where(
        RecoveryRecord.workspace_id == workspace_id,
        RecoveryRecord.case_id.is_not(None),
        RecoveryRecord.action != "",
    )
    return list(
        s.scalars(
            scoped(Case, workspace_id)
            .where(
                Case.kind == "complaint",
                Case.merged_into_id.is_(None),
                Case.status.in_(("resolved", "closed")),
                Case.id.not_in(has),
            )
            .order_by(Case.resolved_at.desc(), Case.id.desc())
            .limit(limit)
        )
    )
