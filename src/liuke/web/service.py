"""Read-only figures for the workspace home.

Every query is filtered by ``workspace_id``: the home page polls this every few seconds, and a
count that leaked another tenant's rows would be a data leak, not a cosmetic bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from liuke.conversations.models import Conversation, Message
from liuke.conversations.service import status_counts
from liuke.core.db import utcnow
from liuke.core.events import OutboxEvent
from liuke.customers.models import Customer
from liuke.workspaces.models import User, Workspace


@dataclass(frozen=True)
class HomeCounts:
    """What the home page shows; ``as_of`` is in the workspace's own time zone."""

    by_status: dict[str, int]
    conversations_today: int
    messages_today: int
    customers: int
    key_accounts: int
    agents: int
    pending_events: int
    as_of: datetime


def workspace_zone(tz_name: str) -> ZoneInfo:
    """The workspace's zone; an unknown name falls back to UTC rather than breaking the page."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the local calendar day containing ``now``, as aware UTC datetimes.

    Built from local midnights (not ``start + 24h``) so days with a DST change stay correct.
    """
    local_date = now.astimezone(zone).date()
    start = datetime.combine(local_date, time.min, tzinfo=zone)
    end = datetime.combine(local_date + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _count(s: Session, *where: ColumnElement[bool]) -> int:
    return int(s.scalar(select(func.count()).where(*where)) or 0)


def home_counts(s: Session, workspace_id: int, now: datetime | None = None) -> HomeCounts:
    """Live counts for one workspace; reads only, so it is safe to poll."""
    ws = s.get(Workspace, workspace_id)
    zone = workspace_zone(ws.timezone if ws is not None else "UTC")
    now = now or utcnow()
    start, end = local_day_bounds(now, zone)
    return HomeCounts(
        by_status=status_counts(s, workspace_id),
        conversations_today=_count(
            s,
            Conversation.workspace_id == workspace_id,
            Conversation.created_at >= start,
            Conversation.created_at < end,
        ),
        messages_today=_count(
            s,
            Message.workspace_id == workspace_id,
            Message.created_at >= start,
            Message.created_at < end,
        ),
        customers=_count(s, Customer.workspace_id == workspace_id),
        key_accounts=_count(
            s, Customer.workspace_id == workspace_id, Customer.tier == "key_account"
        ),
        agents=_count(s, User.workspace_id == workspace_id, User.is_active.is_(True)),
        pending_events=_count(
            s, OutboxEvent.workspace_id == workspace_id, OutboxEvent.status == "pending"
        ),
        as_of=now.astimezone(zone),
    )
