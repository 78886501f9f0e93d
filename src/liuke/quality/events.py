"""What quality listens to: ended conversations are inspected, customer messages checked live.

Both handlers are idempotent (re-inspection replaces the inspection; an alert is keyed by the
message), as the at-least-once outbox requires.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.conversations.models import Conversation
from liuke.core.config import get_settings
from liuke.core.events import Event, bus
from liuke.quality import service
from liuke.quality.customer_emotion import CustomerEmotion, load_negativity_model


def emotion_scorer() -> CustomerEmotion:
    """The process's customer-emotion scorer (the model file is loaded once and cached)."""
    return CustomerEmotion(load_negativity_model(get_settings().model_dir.resolve()))


def _inspect(s: Session, event: Event) -> None:
    if event.workspace_id is None:
        return
    conv_id = int(event.payload["conversation_id"])
    exists = s.scalar(
        select(Conversation.id).where(
            Conversation.workspace_id == event.workspace_id, Conversation.id == conv_id
        )
    )
    if exists is not None:  # a conversation deleted since has nothing left to inspect
        service.inspect_conversations(s, event.workspace_id, [conv_id], emotion_scorer())


bus.subscribe("conversation.resolved", "quality.inspect_resolved")(_inspect)
bus.subscribe("conversation.closed", "quality.inspect_closed")(_inspect)


@bus.subscribe("message.created", "quality.live_anger")
def _live_anger(s: Session, event: Event) -> None:
    if event.workspace_id is None or event.payload.get("sender_type") != "customer":
        return
    service.check_live_anger(
        s, event.workspace_id, int(event.payload["conversation_id"]), emotion_scorer()
    )
