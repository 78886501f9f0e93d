"""Conversation service functions: channels, status rules, transfers and the message path."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from liuke.conversations import service
from liuke.conversations.models import Conversation, Message
from liuke.conversations.service import NewMessage
from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, IdempotencyConflict, NotFound
from liuke.core.events import OutboxEvent
from liuke.workspaces import service as ws_service
from tests.conftest import WorkspaceCtx

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def web(db: Database, workspace_id: int) -> int:
    with db.session() as s:
        return service.channel_by_kind(s, workspace_id, "web").id


def conversation(db: Database, workspace_id: int, **kw: object) -> int:
    with db.session() as s:
        conv, _ = service.create_conversation(
            s,
            workspace_id,
            channel_id=service.channel_by_kind(s, workspace_id, "web").id,
            **kw,  # type: ignore[arg-type]
        )
        return conv.id


def events(db: Database, workspace_id: int, prefix: str) -> list[str]:
    with db.session() as s:
        return list(
            s.scalars(
                select(OutboxEvent.type)
                .where(
                    OutboxEvent.workspace_id == workspace_id, OutboxEvent.type.like(prefix + "%")
                )
                .order_by(OutboxEvent.id)
            )
        )


def test_channels(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        ch = service.create_channel(s, workspace.id, "email", "售后邮箱", config={"imap": "x"})
        with pytest.raises(BadRequest):
            service.create_channel(s, workspace.id, "fax", "传真")
        with pytest.raises(Conflict):
            service.create_channel(s, workspace.id, "web", "售后邮箱")
        with pytest.raises(Conflict):
            service.update_channel(s, workspace.id, ch.id, name="网页咨询")
        out = service.update_channel(s, workspace.id, ch.id, name="售后邮箱", is_active=False)
        assert out.name == "售后邮箱" and out.is_active is False and out.config == {"imap": "x"}
        with pytest.raises(NotFound):
            service.update_channel(s, workspace.id + 10_000, ch.id, name="x")
        assert service.channel_by_kind(s, workspace.id, "email").name == "邮件"  # the first one


def test_status_rules(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    cid = conversation(db, workspace.id, created_at=T0)
    with db.session() as s:
        c = service.update_conversation(
            s, workspace.id, cid, status="resolved", at=T0 + timedelta(minutes=5)
        )
        assert c.resolved_at == T0 + timedelta(minutes=5) and c.closed_at is None
        c = service.update_conversation(
            s, workspace.id, cid, status="closed", at=T0 + timedelta(minutes=9)
        )
        assert c.resolved_at == T0 + timedelta(minutes=5)  # closing keeps the resolution time
        assert c.closed_at == T0 + timedelta(minutes=9)
        c = service.update_conversation(s, workspace.id, cid, status="pending")
        assert (c.resolved_at, c.closed_at) == (None, None)
        with pytest.raises(BadRequest):
            service.update_conversation(s, workspace.id, cid, status="deleted")
    assert events(db, workspace.id, "conversation.") == [
        "conversation.created",
        "conversation.resolved",
        "conversation.closed",
        "conversation.reopened",
    ]


def test_abandon_rule(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    cid = conversation(db, workspace.id)
    with db.session() as s:
        service.post_message(s, workspace.id, NewMessage(cid, "customer", "在吗"))
        service.post_message(s, workspace.id, NewMessage(cid, "system", "排队中"))
        c = service.update_conversation(s, workspace.id, cid, status="abandoned")
        assert c.closed_at is not None and c.resolved_at is None
    cid2 = conversation(db, workspace.id)
    with db.session() as s:
        service.post_message(s, workspace.id, NewMessage(cid2, "bot", "您好"))
    with db.session() as s, pytest.raises(BadRequest):
        service.update_conversation(s, workspace.id, cid2, status="abandoned")


def test_transfer_rules(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        u = ws_service.create_user(s, workspace.id, "t@x.cn", "t", "password-123")
        uid = u.id
    cid = conversation(db, workspace.id, assignee_id=workspace.admin_id)
    with db.session() as s:
        with pytest.raises(BadRequest):
            service.transfer_conversation(s, workspace.id, cid, reason="  ", to_user_id=uid)
        with pytest.raises(BadRequest):
            service.transfer_conversation(s, workspace.id, cid, reason="x")
        c = service.transfer_conversation(
            s, workspace.id, cid, reason=" 不擅长 ", to_user_id=uid, by_user_id=workspace.admin_id
        )
        assert (c.assignee_id, c.transfer_count) == (uid, 1)
    with db.session() as s:
        [payload] = s.scalars(
            select(OutboxEvent.payload).where(
                OutboxEvent.workspace_id == workspace.id,
                OutboxEvent.type == "conversation.transferred",
            )
        ).all()
        assert payload["reason"] == "不擅长" and payload["from_user_id"] == workspace.admin_id


def test_post_messages_sequencing_and_timestamps(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    cid = conversation(db, workspace.id, created_at=T0)
    with db.session() as s:
        out = service.post_messages(
            s,
            workspace.id,
            [
                NewMessage(cid, "customer", "1", created_at=T0 + timedelta(seconds=10)),
                NewMessage(cid, "customer", "2", created_at=T0 + timedelta(seconds=20)),
                NewMessage(cid, "bot", "3", created_at=T0 + timedelta(seconds=30)),
                NewMessage(
                    cid,
                    "agent",
                    "4",
                    sender_user_id=workspace.admin_id,
                    created_at=T0 + timedelta(seconds=50),
                ),
            ],
        )
        assert [p.seq for p in out] == [1, 2, 3, 4] and all(p.created for p in out)
    with db.session() as s:
        c = s.get(Conversation, cid)
        assert c is not None
        assert c.first_response_at == T0 + timedelta(seconds=30)
        assert c.last_message_at == T0 + timedelta(seconds=50)
        assert c.handled_by_bot and c.message_count == 4 and c.assignee_id == workspace.admin_id
        msgs = service.list_messages(s, workspace.id, cid, after_seq=1, limit=2)
        assert [m.body for m in msgs] == ["2", "3"]
    with db.session() as s:
        [payload] = s.scalars(
            select(OutboxEvent.payload).where(
                OutboxEvent.workspace_id == workspace.id,
                OutboxEvent.type == "conversation.first_response",
            )
        ).all()
        assert payload == {"conversation_id": cid, "by": "bot", "seconds": 30.0}
    assert events(db, workspace.id, "message.created") == ["message.created"] * 4


@pytest.mark.parametrize(
    ("bad", "exc"),
    [
        (NewMessage(0, "robot", "x"), BadRequest),
        (NewMessage(0, "customer", "  "), BadRequest),
        (NewMessage(0, "customer", "x" * 20_001), BadRequest),
        (NewMessage(0, "agent", "x"), BadRequest),  # no sender
        (NewMessage(0, "customer", "x", idempotency_key=""), BadRequest),
        (NewMessage(0, "customer", "x", idempotency_key="k" * 201), BadRequest),
        (NewMessage(0, "customer", "x", created_at=datetime(2026, 1, 1)), BadRequest),
        (NewMessage(0, "agent", "x", sender_user_id=987654), NotFound),
        (NewMessage(987654, "customer", "x"), NotFound),
        (NewMessage(0, "customer", "different", idempotency_key="old"), IdempotencyConflict),
        (NewMessage(0, "customer", "other", idempotency_key="in-batch"), IdempotencyConflict),
    ],
)
def test_post_messages_is_all_or_nothing(
    db: Database, workspace, bad: NewMessage, exc: type[Exception]
) -> None:  # type: ignore[no-untyped-def]
    cid = conversation(db, workspace.id)
    with db.session() as s:
        service.post_message(
            s, workspace.id, NewMessage(cid, "customer", "first", idempotency_key="old")
        )
    if bad.conversation_id == 0:
        bad = dataclasses.replace(bad, conversation_id=cid)
    items = [
        NewMessage(cid, "customer", "ok", idempotency_key="in-batch"),
        NewMessage(cid, "bot", "ok"),
        bad,
    ]
    with db.session() as s, pytest.raises(exc):
        service.post_messages(s, workspace.id, items)
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Message.conversation_id == cid)) == 1
        c = s.get(Conversation, cid)
        assert c is not None and (c.message_count, c.first_response_at) == (1, None)


def test_post_messages_inside_a_caller_transaction(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    """Imports create a conversation and post to it in one transaction (no stale counts)."""
    with db.session() as s:
        conv, _ = service.create_conversation(s, workspace.id, channel_id=web(db, workspace.id))
        first = service.post_messages(s, workspace.id, [NewMessage(conv.id, "customer", "a")])
        again = service.post_messages(s, workspace.id, [NewMessage(conv.id, "customer", "b")])
        assert (first[0].seq, again[0].seq) == (1, 2)
        assert conv.message_count == 2


def test_status_counts_and_list(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    a = conversation(db, workspace.id, labels=["x"])
    conversation(db, workspace.id)
    with db.session() as s:
        service.update_conversation(s, workspace.id, a, status="resolved")
        counts = service.status_counts(s, workspace.id)
        assert counts == {"open": 1, "pending": 0, "resolved": 1, "closed": 0, "abandoned": 0}
        rows, total = service.list_conversations(
            s, workspace.id, service.ConversationFilter(label="x")
        )
        assert total == 1 and rows[0].id == a
        rows, total = service.list_conversations(
            s,
            workspace.id,
            service.ConversationFilter(created_from=datetime.now(UTC) + timedelta(days=1)),
        )
        assert (rows, total) == ([], 0)


def test_deactivated_user_cannot_be_made_owner(db: Database, workspace: WorkspaceCtx) -> None:
    from liuke.conversations import service as conv_service
    from liuke.core.errors import BadRequest
    from liuke.workspaces import service as ws_service

    with db.session() as s:
        user = ws_service.create_user(s, workspace.id, "gone@x.cn", "离职客服", None)
        ws_service.update_user(s, workspace.id, user.id, is_active=False)
        channel = conv_service.channel_by_kind(s, workspace.id, "web")
        conv, _ = conv_service.create_conversation(s, workspace.id, channel_id=channel.id)
        conv_id, user_id, channel_id = conv.id, user.id, channel.id
    with db.session() as s, pytest.raises(BadRequest):
        conv_service.update_conversation(s, workspace.id, conv_id, assignee_id=user_id)
    with db.session() as s, pytest.raises(BadRequest):
        conv_service.create_conversation(
            s, workspace.id, channel_id=channel_id, assignee_id=user_id
        )
