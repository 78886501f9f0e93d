"""The report schedule: which reports are due, and running them exactly once.

A template with ``scheduled`` on is due for the newest complete period of its kind once the
workspace's local clock passes ``send_hour`` on the day after the period ended. Any number of
workers may look at the same time: a run is claimed by inserting its row with a unique
``schedule_key``, so only one worker generates and sends it. A worker that dies mid-run leaves
a ``running`` row; after :data:`STALE_AFTER` another worker takes it over.

``liuke serve`` checks every minute in-process (LIUKE_REPORTS_IN_PROCESS); a deployment that
prefers cron or its own queue runs ``liuke report run-due`` instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from liuke.core.config import Settings
from liuke.core.db import Database, utcnow
from liuke.core.errors import AppError
from liuke.reports import service
from liuke.reports.models import ReportRun, ReportTemplate
from liuke.reports.periods import Period, last_complete
from liuke.workspaces.clock import zone_of

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Due:
    workspace_id: int
    period: Period

    @property
    def schedule_key(self) -> str:
        return f"{self.period.kind}:{self.period.key}"


@dataclass(frozen=True)
class Outcome:
    workspace_id: int
    kind: str
    period: str
    run_id: int | None
    status: str  # ready | failed | skipped (another worker has it)
    sent_to: tuple[str, ...] = ()
    error: str = ""


def due(db: Database, now: datetime | None = None) -> list[Due]:
    """Scheduled reports whose period has ended and whose send hour has passed, not yet run."""
    now = now or utcnow()
    out: list[Due] = []
    with db.session() as s:
        templates = list(s.scalars(select(ReportTemplate).where(ReportTemplate.scheduled)))
        for t in templates:
            zone = zone_of(s, t.workspace_id)
            local = now.astimezone(zone)
            period = last_complete(t.kind, local.date())
            send_at = datetime.combine(period.end + timedelta(days=1), time(t.send_hour), zone)
            if local < send_at:
                continue
            item = Due(t.workspace_id, period)
            run = s.scalar(
                select(ReportRun).where(
                    ReportRun.workspace_id == t.workspace_id,
                    ReportRun.schedule_key == item.schedule_key,
                )
            )
            if run is None or (run.status == "running" and run.created_at < now - STALE_AFTER):
                out.append(item)
    return out


def _claim(db: Database, item: Due, now: datetime) -> int | None:
    """The run row this worker now owns, or None when another worker has it."""
    try:
        with db.session() as s:
            run = ReportRun(
                workspace_id=item.workspace_id,
                kind=item.period.kind,
                period_key=item.period.key,
                period_start=item.period.start,
                period_end=item.period.end,
                schedule_key=item.schedule_key,
                trigger="schedule",
                status="running",
                created_at=now,
            )
            s.add(run)
            s.flush()
            return run.id
    except IntegrityError:
        pass
    # taken: a stale run may be taken over, atomically, by exactly one worker
    with db.session() as s:
        taken = s.execute(
            update(ReportRun)
            .where(
                ReportRun.workspace_id == item.workspace_id,
                ReportRun.schedule_key == item.schedule_key,
                ReportRun.status == "running",
                ReportRun.created_at < now - STALE_AFTER,
            )
            .values(created_at=now)
            .returning(ReportRun.id)
        ).scalar()
        return int(taken) if taken is not None else None


def run_one(db: Database, settings: Settings, item: Due, now: datetime | None = None) -> Outcome:
    now = now or utcnow()
    run_id = _claim(db, item, now)
    kind, key = item.period.kind, item.period.key
    if run_id is None:
        return Outcome(item.workspace_id, kind, key, None, "skipped")
    try:
        service.generate(
            db, settings, item.workspace_id, item.period, trigger="schedule", run_id=run_id
        )
    except Exception as exc:  # a broken section must not stop the other reports
        log.exception("scheduled report %s %s failed", kind, key)
        with db.session() as s:
            s.execute(
                update(ReportRun)
                .where(ReportRun.id == run_id)
                .values(status="failed", error=str(exc)[:2000], finished_at=utcnow())
            )
        return Outcome(item.workspace_id, kind, key, run_id, "failed", error=str(exc))
    with db.session() as s:
        recipients = service.template_of(s, item.workspace_id, kind).recipients
    if not recipients:
        return Outcome(item.workspace_id, kind, key, run_id, "ready")
    try:
        with db.session() as s:
            result = service.send(s, settings, item.workspace_id, run_id)
        return Outcome(item.workspace_id, kind, key, run_id, "ready", result.recipients)
    except AppError as exc:
        detail = str(exc.params.get("detail", exc))
        with db.session() as s:
            s.execute(update(ReportRun).where(ReportRun.id == run_id).values(send_error=detail))
        return Outcome(item.workspace_id, kind, key, run_id, "ready", error=detail)


def run_due(db: Database, settings: Settings, now: datetime | None = None) -> list[Outcome]:
    """Generate (and e-mail) every due report; each one on its own, so one failure is local."""
    return [run_one(db, settings, item, now) for item in due(db, now)]
