"""Complaint tables: cases and their history, second reviews, chart alerts, recovery records.

A case keeps the grid cell it landed in (category, product line, customer tier and channel at
the time it was received), so the grid and the charts never change when a customer's tier does.
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
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdType, WorkspaceScoped

KINDS = ("inquiry", "complaint", "suggestion")
STATUSES = ("new", "acknowledged", "in_progress", "resolved", "closed", "reopened")
OPEN_STATUSES = ("new", "acknowledged", "in_progress", "reopened")
CATEGORIES = ("product_quality", "service_policy", "work_quality", "other")
SEVERITIES = ("low", "normal", "high", "critical")
SOURCES = ("conversation", "email", "api", "agent", "import")
TIERS = ("key_account", "ordinary")
REVIEW_STATES = ("none", "queued", "reviewed")
ALERT_STATES = ("open", "escalated", "acknowledged", "closed")
ROOT_CAUSES = ("person", "product", "process", "policy")
ACTIONS = ("apology", "refund", "replacement", "compensation", "follow_up_call")
OUTCOMES = ("pending", "recovered", "not_recovered")
FAILURE_SOURCES = ("case", "inspection", "sla")

Money = Numeric(14, 2)


class Case(WorkspaceScoped, Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        UniqueConstraint("workspace_id", "conversation_id"),
        Index("ix_cases_ws_status", "workspace_id", "status"),
        Index("ix_cases_ws_received", "workspace_id", "received_at"),
        Index("ix_cases_ws_customer", "workspace_id", "customer_id"),
        Index("ix_cases_ws_owner", "workspace_id", "owner_id"),
        Index("ix_cases_ws_review", "workspace_id", "review_status"),
    )

    kind: Mapped[str] = mapped_column(String(16), default="complaint")
    status: Mapped[str] = mapped_column(String(16), default="new")
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    source: Mapped[str] = mapped_column(String(16), default="agent")
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="SET NULL")
    )
    # the grid cell, fixed when the case is received (tier and channel as they were then)
    channel_kind: Mapped[str] = mapped_column(String(16), default="api")
    customer_tier: Mapped[str] = mapped_column(String(16), default="ordinary")
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    product_line_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("product_lines.id", ondelete="SET NULL"), index=True
    )
    subcategory: Mapped[str] = mapped_column(String(100), default="")
    category_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # the classifier's suggestion, kept beside the confirmed value so accuracy can be measured
    suggested_category: Mapped[str | None] = mapped_column(String(32))
    suggested_category_confidence: Mapped[float | None] = mapped_column(Float)
    suggested_product_line_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("product_lines.id", ondelete="SET NULL")
    )
    suggested_product_line_confidence: Mapped[float | None] = mapped_column(Float)
    classifier_version: Mapped[str] = mapped_column(String(64), default="")
    owner_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    first_owner_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    reassign_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    parent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str] = mapped_column(Text, default="")
    review_status: Mapped[str] = mapped_column(String(16), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class CaseEvent(WorkspaceScoped, Base):
    """The case's history: messages, notes and every change, kept through merges."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    case_id: Mapped[int] = mapped_column(IdType, ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseReview(WorkspaceScoped, Base):
    """A second reviewer's classification of a sampled case (quality-assurance sampling)."""

    __tablename__ = "case_reviews"
    __table_args__ = (UniqueConstraint("workspace_id", "case_id"),)

    case_id: Mapped[int] = mapped_column(IdType, ForeignKey("cases.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    first_category: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    first_product_line_id: Mapped[int | None] = mapped_column(IdType)
    product_line_id: Mapped[int | None] = mapped_column(IdType)
    agrees: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintAlert(WorkspaceScoped, Base):
    """One out-of-control episode of one chart cell, escalated and tracked until closed."""

    __tablename__ = "complaint_alerts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "cell_key", "period_kind", "first_period"),
        Index("ix_complaint_alerts_ws_status", "workspace_id", "status"),
    )

    dimension: Mapped[str] = mapped_column(String(32))
    cell_key: Mapped[str] = mapped_column(String(200))
    cell: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    period_kind: Mapped[str] = mapped_column(String(8), default="day")
    first_period: Mapped[date] = mapped_column(Date)
    last_period: Mapped[date] = mapped_column(Date)
    peak_period: Mapped[date] = mapped_column(Date)
    peak_count: Mapped[int] = mapped_column(default=0)
    peak_rate: Mapped[float] = mapped_column(Float, default=0.0)
    center: Mapped[float] = mapped_column(Float, default=0.0)
    ucl: Mapped[float | None] = mapped_column(Float)
    rules: Mapped[list[str]] = mapped_column(JSONType, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    department: Mapped[str] = mapped_column(String(100), default="")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    resolution: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryRecord(WorkspaceScoped, Base):
    """One service failure's root cause, the recovery action taken, its cost and its outcome."""

    __tablename__ = "recovery_records"
    __table_args__ = (
        Index("ix_recovery_ws_source", "workspace_id", "source_kind", "source_id"),
        Index("ix_recovery_ws_created", "workspace_id", "created_at"),
    )

    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(IdType)
    case_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="SET NULL")
    )
    customer_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="SET NULL")
    )
    root_cause: Mapped[str] = mapped_column(String(16))
    cause_detail: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(32))
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
