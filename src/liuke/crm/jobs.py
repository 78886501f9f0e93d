"""The nightly retention job: churn labels, profiles, the churn model, segments, follow-ups.

The steps run in this order because each reads what the one before wrote: profiles (RFM,
grade) and churn labels feed the model; the risk score feeds the segments ("high risk") and the
follow-up rules. Each step commits on its own, so a failure late in the run (a model that cannot
be trained yet) leaves the earlier steps' work in place and is reported, not raised.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liuke.core.db import Database, utcnow
from liuke.core.errors import AppError
from liuke.core.i18n import error_text
from liuke.crm import followups, labels, profiles, risk
from liuke.crm import segment_store as store

log = logging.getLogger(__name__)
RETRAIN_DAYS = 7  # the model is refitted weekly; scoring runs every night


@dataclass
class DailyReport:
    workspace_id: int
    as_of: str
    churn: dict[str, int] = field(default_factory=dict)
    profiles: int = 0
    trained: dict[str, Any] | None = None
    scored: int = 0
    segments: dict[str, Any] = field(default_factory=dict)
    follow_ups: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _model_is_stale(workspace_id: int, now: datetime) -> bool:
    report = risk.load_report(workspace_id)
    if report is None or not risk.model_path(workspace_id).exists():
        return True
    trained = datetime.fromisoformat(str(report.get("trained_at")))
    return now - trained > timedelta(days=RETRAIN_DAYS)


def run_daily(
    db: Database, workspace_id: int, now: datetime | None = None, *, train: bool | None = None
) -> DailyReport:
    """Run every step for one workspace; ``train`` None refits only when the model is missing
    or older than a week."""
    now = now or utcnow()
    report = DailyReport(workspace_id, now.isoformat())

    def step(name: str) -> _Timer:
        return _Timer(report.seconds, name)

    with step("churn_labels"), db.session() as s:
        report.churn = labels.sync_churn_records(s, workspace_id, now).as_dict()
    with step("profiles"), db.session() as s:
        report.profiles = profiles.refresh_profiles(
            s, workspace_id, now.astimezone(profiles.zone_of(s, workspace_id)).date()
        )
    if train or (train is None and _model_is_stale(workspace_id, now)):
        with step("train"):
            try:
                with db.session() as s:
                    trained = risk.train(s, workspace_id, now)
                report.trained = {
                    "cv_auc": trained.cv_auc,
                    "cv_auc_sd": trained.cv_auc_sd,
                    "churned": trained.churned,
                    "customers": trained.customers,
                    "model_version": trained.model_version,
                }
            except AppError as exc:
                report.notes.append("churn model not trained: " + error_text(exc, "en"))
    with step("score"):
        try:
            with db.session() as s:
                report.scored = risk.score(s, workspace_id, now)
        except AppError as exc:
            report.notes.append("customers not scored: " + error_text(exc, "en"))
    with step("segments"), db.session() as s:
        day = now.astimezone(profiles.zone_of(s, workspace_id)).date()
        last = store.last_refresh_day(s, workspace_id)
        if last is not None and day < last:
            report.notes.append(f"segments already stored up to {last}; not refreshed")
        else:
            refreshed = store.refresh_memberships(s, workspace_id, day)
            report.segments = {
                "segments": refreshed.segments,
                "joined": refreshed.joined,
                "left": refreshed.left,
                "empty": list(refreshed.empty),
            }
    with step("follow_ups"), db.session() as s:
        rules = followups.run_rules(s, workspace_id, now)
        report.follow_ups = {
            "complaint_resolved": rules.complaint_resolved,
            "high_risk": rules.high_risk,
            "periodic": rules.periodic,
            "unassigned": rules.unassigned,
        }
        report.notes.extend(rules.notes)
    return report


class _Timer:
    def __init__(self, into: dict[str, float], name: str) -> None:
        self.into, self.name = into, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.into[self.name] = round(time.perf_counter() - self.start, 2)
        log.info("retention %s: %.2f s", self.name, self.into[self.name])
