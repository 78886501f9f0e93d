"""What surveys listens to: a conversation that ends is asked for its CSAT, once.

``conversation.resolved`` (and ``conversation.closed``, for conversations closed without being
resolved first) invites a CSAT: in the chat widget for web and API conversations, by e-mail for
e-mail conversations when the customer has an address and mail is configured, else as a link.
The outbox delivers at least once and a conversation can be resolved again after a reopen, so
the handler relies on the one-CSAT-per-conversation rule in ``service.invite``: a redelivery
finds the existing invitation and does nothing. A mail failure marks the invitation failed and
is not raised (a retry would only fail again and hold the event up).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.conversations.models import Channel, Conversation
from liuke.core.config import get_settings
from liuke.core.errors import BadRequest
from liuke.core.events import Event, bus
from liuke.customers.models import Customer
from liuke.surveys import service
from liuke.surveys.models import SurveyInvitation

log = logging.getLogger(__name__)
CHAT_KINDS = ("web", "api")


def csat_channel(channel_kind: str, has_email: bool, mail_configured: bool) -> str:
    """Where a CSAT invitation goes for a conversation of this channel kind."""
    if channel_kind in CHAT_KINDS:
        return "widget"
    if channel_kind == "email" and has_email and mail_configured:
        return "email"
    return "link"


def invite_csat(s: Session, workspace_id: int, conversation_id: int) -> SurveyInvitation | None:
    """Invite the conversation's customer to a CSAT survey unless it was invited already."""
    row = s.execute(
        select(Conversation.status, Conversation.customer_id, Channel.kind)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(Conversation.workspace_id == workspace_id, Conversation.id == conversation_id)
    ).one_or_none()
    if row is None or row.status not in ("resolved", "closed"):
        return None
    existing = s.scalar(
        select(SurveyInvitation).where(
            SurveyInvitation.workspace_id == workspace_id,
            SurveyInvitation.kind == "csat",
            SurveyInvitation.conversation_id == conversation_id,
        )
    )
    if existing is not None:
        return existing
    email = (
        s.scalar(select(Customer.email).where(Customer.id == row.customer_id))
        if row.customer_id is not None
        else None
    )
    settings = get_settings()
    channel = csat_channel(str(row.kind), bool(email), bool(settings.smtp_host))
    try:
        inv, _ = service.invite(
            s,
            workspace_id,
            kind="csat",
            channel=channel,
            conversation_id=conversation_id,
            trigger="resolved",
            settings=settings,
        )
    except BadRequest as exc:  # e.g. every CSAT questionnaire switched off: nothing to ask
        log.info("no CSAT invitation for conversation %s: %s", conversation_id, exc)
        return None
    return inv


def _on_end(s: Session, event: Event) -> None:
    if event.workspace_id is None:
        return
    invite_csat(s, event.workspace_id, int(event.payload["conversation_id"]))


for _type in ("conversation.resolved", "conversation.closed"):
    bus.subscribe(_type, f"surveys.csat_on_{_type.split('.')[1]}")(_on_end)
