"""Quality request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from liuke.core.api import Schema

Verdict = Literal["confirmed", "overturned"]


class RuleOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    weight: int
    max_hits: int
    params: dict[str, Any]
    is_active: bool
    reviewed: int = 0
    precision: float | None = None


class RuleIn(Schema):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    kind: str = Field(min_length=1, max_length=32)
    name: str = Field(default="", max_length=200)
    weight: int = Field(default=5, ge=0, le=100)
    max_hits: int = Field(default=3, ge=1, le=50)
    params: dict[str, Any] = Field(default_factory=dict, max_length=20)


class RulePatch(Schema):
    name: str | None = Field(default=None, max_length=200)
    weight: int | None = Field(default=None, ge=0, le=100)
    max_hits: int | None = Field(default=None, ge=1, le=50)
    params: dict[str, Any] | None = Field(default=None, max_length=20)
    is_active: bool | None = None


class HitOut(Schema):
    id: int
    rule_code: str
    kind: str
    category: str | None
    message_seq: int | None
    agent_id: int | None
    evidence: str
    span_start: int | None
    span_end: int | None
    points: int
    verdict: str | None
    escalated_at: datetime | None


class InspectionOut(Schema):
    id: int
    conversation_id: int
    agent_id: int | None
    score: int
    hit_count: int
    max_anger: float
    escalation: bool
    reasons: list[str]
    trajectory: list[list[float]]
    model_version: str
    ended_at: datetime | None
    inspected_at: datetime
    review_status: str
    queue_reason: str | None


class InspectionDetail(InspectionOut):
    hits: list[HitOut]


class ReviewIn(Schema):
    verdicts: dict[int, Verdict] = Field(min_length=1, max_length=500)


class ServiceFailureIn(Schema):
    note: str = Field(default="", max_length=2000)


class CoachingNoteIn(Schema):
    agent_id: int
    body: str = Field(min_length=1, max_length=5000)
    inspection_id: int | None = None
    hit_id: int | None = None


class CoachingNoteOut(Schema):
    id: int
    agent_id: int
    inspection_id: int | None
    hit_id: int | None
    author_id: int | None
    body: str
    created_at: datetime


class AgentQualityOut(Schema):
    agent_id: int
    name: str
    inspections: int
    mean_score: float
    hits_by_kind: dict[str, int]
    hits_by_category: dict[str, int]


class TrendPoint(Schema):
    start: datetime
    inspections: int
    mean_score: float


class OutcomeOut(Schema):
    kind: str
    conversations: int
    customers: int
    churned: float | None
    complaints: float | None
    csat: float | None


class SummaryOut(Schema):
    workspace_id: int
    inspections: int
    queued: int
    score_bands: dict[str, int]
    hits_by_rule: dict[str, int]
    outcomes: list[OutcomeOut]


class AlertOut(Schema):
    id: int
    conversation_id: int
    agent_id: int | None
    message_seq: int
    anger: float
    trajectory: list[list[float]]
    cue: str | None
    status: str
    created_at: datetime


class EmotionIn(Schema):
    texts: list[str] = Field(min_length=1, max_length=100)


class EmotionOut(Schema):
    negativity: float
    anger: float
    cue: str | None
