"""Complaint request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from liuke.core.api import Schema

T = TypeVar("T")


class Figures(BaseModel, Generic[T]):
    """An analysis over a window of one workspace (the id says whose figures these are)."""

    model_config = ConfigDict(extra="forbid")
    workspace_id: int
    start: date
    end: date
    result: T


Kind = Literal["inquiry", "complaint", "suggestion"]
Category = Literal["product_quality", "service_policy", "work_quality", "other"]
Severity = Literal["low", "normal", "high", "critical"]
Channel = Literal["web", "email", "api", "phone"]
Tier = Literal["key_account", "ordinary"]
Status = Literal["new", "acknowledged", "in_progress", "resolved", "closed", "reopened"]
RootCause = Literal["person", "product", "process", "policy"]
Action = Literal["apology", "refund", "replacement", "compensation", "follow_up_call"]
Outcome = Literal["pending", "recovered", "not_recovered"]
FailureSource = Literal["case", "inspection", "sla"]


class CaseIn(Schema):
    kind: Kind = "complaint"
    title: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=20_000)
    source: Literal["email", "api", "agent"] = "api"
    customer_id: int | None = None
    conversation_id: int | None = None
    channel_kind: Channel | None = None
    category: Category | None = None
    product_line_id: int | None = None
    subcategory: str = Field(default="", max_length=100)
    severity: Severity = "normal"
    owner_id: int | None = None
    received_at: AwareDatetime | None = None  # a naive time would fail when stored
    external_id: str | None = Field(default=None, min_length=1, max_length=200)


class CaseOut(Schema):
    id: int
    number: str = ""
    kind: str
    status: str
    severity: str
    source: str
    title: str
    description: str
    external_id: str | None
    customer_id: int | None
    conversation_id: int | None
    channel_kind: str
    customer_tier: str
    category: str | None
    product_line_id: int | None
    subcategory: str
    category_confirmed: bool
    suggested_category: str | None
    suggested_category_confidence: float | None
    suggested_product_line_id: int | None
    suggested_product_line_confidence: float | None
    owner_id: int | None
    first_owner_id: int | None
    reassign_count: int
    reopen_count: int
    parent_id: int | None
    merged_into_id: int | None
    received_at: datetime
    due_at: datetime | None
    acknowledged_at: datetime | None
    customer_notified_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str
    review_status: str
    overdue: bool = False


class CaseEventOut(Schema):
    id: int
    case_id: int
    kind: str
    actor_id: int | None
    body: str
    data: dict[str, Any]
    created_at: datetime


class CaseDetail(CaseOut):
    timeline: list[CaseEventOut]
    children: list[int]
    merged: list[int]


class StatusIn(Schema):
    status: Status
    resolution: str | None = Field(default=None, max_length=20_000)


class AssignIn(Schema):
    owner_id: int
    reason: str = Field(default="", max_length=500)


class EntryIn(Schema):
    kind: Literal["note", "message"] = "note"
    body: str = Field(min_length=1, max_length=20_000)


class ClassifyIn(Schema):
    category: Category
    product_line_id: int | None = None
    subcategory: str | None = Field(default=None, max_length=100)


class CaseIdsIn(Schema):
    case_ids: list[int] = Field(min_length=1, max_length=500)


class ReviewIn(Schema):
    category: Category
    product_line_id: int | None = None
    note: str = Field(default="", max_length=2000)


class ReviewOut(Schema):
    id: int
    case_id: int
    reviewer_id: int | None
    first_category: str | None
    category: str
    first_product_line_id: int | None
    product_line_id: int | None
    agrees: bool
    note: str
    created_at: datetime


class AgreementOut(Schema):
    workspace_id: int
    reviewed: int
    agreed: int
    rate: float | None
    kappa: float | None
    queued: int


class TrainingOut(Schema):
    examples: int
    categories: int
    product_lines: int
    version: str


class GridCellOut(Schema):
    category: str
    product_line_id: int | None
    customer_tier: str
    channel_kind: str
    count: int


class GridOut(Schema):
    total: int
    cells: list[GridCellOut]
    per_10k_orders: dict[str, float | None]  # product line id -> complaints per 10,000 orders


class ChartPointOut(Schema):
    day: date
    count: int | None
    orders: float | None
    rate: float | None
    center: float | None
    lcl: float | None
    ucl: float | None
    signals: list[str]
    info: list[str]
    alert: bool
    missing_reason: str | None


class CellChartOut(Schema):
    dimension: str
    key: str
    cell: dict[str, Any]
    label: str
    chart: str
    note: str | None
    points: list[ChartPointOut]


class DetectIn(Schema):
    end: date | None = None
    days: int = Field(default=120, ge=14, le=3700)


class DetectOut(Schema):
    start: date
    end: date
    charts: int
    raised: list[int]
    updated: list[int]


class AlertOut(Schema):
    id: int
    dimension: str
    cell_key: str
    cell: dict[str, Any]
    period_kind: str
    first_period: date
    last_period: date
    peak_period: date
    peak_count: int
    peak_rate: float
    center: float
    ucl: float | None
    rules: list[str]
    evidence: dict[str, Any]
    status: str
    department: str
    escalated_at: datetime | None
    closed_at: datetime | None
    resolution: str
    created_at: datetime


class AlertStatusIn(Schema):
    status: Literal["escalated", "acknowledged", "closed"]
    resolution: str = Field(default="", max_length=5000)
    department: str | None = Field(default=None, max_length=100)


class RecoveryIn(Schema):
    source_kind: FailureSource
    source_id: int
    root_cause: RootCause
    action: Action
    cost: Decimal = Field(default=Decimal(0), ge=0, le=1_000_000)
    outcome: Outcome = "pending"
    cause_detail: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=5000)
    owner_id: int | None = None


class RecoveryPatch(Schema):
    root_cause: RootCause | None = None
    action: Action | None = None
    cost: Decimal | None = Field(default=None, ge=0, le=1_000_000)
    outcome: Outcome | None = None
    cause_detail: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)


class RecoveryOut(Schema):
    id: int
    source_kind: str
    source_id: int
    case_id: int | None
    conversation_id: int | None
    customer_id: int | None
    root_cause: str
    cause_detail: str
    action: str
    cost: Decimal
    outcome: str
    note: str
    owner_id: int | None
    created_at: datetime
    completed_at: datetime | None


class SettingsIn(Schema):
    due_hours: dict[str, int] | None = None
    review_share: float | None = None
    routing: dict[str, str] | None = None
    retrain_every: int | None = None
    min_repeat: int | None = None
    recipients: list[str] | None = None
    charts: dict[str, Any] | None = None
    min_excess: float | None = None
    merge_gap: int | None = None
    owner_group_id: int | None = None


class SettingsOut(Schema):
    workspace_id: int
    due_hours: dict[str, int]
    review_share: float
    routing: dict[str, str]
    retrain_every: int
    min_repeat: int
    recipients: list[str]
    charts: dict[str, Any]
    min_excess: float
    merge_gap: int
    owner_group_id: int | None


class WarningSendIn(Schema):
    day: date | None = None
    recipients: list[str] | None = Field(default=None, max_length=100)
    locale: Literal["zh_CN", "en"] = "zh_CN"


class WarningSendOut(Schema):
    message_id: str
    recipients: list[str]
    refused: dict[str, str]
