"""Survey tables: questionnaires with immutable versions, invitations, and answers.

A version is never edited once sent (answers must stay readable against the questions they
answered), so changing a questionnaire adds a version. An invitation is the unit of the
response rate: one per (questionnaire kind, conversation) for CSAT/CES, so a resolved
conversation is never asked twice, and one token per invitation for the answer link.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdType, WorkspaceScoped

KINDS = ("csat", "nps", "ces", "custom")
QUESTION_KINDS = ("csat5", "nps10", "ces7", "scale5", "choice", "text")
CHANNELS = ("widget", "email", "link")
TRIGGERS = ("resolved", "periodic", "manual")
INVITATION_STATES = ("pending", "sent", "answered", "expired", "failed")


class Questionnaire(WorkspaceScoped, Base):
    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # csat|nps|ces|custom
    # who is asked: a segment's members only (None: everyone); the rotation picks among the
    # active questionnaires of a kind that fit the customer, by weight
    segment_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("segments.id", ondelete="SET NULL")
    )
    rotation_weight: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # periodic (NPS) questionnaires: ask a customer again after this many days at the earliest
    interval_days: Mapped[int] = mapped_column(Integer, default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuestionnaireVersion(WorkspaceScoped, Base):
    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    questionnaire_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    # [{"key", "kind", "text": {"zh_CN", "en"}, "attribute": str|None, "required": bool,
    #   "choices": [...]}]; the first question of the kind's scale is the headline score
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )


class SurveyInvitation(WorkspaceScoped, Base):
    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("token"),
        UniqueConstraint("workspace_id", "kind", "conversation_id"),
        Index("ix_survey_inv_ws_sent", "workspace_id", "sent_at"),
        Index("ix_survey_inv_ws_customer", "workspace_id", "customer_id"),
    )

    questionnaire_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="SET NULL")
    )
    agent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))  # widget|email|link
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    token: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyResponse(WorkspaceScoped, Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("invitation_id"),
        Index("ix_survey_resp_ws_time", "workspace_id", "submitted_at"),
        Index("ix_survey_resp_ws_customer", "workspace_id", "customer_id"),
        Index("ix_survey_resp_ws_agent", "workspace_id", "agent_id"),
    )

    invitation_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("survey_invitations.id", ondelete="SET NULL")
    )
    questionnaire_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)  # the headline answer (CSAT 1-5, NPS 0-10)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
