"""REST endpoints for inspection rules, inspections, reviews, coaching, alerts and emotion."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

import liuke.quality.messages  # noqa: F401  (entity names for error messages)
from liuke.core.api import Page, PageParams, page_params
from liuke.core.pagination import page_of
from liuke.core.tenancy import get_scoped, scoped
from liuke.quality import service
from liuke.quality.events import emotion_scorer
from liuke.quality.models import CoachingNote, Inspection, InspectionHit, QualityAlert
from liuke.quality.schemas import (
    AgentQualityOut,
    AlertOut,
    CoachingNoteIn,
    CoachingNoteOut,
    EmotionIn,
    EmotionOut,
    HitOut,
    InspectionDetail,
    InspectionOut,
    OutcomeOut,
    ReviewIn,
    RuleIn,
    RuleOut,
    RulePatch,
    ServiceFailureIn,
    SummaryOut,
    TrendPoint,
)
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])
Reader = Annotated[Principal, Depends(require("analytics.read"))]
Reviewer = Annotated[Principal, Depends(require("quality.review"))]
Manager = Annotated[Principal, Depends(require("quality.manage"))]
ConvReader = Annotated[Principal, Depends(require("conversations.read"))]
ConvWriter = Annotated[Principal, Depends(require("conversations.write"))]
Paging = Annotated[PageParams, Depends(page_params)]


def _rule_out(rule: Any, precision: dict[str, service.Precision]) -> RuleOut:
    p = precision.get(rule.code)
    return RuleOut.model_validate(rule).model_copy(
        update={"reviewed": p.reviewed if p else 0, "precision": p.precision if p else None}
    )


@router.get("/rules", response_model=list[RuleOut])
def list_rules(principal: Reader, s: DbSession) -> list[RuleOut]:
    precision = service.rule_precision(s, principal.workspace_id)
    return [_rule_out(r, precision) for r in service.ensure_rules(s, principal.workspace_id)]


@router.post("/rules", response_model=RuleOut, status_code=201)
def create_rule(body: RuleIn, principal: Manager, s: DbSession) -> RuleOut:
    rule = service.create_rule(s, principal.workspace_id, **body.model_dump())
    return _rule_out(rule, {})


@router.patch("/rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: int, body: RulePatch, principal: Manager, s: DbSession) -> RuleOut:
    rule = service.update_rule(
        s, principal.workspace_id, rule_id, body.model_dump(exclude_unset=True)
    )
    return _rule_out(rule, service.rule_precision(s, principal.workspace_id))


@router.get("/inspections", response_model=Page[InspectionOut])
def list_inspections(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    agent_id: int | None = None,
    review_status: Literal["none", "queued", "reviewed"] | None = None,
    max_score: Annotated[int | None, Query(ge=0, le=100)] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[InspectionOut]:
    stmt, order = service.inspection_query(
        principal.workspace_id,
        review_status=review_status,
        agent_id=agent_id,
        max_score=max_score,
        rule=rule,
    )
    return page_of(s, stmt, paging, InspectionOut.model_validate, *order)


def _detail(s: DbSession, workspace_id: int, ins: Inspection) -> InspectionDetail:
    hits = s.scalars(
        scoped(InspectionHit, workspace_id)
        .where(InspectionHit.inspection_id == ins.id)
        .order_by(InspectionHit.message_seq, InspectionHit.id)
    )
    return InspectionDetail(
        **InspectionOut.model_validate(ins).model_dump(),
        hits=[HitOut.model_validate(h) for h in hits],
    )


@router.get("/inspections/{inspection_id}", response_model=InspectionDetail)
def get_inspection(inspection_id: int, principal: Reader, s: DbSession) -> InspectionDetail:
    ins = get_scoped(s, Inspection, principal.workspace_id, inspection_id, "inspection")
    return _detail(s, principal.workspace_id, ins)


@router.post("/conversations/{conversation_id}/inspect", response_model=InspectionDetail)
def inspect_conversation(
    conversation_id: int, principal: Reviewer, s: DbSession
) -> InspectionDetail:
    """Inspect now (live or ended); ended conversations are also inspected automatically."""
    [ins] = service.inspect_conversations(
        s, principal.workspace_id, [conversation_id], emotion_scorer()
    )
    return _detail(s, principal.workspace_id, ins)


@router.post("/inspections/{inspection_id}/review", response_model=InspectionDetail)
def review_inspection(
    inspection_id: int, body: ReviewIn, principal: Reviewer, s: DbSession
) -> InspectionDetail:
    ins = service.review_inspection(
        s, principal.workspace_id, inspection_id, principal.user_id, dict(body.verdicts)
    )
    return _detail(s, principal.workspace_id, ins)


@router.post("/hits/{hit_id}/service-failure", response_model=HitOut)
def report_service_failure(
    hit_id: int, body: ServiceFailureIn, principal: Reviewer, s: DbSession
) -> InspectionHit:
    return service.report_service_failure(
        s, principal.workspace_id, principal.user_id, hit_id, body.note
    )


@router.get("/coaching-notes", response_model=Page[CoachingNoteOut])
def list_coaching_notes(
    principal: Reader, s: DbSession, paging: Paging, agent_id: int | None = None
) -> Page[CoachingNoteOut]:
    stmt = scoped(CoachingNote, principal.workspace_id)
    if agent_id is not None:
        stmt = stmt.where(CoachingNote.agent_id == agent_id)
    return page_of(s, stmt, paging, CoachingNoteOut.model_validate, CoachingNote.id.desc())


@router.post("/coaching-notes", response_model=CoachingNoteOut, status_code=201)
def add_coaching_note(body: CoachingNoteIn, principal: Reviewer, s: DbSession) -> CoachingNote:
    return service.add_coaching_note(
        s, principal.workspace_id, principal.user_id, **body.model_dump()
    )


@router.get("/agents", response_model=list[AgentQualityOut])
def agents(principal: Reader, s: DbSession) -> list[service.AgentQuality]:
    return service.agent_quality(s, principal.workspace_id)


@router.get("/agents/{agent_id}/trend", response_model=list[TrendPoint])
def agent_trend(
    agent_id: int,
    principal: Reader,
    s: DbSession,
    days: Annotated[int, Query(ge=1, le=730)] = 90,
    bucket_days: Annotated[int, Query(ge=1, le=92)] = 7,
) -> list[TrendPoint]:
    return [
        TrendPoint(start=start, inspections=n, mean_score=mean)
        for start, n, mean in service.agent_trend(
            s, principal.workspace_id, agent_id, days, bucket_days
        )
    ]


@router.get("/summary", response_model=SummaryOut)
def summary(principal: Reader, s: DbSession) -> SummaryOut:
    ws = principal.workspace_id
    counts = dict(
        s.execute(
            select(Inspection.review_status, func.count())
            .where(Inspection.workspace_id == ws)
            .group_by(Inspection.review_status)
        ).all()
    )
    return SummaryOut(
        workspace_id=ws,
        inspections=sum(counts.values()),
        queued=counts.get("queued", 0),
        score_bands=service.score_distribution(s, ws),
        hits_by_rule=service.hit_counts(s, ws),
        outcomes=[OutcomeOut.model_validate(o) for o in service.outcomes(s, ws)],
    )


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    principal: ConvReader,
    s: DbSession,
    paging: Paging,
    status: Literal["open", "acknowledged"] | None = "open",
    conversation_id: int | None = None,
) -> Page[AlertOut]:
    stmt = scoped(QualityAlert, principal.workspace_id)
    if status is not None:
        stmt = stmt.where(QualityAlert.status == status)
    if conversation_id is not None:
        stmt = stmt.where(QualityAlert.conversation_id == conversation_id)
    return page_of(s, stmt, paging, AlertOut.model_validate, QualityAlert.id.desc())


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(alert_id: int, principal: ConvWriter, s: DbSession) -> QualityAlert:
    return service.acknowledge_alert(s, principal.workspace_id, alert_id, principal.user_id)


@router.post("/emotion", response_model=list[EmotionOut])
def emotion(body: EmotionIn, principal: ConvReader) -> list[EmotionOut]:
    """Customer emotion of up to 100 texts (for the live hub and integrations)."""
    return [
        EmotionOut(negativity=e.negativity, anger=e.anger, cue=e.cue)
        for e in emotion_scorer().score(body.texts)
    ]
