"""A resolved conversation is asked for its CSAT once, through the outbox: in the chat widget,
by e-mail through a real SMTP server (a refused address marks the invitation failed and does
not fail the event), or as a link."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

import liuke.surveys.events as survey_events
from liuke.conversations.models import Message
from liuke.conversations.service import update_conversation
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.events import EventDelivery, OutboxEvent
from liuke.surveys.models import SurveyInvitation
from tests.conftest import WorkspaceCtx, drain_events
from tests.smtp import Server

from .helpers import conversation, customer


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch, smtp: Server) -> Iterator[Server]:
    """The process settings (what outbox subscribers read) pointed at the test SMTP server."""
    monkeypatch.setenv("LIUKE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LIUKE_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("LIUKE_SMTP_TIMEOUT_S", "5")
    get_settings.cache_clear()
    yield smtp
    get_settings.cache_clear()


def invitations(db: Database, ws: int, conv: int) -> list[SurveyInvitation]:
    with db.session() as s:
        return list(
            s.scalars(
                select(SurveyInvitation).where(
                    SurveyInvitation.workspace_id == ws, SurveyInvitation.conversation_id == conv
                )
            )
        )


def test_a_resolved_chat_gets_one_widget_invitation(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    conv = conversation(db, ws, customer_id=customer(db, ws), status="resolved")
    drain_events(db)
    [inv] = invitations(db, ws, conv)
    assert (inv.kind, inv.channel, inv.trigger, inv.status) == (
        "csat",
        "widget",
        "resolved",
        "sent",
    )
    # reopened and resolved again, closed, and the handler run again: still one invitation
    with db.session() as s:
        update_conversation(s, ws, conv, status="open")
        update_conversation(s, ws, conv, status="resolved")
        update_conversation(s, ws, conv, status="closed")
    drain_events(db)
    with db.session() as s:
        survey_events.invite_csat(s, ws, conv)
    assert [i.id for i in invitations(db, ws, conv)] == [inv.id]
    with db.session() as s:
        bodies = list(
            s.scalars(
                select(Message.body).where(
                    Message.conversation_id == conv, Message.sender_type == "system"
                )
            )
        )
    assert len(bodies) == 1 and f"/s/{inv.token}" in bodies[0] and "评分" in bodies[0]


def test_open_and_abandoned_conversations_are_not_asked(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    open_conv = conversation(db, ws, customer_id=customer(db, ws))
    abandoned = conversation(db, ws, customer_id=customer(db, ws), status="abandoned")
    drain_events(db)
    with db.session() as s:
        assert survey_events.invite_csat(s, ws, open_conv) is None
    assert invitations(db, ws, open_conv) == invitations(db, ws, abandoned) == []


def test_an_email_conversation_is_asked_by_email(
    db: Database, workspace: WorkspaceCtx, mail_env: Server
) -> None:
    ws = workspace.id
    c = customer(db, ws, email="buyer@shop.example")
    conv = conversation(db, ws, kind="email", customer_id=c, status="resolved")
    drain_events(db)
    [inv] = invitations(db, ws, conv)
    assert (inv.channel, inv.status, inv.error) == ("email", "sent", "")
    [mail] = [m for m in mail_env.handler.received if m.rcpt_tos == ["buyer@shop.example"]]
    message = mail.parsed()
    assert message["Subject"] == "请为本次服务评分"
    body = message.get_body(("plain",))
    assert body is not None and f"/s/{inv.token}" in body.get_content()
    drain_events(db)  # delivered once: no second mail
    assert len([m for m in mail_env.handler.received if m.rcpt_tos == ["buyer@shop.example"]]) == 1


def test_a_refused_address_marks_the_invitation_failed(
    db: Database, workspace: WorkspaceCtx, mail_env: Server
) -> None:
    ws = workspace.id
    mail_env.handler.refuse.add("gone@shop.example")
    c = customer(db, ws, email="gone@shop.example")
    conv = conversation(db, ws, kind="email", customer_id=c, status="resolved")
    drain_events(db)
    [inv] = invitations(db, ws, conv)
    assert inv.status == "failed" and "550" in inv.error
    with db.session() as s:
        delivered = s.execute(
            select(OutboxEvent.payload, EventDelivery.status)
            .join(EventDelivery, EventDelivery.event_id == OutboxEvent.id)
            .where(
                OutboxEvent.type == "conversation.resolved",
                EventDelivery.subscriber == "surveys.csat_on_resolved",
            )
        ).all()
    assert [st for p, st in delivered if p["conversation_id"] == conv] == ["ok"]


def test_without_mail_or_address_the_invitation_is_a_link(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    get_settings.cache_clear()
    no_mail = conversation(
        db, ws, kind="email", customer_id=customer(db, ws, email="a@b.example"), status="resolved"
    )
    phone = conversation(db, ws, kind="phone", customer_id=customer(db, ws), status="resolved")
    drain_events(db)
    for conv in (no_mail, phone):
        [inv] = invitations(db, ws, conv)
        assert (inv.channel, inv.status) == ("link", "sent")
