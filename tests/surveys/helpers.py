"""Small builders for the survey tests: customers, agents and ended conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liuke.conversations.service import channel_by_kind, create_conversation, update_conversation
from liuke.core.db import Database
from liuke.customers.models import Customer
from liuke.workspaces import service as ws_service
from tests.conftest import PASSWORD


def customer(db: Database, ws: int, email: str | None = None, name: str = "客户") -> int:
    with db.session() as s:
        c = Customer(workspace_id=ws, name=name, tier="ordinary", email=email)
        s.add(c)
        s.flush()
        return c.id


def agent(db: Database, ws: int, email: str, role: str = "agent") -> int:
    with db.session() as s:
        return ws_service.create_user(s, ws, email, email.split("@")[0], PASSWORD, role).id


def conversation(
    db: Database,
    ws: int,
    *,
    kind: str = "web",
    customer_id: int | None = None,
    assignee_id: int | None = None,
    status: str | None = None,
    created_at: datetime | None = None,
    **kw: Any,
) -> int:
    """A conversation on the channel of ``kind``; ``status`` set afterwards (emits its event)."""
    with db.session() as s:
        conv, _ = create_conversation(
            s,
            ws,
            channel_id=channel_by_kind(s, ws, kind).id,
            customer_id=customer_id,
            assignee_id=assignee_id,
            created_at=created_at,
            **kw,
        )
        if status is not None:
            update_conversation(s, ws, conv.id, status=status)
        return conv.id
