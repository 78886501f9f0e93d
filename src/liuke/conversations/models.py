"""Conversation tables.

Timestamps that metrics need (created, first response, resolved) live on the conversation row
so the metric catalogue reads one table instead of re-deriving them from messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdMixin, IdType, WorkspaceScoped

CHANNEL_KINDS = ("web", "email", "api", "phone")
STATUSES = ("open", "pending", "resolved", "closed", "abandoned")
SENDER_TYPES = ("customer", "bot", "agent", "system")


class Channel(WorkspaceScoped, Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(64), default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(WorkspaceScoped, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", "external_id"),
        Index("ix_conv_ws_status", "workspace_id", "status"),
        Index("ix_conv_ws_created", "workspace_id", "created_at"),
        Index("ix_conv_ws_assignee", "workspace_id", "assignee_id"),
        Index("ix_conv_ws_customer", "workspace_id", "customer_id"),
        Index("ix_conv_ws_intent", "workspace_id", "intent"),
    )

    channel_id: Mapped[int] = mapped_column(IdType, ForeignKey("channels.id", ondelete="RESTRICT"))
    customer_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="SET NULL")
    )
    external_id: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    skill_group_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("skill_groups.id", ondelete="SET NULL"), index=True
    )
    product_line_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("product_lines.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transfer_count: Mapped[int] = mapped_column(default=0)
    message_count: Mapped[int] = mapped_column(default=0)
    handled_by_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    # routing intent (the bot's or an importer's); a column so metrics can break down by it
    intent: Mapped[str | None] = mapped_column(String(64))
    # false when the source has no real times (JDDC) or lost the start (partial Twitter
    # threads): response-time metrics leave such conversations out
    timing_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    labels: Mapped[list[ConversationLabel]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ConversationLabel.label"
    )


class ConversationLabel(IdMixin, Base):
    __tablename__ = "conversation_labels"
    __table_args__ = (
        UniqueConstraint("conversation_id", "label"),
        Index("ix_conv_labels_ws_label", "workspace_id", "label"),
    )

    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    conversation_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    label: Mapped[str] = mapped_column(String(64))


class Message(WorkspaceScoped, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        UniqueConstraint("conversation_id", "seq"),
        Index("ix_messages_ws_created", "workspace_id", "created_at"),
    )

    conversation_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column()
    sender_type: Mapped[str] = mapped_column(String(16))
    sender_user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


def intent_of(meta: dict[str, Any]) -> str | None:
    """The routing intent recorded in a conversation's meta, if it is a usable name."""
    value = meta.get("intent")
    return value[:64] if isinstance(value, str) and value else None


def timing_known_of(meta: dict[str, Any]) -> bool:
    """Whether the conversation's times are real: importers flag the sources where they are not."""
    return meta.get("timestamps") != "absent" and not meta.get("partial")
