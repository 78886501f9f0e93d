"""Follow-up visits (回访): made by rules or by hand, assigned, scheduled, completed with an outcome.

Rules (each idempotent through the unique (workspace, kind, source_kind, source_id)):

- ``complaint_resolved``: a complaint case that resolves gets a visit due
  ``follow_up_after_complaint_days`` after it resolved (subscriber to ``case.resolved`` in
  :mod:`liuke.crm.events`; ``run_rules`` also picks up cases resolved in the last
  ``BACKFILL_DAYS`` days without one, for history written without events). Source: the case, so
  a case resolved, reopened and resolved again still has one visit.
- ``high_risk``: customers in the system segment ``risk:high`` (churn probability at least
  ``high_risk`` in ``follow_up_high_risk_tiers``) get one task per membership spell: the spell
  is the source, so a customer who stays high-risk is not visited again, and one who drops
  out and comes back is. Due ``follow_up_due_days`` after it is made.
- ``periodic``: current members of the segments named in ``periodic_segment_codes`` get a
  visit when they had no periodic visit made in the last ``periodic_days`` days (source: the
  customer and the day, so a rerun on a day adds nothing).

Assignment: the least-loaded (fewest open follow-ups) active member of ``follow_up_group_id``;
without a group (or an empty one), the least-loaded active user who may handle follow-ups
(``retention.write``); ties go to the lower user id. Without anybody the task stays unassigned.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from liuke.complaints.models import Case
from liuke.core.db import add_or_existing, utcnow
from liuke.core.errors import BadRequest, Conflict
from liuke.core.events import emit
from liuke.core.tenancy import ensure_scoped_ids, get_scoped
from liuke.crm import segment_store as store
from liuke.crm.models import (
    FOLLOW_UP_KINDS,
    FOLLOW_UP_OUTCOMES,
    FOLLOW_UP_STATES,
    FollowUp,
    Segment,
    SegmentMembership,
)
from liuke.crm.profiles import zone_of
from liuke.crm.settings import RetentionSettings, settings_of
from liuke.customers.models import Customer
from liuke.workspaces.models import Role, User, user_skill_groups

BACKFILL_DAYS = 30
MAX_NOTE = 5000


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise BadRequest(detail=f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None:
        raise BadRequest(detail=f"{name} needs a time zone")
    return at


# --- assignment -------------------------------------------------------------------------------


class AssigneePool:
    """Least-loaded assignment over the follow-up group (else everyone with retention.write):
    one query for the candidates, one for their open tasks, then counted in memory."""

    def __init__(self, s: Session, workspace_id: int, group_id: int | None) -> None:
        self.load: dict[int, int] = {}
        if group_id is not None:
            members = s.scalars(
                select(User.id)
                .join(user_skill_groups, user_skill_groups.c.user_id == User.id)
                .where(
                    User.workspace_id == workspace_id,
                    User.is_active.is_(True),
                    user_skill_groups.c.skill_group_id == group_id,
                )
            )
            self.load = {int(u): 0 for u in members}
        if not self.load:
            for uid, perms in s.execute(
                select(User.id, Role.permissions)
                .join(Role, Role.id == User.role_id)
                .where(User.workspace_id == workspace_id, User.is_active.is_(True))
            ):
                if isinstance(perms, list) and "retention.write" in perms:
                    self.load[int(uid)] = 0
        if self.load:
            for who, n in s.execute(
                select(FollowUp.assignee_id, func.count())
                .where(
                    FollowUp.workspace_id == workspace_id,
                    FollowUp.status == "open",
                    FollowUp.assignee_id.in_(list(self.load)),
                )
                .group_by(FollowUp.assignee_id)
            ):
                if who is not None:
                    self.load[int(who)] = int(n)

    def pick(self) -> int | None:
        if not self.load:
            return None
        user = min(self.load, key=lambda u: (self.load[u], u))
        self.load[user] += 1
        return user


def _active_user(s: Session, workspace_id: int, user_id: int) -> User:
    user = get_scoped(s, User, workspace_id, user_id, "user")
    if not user.is_active:
        raise BadRequest(detail=f"user {user_id} is deactivated and cannot take follow-ups")
    return user


def _payload(f: FollowUp) -> dict[str, Any]:
    return {
        "follow_up_id": f.id,
        "customer_id": f.customer_id,
        "kind": f.kind,
        "assignee_id": f.assignee_id,
        "due_at": f.due_at.isoformat(),
    }


def _new(
    s: Session,
    workspace_id: int,
    *,
    customer_id: int,
    kind: str,
    source_kind: str,
    source_id: str,
    reason: str,
    due_at: datetime,
    assignee_id: int | None,
    now: datetime,
) -> tuple[FollowUp, bool]:
    """Insert once per source; a replay (or a concurrent twin) returns the existing task."""

    def find() -> FollowUp | None:
        return s.scalar(
            select(FollowUp).where(
                FollowUp.workspace_id == workspace_id,
                FollowUp.kind == kind,
                FollowUp.source_kind == source_kind,
                FollowUp.source_id == source_id,
            )
        )

    if (existing := find()) is not None:
        return existing, False
    f = FollowUp(
        workspace_id=workspace_id, customer_id=customer_id, kind=kind, source_kind=source_kind,
        source_id=source_id, reason=reason[:500], assignee_id=assignee_id, due_at=due_at,
        status="open", note="", created_at=now,
    )  # fmt: skip
    f, created = add_or_existing(s, f, find)
    if created:
        emit(s, workspace_id, "followup.created", _payload(f))
    return f, created


# --- rules ------------------------------------------------------------------------------------


def from_resolved_case(
    s: Session, workspace_id: int, case_id: int, *, pool: AssigneePool | None = None,
    conf: RetentionSettings | None = None,
) -> FollowUp | None:  # fmt: skip
    """The visit after a resolved complaint (None: not a complaint, no customer, not resolved)."""
    case = s.scalar(select(Case).where(Case.workspace_id == workspace_id, Case.id == case_id))
    if (
        case is None
        or case.kind != "complaint"
        or case.customer_id is None
        or case.merged_into_id is not None
        or case.resolved_at is None
    ):
        return None
    conf = conf or settings_of(s, workspace_id)
    source = str(case.id)
    if s.scalar(
        select(FollowUp.id).where(
            FollowUp.workspace_id == workspace_id,
            FollowUp.kind == "complaint_resolved",
            FollowUp.source_kind == "case",
            FollowUp.source_id == source,
        )
    ):
        return None
    pool = pool or AssigneePool(s, workspace_id, conf.follow_up_group_id)
    f, _ = _new(
        s, workspace_id, customer_id=case.customer_id, kind="complaint_resolved",
        source_kind="case", source_id=source,
        reason=f"complaint case {case.id} resolved: {case.title}".strip(),
        due_at=case.resolved_at + timedelta(days=conf.follow_up_after_complaint_days),
        assignee_id=pool.pick(), now=utcnow(),
    )  # fmt: skip
    return f


@dataclass
class RuleReport:
    day: date
    complaint_resolved: int = 0
    high_risk: int = 0
    periodic: int = 0
    unassigned: int = 0  # tasks made with nobody to take them
    notes: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return self.complaint_resolved + self.high_risk + self.periodic


def run_rules(s: Session, workspace_id: int, now: datetime | None = None) -> RuleReport:
    """Make the tasks the rules call for on ``now``'s local day (idempotent: a rerun adds none)."""
    now = _aware(now or utcnow(), "now")
    conf = settings_of(s, workspace_id)
    day = now.astimezone(zone_of(s, workspace_id)).date()
    report = RuleReport(day)
    pool = AssigneePool(s, workspace_id, conf.follow_up_group_id)
    if not pool.load:
        report.notes.append("nobody can take follow-ups: tasks are left unassigned")

    def made(f: FollowUp, created: bool, kind: str) -> None:
        if created:
            setattr(report, kind, getattr(report, kind) + 1)
            if f.assignee_id is None:
                report.unassigned += 1

    # (a) complaints resolved lately without their visit
    seen = set(
        s.scalars(
            select(FollowUp.source_id).where(
                FollowUp.workspace_id == workspace_id,
                FollowUp.kind == "complaint_resolved",
                FollowUp.source_kind == "case",
            )
        )
    )
    for (case_id,) in s.execute(
        select(Case.id)
        .where(
            Case.workspace_id == workspace_id,
            Case.kind == "complaint",
            Case.customer_id.is_not(None),
            Case.merged_into_id.is_(None),
            Case.resolved_at.is_not(None),
            Case.resolved_at >= now - timedelta(days=BACKFILL_DAYS),
            Case.resolved_at <= now,
        )
        .order_by(Case.id)
    ).all():
        if str(case_id) in seen:
            continue
        f = from_resolved_case(s, workspace_id, case_id, pool=pool, conf=conf)
        if f is not None:
            made(f, True, "complaint_resolved")
    # (b) high risk: one task per open spell of risk:high
    store.refresh_memberships(s, workspace_id, day, codes=[store.RISK_CODE])
    risk = store.segment_by_code(s, workspace_id, store.RISK_CODE)
    if risk is not None and risk.active:
        spells = s.execute(
            select(
                SegmentMembership.id, SegmentMembership.customer_id, SegmentMembership.since
            ).where(
                SegmentMembership.workspace_id == workspace_id,
                SegmentMembership.segment_id == risk.id,
                SegmentMembership.until.is_(None),
            )
        ).all()
        done = set(
            s.scalars(
                select(FollowUp.source_id).where(
                    FollowUp.workspace_id == workspace_id,
                    FollowUp.kind == "high_risk",
                    FollowUp.source_kind == "risk_spell",
                )
            )
        )
        for mid, cid, since in sorted(spells):
            if str(mid) in done:
                continue
            f, created = _new(
                s, workspace_id, customer_id=cid, kind="high_risk", source_kind="risk_spell",
                source_id=str(mid),
                reason=f"churn risk at least {conf.high_risk:g} since {since.isoformat()}",
                due_at=now + timedelta(days=conf.follow_up_due_days),
                assignee_id=pool.pick(), now=now,
            )  # fmt: skip
            made(f, created, "high_risk")
    elif not conf.follow_up_high_risk_tiers:
        report.notes.append("no follow-up tiers set: the high-risk rule is off")
    # (c) periodic visits
    if conf.periodic_segment_codes:
        segs = {
            sg.code: sg
            for code in conf.periodic_segment_codes
            if (sg := store.segment_by_code(s, workspace_id, code)) is not None
        }
        for code in conf.periodic_segment_codes:
            if code not in segs:
                report.notes.append(f"periodic segment {code} does not exist")
            elif not segs[code].active:
                report.notes.append(f"periodic segment {code} is switched off")
        ids = [sg.id for sg in segs.values() if sg.active]
        members: dict[int, str] = {}
        if ids:
            for cid, code in s.execute(
                select(SegmentMembership.customer_id, Segment.code)
                .join(Segment, Segment.id == SegmentMembership.segment_id)
                .where(
                    SegmentMembership.workspace_id == workspace_id,
                    SegmentMembership.segment_id.in_(ids),
                    SegmentMembership.until.is_(None),
                )
                .order_by(SegmentMembership.customer_id, Segment.code)
            ):
                members.setdefault(cid, code)
        recent = set(
            s.scalars(
                select(FollowUp.customer_id).where(
                    FollowUp.workspace_id == workspace_id,
                    FollowUp.kind == "periodic",
                    FollowUp.created_at > now - timedelta(days=conf.periodic_days),
                )
            )
        )
        for cid, code in sorted(members.items()):
            if cid in recent:
                continue
            f, created = _new(
                s, workspace_id, customer_id=cid, kind="periodic", source_kind="segment",
                source_id=f"{cid}:{day.isoformat()}",
                reason=f"periodic visit (every {conf.periodic_days} days) for segment {code}",
                due_at=now + timedelta(days=conf.follow_up_due_days),
                assignee_id=pool.pick(), now=now,
            )  # fmt: skip
            made(f, created, "periodic")
    s.flush()
    return report


# --- by hand ----------------------------------------------------------------------------------


def get_follow_up(s: Session, workspace_id: int, follow_up_id: int) -> FollowUp:
    return get_scoped(s, FollowUp, workspace_id, follow_up_id, "follow_up")


def create(
    s: Session,
    workspace_id: int,
    *,
    customer_id: int,
    due_at: datetime,
    reason: str = "",
    kind: str = "manual",
    assignee_id: int | None = None,
    actor_id: int | None = None,
) -> FollowUp:
    """A task made by hand (kind ``manual`` or ``winback``); without an assignee, the pool picks."""
    _choice(kind, ("manual", "winback"), "kind")
    _aware(due_at, "due_at")
    ensure_scoped_ids(s, Customer, workspace_id, [customer_id], "customer")
    if len(reason) > 500:
        raise BadRequest(detail="reason: at most 500 characters")
    if assignee_id is not None:
        _active_user(s, workspace_id, assignee_id)
    else:
        assignee_id = AssigneePool(
            s, workspace_id, settings_of(s, workspace_id).follow_up_group_id
        ).pick()
    f, _ = _new(
        s, workspace_id, customer_id=customer_id, kind=kind, source_kind="manual",
        source_id=uuid.uuid4().hex, reason=reason.strip(), due_at=due_at,
        assignee_id=assignee_id, now=utcnow(),
    )  # fmt: skip
    s.flush()
    return f


def _open(s: Session, workspace_id: int, follow_up_id: int, verb: str) -> FollowUp:
    f = get_follow_up(s, workspace_id, follow_up_id)
    if f.status != "open":
        raise Conflict(detail=f"follow-up {f.id} is already {f.status}: it cannot be {verb}")
    return f


def reassign(
    s: Session,
    workspace_id: int,
    follow_up_id: int,
    assignee_id: int,
    *,
    actor_id: int | None = None,
) -> FollowUp:
    f = _open(s, workspace_id, follow_up_id, "reassigned")
    _active_user(s, workspace_id, assignee_id)
    if f.assignee_id != assignee_id:
        old, f.assignee_id = f.assignee_id, assignee_id
        emit(
            s, workspace_id, "followup.reassigned",
            {"follow_up_id": f.id, "from": old, "to": assignee_id, "actor_id": actor_id},
        )  # fmt: skip
    s.flush()
    return f


def reschedule(s: Session, workspace_id: int, follow_up_id: int, due_at: datetime) -> FollowUp:
    f = _open(s, workspace_id, follow_up_id, "rescheduled")
    f.due_at = _aware(due_at, "due_at")
    s.flush()
    return f


def complete(
    s: Session,
    workspace_id: int,
    follow_up_id: int,
    outcome: str,
    *,
    note: str = "",
    actor_id: int | None = None,
    at: datetime | None = None,
) -> FollowUp:
    """Record the visit's outcome; a task that is done or cancelled answers 409."""
    _choice(outcome, FOLLOW_UP_OUTCOMES, "outcome")
    if len(note) > MAX_NOTE:
        raise BadRequest(detail=f"note: at most {MAX_NOTE} characters")
    if outcome == "other" and not note.strip():
        raise BadRequest(detail="outcome 'other' needs a note saying what happened")
    f = _open(s, workspace_id, follow_up_id, "completed")
    f.status, f.outcome, f.note = "done", outcome, note.strip()
    f.completed_at = _aware(at, "at") if at is not None else utcnow()
    f.completed_by = actor_id
    emit(
        s, workspace_id, "followup.completed",
        {"follow_up_id": f.id, "customer_id": f.customer_id, "kind": f.kind, "outcome": outcome,
         "late": f.completed_at > f.due_at},
    )  # fmt: skip
    s.flush()
    return f


def cancel(
    s: Session, workspace_id: int, follow_up_id: int, *, note: str = "", actor_id: int | None = None
) -> FollowUp:
    f = _open(s, workspace_id, follow_up_id, "cancelled")
    if len(note) > MAX_NOTE:
        raise BadRequest(detail=f"note: at most {MAX_NOTE} characters")
    f.status, f.note = "cancelled", note.strip()
    f.completed_at, f.completed_by = utcnow(), actor_id
    emit(
        s, workspace_id, "followup.cancelled", {"follow_up_id": f.id, "customer_id": f.customer_id}
    )
    s.flush()
    return f


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpFilter:
    status: str | None = None
    kind: str | None = None
    customer_id: int | None = None
    assignee_id: int | None = None
    overdue: bool | None = None
    unassigned: bool | None = None


def check_filter(s: Session, workspace_id: int, f: FollowUpFilter) -> None:
    if f.status is not None:
        _choice(f.status, FOLLOW_UP_STATES, "status")
    if f.kind is not None:
        _choice(f.kind, FOLLOW_UP_KINDS, "kind")
    ensure_scoped_ids(s, Customer, workspace_id, [f.customer_id], "customer")
    ensure_scoped_ids(s, User, workspace_id, [f.assignee_id], "user")


def query(workspace_id: int, f: FollowUpFilter, now: datetime | None = None) -> Select[FollowUp]:
    """Tasks of the workspace; order by ``FollowUp.due_at, FollowUp.id``."""
    stmt = select(FollowUp).where(FollowUp.workspace_id == workspace_id)
    if f.status is not None:
        stmt = stmt.where(FollowUp.status == f.status)
    if f.kind is not None:
        stmt = stmt.where(FollowUp.kind == f.kind)
    if f.customer_id is not None:
        stmt = stmt.where(FollowUp.customer_id == f.customer_id)
    if f.assignee_id is not None:
        stmt = stmt.where(FollowUp.assignee_id == f.assignee_id)
    if f.unassigned is not None:
        stmt = stmt.where(
            FollowUp.assignee_id.is_(None) if f.unassigned else FollowUp.assignee_id.is_not(None)
        )
    if f.overdue is not None:
        late = (FollowUp.status == "open") & (FollowUp.due_at < (now or utcnow()))
        stmt = stmt.where(late if f.overdue else ~late)
    return stmt


def is_overdue(f: FollowUp, now: datetime | None = None) -> bool:
    return f.status == "open" and f.due_at < (now or utcnow())


@dataclass(frozen=True)
class AssigneeLoad:
    assignee_id: int | None
    name: str
    open: int
    overdue: int


@dataclass(frozen=True)
class Overdue:
    open: int
    overdue: int
    due_today: int
    by_kind: dict[str, dict[str, int]]  # kind -> {"open", "overdue"}
    by_assignee: list[AssigneeLoad]
    oldest_overdue_at: datetime | None


def overdue_summary(s: Session, workspace_id: int, now: datetime | None = None) -> Overdue:
    """Open and overdue tasks, by kind and by assignee (unassigned as None)."""
    now = now or utcnow()
    end_of_day = now + timedelta(days=1)
    rows = s.execute(
        select(FollowUp.kind, FollowUp.assignee_id, FollowUp.due_at).where(
            FollowUp.workspace_id == workspace_id, FollowUp.status == "open"
        )
    ).all()
    by_kind: dict[str, dict[str, int]] = {k: {"open": 0, "overdue": 0} for k in FOLLOW_UP_KINDS}
    load: dict[int | None, list[int]] = {}
    overdue = due_today = 0
    oldest: datetime | None = None
    for kind, who, due in rows:
        late = due < now
        by_kind.setdefault(kind, {"open": 0, "overdue": 0})
        by_kind[kind]["open"] += 1
        by_kind[kind]["overdue"] += late
        counts = load.setdefault(who, [0, 0])
        counts[0] += 1
        counts[1] += late
        overdue += late
        due_today += now <= due < end_of_day
        if late and (oldest is None or due < oldest):
            oldest = due
    names = dict(
        s.execute(
            select(User.id, User.name).where(
                User.workspace_id == workspace_id, User.id.in_([u for u in load if u is not None])
            )
        ).all()
    )
    people = [
        AssigneeLoad(u, names.get(u, "") if u is not None else "", c[0], c[1])
        for u, c in load.items()
    ]
    people.sort(key=lambda a: (-a.overdue, -a.open, a.assignee_id or 0))
    return Overdue(len(rows), overdue, due_today, by_kind, people, oldest)
