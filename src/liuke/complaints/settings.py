"""A workspace's complaint settings (``workspace.settings["complaints"]``), validated in one place.

Everything has a default a shop can start with; a bad value is refused when it is saved
(:func:`parse`), so the daily jobs never meet one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liuke.complaints.models import CATEGORIES, SEVERITIES
from liuke.core.errors import BadRequest

# hours to resolve, by severity: a critical complaint (safety, a key account) gets hours, not days
DUE_HOURS: dict[str, int] = {"critical": 4, "high": 24, "normal": 48, "low": 120}
# which department a chart alert escalates to; "@product_line" means the line's owner department
ROUTING: dict[str, str] = {
    "product_quality": "@product_line",
    "service_policy": "服务政策组",
    "work_quality": "客服中心",
    "other": "客服中心",
}
FALLBACK_DEPARTMENT = "客服中心"


@dataclass(frozen=True)
class ComplaintSettings:
    due_hours: dict[str, int] = field(default_factory=lambda: dict(DUE_HOURS))
    review_share: float = 0.1  # share of classified cases a second person reviews
    routing: dict[str, str] = field(default_factory=lambda: dict(ROUTING))
    retrain_every: int = 50  # confirmed corrections before the classifier retrains
    min_repeat: int = 5  # a root cause seen this often asks for a process change
    # an alert needs this many complaints above expectation: a tiny cell going from one
    # complaint to four is statistically odd but not worth a department's afternoon
    min_excess: float = 5.0
    merge_gap: int = 2  # judged days between two signals that still make one episode
    owner_group_id: int | None = None  # unowned cases go to its least-loaded member
    # category x product line has many small cells: wider limits keep the dimension's
    # false-alarm budget (one per quarter) instead of each cell's
    cell_limit_sigma: float = 3.5
    recipients: tuple[str, ...] = ()  # daily complaint warning
    charts: dict[str, Any] = field(default_factory=dict)  # ChartParams.from_settings input

    def department_for(self, category: str | None, line_department: str | None) -> str:
        target = self.routing.get(category or "other", FALLBACK_DEPARTMENT)
        if target == "@product_line":
            return line_department or FALLBACK_DEPARTMENT
        return target


def _number(raw: Any, name: str, lo: float, hi: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not lo <= raw <= hi:
        raise BadRequest(detail=f"complaints.{name} must be a number from {lo:g} to {hi:g}")
    return float(raw)


def _group(raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise BadRequest(detail="complaints.owner_group_id must be a skill group id")
    return raw


def parse(raw: dict[str, Any] | None) -> ComplaintSettings:
    """Validated settings; unknown keys are refused so a typo does not silently do nothing."""
    raw = raw or {}
    known = {"due_hours", "review_share", "routing", "retrain_every", "min_repeat"}
    known |= {"recipients", "charts", "min_excess", "merge_gap", "owner_group_id"}
    known |= {"cell_limit_sigma"}
    if unknown := sorted(set(raw) - known):
        raise BadRequest(detail=f"unknown complaints settings: {', '.join(unknown)}")
    due = dict(DUE_HOURS)
    for sev, hours in (raw.get("due_hours") or {}).items():
        if sev not in SEVERITIES:
            raise BadRequest(detail=f"due_hours: severity must be one of {', '.join(SEVERITIES)}")
        due[sev] = int(_number(hours, f"due_hours.{sev}", 1, 24 * 90))
    routing = dict(ROUTING)
    for cat, dept in (raw.get("routing") or {}).items():
        if cat not in CATEGORIES:
            raise BadRequest(detail=f"routing: category must be one of {', '.join(CATEGORIES)}")
        if not isinstance(dept, str) or not dept.strip() or len(dept) > 100:
            raise BadRequest(detail=f"routing.{cat} must be a department name")
        routing[cat] = dept.strip()
    recipients = raw.get("recipients") or []
    if not isinstance(recipients, list) or not all(
        isinstance(r, str) and "@" in r for r in recipients
    ):
        raise BadRequest(detail="complaints.recipients must be a list of e-mail addresses")
    charts = raw.get("charts") or {}
    if not isinstance(charts, dict):
        raise BadRequest(detail="complaints.charts must be an object")
    out = ComplaintSettings(
        due_hours=due,
        review_share=_number(raw.get("review_share", 0.1), "review_share", 0, 1),
        routing=routing,
        retrain_every=int(_number(raw.get("retrain_every", 50), "retrain_every", 1, 100_000)),
        min_repeat=int(_number(raw.get("min_repeat", 5), "min_repeat", 1, 10_000)),
        recipients=tuple(recipients),
        charts=charts,
        min_excess=_number(raw.get("min_excess", 5.0), "min_excess", 0, 100_000),
        merge_gap=int(_number(raw.get("merge_gap", 2), "merge_gap", 0, 30)),
        owner_group_id=_group(raw.get("owner_group_id")),
        cell_limit_sigma=_number(raw.get("cell_limit_sigma", 3.5), "cell_limit_sigma", 2, 6),
    )
    chart_params(out)  # refuses bad chart parameters now, not in tonight's job
    return out


def chart_params(cs: ComplaintSettings) -> Any:
    from liuke.complaints.charts import ChartParams

    try:
        return ChartParams.from_settings(cs.charts)
    except ValueError as exc:
        raise BadRequest(detail=f"complaints.charts: {exc}") from exc
