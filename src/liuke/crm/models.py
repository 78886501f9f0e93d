"""Retention tables: segments and membership over time, per-customer scores, follow-up visits,
churn records with their reasons, and win-back campaigns.

``customer_scores`` is the one row per customer that every retention page reads (RFM, value tier,
grade with reasons, churn probability with reasons); the daily job rewrites it, so pages never
fit a model or scan orders on a request.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdType, WorkspaceScoped

Money = Numeric(14, 2)
SEGMENT_KINDS = ("rule", "rfm", "value_tier")
FOLLOW_UP_KINDS = ("complaint_resolved", "high_risk", "periodic", "winback", "manual")
FOLLOW_UP_STATES = ("open", "done", "cancelled")
FOLLOW_UP_OUTCOMES = ("reached", "not_reached", "resolved_issue", "retained", "churned", "other")
CHURN_REASONS = ("attitude", "product", "price", "competitor", "other", "unknown")
CHURN_SOURCES = ("recorded", "detected", "imported")
CAMPAIGN_STATES = ("draft", "running", "finished")


class Segment(WorkspaceScoped, Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="rule")
    rule: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SegmentMembership(WorkspaceScoped, Base):
    """A spell of membership: [since, until); ``until`` is None while the customer is a member."""

    __tablename__ = "segment_memberships"
    __table_args__ = (
        Index("ix_segmem_segment_open", "segment_id", "until"),
        Index("ix_segmem_ws_customer", "workspace_id", "customer_id"),
    )

    segment_id: Mapped[int] = mapped_column(IdType, ForeignKey("segments.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id", ondelete="CASCADE"))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)


class CustomerScore(WorkspaceScoped, Base):
    __tablename__ = "customer_scores"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id"),
        Index("ix_custscore_ws_risk", "workspace_id", "churn_probability"),
    )

    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column(Date)
    recency_days: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer, default=0)
    monetary: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    rfm_code: Mapped[str] = mapped_column(String(8), default="")
    rfm_segment: Mapped[str] = mapped_column(String(32), default="")
    value_tier: Mapped[str] = mapped_column(String(16), default="")
    grade: Mapped[str] = mapped_column(String(1), default="")
    grade_score: Mapped[int] = mapped_column(Integer, default=0)
    grade_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    churn_probability: Mapped[float | None] = mapped_column(Float)
    churn_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    features: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(WorkspaceScoped, Base):
    """A follow-up visit (回访). ``source_*`` makes rule-made tasks idempotent."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "source_kind", "source_id"),
        Index("ix_followups_ws_status_due", "workspace_id", "status", "due_at"),
        Index("ix_followups_ws_assignee", "workspace_id", "assignee_id"),
        Index("ix_followups_ws_customer", "workspace_id", "customer_id"),
    )

    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    source_kind: Mapped[str] = mapped_column(String(24), default="manual")
    source_id: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    assignee_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChurnRecord(WorkspaceScoped, Base):
    """A lost customer and why: the churn-reason distribution is counted from these rows."""

    __tablename__ = "churn_records"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id"),
        Index("ix_churn_ws_time", "workspace_id", "churned_at"),
    )

    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id", ondelete="CASCADE"))
    churned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16), default="recorded")
    reason: Mapped[str] = mapped_column(String(16), default="unknown")
    detail: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    won_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(WorkspaceScoped, Base):
    """A targeted win-back or retention campaign to a segment, with a holdout to measure it."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    segment_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("segments.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16), default="email")
    offer: Mapped[str] = mapped_column(Text, default="")
    cost_per_contact: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    holdout_share: Mapped[float] = mapped_column(Float, default=0.1)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignTarget(WorkspaceScoped, Base):
    __tablename__ = "campaign_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id", ondelete="CASCADE"))
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # filled from orders after the start: did they buy again, and how much
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revenue_after: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
