"""The daily complaint warning (投诉预警日报): today's alerts, hot spots and overdue cases.

One builder feeds the page, the XLSX export and the e-mail, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liuke.analytics.export import Table, to_xlsx
from liuke.complaints import grid as g
from liuke.complaints.models import OPEN_STATUSES, Case, ComplaintAlert
from liuke.complaints.service import case_number, settings_of
from liuke.core.config import Settings
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest
from liuke.core.mail import Attachment, SendResult, send_mail

BASELINE_DAYS = 28
HOT_SPOTS = 10
OVERDUE_LISTED = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class HotSpot:
    """A grid cell with more complaints today than its usual day."""

    category: str
    product_line_id: int | None
    label: str
    today: int
    daily_mean: float  # over the 28 days before
    excess: float  # today minus the usual day


@dataclass(frozen=True)
class DailyWarning:
    day: date
    generated_at: datetime
    complaints: int
    complaints_mean: float  # per day over the 28 days before
    key_account_complaints: int
    new_alerts: list[ComplaintAlert]
    active_alerts: list[ComplaintAlert]
    hot_spots: list[HotSpot]
    overdue: list[Case]
    overdue_total: int
    lines: dict[int, str]

    @property
    def change(self) -> float | None:
        if self.complaints_mean <= 0:
            return None
        return self.complaints / self.complaints_mean - 1


def build(s: Session, workspace_id: int, day: date) -> DailyWarning:
    """The warning for one local day (normally yesterday, the last complete one)."""
    zone = g.zone_of(s, workspace_id)
    today = g.grid(s, workspace_id, day, day)
    before = g.grid(s, workspace_id, day - timedelta(days=BASELINE_DAYS), day - timedelta(days=1))
    lines = {ln.id: ln.name for ln in today.lines}
    usual: dict[tuple[str, int | None], float] = {}
    for c in before.cells:
        key = (c.category, c.product_line_id)
        usual[key] = usual.get(key, 0.0) + c.count / BASELINE_DAYS
    now_counts: dict[tuple[str, int | None], int] = {}
    for c in today.cells:
        key = (c.category, c.product_line_id)
        now_counts[key] = now_counts.get(key, 0) + c.count
    spots = [
        HotSpot(
            cat,
            line,
            f"{lines.get(line, g.UNKNOWN_LINE) if line is not None else g.UNKNOWN_LINE} / {cat}",
            n,
            round(usual.get((cat, line), 0.0), 2),
            round(n - usual.get((cat, line), 0.0), 2),
        )
        for (cat, line), n in now_counts.items()
        if n - usual.get((cat, line), 0.0) > 0
    ]
    spots.sort(key=lambda h: (-h.excess, h.label))
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, zone)
    overdue_q = select(Case).where(
        Case.workspace_id == workspace_id,
        Case.merged_into_id.is_(None),
        Case.status.in_(OPEN_STATUSES),
        Case.due_at < end_of_day,
    )
    overdue_total = int(s.scalar(select(func.count()).select_from(overdue_q.subquery())) or 0)
    overdue = list(s.scalars(overdue_q.order_by(Case.due_at).limit(OVERDUE_LISTED)))
    on_day = (ComplaintAlert.first_period <= day) & (ComplaintAlert.last_period >= day)
    rows = list(
        s.scalars(
            select(ComplaintAlert)
            .where(
                ComplaintAlert.workspace_id == workspace_id,
                (ComplaintAlert.status != "closed") | on_day,
            )
            .order_by(ComplaintAlert.last_period.desc(), ComplaintAlert.id)
        )
    )
    alerts = [a for a in rows if a.status != "closed"]
    new = [a for a in rows if a.first_period <= day <= a.last_period]  # closed since, too
    return DailyWarning(
        day=day,
        generated_at=utcnow(),
        complaints=today.total,
        complaints_mean=round(before.total / BASELINE_DAYS, 2),
        key_account_complaints=today.count(customer_tier="key_account"),
        new_alerts=new,
        active_alerts=alerts,
        hot_spots=spots[:HOT_SPOTS],
        overdue=overdue,
        overdue_total=overdue_total,
        lines=lines,
    )


def _zh(locale: str) -> bool:
    return locale.startswith("zh")


def title(w: DailyWarning, locale: str) -> str:
    if _zh(locale):
        return f"投诉预警日报 {w.day.isoformat()}"
    return f"Daily complaint warning {w.day.isoformat()}"


def tables(w: DailyWarning, locale: str) -> list[Table]:
    zh = _zh(locale)
    alert_rows: list[list[Any]] = [
        [
            a.id,
            a.dimension,
            str(a.cell.get("label", a.cell_key)),
            a.first_period.isoformat(),
            a.last_period.isoformat(),
            a.peak_count,
            round(a.peak_rate, 1),
            round(a.center, 1),
            ", ".join(a.rules),
            a.department,
            a.status,
        ]
        for a in w.active_alerts
    ]
    alerts = Table(
        "预警" if zh else "alerts",
        [
            "编号",
            "维度",
            "单元",
            "起始日",
            "最近日",
            "峰值件数",
            "峰值(每万单)",
            "中心线",
            "判异规则",
            "升级部门",
            "状态",
        ]
        if zh
        else [
            "id",
            "dimension",
            "cell",
            "first day",
            "last day",
            "peak count",
            "peak per 10k",
            "center",
            "rules",
            "department",
            "status",
        ],
        alert_rows,
    )
    spots = Table(
        "热点" if zh else "hot spots",
        ["单元", "今日", "近28日日均", "超出"]
        if zh
        else ["cell", "today", "28-day mean", "excess"],
        [[h.label, h.today, h.daily_mean, h.excess] for h in w.hot_spots],
    )
    overdue = Table(
        "超期工单" if zh else "overdue cases",
        ["工单", "标题", "类别", "严重度", "状态", "期限"]
        if zh
        else ["case", "title", "category", "severity", "status", "due"],
        [
            [
                case_number(c),
                c.title,
                c.category,
                c.severity,
                c.status,
                c.due_at.isoformat() if c.due_at else "",
            ]
            for c in w.overdue
        ],
    )
    summary = Table(
        "概要" if zh else "summary",
        ["指标", "数值"] if zh else ["figure", "value"],
        [
            ["日期" if zh else "day", w.day.isoformat()],
            ["投诉件数" if zh else "complaints", w.complaints],
            ["近28日日均" if zh else "28-day daily mean", w.complaints_mean],
            ["重点客户投诉" if zh else "key-account complaints", w.key_account_complaints],
            ["进行中的预警" if zh else "active alerts", len(w.active_alerts)],
            ["当日预警" if zh else "alerts on the day", len(w.new_alerts)],
            ["超期工单" if zh else "overdue cases", w.overdue_total],
        ],
    )
    return [summary, alerts, spots, overdue]


def xlsx(w: DailyWarning, locale: str) -> bytes:
    first, *rest = tables(w, locale)
    return to_xlsx(first, *rest)


def text(w: DailyWarning, locale: str) -> str:
    """The e-mail body: the figures a manager reads first, then where to look."""
    zh = _zh(locale)
    change = f"{w.change:+.0%}" if w.change is not None else "—"
    lines = [
        title(w, locale),
        "",
        (
            f"投诉 {w.complaints} 件（近28日日均 {w.complaints_mean}，{change}）；重点客户 {w.key_account_complaints} 件"
            if zh
            else f"Complaints: {w.complaints} (28-day daily mean {w.complaints_mean}, {change}); key accounts: {w.key_account_complaints}"
        ),
        (
            f"进行中的预警 {len(w.active_alerts)} 个，当日 {len(w.new_alerts)} 个；超期工单 {w.overdue_total} 件"
            if zh
            else f"Active alerts: {len(w.active_alerts)}, on the day: {len(w.new_alerts)}; overdue cases: {w.overdue_total}"
        ),
        "",
    ]
    if w.new_alerts:
        lines.append("当日预警：" if zh else "Alerts on the day:")
        for a in w.new_alerts:
            ev = a.evidence or {}
            lines.append(
                f"- {a.cell.get('label', a.cell_key)}: {a.first_period}–{a.last_period}, "
                f"{ev.get('observed', a.peak_count)} vs {ev.get('expected', '?')} "
                f"({', '.join(a.rules)}) → {a.department}"
            )
        lines.append("")
    if w.hot_spots:
        lines.append("热点：" if zh else "Hot spots:")
        lines += [f"- {h.label}: {h.today} ({h.daily_mean})" for h in w.hot_spots]
    return "\n".join(lines)


def send(
    s: Session,
    workspace_id: int,
    day: date,
    settings: Settings,
    *,
    locale: str = "zh_CN",
    recipients: list[str] | None = None,
) -> SendResult:
    """E-mail the warning (text body, the XLSX attached) to the configured recipients."""
    to = recipients or list(settings_of(s, workspace_id).recipients)
    if not to:
        raise BadRequest(
            detail="no recipients: set complaints.recipients in the workspace settings"
        )
    w = build(s, workspace_id, day)
    name = f"{title(w, locale)}.xlsx".replace(" ", "_")
    return send_mail(
        settings,
        to,
        title(w, locale),
        text(w, locale),
        attachments=[Attachment(name, xlsx(w, locale), XLSX)],
    )
