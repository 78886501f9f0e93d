"""The transactional outbox: events live and die with their change, and arrive at least once.

Dispatching is global over the outbox table, so these tests run on their own databases (a
SQLite file and a throwaway PostgreSQL database, migrated once for the module) and empty the
outbox before each test; dispatching on the shared ``db`` would settle other tests' events.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from liuke.core.db import Database, utcnow
from liuke.core.events import (
    LEASE,
    MAX_ATTEMPTS,
    Event,
    EventBus,
    EventDelivery,
    OutboxEvent,
    bus,
    dispatch_pending,
    emit,
    emit_many,
    retry_dead,
)
from liuke.core.migrate import upgrade
from liuke.workspaces import service as ws_service
from liuke.workspaces.models import Workspace
from tests.conftest import empty_database_url

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def outbox_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with empty_database_url(request.param, tmp_path_factory.mktemp("outbox")) as url:
        upgrade(url)
        yield url


@pytest.fixture
def odb(outbox_url: str) -> Iterator[Database]:
    database = Database(outbox_url)
    with database.session() as s:
        s.execute(delete(OutboxEvent))  # event_deliveries go with them (ON DELETE CASCADE)
    yield database
    database.dispose()


def _events(db: Database) -> list[OutboxEvent]:
    with db.session() as s:
        return list(s.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


def _deliveries(db: Database, event_id: int) -> dict[str, EventDelivery]:
    with db.session() as s:
        rows = s.scalars(select(EventDelivery).where(EventDelivery.event_id == event_id))
        return {d.subscriber: d for d in rows}


def _emit_one(db: Database, event_type: str, payload: dict[str, object] | None = None) -> int:
    with db.session() as s:
        ev = emit(s, None, event_type, dict(payload or {}))
        s.flush()
        return ev.id


def _slug() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


# --- (a) the event commits or rolls back with its change --------------------------------------


def test_event_rolls_back_with_its_change(odb: Database) -> None:
    slug = _slug()
    with pytest.raises(RuntimeError, match="boom"), odb.session() as s:
        ws = ws_service.create_workspace(s, slug, "Shop")  # emits workspace.created
        emit(s, ws.id, "test.rollback", {"slug": slug})
        s.flush()
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 2
        raise RuntimeError("boom")
    with odb.session() as s:
        assert s.scalar(select(Workspace).where(Workspace.slug == slug)) is None
    assert _events(odb) == []


def test_committed_event_is_pending(odb: Database) -> None:
    slug = _slug()
    with odb.session() as s:
        ws = ws_service.create_workspace(s, slug, "Shop")
        emit(s, ws.id, "test.commit", {"slug": slug})
        ws_id = ws.id
    rows = _events(odb)
    assert [r.type for r in rows] == ["workspace.created", "test.commit"]
    for r in rows:
        assert (r.status, r.attempts, r.workspace_id, r.dispatched_at) == (
            "pending",
            0,
            ws_id,
            None,
        )
        assert r.available_at <= utcnow()
    assert rows[1].payload == {"slug": slug}


def test_emit_many_commits_and_rolls_back_with_the_transaction(odb: Database) -> None:
    with pytest.raises(RuntimeError), odb.session() as s:
        emit_many(s, None, "test.many", [{"i": 0}, {"i": 1}])
        raise RuntimeError("boom")
    assert _events(odb) == []
    with odb.session() as s:
        emit_many(s, None, "test.many", [{"i": i} for i in range(3)])
        emit_many(s, None, "test.many", [])  # nothing to do
    rows = _events(odb)
    assert [(r.type, r.payload, r.status, r.attempts) for r in rows] == [
        ("test.many", {"i": i}, "pending", 0) for i in range(3)
    ]
    event_bus, got = _recorder("test.many")
    assert dispatch_pending(odb, event_bus).delivered == 3
    assert [e.payload for e in got] == [{"i": 0}, {"i": 1}, {"i": 2}]


# --- (b) a crash between commit and dispatch loses nothing ------------------------------------


def _recorder(event_type: str) -> tuple[EventBus, list[Event]]:
    got: list[Event] = []
    event_bus = EventBus()
    event_bus.subscribe(event_type, name="recorder")(lambda _s, ev: got.append(ev))
    return event_bus, got


def test_crash_after_commit_new_process_dispatches(outbox_url: str, odb: Database) -> None:
    first = Database(outbox_url)  # the process that commits, then "dies" before dispatching
    with first.session() as s:
        ws = ws_service.create_workspace(s, _slug(), "Shop")
        ev = emit(s, ws.id, "test.crash", {"n": 1})
        s.flush()
        event_id = ev.id
    first.dispose()
    del first

    second = Database(outbox_url)  # the restarted process
    try:
        event_bus, got = _recorder("test.crash")
        report = dispatch_pending(second, event_bus)
        assert report.events == 2  # workspace.created (no subscriber) and test.crash
        assert [(e.id, e.payload) for e in got] == [(event_id, {"n": 1})]
        assert dispatch_pending(second, event_bus).events == 0
        assert len(got) == 1
        assert {r.status for r in _events(second)} == {"done"}
    finally:
        second.dispose()


_COMMIT_THEN_HANG = """
import sys, time
from liuke.core.db import Database
from liuke.core.events import emit
from liuke.workspaces import service as ws_service
db = Database(sys.argv[1])
with db.session() as s:
    ws = ws_service.create_workspace(s, sys.argv[2], "Shop")
    ev = emit(s, ws.id, "test.killed", {"slug": sys.argv[2]})
    s.flush()
    event_id = ev.id
print(event_id, flush=True)
time.sleep(120)  # it would dispatch now; SIGKILL arrives first
"""


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_sigkill_after_commit_event_survives(outbox_url: str, odb: Database) -> None:
    slug = _slug()
    proc = _python(_COMMIT_THEN_HANG, outbox_url, slug)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip().isdigit(), proc.stderr.read() if proc.stderr else line
        event_id = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    event_bus, got = _recorder("test.killed")
    dispatch_pending(odb, event_bus)
    dispatch_pending(odb, event_bus)
    assert [(e.id, e.payload) for e in got] == [(event_id, {"slug": slug})]


_DIE_WHILE_DELIVERING = """
import os, signal, sys
from liuke.core.db import Database
from liuke.core.events import EventBus, dispatch_pending, emit
from liuke.workspaces import service as ws_service
db = Database(sys.argv[1])
event_bus = EventBus()

@event_bus.subscribe("test.midway", name="recorder")
def die(s, ev):
    ws_service.create_workspace(s, sys.argv[2], "half-done")  # must not survive
    s.flush()
    print(ev.id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

dispatch_pending(db, event_bus)
"""


def test_sigkill_during_delivery_redelivers_after_lease(outbox_url: str, odb: Database) -> None:
    event_id = _emit_one(odb, "test.midway", {"n": 7})
    slug = _slug()
    proc = _python(_DIE_WHILE_DELIVERING, outbox_url, slug)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, err
    assert out.strip() == str(event_id)

    with odb.session() as s:
        assert s.scalar(select(Workspace).where(Workspace.slug == slug)) is None
    [row] = _events(odb)
    assert row.status == "pending"
    assert row.available_at > utcnow()  # still claimed by the dead dispatcher

    event_bus, got = _recorder("test.midway")
    assert dispatch_pending(odb, event_bus).events == 0  # the lease has not run out
    assert got == []
    report = dispatch_pending(odb, event_bus, now=utcnow() + LEASE + timedelta(seconds=1))
    assert report.delivered == 1
    assert [e.id for e in got] == [event_id]
    assert _events(odb)[0].status == "done"


# --- (c) at least once, with partial success ---------------------------------------------------


def test_partial_failure_retries_only_the_failed_subscriber(odb: Database) -> None:
    calls: Counter[str] = Counter()
    event_bus = EventBus()

    @event_bus.subscribe("test.partial", name="good")
    def good(_s: Session, _ev: Event) -> None:
        calls["good"] += 1

    @event_bus.subscribe("test.partial", name="flaky")
    def flaky(_s: Session, _ev: Event) -> None:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise RuntimeError("smtp down")

    event_id = _emit_one(odb, "test.partial")
    before = utcnow()
    first = dispatch_pending(odb, event_bus)
    after = utcnow()
    assert (first.events, first.delivered, first.failed, first.dead) == (1, 1, 1, 0)
    assert calls == {"good": 1, "flaky": 1}

    d = _deliveries(odb, event_id)
    assert (d["good"].status, d["good"].attempts, d["good"].last_error) == ("ok", 1, None)
    assert (d["flaky"].status, d["flaky"].attempts) == ("failed", 1)
    assert d["flaky"].last_error == "RuntimeError: smtp down"
    [row] = _events(odb)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "flaky: RuntimeError: smtp down"
    assert before + timedelta(seconds=2) <= row.available_at <= after + timedelta(seconds=2)

    assert dispatch_pending(odb, event_bus).events == 0  # backing off: not due yet
    second = dispatch_pending(odb, event_bus, now=utcnow() + timedelta(seconds=3))
    assert (second.events, second.delivered, second.failed) == (1, 1, 0)
    assert calls == {"good": 1, "flaky": 2}  # the successful subscriber was not called again

    d = _deliveries(odb, event_id)
    assert (d["flaky"].status, d["flaky"].attempts, d["flaky"].last_error) == ("ok", 2, None)
    assert d["good"].attempts == 1
    [row] = _events(odb)
    assert (row.status, row.attempts, row.last_error) == ("done", 2, None)
    assert row.dispatched_at is not None


# --- (d) dead after MAX_ATTEMPTS, requeued by retry_dead ---------------------------------------


def test_dead_after_max_attempts_then_retry_dead(odb: Database) -> None:
    broken = {"yes": True}
    calls: list[int] = []
    event_bus = EventBus()

    @event_bus.subscribe("test.dead", name="fragile")
    def fragile(_s: Session, ev: Event) -> None:
        calls.append(ev.id)
        if broken["yes"]:
            raise ValueError(f"bad payload {ev.payload}")

    event_id = _emit_one(odb, "test.dead", {"n": 1})
    at = utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        at += timedelta(hours=2)  # past any back-off (at most one hour)
        report = dispatch_pending(odb, event_bus, now=at)
        assert (report.events, report.failed) == (1, 1)
        assert report.dead == (1 if attempt == MAX_ATTEMPTS else 0)
        [row] = _events(odb)
        assert row.attempts == attempt
        assert row.status == ("dead" if attempt == MAX_ATTEMPTS else "pending")
    assert len(calls) == MAX_ATTEMPTS
    assert row.last_error == "fragile: ValueError: bad payload {'n': 1}"
    assert _deliveries(odb, event_id)["fragile"].attempts == MAX_ATTEMPTS

    assert dispatch_pending(odb, event_bus, now=at + timedelta(days=30)).events == 0  # parked

    broken["yes"] = False
    assert retry_dead(odb) == 1
    [row] = _events(odb)
    assert (row.status, row.attempts) == ("pending", 0)
    assert dispatch_pending(odb, event_bus).delivered == 1
    [row] = _events(odb)
    assert (row.status, row.last_error) == ("done", None)
    assert retry_dead(odb) == 0


# --- (e) a failing subscriber rolls back only its own writes -----------------------------------


def test_subscriber_failure_rolls_back_only_its_writes(odb: Database) -> None:
    slugs = {"ok": _slug(), "bad": _slug()}
    event_bus = EventBus()

    @event_bus.subscribe("test.writes", name="writer_ok")
    def writer_ok(s: Session, ev: Event) -> None:
        ws = ws_service.create_workspace(s, slugs["ok"], "kept")
        emit(s, ws.id, "test.followup", {"from": ev.id})

    @event_bus.subscribe("test.writes", name="writer_bad")
    def writer_bad(s: Session, ev: Event) -> None:
        ws = ws_service.create_workspace(s, slugs["bad"], "rolled back")
        emit(s, ws.id, "test.followup", {"from": ev.id, "bad": True})
        s.flush()
        raise RuntimeError("after writing")

    event_id = _emit_one(odb, "test.writes")
    report = dispatch_pending(odb, event_bus, batch=1)
    assert (report.delivered, report.failed) == (1, 1)
    with odb.session() as s:
        names = set(s.scalars(select(Workspace.slug).where(Workspace.slug.in_(slugs.values()))))
    assert names == {slugs["ok"]}
    followups = [e for e in _events(odb) if e.type == "test.followup"]
    assert [e.payload for e in followups] == [{"from": event_id}]
    d = _deliveries(odb, event_id)
    assert (d["writer_ok"].status, d["writer_bad"].status) == ("ok", "failed")


# --- (f) concurrent dispatchers: every event exactly once --------------------------------------


def test_claim_is_held_while_delivering(outbox_url: str, odb: Database) -> None:
    """A second dispatcher, run while the first is inside a subscriber, leaves the event alone."""
    other = Database(outbox_url)
    seen_by_other: list[int] = []
    other_bus = EventBus()
    other_bus.subscribe("test.held", name="s")(lambda _s, ev: seen_by_other.append(ev.id))
    inner: list[int] = []
    event_bus = EventBus()

    @event_bus.subscribe("test.held", name="s")
    def slow(_s: Session, ev: Event) -> None:
        with other.session() as s:
            row = s.get(OutboxEvent, ev.id)
            assert row is not None and row.status == "pending"
            assert row.available_at > utcnow()  # claimed: not due for anyone else
        inner.append(dispatch_pending(other, other_bus).events)

    try:
        event_id = _emit_one(odb, "test.held")
        assert dispatch_pending(odb, event_bus).delivered == 1
        assert inner == [0]
        assert seen_by_other == []
        assert dispatch_pending(other, other_bus).events == 0  # done, not redelivered
    finally:
        other.dispose()
    assert _deliveries(odb, event_id)["s"].attempts == 1


def test_concurrent_dispatchers_deliver_each_event_exactly_once(
    outbox_url: str, odb: Database
) -> None:
    n_events, n_dispatchers = 150, 3
    with odb.session() as s:
        for i in range(n_events):
            emit(s, None, "test.concurrent", {"i": i})
    lock = threading.Lock()
    deliveries: list[tuple[int, str]] = []
    event_bus = EventBus()

    @event_bus.subscribe("test.concurrent", name="recorder")
    def record(_s: Session, ev: Event) -> None:
        time.sleep(0.002)  # widen the window in which a second dispatcher could collide
        with lock:
            deliveries.append((ev.id, threading.current_thread().name))

    errors: list[BaseException] = []
    barrier = threading.Barrier(n_dispatchers)

    def run(name: str) -> None:
        database = Database(outbox_url)
        try:
            barrier.wait()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if dispatch_pending(database, event_bus, batch=10).events:
                    continue
                with database.session() as s:
                    left = s.scalar(
                        select(func.count())
                        .select_from(OutboxEvent)
                        .where(OutboxEvent.status == "pending")
                    )
                if not left:
                    return
                time.sleep(0.01)  # the rest are claimed by the others
        except BaseException as exc:
            errors.append(exc)
        finally:
            database.dispose()

    threads = [
        threading.Thread(target=run, args=(f"d{k}",), name=f"d{k}") for k in range(n_dispatchers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    per_event = Counter(event_id for event_id, _ in deliveries)
    assert len(per_event) == n_events
    assert set(per_event.values()) == {1}, {k: v for k, v in per_event.items() if v > 1}
    assert len({who for _, who in deliveries}) > 1  # they really ran side by side
    rows = _events(odb)
    assert {r.status for r in rows} == {"done"}
    assert {r.attempts for r in rows} == {1}
    with odb.session() as s:
        assert s.scalar(select(func.count()).select_from(EventDelivery)) == n_events


def test_expired_claim_does_not_overwrite_the_new_owner(odb: Database) -> None:
    """A dispatcher that outlives its lease leaves the event to the one that took it over."""
    event_id = _emit_one(odb, "test.slow")
    got: list[str] = []
    taken_over = EventBus()
    taken_over.subscribe("test.slow", name="s")(lambda _s, _ev: got.append("second"))
    event_bus = EventBus()

    @event_bus.subscribe("test.slow", name="s")
    def slow(s: Session, _ev: Event) -> None:
        # meanwhile the lease runs out: the event is due again for any dispatcher
        with odb.session() as s2:
            s2.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id)
                .values(available_at=utcnow() - timedelta(seconds=1))
            )
        got.append("first")
        raise RuntimeError("too slow")

    report = dispatch_pending(odb, event_bus)
    assert report.failed == 1
    [row] = _events(odb)
    assert (row.status, row.attempts) == ("pending", 0)  # first dispatcher did not settle it
    dispatch_pending(odb, taken_over)
    assert got == ["first", "second"]
    [row] = _events(odb)
    assert (row.status, row.attempts) == ("done", 1)


# --- the process-wide bus ----------------------------------------------------------------------


@pytest.fixture
def global_recorder() -> Iterator[list[Event]]:
    got: list[Event] = []
    name = f"tests.core.recorder.{uuid.uuid4().hex}"
    bus.subscribe("test.global", name=name)(lambda _s, ev: got.append(ev))
    yield got
    bus.unsubscribe("test.global", name)
    assert name not in bus.handlers_for("test.global")


def test_default_bus_and_wildcard(odb: Database, global_recorder: list[Event]) -> None:
    event_id = _emit_one(odb, "test.global", {"x": 1})
    _emit_one(odb, "test.other")
    report = dispatch_pending(odb)
    assert report.events == 2
    assert [(e.id, e.type, e.payload) for e in global_recorder] == [
        (event_id, "test.global", {"x": 1})
    ]

    star: list[str] = []
    event_bus = EventBus()
    event_bus.subscribe("*", name="all")(lambda _s, ev: star.append(ev.type))
    _emit_one(odb, "test.a")
    _emit_one(odb, "test.b")
    dispatch_pending(odb, event_bus)
    assert star == ["test.a", "test.b"]
