"""Conversation request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from liuke.core.api import Schema

ChannelKind = Literal["web", "email", "api", "phone"]
Status = Literal["open", "pending", "resolved", "closed", "abandoned"]
SenderType = Literal["customer", "bot", "agent", "system"]


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    platform: str
    config: dict[str, Any]
    is_active: bool


class ChannelIn(Schema):
    kind: ChannelKind
    name: str = Field(min_length=1, max_length=100)
    platform: str = Field(default="", max_length=64)
    config: dict[str, Any] = Field(default_factory=dict, max_length=50)


class ChannelPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    platform: str | None = Field(default=None, max_length=64)
    config: dict[str, Any] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class ConversationOut(Schema):
    id: int
    channel_id: int
    customer_id: int | None
    external_id: str | None
    subject: str
    status: str
    assignee_id: int | None
    skill_group_id: int | None
    product_line_id: int | None
    created_at: datetime
    first_response_at: datetime | None
    last_message_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    transfer_count: int
    message_count: int
    handled_by_bot: bool
    labels: list[str]
    meta: dict[str, Any]


class ConversationIn(Schema):
    channel_id: int
    customer_id: int | None = None
    subject: str = Field(default="", max_length=300)
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    skill_group_id: int | None = None
    product_line_id: int | None = None
    assignee_id: int | None = None
    labels: list[str] = Field(default_factory=list, max_length=30)
    created_at: AwareDatetime | None = None
    meta: dict[str, Any] = Field(default_factory=dict, max_length=50)


class ConversationPatch(Schema):
    status: Status | None = None
    assignee_id: int | None = None
    skill_group_id: int | None = None
    product_line_id: int | None = None
    subject: str | None = Field(default=None, max_length=300)
    labels: list[str] | None = Field(default=None, max_length=30)


class TransferIn(Schema):
    reason: str = Field(min_length=1, max_length=500)
    to_user_id: int | None = None
    to_skill_group_id: int | None = None


class MessageOut(Schema):
    id: int
    conversation_id: int
    seq: int
    sender_type: str
    sender_user_id: int | None
    body: str
    created_at: datetime
    idempotency_key: str | None
    meta: dict[str, Any]


class MessageIn(Schema):
    sender_type: SenderType
    body: str = Field(min_length=1, max_length=20_000)
    sender_user_id: int | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    created_at: AwareDatetime | None = None
    meta: dict[str, Any] = Field(default_factory=dict, max_length=50)


class BatchMessageIn(MessageIn):
    conversation_id: int


class BatchIn(Schema):
    messages: list[BatchMessageIn] = Field(min_length=1, max_length=1000)


class PostedOut(Schema):
    message_id: int
    conversation_id: int
    seq: int
    created: bool
