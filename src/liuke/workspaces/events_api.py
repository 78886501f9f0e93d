"""Read-only view of a workspace's own domain events (operations and debugging)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from sqlalchemy import select

from liuke.core.api import Page, PageParams, Schema, page_params
from liuke.core.events import OutboxEvent
from liuke.core.pagination import page_of
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1", tags=["events"])


class EventOut(Schema):
    id: int
    type: str
    payload: dict[str, Any]
    created_at: datetime
    status: str
    attempts: int
    last_error: str | None


@router.get("/events", response_model=Page[EventOut])
def list_events(
    principal: Annotated[Principal, Depends(require("events.read"))],
    s: DbSession,
    paging: Annotated[PageParams, Depends(page_params)],
    type: str | None = None,
    status: Literal["pending", "done", "dead"] | None = None,
) -> Page[EventOut]:
    stmt = select(OutboxEvent).where(OutboxEvent.workspace_id == principal.workspace_id)
    if type:
        stmt = stmt.where(OutboxEvent.type == type)
    if status:
        stmt = stmt.where(OutboxEvent.status == status)
    return page_of(s, stmt, paging, EventOut.model_validate, OutboxEvent.id.desc())
