"""Domain events through a transactional outbox, delivered at least once.

``emit`` adds the event row to the caller's session, so it commits or rolls back together with
the change it describes: a crash after commit leaves the event pending, never lost. The
dispatcher delivers pending events to subscribers, one transaction per (event, subscriber),
records each success so a redelivery skips subscribers that already succeeded, and backs off
and finally parks events whose subscriber keeps failing, with the error recorded. Any number
of dispatchers (threads, processes) may run at once: each claims an event with a lease before
delivering it, so an event is delivered by one of them (see ``dispatch_pending``).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
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


_OUTBOX = cast(Table, OutboxEvent.__table__)


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


def emit_many(
    session: Session, workspace_id: int | None, event_type: str, payloads: list[dict[str, Any]]
) -> None:
    """Record many events of one type in the caller's transaction, in one executemany.

    For hot paths (message ingest): a Core INSERT builds no ORM objects and fetches no ids,
    where ``emit`` in a loop, or an ORM bulk insert, costs several times more per event.
    """
    if payloads:
        session.connection().execute(
            insert(_OUTBOX), event_rows(workspace_id, event_type, payloads)
        )


@dataclass
class DispatchReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    events: int = 0


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 3600))


# How long a dispatcher owns an event it claimed. A dispatcher that dies mid-delivery holds the
# event this long; one whose subscribers run longer than this may see it delivered twice.
LEASE = timedelta(minutes=5)


def dispatch_pending(
    db: Database,
    event_bus: EventBus = bus,
    batch: int = 200,
    *,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> DispatchReport:
    """Deliver up to ``batch`` due events. Safe to run in many threads and processes at once.

    Each event is claimed before delivery by one atomic conditional UPDATE that moves its
    ``available_at`` one ``lease`` ahead (``WHERE status = 'pending' AND available_at <= now``).
    Exactly one dispatcher's UPDATE matches: PostgreSQL re-checks the condition on the row
    version a concurrent claimer committed, and SQLite runs one writer at a time. While the
    claim lasts the event is not due, so no other dispatcher picks it up; when delivery ends
    the event is marked done, or rescheduled after a back-off, which also ends the claim. If
    the dispatcher dies, the event is due again when the lease runs out: at least once.

    The claim is a committed row value rather than a row lock held across delivery, so it
    works the same on SQLite, survives the short per-subscriber transactions, and blocks no
    subscriber that touches the event row (an FK check from ``event_deliveries`` takes a key
    share lock that a ``FOR UPDATE`` lock would block).

    ``now`` replaces the clock for due-ness, claims and back-off (tests, catching up).
    """
    report = DispatchReport()

    def clock() -> datetime:
        return now if now is not None else utcnow()

    with db.session() as s:
        ids = list(
            s.scalars(
                select(OutboxEvent.id)
                .where(OutboxEvent.status == "pending", OutboxEvent.available_at <= clock())
                .order_by(OutboxEvent.id)
                .limit(batch)
            )
        )
    for event_id in ids:
        claim = _claim(db, event_id, clock(), lease)
        if claim is None:  # another dispatcher got there first
            continue
        report.events += 1
        _deliver_one(db, event_bus, claim, clock, report)
    return report


@dataclass(frozen=True)
class _Claim:
    event: Event
    until: datetime  # the event's available_at while this claim holds
    done: frozenset[str]  # subscribers that already have it


def _claim(db: Database, event_id: int, at: datetime, lease: timedelta) -> _Claim | None:
    """Take the event for one lease, if it is still pending and due; None if not."""
    until = at + lease
    with db.session() as s:
        row = s.execute(
            update(OutboxEvent)
            .where(
                OutboxEvent.id == event_id,
                OutboxEvent.status == "pending",
                OutboxEvent.available_at <= at,
            )
            .values(available_at=until)
            .returning(
                OutboxEvent.workspace_id,
                OutboxEvent.type,
                OutboxEvent.payload,
                OutboxEvent.created_at,
            )
            .execution_options(synchronize_session=False)
        ).one_or_none()
        if row is None:
            return None
        done = frozenset(
            s.scalars(
                select(EventDelivery.subscriber).where(
                    EventDelivery.event_id == event_id, EventDelivery.status == "ok"
                )
            )
        )
    ev = Event(event_id, row.workspace_id, row.type, dict(row.payload), row.created_at)
    return _Claim(ev, until, done)


def _deliver_one(
    db: Database,
    event_bus: EventBus,
    claim: _Claim,
    clock: Callable[[], datetime],
    report: DispatchReport,
) -> None:
    ev, event_id = claim.event, claim.event.id
    errors: list[str] = []
    for name, handler in event_bus.handlers_for(ev.type).items():
        if name in claim.done:
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
        row = s.get(OutboxEvent, event_id, with_for_update=True)
        if row is None or row.status != "pending" or row.available_at != claim.until:
            # The lease ran out mid-delivery and another dispatcher owns the event now; its
            # run skips the subscribers recorded 'ok' above and settles the event.
            log.warning("event %s: claim expired during delivery", event_id)
            return
        row.attempts += 1
        if not errors:
            row.status, row.dispatched_at, row.last_error = "done", utcnow(), None
            row.available_at = clock()
        else:
            row.last_error = "\n".join(errors)[:4000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "dead"
                row.available_at = clock()
                report.dead += 1
            else:
                row.available_at = clock() + _backoff(row.attempts)


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
