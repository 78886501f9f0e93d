"""Retention request and response bodies (figures computed by the services are returned as their
own dataclasses: ``ValuePanel``, ``Distribution``, ``CampaignResults``, ``Panel``, ``Result``...)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, Field

from liuke.core.api import Schema

ValueTier = Literal["top20", "next30", "rest50", "none"]
Letter = Literal["A", "B", "C", "D"]
CustomerTier = Literal["key_account", "ordinary"]
FollowUpKind = Literal["complaint_resolved", "high_risk", "periodic", "winback", "manual"]
FollowUpStatus = Literal["open", "done", "cancelled"]
Outcome = Literal["reached", "not_reached", "resolved_issue", "retained", "churned", "other"]
Reason = Literal["attitude", "product", "price", "competitor", "other", "unknown"]
T = TypeVar("T")


class Scoped(BaseModel, Generic[T]):
    """Figures of one workspace (the id says whose figures these are, as every figure does)."""

    workspace_id: int
    result: T


Source = Literal["recorded", "detected", "imported"]
Channel = Literal["email", "sms", "phone", "wechat", "app", "other"]
CampaignStatus = Literal["draft", "running", "finished"]


# --- scores and profiles ----------------------------------------------------------------------


class GradeReasonOut(Schema):
    code: str
    label_zh: str
    label_en: str
    points: int


class ScoreOut(Schema):
    customer_id: int
    name: str = ""
    tier: str = ""
    as_of: date
    no_history: bool  # no paid order: no RFM, tier "none", the grade's "no history" reason
    recency_days: int | None
    frequency: int
    monetary: Decimal
    rfm_code: str
    rfm_segment: str
    value_tier: str
    grade: str
    grade_score: int
    grade_reasons: list[GradeReasonOut]
    churn_probability: float | None
    churn_reasons: list[dict[str, Any]]
    model_version: str
    computed_at: datetime


class RefreshProfilesIn(Schema):
    as_of: date | None = None  # default: yesterday in the workspace's time zone


class RefreshProfilesOut(Schema):
    as_of: date
    profiles: int


class SpellOut(Schema):
    segment_id: int
    code: str
    name: str
    since: date
    until: date | None


# --- segments ---------------------------------------------------------------------------------


class SegmentIn(Schema):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    rule: Any
    active: bool = True


class SegmentPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    rule: Any = None
    active: bool | None = None


class SegmentOut(Schema):
    id: int
    code: str
    name: str
    description: str
    kind: str
    system: bool
    rule: dict[str, Any]
    rule_text: str  # the rule as a sentence in the request's language
    active: bool
    member_count: int
    empty: bool
    note: str  # e.g. "no customer matches this segment at the last refresh"
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MemberOut(Schema):
    customer_id: int
    name: str
    tier: str
    since: date
    rfm_segment: str | None
    value_tier: str | None
    grade: str | None
    monetary: Decimal | None
    churn_probability: float | None


class HistoryDayOut(Schema):
    day: date
    joined: int
    left: int
    members: int


class MembershipRefreshIn(Schema):
    day: date | None = None  # default: today in the workspace's time zone
    codes: list[str] | None = Field(default=None, max_length=200)


class MembershipRefreshOut(Schema):
    day: date
    segments: int
    joined: int
    left: int
    members: dict[str, int]
    empty: list[str]


class PreviewIn(Schema):
    rule: Any
    day: date | None = None


class PreviewOut(Schema):
    matching: int
    customers: int
    sample: list[int]
    description_zh: str
    description_en: str


# --- follow-ups -------------------------------------------------------------------------------


class FollowUpIn(Schema):
    customer_id: int
    due_at: AwareDatetime
    reason: str = Field(default="", max_length=500)
    kind: Literal["manual", "winback"] = "manual"
    assignee_id: int | None = None


class FollowUpOut(Schema):
    id: int
    customer_id: int
    kind: str
    source_kind: str
    source_id: str
    reason: str
    assignee_id: int | None
    due_at: datetime
    status: str
    outcome: str | None
    note: str
    completed_at: datetime | None
    completed_by: int | None
    created_at: datetime
    overdue: bool = False


class CompleteIn(Schema):
    outcome: Outcome
    note: str = Field(default="", max_length=5000)


class ReassignIn(Schema):
    assignee_id: int


class RescheduleIn(Schema):
    due_at: AwareDatetime


class CancelIn(Schema):
    note: str = Field(default="", max_length=5000)


class RunRulesIn(Schema):
    now: AwareDatetime | None = None


class RuleReportOut(Schema):
    day: date
    complaint_resolved: int
    high_risk: int
    periodic: int
    created: int
    unassigned: int
    notes: list[str]


class AssigneeLoadOut(Schema):
    assignee_id: int | None
    name: str
    open: int
    overdue: int


class OverdueOut(Schema):
    open: int
    overdue: int
    due_today: int
    by_kind: dict[str, dict[str, int]]
    by_assignee: list[AssigneeLoadOut]
    oldest_overdue_at: datetime | None


class ProfileOut(Schema):
    customer_id: int
    name: str
    tier: str
    score: ScoreOut | None  # None: profiles not refreshed since the customer was created
    note: str
    segments: list[SpellOut]  # current
    segment_history: list[SpellOut]
    follow_ups: list[FollowUpOut]  # the latest 20
    churn: ChurnRecordOut | None


# --- churn and campaigns ----------------------------------------------------------------------


class ChurnRecordOut(Schema):
    id: int
    customer_id: int
    customer_name: str = ""
    churned_at: datetime
    source: str
    reason: str
    detail: str
    recorded_by: int | None
    won_back_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ChurnRecordIn(Schema):
    customer_id: int
    reason: Reason
    detail: str = Field(default="", max_length=2000)
    churned_at: AwareDatetime | None = None


class ChurnReasonPatch(Schema):
    reason: Reason
    detail: str | None = Field(default=None, max_length=2000)


class CampaignIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    segment_id: int
    channel: Channel = "email"
    offer: str = Field(default="", max_length=5000)
    cost_per_contact: Decimal = Field(default=Decimal("0"), ge=0, le=1_000_000_000)
    holdout_share: float = Field(default=0.1, ge=0, le=0.9)
    seed: int | None = None


class CampaignOut(Schema):
    id: int
    name: str
    segment_id: int | None
    channel: str
    offer: str
    cost_per_contact: Decimal
    holdout_share: float
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    targets: int = 0
    held_out: int = 0


# --- economics and settings -------------------------------------------------------------------


class CalculatorIn(Schema):
    customers: int = Field(ge=0, le=10**9)
    revenue_per_customer: Decimal = Field(ge=0, le=10**9)
    retention_rate: float = Field(ge=0, le=0.99)
    gross_margin: float | None = Field(default=None, ge=0, le=1)
    acquisition_cost: Decimal | None = Field(default=None, ge=0, le=10**9)
    retention_cost: Decimal | None = Field(default=None, ge=0, le=10**9)
    discount_rate: float = Field(default=0.0, ge=0, le=1)


class SettingsIn(Schema):
    churn_inactive_days: int | None = None
    high_risk: float | None = None
    follow_up_after_complaint_days: int | None = None
    follow_up_high_risk_tiers: list[str] | None = None
    follow_up_due_days: int | None = None
    periodic_segment_codes: list[str] | None = None
    periodic_days: int | None = None
    follow_up_group_id: int | None = None
    acquisition_cost: Decimal | None = None
    retention_cost: Decimal | None = None
    gross_margin: float | None = None


class SettingsOut(Schema):
    workspace_id: int
    churn_inactive_days: int
    high_risk: float
    follow_up_after_complaint_days: int
    follow_up_high_risk_tiers: list[str]
    follow_up_due_days: int
    periodic_segment_codes: list[str]
    periodic_days: int
    follow_up_group_id: int | None
    acquisition_cost: Decimal | None
    retention_cost: Decimal | None
    gross_margin: float | None
    economics_configured: bool


ProfileOut.model_rebuild()
