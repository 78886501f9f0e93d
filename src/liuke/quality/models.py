"""Quality tables: editable rules, one inspection per conversation, its hits, reviews, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdType, WorkspaceScoped

REVIEW_STATES = ("none", "queued", "reviewed")
QUEUE_REASONS = ("low_score", "anger", "sample")
VERDICTS = ("confirmed", "overturned")
ALERT_STATES = ("open", "acknowledged")


class InspectionRule(WorkspaceScoped, Base):
    __tablename__ = "quality_rules"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    weight: Mapped[int] = mapped_column(default=5)  # points off per hit
    max_hits: Mapped[int] = mapped_column(default=3)  # hits beyond this cost nothing more
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inspection(WorkspaceScoped, Base):
    __tablename__ = "inspections"
    __table_args__ = (
        UniqueConstraint("workspace_id", "conversation_id"),
        Index("ix_inspections_ws_review", "workspace_id", "review_status", "score"),
        Index("ix_inspections_ws_agent_day", "workspace_id", "agent_id", "ended_at"),
    )

    conversation_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    agent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    score: Mapped[int] = mapped_column()
    hit_count: Mapped[int] = mapped_column(default=0)
    max_anger: Mapped[float] = mapped_column(Float, default=0.0)
    escalation: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    trajectory: Mapped[list[list[float]]] = mapped_column(JSONType, default=list)  # [seq, anger]
    model_version: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_status: Mapped[str] = mapped_column(String(16), default="none")
    queue_reason: Mapped[str | None] = mapped_column(String(16))
    reviewed_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InspectionHit(WorkspaceScoped, Base):
    __tablename__ = "inspection_hits"
    __table_args__ = (
        Index("ix_inspection_hits_ws_rule", "workspace_id", "rule_code"),
        Index("ix_inspection_hits_ws_agent", "workspace_id", "agent_id"),
    )

    inspection_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    rule_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(32))
    message_seq: Mapped[int | None] = mapped_column()
    agent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    evidence: Mapped[str] = mapped_column(String(200), default="")
    span_start: Mapped[int | None] = mapped_column()
    span_end: Mapped[int | None] = mapped_column()
    points: Mapped[int] = mapped_column(default=0)
    verdict: Mapped[str | None] = mapped_column(String(16))
    reviewed_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CoachingNote(WorkspaceScoped, Base):
    __tablename__ = "coaching_notes"

    agent_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    inspection_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("inspections.id", ondelete="SET NULL")
    )
    hit_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("inspection_hits.id", ondelete="SET NULL")
    )
    author_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QualityAlert(WorkspaceScoped, Base):
    """Rising customer anger in a live conversation, for the agent and the supervisor."""

    __tablename__ = "quality_alerts"
    __table_args__ = (Index("ix_quality_alerts_ws_status", "workspace_id", "status"),)

    conversation_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    message_seq: Mapped[int] = mapped_column()
    anger: Mapped[float] = mapped_column(Float)
    trajectory: Mapped[list[list[float]]] = mapped_column(JSONType, default=list)
    cue: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
