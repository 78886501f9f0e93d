"""Domain events through a transactional outbox, delivered at least once.

``emit`` adds the event row to the caller's session, so it commits or rolls back together with
the change it describes: a crash after commit leaves the event pending, never lost. The
dispatcher delivers pending events to subscribers, one transaction per (event, subscriber),
records each success so a redelivery skips subscribers that already succeeded, and backs off
and finally parks events whose subscriber keeps failing, with the error recorded.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from liuke.core.db import Base, Database, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdMixin, IdType

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class OutboxEvent(IdMixin, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "status", "available_at"),)

    workspace_id: Mapped[int | None] = mapped_column(IdType, index=True)
    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|dead
    attempts: Mapped[int] = mapped_column(default=0)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class EventDelivery(IdMixin, Base):
    """One row per (event, subscriber) that has been tried: success or the last failure."""

    __tablename__ = "event_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "subscriber"),)

    event_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("outbox_events.id", ondelete="CASCADE"), index=True
    )
    subscriber: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))  # ok|failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Event:
    id: int
    workspace_id: int | None
    type: str
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[Session, Event], None]


@dataclass
class EventBus:
    """Subscriber registry; capabilities subscribe at import time, emitters never import them."""

    subscribers: dict[str, dict[str, Handler]] = field(default_factory=dict)

    def subscribe(self, event_type: str, name: str | None = None) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            key = name or f"{fn.__module__}.{fn.__qualname__}"
            self.subscribers.setdefault(event_type, {})[key] = fn
            return fn

        return register

    def unsubscribe(self, event_type: str, name: str) -> None:
        self.subscribers.get(event_type, {}).pop(name, None)

    def handlers_for(self, event_type: str) -> dict[str, Handler]:
        return {**self.subscribers.get("*", {}), **self.subscribers.get(event_type, {})}


bus = EventBus()


def emit(
    session: Session, workspace_id: int | None, event_type: str, payload: dict[str, Any]
) -> OutboxEvent:
    """Record an event in the caller's transaction."""
    now = utcnow()
    ev = OutboxEvent(
        workspace_id=workspace_id,
        type=event_type,
        payload=payload,
        created_at=now,
        available_at=now,
        status="pending",
        attempts=0,
    )
    session.add(ev)
    return ev


def event_rows(
    workspace_id: int | None, event_type: str, payloads: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows for a bulk insert of events alongside a bulk insert of the changes."""
    now = utcnow()
    return [
        {
            "workspace_id": workspace_id,
            "type": event_type,
            "payload": p,
            "created_at": now,
            "available_at": now,
            "status": "pending",
            "attempts": 0,
        }
        for p in payloads
    ]


@dataclass
class DispatchReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    events: int = 0


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 3600))


def dispatch_pending(db: Database, event_bus: EventBus = bus, batch: int = 200) -> DispatchReport:
    """Deliver one batch of due events. Safe to run in several processes at once on PostgreSQL."""
    report = DispatchReport()
    now = utcnow()
    with db.session() as s:
        q = (
            select(OutboxEvent.id)
            .where(OutboxEvent.status == "pending", OutboxEvent.available_at <= now)
            .order_by(OutboxEvent.id)
            .limit(batch)
        )
        if db.dialect == "postgresql":
            q = q.with_for_update(skip_locked=True)
        ids = list(s.scalars(q))
    for event_id in ids:
        report.events += 1
        _deliver_one(db, event_bus, event_id, report)
    return report


def _deliver_one(db: Database, event_bus: EventBus, event_id: int, report: DispatchReport) -> None:
    with db.session() as s:
        row = s.get(OutboxEvent, event_id)
        if row is None or row.status != "pending":
            return
        ev = Event(row.id, row.workspace_id, row.type, dict(row.payload), row.created_at)
        done = set(
            s.scalars(
                select(EventDelivery.subscriber).where(
                    EventDelivery.event_id == event_id, EventDelivery.status == "ok"
                )
            )
        )
    errors: list[str] = []
    for name, handler in event_bus.handlers_for(ev.type).items():
        if name in done:
            continue
        try:
            with db.session() as s:
                handler(s, ev)
                _record_delivery(s, event_id, name, None)
            report.delivered += 1
        except Exception as exc:  # a subscriber's failure must not stop the others
            log.warning("event %s to %s failed: %s", event_id, name, exc)
            err = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
            with db.session() as s:
                _record_delivery(s, event_id, name, err)
            errors.append(f"{name}: {err}")
            report.failed += 1
    with db.session() as s:
        row = s.get(OutboxEvent, event_id)
        assert row is not None
        row.attempts += 1
        if not errors:
            row.status, row.dispatched_at, row.last_error = "done", utcnow(), None
        else:
            row.last_error = "\n".join(errors)[:4000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "dead"
                report.dead += 1
            else:
                row.available_at = utcnow() + _backoff(row.attempts)


def _record_delivery(s: Session, event_id: int, subscriber: str, error: str | None) -> None:
    existing = s.scalar(
        select(EventDelivery).where(
            EventDelivery.event_id == event_id, EventDelivery.subscriber == subscriber
        )
    )
    if existing is None:
        existing = EventDelivery(event_id=event_id, subscriber=subscriber, attempts=0)
        s.add(existing)
    existing.attempts = (existing.attempts or 0) + 1
    existing.status = "ok" if error is None else "failed"
    existing.last_error = error
    existing.updated_at = utcnow()


def retry_dead(db: Database) -> int:
    """Put parked events back in the queue (after the failing subscriber is fixed)."""
    with db.session() as s:
        result = s.execute(
            update(OutboxEvent)
            .where(OutboxEvent.status == "dead")
            .values(status="pending", attempts=0, available_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
