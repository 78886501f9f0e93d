"""Control charts per dimension and cell, and the alerts they raise, escalate and track.

Detection is a daily job (``liuke complaints detect``, the scheduler, or the page's button):
every cell's chart is recomputed, each out-of-control episode becomes one alert (idempotent on
cell and first day), and a new alert is escalated at once to the department that owns the
cause, with the evidence a person needs to act without opening five screens.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.complaints import grid as g
from liuke.complaints.charts import (
    INSUFFICIENT_BASELINE,
    Chart,
    ChartParams,
    Episode,
    compute_chart,
)
from liuke.complaints.models import ComplaintAlert
from liuke.complaints.service import settings_of
from liuke.complaints.settings import ComplaintSettings, chart_params
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest
from liuke.core.events import emit
from liuke.core.tenancy import get_scoped, scoped

HISTORY_DAYS = 120  # the charts look back this far: a quarter to judge plus a baseline
EVIDENCE_POINTS = 35
SAMPLE_CASES = 10


@dataclass(frozen=True)
class CellChart:
    series: g.Series
    chart: Chart
    note: str | None  # why the chart is not per 10,000 orders, if it is not


def chart_series(ser: g.Series, params: ChartParams) -> CellChart:
    """The cell's chart; days too early for a trailing baseline are judged in Phase I.

    Each day is normally judged against the days before it. The first weeks of a history
    (or of a young workspace) have too few, so they are judged against the whole window
    trimmed of its own out-of-control days, rather than not at all: a defect in week two
    must not go unseen because the shop started recording in week one.
    """
    kind = "c" if ser.exposures is None else "u"
    note = "no sales volume recorded: plain counts (c chart)" if kind == "c" else None
    chart = compute_chart(ser.days, ser.counts, ser.exposures, kind=kind, params=params)
    if params.fixed_baseline is None:
        # the leading days without trailing limits (days without sales stay missing either way)
        k = next((i for i, p in enumerate(chart.points) if p.missing_reason is None), 0)
        if any(p.missing_reason == INSUFFICIENT_BASELINE for p in chart.points[:k]):
            phase1 = compute_chart(
                ser.days,
                ser.counts,
                ser.exposures,
                kind=kind,
                params=replace(params, fixed_baseline=(0, len(ser.days))),
            )
            chart = replace(chart, points=phase1.points[:k] + chart.points[k:])
    return CellChart(ser, chart, note)


def params_for(dimension: str, params: ChartParams, conf: ComplaintSettings) -> ChartParams:
    if dimension == "cell":
        return replace(params, limit_sigma=max(params.limit_sigma, conf.cell_limit_sigma))
    return params


def charts(
    s: Session, workspace_id: int, dimension: str, start: date, end: date
) -> list[CellChart]:
    conf = settings_of(s, workspace_id)
    params = params_for(dimension, chart_params(conf), conf)
    return [chart_series(ser, params) for ser in g.series(s, workspace_id, dimension, start, end)]


def label_of(cell: dict[str, Any], lines: dict[int, g.Line]) -> str:
    parts = []
    for k, v in sorted(cell.items()):
        if k == "product_line_id":
            parts.append(
                lines[int(v)].name if v is not None and int(v) in lines else g.UNKNOWN_LINE
            )
        else:
            parts.append(str(v))
    return " / ".join(parts)


def _evidence(
    cc: CellChart, ep: Episode, facts: dict[int, tuple[str, int | None]]
) -> dict[str, Any]:
    pts = [p for p in cc.chart.points if p.period <= ep.last_period][-EVIDENCE_POINTS:]
    in_episode = [
        cid
        for d, ids in cc.series.case_days.items()
        if ep.first_period <= d <= ep.last_period
        for cid in ids
    ]
    subs = Counter(facts.get(cid, ("", None))[0] for cid in in_episode)
    lines = Counter(facts.get(cid, ("", None))[1] for cid in in_episode)
    observed = sum(
        p.count or 0 for p in cc.chart.points if ep.first_period <= p.period <= ep.last_period
    )
    expected = sum(
        p.expected or 0.0 for p in cc.chart.points if ep.first_period <= p.period <= ep.last_period
    )
    return {
        "points": [
            {
                "day": p.period.isoformat(),
                "count": p.count,
                "orders": p.exposure,
                "rate": p.rate,
                "center": p.center,
                "ucl": p.ucl,
                "signals": list(p.signals),
                "missing": p.missing_reason,
            }
            for p in pts
        ],
        "observed": observed,
        "expected": round(expected, 2),
        "ratio": round(observed / expected, 2) if expected > 0 else None,
        "cases": len(in_episode),
        "sample_case_ids": sorted(in_episode)[-SAMPLE_CASES:],
        "top_subcategories": [[k, n] for k, n in subs.most_common(5) if k],
        "top_product_lines": [[k, n] for k, n in lines.most_common(5) if k is not None],
        "chart": cc.chart.kind,
        "note": cc.note,
    }


@dataclass(frozen=True)
class Detection:
    start: date
    end: date
    charts: int
    raised: list[ComplaintAlert]
    updated: list[ComplaintAlert]


def detect(
    s: Session,
    workspace_id: int,
    end: date,
    *,
    days: int = HISTORY_DAYS,
    dimensions: tuple[str, ...] = g.DIMENSIONS,
) -> Detection:
    """Judge every cell up to ``end`` (a complete local day); raise or extend alerts."""
    if days < 1 or days > 3700:
        raise BadRequest(detail="days must be between 1 and 3700")
    conf = settings_of(s, workspace_id)
    params = chart_params(conf)
    start = end - timedelta(days=days - 1)
    lines = {ln.id: ln for ln in g.product_lines(s, workspace_id)}
    raised: list[ComplaintAlert] = []
    updated: list[ComplaintAlert] = []
    n_charts = 0
    for dim in dimensions:
        dim_params = params_for(dim, params, conf)
        for ser in g.series(s, workspace_id, dim, start, end):
            cc = chart_series(ser, dim_params)
            n_charts += 1
            episodes = cc.chart.episodes(max_gap=conf.merge_gap)
            if not episodes:
                continue
            subs = _case_facts(s, workspace_id, ser)
            for ep in episodes:
                evidence = _evidence(cc, ep, subs)
                if evidence["observed"] - evidence["expected"] < conf.min_excess:
                    continue
                alert, new = _upsert(s, workspace_id, cc, ep, evidence, lines, conf)
                if alert is not None:
                    (raised if new else updated).append(alert)
    s.flush()
    return Detection(start, end, n_charts, raised, updated)


def _case_facts(s: Session, workspace_id: int, ser: g.Series) -> dict[int, tuple[str, int | None]]:
    """Subcategory and product line of the cell's cases (what the evidence summarises)."""
    from liuke.complaints.models import Case

    ids = [cid for ids in ser.case_days.values() for cid in ids]
    out: dict[int, tuple[str, int | None]] = {}
    for chunk in range(0, len(ids), 900):
        part = ids[chunk : chunk + 900]
        for cid, sub, line in s.execute(
            select(Case.id, Case.subcategory, Case.product_line_id).where(
                Case.workspace_id == workspace_id, Case.id.in_(part)
            )
        ).all():
            out[int(cid)] = (sub or "", line)
    return out


def _upsert(
    s: Session,
    workspace_id: int,
    cc: CellChart,
    ep: Episode,
    evidence: dict[str, Any],
    lines: dict[int, g.Line],
    conf: Any,
) -> tuple[ComplaintAlert | None, bool]:
    ser = cc.series
    existing = s.scalar(
        scoped(ComplaintAlert, workspace_id).where(
            ComplaintAlert.cell_key == ser.key,
            ComplaintAlert.period_kind == "day",
            ComplaintAlert.first_period == ep.first_period,
        )
    )
    now = utcnow()
    if existing is not None:
        if existing.last_period == ep.last_period and existing.peak_count == ep.peak_count:
            return None, False
        existing.last_period, existing.peak_period = ep.last_period, ep.peak_period
        existing.peak_count, existing.peak_rate = ep.peak_count, ep.peak_rate
        existing.rules = sorted(set(existing.rules) | set(ep.rules))
        existing.evidence, existing.updated_at = evidence, now
        return existing, False
    line = ser.cell.get("product_line_id")
    if line is None and evidence["top_product_lines"]:
        line = evidence["top_product_lines"][0][0]  # the line most of the episode's cases name
    line_dept = lines[int(line)].department if line is not None and int(line) in lines else None
    category = ser.cell.get("category")
    if category is None and ser.dimension == "product_line":
        category = "product_quality"  # a product line's complaints go to the line's owners
    department = conf.department_for(str(category) if category else None, line_dept)
    alert = ComplaintAlert(
        workspace_id=workspace_id,
        dimension=ser.dimension,
        cell_key=ser.key,
        cell={**ser.cell, "label": label_of(ser.cell, lines)},
        period_kind="day",
        first_period=ep.first_period,
        last_period=ep.last_period,
        peak_period=ep.peak_period,
        peak_count=ep.peak_count,
        peak_rate=ep.peak_rate,
        center=ep.center,
        ucl=ep.ucl,
        rules=list(ep.rules),
        evidence=evidence,
        status="escalated",
        department=department,
        escalated_at=now,
        created_at=now,
        updated_at=now,
    )
    s.add(alert)
    s.flush()
    payload = {
        "alert_id": alert.id,
        "dimension": alert.dimension,
        "cell": alert.cell,
        "first_day": alert.first_period.isoformat(),
        "peak_day": alert.peak_period.isoformat(),
        "rules": alert.rules,
        "department": department,
        "observed": evidence["observed"],
        "expected": evidence["expected"],
    }
    emit(s, workspace_id, "complaints.alert_raised", payload)
    emit(s, workspace_id, "complaints.alert_escalated", payload)
    return alert, True


TRANSITIONS = {
    "open": ("escalated", "acknowledged", "closed"),
    "escalated": ("acknowledged", "closed"),
    "acknowledged": ("closed",),
    "closed": ("acknowledged",),
}


def set_alert_status(
    s: Session,
    workspace_id: int,
    alert_id: int,
    status: str,
    *,
    actor_id: int | None,
    resolution: str = "",
    department: str | None = None,
) -> ComplaintAlert:
    """Acknowledge (the department has it), close (the cause is fixed, say how) or reopen."""
    alert = get_scoped(s, ComplaintAlert, workspace_id, alert_id, "complaint_alert")
    if status not in TRANSITIONS:
        raise BadRequest(detail=f"status must be one of {', '.join(TRANSITIONS)}")
    if status not in TRANSITIONS[alert.status]:
        allowed = ", ".join(TRANSITIONS[alert.status])
        raise BadRequest(detail=f"an {alert.status} alert can move to: {allowed}")
    now = utcnow()
    if department is not None:
        if not department.strip() or len(department) > 100:
            raise BadRequest(detail="department must be a name of at most 100 characters")
        alert.department = department.strip()
    if status == "closed":
        if not resolution.strip():
            raise BadRequest(detail="say what was done about the cause (resolution)")
        alert.closed_at, alert.closed_by, alert.resolution = now, actor_id, resolution.strip()
    elif status == "acknowledged":
        alert.acknowledged_by = actor_id
        alert.closed_at = None
    old, alert.status, alert.updated_at = alert.status, status, now
    emit(
        s,
        workspace_id,
        "complaints.alert_status",
        {"alert_id": alert.id, "from": old, "to": status, "department": alert.department},
    )
    s.flush()
    return alert


def alert_query(
    workspace_id: int, *, status: str | None = None, dimension: str | None = None
) -> Any:
    stmt = scoped(ComplaintAlert, workspace_id)
    if status == "active":
        stmt = stmt.where(ComplaintAlert.status != "closed")
    elif status is not None:
        stmt = stmt.where(ComplaintAlert.status == status)
    if dimension is not None:
        stmt = stmt.where(ComplaintAlert.dimension == dimension)
    return stmt
