"""A workspace's clock: its time zone, its local days as UTC bounds, its today.

Every day a person sees (daily sales, a complaint chart's point, a segment's join day) is a day
in the workspace's own time zone; stored times are UTC. One place converts between them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.core.db import utcnow
from liuke.workspaces.models import Workspace


def zone_of(s: Session, workspace_id: int) -> ZoneInfo:
    return ZoneInfo(
        s.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)) or "UTC"
    )


def local_bounds(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, last + 1 00:00) of local days, in UTC."""
    lo = datetime.combine(first, time.min, zone).astimezone(UTC)
    hi = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
    return lo, hi


def local_today(s: Session, workspace_id: int) -> date:
    return utcnow().astimezone(zone_of(s, workspace_id)).date()
