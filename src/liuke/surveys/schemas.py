"""Survey request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from liuke.core.api import Schema

Kind = Literal["csat", "nps", "ces", "custom"]
ChannelName = Literal["widget", "email", "link"]


class QuestionnaireIn(Schema):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    # checked question by question in the service, so a refusal names the question
    questions: list[dict[str, Any]] = Field(min_length=1, max_length=30)
    segment_id: int | None = None
    rotation_weight: int = Field(default=1, ge=0, le=1000)
    active: bool = True
    interval_days: int = Field(default=90, ge=1, le=3650)


class QuestionnairePatch(Schema):
    """Only the fields sent change; ``segment_id: null`` asks everyone again."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    questions: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=30)
    segment_id: int | None = None
    rotation_weight: int | None = Field(default=None, ge=0, le=1000)
    active: bool | None = None
    interval_days: int | None = Field(default=None, ge=1, le=3650)


class QuestionnaireOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    segment_id: int | None
    rotation_weight: int
    active: bool
    current_version: int
    interval_days: int
    created_at: datetime
    updated_at: datetime
    questions: list[dict[str, Any]] = Field(default_factory=list)


class VersionOut(Schema):
    version: int
    questions: list[dict[str, Any]]
    created_at: datetime
    created_by: int | None


class InviteIn(Schema):
    kind: Kind
    channel: ChannelName = "link"
    conversation_id: int | None = None
    customer_id: int | None = None
    questionnaire_id: int | None = None


class InvitationOut(Schema):
    id: int
    questionnaire_id: int
    version: int
    kind: str
    customer_id: int | None
    conversation_id: int | None
    agent_id: int | None
    channel: str
    trigger: str
    status: str
    error: str
    sent_at: datetime
    expires_at: datetime | None
    answered_at: datetime | None
    url: str = ""  # the public answer path, /s/{token}


class PeriodicOut(BaseModel):
    invited: int


class PublicQuestion(BaseModel):
    key: str
    kind: str
    text: str
    required: bool
    min: int | None = None
    max: int | None = None
    choices: list[str] = Field(default_factory=list)


class PublicForm(BaseModel):
    """What an anonymous customer sees for a token: the questions and whether it is open."""

    kind: str
    state: Literal["open", "answered", "expired"]
    locale: str
    questions: list[PublicQuestion]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # values are checked against each question's kind in the service (400 names the question)
    answers: dict[str, Any]


class AnswerOut(BaseModel):
    status: Literal["answered"] = "answered"
    kind: str
    score: float | None


class ResponseOut(Schema):
    id: int
    invitation_id: int | None
    questionnaire_id: int
    version: int
    kind: str
    customer_id: int | None
    conversation_id: int | None
    agent_id: int | None
    channel: str
    score: float | None
    answers: dict[str, Any]
    comment: str
    submitted_at: datetime


class ScoresOut(BaseModel):
    csat_n: int
    csat_mean: float | None
    csat_satisfied: float | None
    nps_n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ces_n: int
    ces_mean: float | None


class AgentScoresOut(ScoresOut):
    agent_id: int | None


class ChannelScoresOut(ScoresOut):
    channel: str


class WeekScoresOut(ScoresOut):
    week: date


class ResultsOut(BaseModel):
    workspace_id: int
    start: date
    end: date
    overall: ScoresOut
    by_agent: list[AgentScoresOut]
    by_channel: list[ChannelScoresOut]
    by_week: list[WeekScoresOut]


class RateOut(BaseModel):
    sent: int
    answered: int
    failed: int
    rate: float | None


class KeyedRateOut(RateOut):
    key: str | None


class RatesOut(BaseModel):
    workspace_id: int
    start: date
    end: date
    overall: RateOut
    by_kind: list[KeyedRateOut]
    by_channel: list[KeyedRateOut]
    by_agent: list[KeyedRateOut]


class IpaAttributeOut(BaseModel):
    attribute: str
    answers: int
    mean: float
    share_satisfied: float
    importance: float
    correlation: float | None
    important: bool
    gap: bool
    quadrant: str


class IpaExcludedOut(BaseModel):
    attribute: str
    code: str


class IpaResultOut(BaseModel):
    method: str
    responses: int
    complete: int
    performance_cross: float | None
    importance_cross: float | None
    r_squared: float | None
    target: float
    attributes: list[IpaAttributeOut]
    excluded: list[IpaExcludedOut]


class IpaOut(BaseModel):
    workspace_id: int
    start: date
    end: date
    responses: int
    attributes: list[str]
    derived: IpaResultOut | None
    derived_error: str | None
    stated: IpaResultOut | None
    stated_importance: dict[str, float]
