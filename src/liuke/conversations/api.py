"""REST endpoints for channels, conversations and messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from liuke.conversations import service
from liuke.conversations.models import Channel, Conversation
from liuke.conversations.schemas import (
    BatchIn,
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ConversationIn,
    ConversationOut,
    ConversationPatch,
    MessageIn,
    MessageOut,
    PostedOut,
    Status,
    TransferIn,
)
from liuke.core.api import Page, PageParams, page_params
from liuke.core.errors import BadRequest
from liuke.core.pagination import to_page
from liuke.core.tenancy import get_scoped, scoped
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1", tags=["conversations"])
Reader = Annotated[Principal, Depends(require("conversations.read"))]
Writer = Annotated[Principal, Depends(require("conversations.write"))]
ChannelAdmin = Annotated[Principal, Depends(require("channels.manage"))]
Paging = Annotated[PageParams, Depends(page_params)]


def conversation_out(c: Conversation) -> ConversationOut:
    return ConversationOut(
        **{f: getattr(c, f) for f in ConversationOut.model_fields if f != "labels"},
        labels=sorted(lbl.label for lbl in c.labels),  # the same order before and after a reload
    )


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(principal: Reader, s: DbSession) -> list[Channel]:
    return list(s.scalars(scoped(Channel, principal.workspace_id).order_by(Channel.id)))


@router.post("/channels", response_model=ChannelOut, status_code=201)
def create_channel(body: ChannelIn, principal: ChannelAdmin, s: DbSession) -> Channel:
    return service.create_channel(
        s, principal.workspace_id, body.kind, body.name, body.platform, body.config
    )


@router.get("/channels/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: int, principal: Reader, s: DbSession) -> Channel:
    return get_scoped(s, Channel, principal.workspace_id, channel_id, "channel")


@router.patch("/channels/{channel_id}", response_model=ChannelOut)
def patch_channel(
    channel_id: int, body: ChannelPatch, principal: ChannelAdmin, s: DbSession
) -> Channel:
    fields = body.model_dump(exclude_unset=True)
    for field, value in fields.items():
        if value is None:
            raise BadRequest(detail=f"{field} cannot be null")
    return service.update_channel(s, principal.workspace_id, channel_id, **fields)


@router.get("/conversations", response_model=Page[ConversationOut])
def list_conversations(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    status: Status | None = None,
    channel_id: int | None = None,
    customer_id: int | None = None,
    assignee_id: int | None = None,
    skill_group_id: int | None = None,
    label: str | None = None,
) -> Page[ConversationOut]:
    f = service.ConversationFilter(
        status=status,
        channel_id=channel_id,
        customer_id=customer_id,
        assignee_id=assignee_id,
        skill_group_id=skill_group_id,
        label=label,
    )
    rows, total = service.list_conversations(
        s, principal.workspace_id, f, paging.limit, paging.offset
    )
    return to_page(rows, total, paging, conversation_out)


@router.post("/conversations", response_model=ConversationOut, status_code=201)
def create_conversation(
    body: ConversationIn, principal: Writer, s: DbSession, response: Response
) -> ConversationOut:
    conv, created = service.create_conversation(s, principal.workspace_id, **body.model_dump())
    if not created:
        response.status_code = 200
    return conversation_out(conv)


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
def get_conversation(conversation_id: int, principal: Reader, s: DbSession) -> ConversationOut:
    return conversation_out(
        get_scoped(s, Conversation, principal.workspace_id, conversation_id, "conversation")
    )


@router.patch("/conversations/{conversation_id}", response_model=ConversationOut)
def patch_conversation(
    conversation_id: int, body: ConversationPatch, principal: Writer, s: DbSession
) -> ConversationOut:
    conv = service.update_conversation(
        s, principal.workspace_id, conversation_id, **body.model_dump(exclude_unset=True)
    )
    return conversation_out(conv)


@router.post("/conversations/{conversation_id}/transfer", response_model=ConversationOut)
def transfer(
    conversation_id: int, body: TransferIn, principal: Writer, s: DbSession
) -> ConversationOut:
    conv = service.transfer_conversation(
        s,
        principal.workspace_id,
        conversation_id,
        reason=body.reason,
        to_user_id=body.to_user_id,
        to_skill_group_id=body.to_skill_group_id,
        by_user_id=principal.user_id,
    )
    return conversation_out(conv)


@router.get("/conversations/{conversation_id}/messages", response_model=list[MessageOut])
def list_messages(
    conversation_id: int,
    principal: Reader,
    s: DbSession,
    request_paging: Paging,
    after_seq: int = 0,
) -> list[MessageOut]:
    rows = service.list_messages(
        s, principal.workspace_id, conversation_id, after_seq, request_paging.limit
    )
    return [MessageOut.model_validate(m) for m in rows]


@router.post("/conversations/{conversation_id}/messages", response_model=PostedOut, status_code=201)
def post_message(
    conversation_id: int,
    body: MessageIn,
    principal: Writer,
    s: DbSession,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> PostedOut:
    """Append a message; resending with the same idempotency key returns the original (200)."""
    key = body.idempotency_key or idempotency_key
    if body.sender_type == "agent" and body.sender_user_id is None:
        body.sender_user_id = principal.user_id
    posted = service.post_message(
        s,
        principal.workspace_id,
        service.NewMessage(
            conversation_id=conversation_id,
            sender_type=body.sender_type,
            body=body.body,
            sender_user_id=body.sender_user_id,
            idempotency_key=key,
            created_at=body.created_at,
            meta=body.meta,
        ),
    )
    if not posted.created:
        response.status_code = 200
    return PostedOut(**posted.__dict__)


@router.post("/messages:batch", response_model=list[PostedOut])
def post_batch(body: BatchIn, principal: Writer, s: DbSession) -> list[PostedOut]:
    """Append up to 1,000 messages in one transaction: all are stored or none."""
    items = [
        service.NewMessage(
            conversation_id=m.conversation_id,
            sender_type=m.sender_type,
            body=m.body,
            sender_user_id=m.sender_user_id
            if m.sender_user_id is not None or m.sender_type != "agent"
            else principal.user_id,
            idempotency_key=m.idempotency_key,
            created_at=m.created_at,
            meta=m.meta,
        )
        for m in body.messages
    ]
    return [
        PostedOut(**p.__dict__) for p in service.post_messages(s, principal.workspace_id, items)
    ]
