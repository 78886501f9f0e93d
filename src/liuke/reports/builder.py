"""Build a report document from the capabilities' own read services.

Every figure comes from the service that owns it (the metric catalogue, the complaint grid and
alerts, inspections, survey results and IPA, churn scores and reasons, recovery records), so a
report never disagrees with the page a manager would open to check it. This module only picks,
compares with the previous period and words the findings; the recommendations are ranked in
:mod:`liuke.reports.effects`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import liuke.complaints.messages
import liuke.crm.messages
import liuke.surveys.messages  # noqa: F401  (registers the labels used below)
from liuke.analytics import service as analytics
from liuke.analytics.catalogue import BY_NAME, DIMENSION_BY_NAME, OVERVIEW
from liuke.analytics.compare import compare
from liuke.analytics.diagnosis import Finding
from liuke.analytics.engines import Engine
from liuke.analytics.funnel import STEPS
from liuke.analytics.query import Query, Result
from liuke.complaints import analysis
from liuke.complaints import grid as g
from liuke.complaints import warning as complaint_warning
from liuke.complaints.models import CATEGORIES, ComplaintAlert, RecoveryRecord
from liuke.core.config import Settings
from liuke.core.db import utcnow
from liuke.core.i18n import translate
from liuke.crm import followups, profiles, risk, winback
from liuke.crm.models import ChurnRecord, FollowUp
from liuke.crm.settings import settings_of as retention_settings
from liuke.quality import service as quality
from liuke.quality.models import Inspection, InspectionHit
from liuke.reports import effects
from liuke.reports.document import (
    DOCUMENT_VERSION,
    Chart,
    ColumnKind,
    Document,
    Kpi,
    Section,
    Table,
)
from liuke.reports.periods import Period
from liuke.reports.render import format_cell
from liuke.surveys import service as surveys
from liuke.workspaces.clock import local_bounds, zone_of
from liuke.workspaces.models import Workspace

# The sections each kind may hold, in reading order; a template picks among them.
SECTIONS: dict[str, tuple[str, ...]] = {
    "daily": ("warning", "service"),
    "tenday": ("service", "complaints", "satisfaction", "recovery"),
    "weekly": ("service", "quality", "complaints", "satisfaction", "recovery"),
    "monthly": (
        "service",
        "funnel",
        "complaints",
        "quality",
        "satisfaction",
        "retention",
        "recovery",
    ),
}
DEFAULT_THRESHOLDS: dict[str, float] = {"notable_change": 0.1, "top_n": 5, "min_units": 30}
THRESHOLD_LIMITS: dict[str, tuple[float, float]] = {
    "notable_change": (0.0, 10.0),
    "top_n": (1, 50),
    "min_units": (1, 100_000),
}
UNIT_KIND: dict[str, ColumnKind] = {
    "conversations": "count",
    "orders": "count",
    "share": "share",
    "seconds": "seconds",
    "per_conversation": "num",
    "yuan": "money",
}
REPORT_NAMES = {
    "daily": ("投诉预警日报", "Daily complaint warning"),
    "tenday": ("服务旬报", "Ten-day service bulletin"),
    "weekly": ("服务质量周报", "Weekly service quality report"),
    "monthly": ("客户服务管理月报", "Monthly customer service report"),
}
SECTION_NAMES = {
    "warning": ("投诉预警", "Complaint warning"),
    "service": ("服务指标与环比", "Service metrics and change"),
    "funnel": ("咨询转化漏斗", "Inquiry-to-order funnel"),
    "complaints": ("投诉分析", "Complaints"),
    "quality": ("服务质检", "Quality inspection"),
    "satisfaction": ("满意度与 IPA", "Satisfaction and IPA"),
    "retention": ("流失风险与原因", "Churn risk and reasons"),
    "recovery": ("补救与回访", "Recovery and follow-ups"),
}
TREND_METRICS = ("contacts", "missed_receptions", "first_response_time")


def report_name(kind: str, locale: str) -> str:
    zh, en = REPORT_NAMES[kind]
    return zh if locale.startswith("zh") else en


def section_name(key: str, locale: str) -> str:
    zh, en = SECTION_NAMES[key]
    return zh if locale.startswith("zh") else en


@dataclass
class Build:
    """What every section builder reads: the session, the period, the language, the limits."""

    s: Session
    engine: Engine
    ctx: analytics.Context
    workspace_id: int
    period: Period
    previous: Period
    locale: str
    thresholds: dict[str, float]
    findings: list[Finding] = field(default_factory=list)  # the diagnosis, computed once
    overview: Result | None = None  # the overview metrics by day, from the diagnosis's facts
    candidates: list[effects.Candidate] = field(default_factory=list)
    model_dir: Path | None = None  # the churn model's folder (settings.model_dir)
    notes: list[str] = field(default_factory=list)  # for the recommendations' note
    cache: dict[str, Any] = field(default_factory=dict)  # reads shared by the effect estimates

    @property
    def zh(self) -> bool:
        return self.locale.startswith("zh")

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    @property
    def top_n(self) -> int:
        return int(self.thresholds["top_n"])

    @property
    def notable(self) -> float:
        return float(self.thresholds["notable_change"])

    def unassigned(self) -> str:
        return analytics.unassigned_label(self.locale)

    def show(self, value: float | None, kind: ColumnKind) -> str:
        """A figure in a sentence; sums of money read as whole yuan there."""
        return format_cell(value, "amount" if kind == "money" else kind, self.locale)


# --- shared wording ----------------------------------------------------------------------------


def _kpi(b: Build, name: str, cur: Any, ref: Any) -> Kpi:
    metric = BY_NAME[name]
    value = cur.values.get(name)
    previous = ref.values.get(name)
    change = compare(metric, value, previous, cur.parts.get(name, {}), ref.parts.get(name, {}))
    return Kpi(
        name,
        metric.label(b.locale),
        UNIT_KIND[metric.unit],
        value,
        previous,
        change.rate,
        change.verdict,
        change.significant,
    )


def _moved(b: Build, k: Kpi) -> str | None:
    """A sentence for a KPI that moved notably and significantly, else None."""
    if k.verdict not in ("better", "worse") or k.change is None or abs(k.change) < b.notable:
        return None
    word = {
        ("better", True): ("上升", "rose"),
        ("better", False): ("下降", "fell"),
        ("worse", True): ("上升", "rose"),
        ("worse", False): ("下降", "fell"),
    }[(k.verdict, k.change > 0)]
    mood = b.t("变好", "better") if k.verdict == "better" else b.t("变差", "worse")
    return b.t(
        f"{k.label}{word[0]} {abs(k.change) * 100:.1f}%（{b.show(k.previous, k.kind)} → "
        f"{b.show(k.value, k.kind)}），显著{mood}。",
        f"{k.label} {word[1]} {abs(k.change) * 100:.1f}% ({b.show(k.previous, k.kind)} → "
        f"{b.show(k.value, k.kind)}), significantly {mood}.",
    )


def _kpi_table(b: Build, title: str, kpis: Sequence[Kpi]) -> Table:
    """KPIs as rows: the figure, the previous period, the change and its verdict."""
    verdicts = {
        "better": b.t("变好", "better"),
        "worse": b.t("变差", "worse"),
        "flat": b.t("持平", "flat"),
        "n/a": "—",
    }
    return Table(
        title,
        [
            b.t("指标", "Metric"),
            b.t("本期", "This period"),
            b.t("上期", "Previous"),
            b.t("环比", "Change"),
            b.t("判断", "Verdict"),
        ],
        ["text", "text", "text", "change", "text"],
        [
            [
                k.label,
                b.show(k.value, k.kind),
                b.show(k.previous, k.kind),
                k.change,
                verdicts[k.verdict],
            ]
            for k in kpis
        ],
    )


def _line_chart(dates: list[str], series: list[tuple[str, list[float | None]]]) -> dict[str, Any]:
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 50, "top": 30, "bottom": 30},
        "xAxis": {"type": "category", "data": dates},
        "yAxis": [{"type": "value"}, {"type": "value", "splitLine": {"show": False}}],
        "series": [
            {"name": name, "type": "line", "data": data, "yAxisIndex": 1 if i == 2 else 0}
            for i, (name, data) in enumerate(series)
        ],
    }


def _bar_chart(
    labels: list[str], values: list[float], *, horizontal: bool = True, color: str = "#2f6f9f"
) -> dict[str, Any]:
    cat = {"type": "category", "data": labels}
    val = {"type": "value"}
    return {
        "animation": False,
        "tooltip": {},
        "grid": {"left": 150 if horizontal else 40, "right": 30, "top": 10, "bottom": 30},
        "xAxis": val if horizontal else cat,
        "yAxis": cat if horizontal else val,
        "series": [{"type": "bar", "data": values, "color": color}],
    }


# --- sections ----------------------------------------------------------------------------------


def service_section(b: Build) -> Section:
    sec = Section("service", section_name("service", b.locale))
    cur = b.overview or analytics.query(b.engine, b.ctx, _overview_query(b.period))
    ref = analytics.query(
        b.engine, b.ctx, Query(b.previous.start, b.previous.end, OVERVIEW, compare=False)
    )
    sec.kpis = [_kpi(b, name, cur.total, ref.total) for name in OVERVIEW]
    sec.findings = [m for k in sec.kpis if (m := _moved(b, k))]
    if not sec.findings:
        sec.findings.append(
            b.t(
                "各项服务指标与上期相比无显著的大幅变化。",
                "No service metric moved notably against the previous period.",
            )
        )
    sec.tables.append(_kpi_table(b, b.t("服务指标", "Service metrics"), sec.kpis))
    if b.period.days > 1:  # by day: the trend comes with the totals
        sec.charts.append(
            Chart(
                b.t("每日进线、漏接与首次响应", "Contacts, missed and first response by day"),
                _line_chart(
                    [str(r.label) for r in cur.rows],
                    [
                        (BY_NAME[m].label(b.locale), [r.values.get(m) for r in cur.rows])
                        for m in TREND_METRICS
                    ],
                ),
            )
        )
    return sec


def _overview_query(period: Period) -> Query:
    return Query(period.start, period.end, OVERVIEW, "day", compare=False)


def funnel_section(b: Build) -> Section:
    sec = Section("funnel", section_name("funnel", b.locale))
    result = analytics.funnel_of(
        b.engine,
        b.ctx,
        Query(b.period.start, b.period.end, by="channel", compare=False),
        b.unassigned(),
    )
    steps = result.overall.steps
    sec.tables.append(
        Table(
            b.t("整体漏斗", "Overall funnel"),
            [
                b.t("环节", "Step"),
                b.t("人数", "Count"),
                b.t("占进线", "Of contacts"),
                b.t("环节通过率", "Pass rate"),
                b.t("流失", "Lost"),
            ],
            ["text", "count", "share", "share", "count"],
            [
                [st.label(b.locale), x.count, x.share_of_contacts, x.pass_rate, x.lost]
                for st, x in zip(STEPS, steps, strict=True)
            ],
        )
    )
    if steps and steps[0].count:
        sec.charts.append(
            Chart(
                b.t("各环节人数", "Count per step"),
                _bar_chart(
                    [st.label(b.locale) for st in STEPS],
                    [float(x.count) for x in steps],
                    horizontal=False,
                ),
            )
        )
    rows = []
    for side in result.sides:
        conv = side.steps[-1].share_of_contacts if side.steps else None
        weakest = next((st.label(b.locale) for st in STEPS if st.name == side.weakest), "")
        rows.append([side.label, side.steps[0].count if side.steps else 0, conv, weakest, side.gap])
        if side.weakest and side.gap is not None and side.gap <= -b.notable:
            sec.findings.append(
                b.t(
                    f"渠道「{side.label}」在「{weakest}」环节的通过率比其他渠道低 {abs(side.gap) * 100:.1f} 个百分点。",
                    f"Channel '{side.label}' passes the '{weakest}' step {abs(side.gap) * 100:.1f} points less often than the rest.",
                )
            )
    sec.tables.append(
        Table(
            b.t("分渠道", "By channel"),
            [
                b.t("渠道", "Channel"),
                b.t("进线", "Contacts"),
                b.t("下单率", "Order rate"),
                b.t("最弱环节", "Weakest step"),
                b.t("差距", "Gap"),
            ],
            ["text", "count", "share", "text", "change"],
            rows,
        )
    )
    if steps and steps[0].count:
        sec.findings.insert(
            0,
            b.t(
                f"进线 {steps[0].count:,} 次，最终下单 {steps[-1].count:,} 次（{b.show(steps[-1].share_of_contacts, 'share')}）。",
                f"{steps[0].count:,} contacts led to {steps[-1].count:,} orders ({b.show(steps[-1].share_of_contacts, 'share')}).",
            ),
        )
    return sec


def _category(b: Build, cat: str) -> str:
    return translate(f"complaints.category.{cat}", b.locale)


def complaints_section(b: Build) -> Section:
    sec = Section("complaints", section_name("complaints", b.locale))
    cur = g.grid(b.s, b.workspace_id, b.period.start, b.period.end)
    ref = g.grid(b.s, b.workspace_id, b.previous.start, b.previous.end)
    orders = sum(cur.orders.values())
    prev_orders = sum(ref.orders.values())
    per10k = cur.total / orders * 10_000 if orders else None
    prev10k = ref.total / prev_orders * 10_000 if prev_orders else None
    sec.kpis = [
        Kpi("complaints", b.t("投诉件数", "Complaints"), "count", cur.total, ref.total,
            (cur.total / ref.total - 1) if ref.total else None),
        Kpi("per_10k_orders", b.t("每万单投诉", "Per 10,000 orders"), "num", per10k, prev10k,
            (per10k / prev10k - 1) if per10k is not None and prev10k else None),
        Kpi("key_account", b.t("重点客户投诉", "Key-account complaints"), "count",
            cur.count(customer_tier="key_account"), ref.count(customer_tier="key_account")),
    ]  # fmt: skip
    cat_rows = []
    for cat in CATEGORIES:
        n, p = cur.count(category=cat), ref.count(category=cat)
        cat_rows.append([_category(b, cat), n, p, (n / p - 1) if p else None])
    sec.tables.append(
        Table(
            b.t("按类别", "By category"),
            [
                b.t("类别", "Category"),
                b.t("本期", "This period"),
                b.t("上期", "Previous"),
                b.t("环比", "Change"),
            ],
            ["text", "count", "count", "change"],
            cat_rows,
        )
    )
    grid_rows = []
    for line in cur.lines:
        counts = [cur.count(category=c, product_line_id=line.id) for c in CATEGORIES]
        n_orders = cur.orders.get(line.id, 0)
        total = sum(counts)
        grid_rows.append(
            [line.name, *counts, total, total / n_orders * 10_000 if n_orders else None]
        )
    sec.tables.append(
        Table(
            b.t("投诉分类矩阵（产品线 × 类别）", "Complaint grid (product line × category)"),
            [
                b.t("产品线", "Product line"),
                *(_category(b, c) for c in CATEGORIES),
                b.t("合计", "Total"),
                b.t("每万单", "Per 10k orders"),
            ],
            ["text", "count", "count", "count", "count", "count", "num"],
            grid_rows,
        )
    )
    line_names = {ln.id: ln.name for ln in cur.lines}
    alerts = list(
        b.s.scalars(
            select(ComplaintAlert)
            .where(
                ComplaintAlert.workspace_id == b.workspace_id,
                ComplaintAlert.first_period <= b.period.end,
                ComplaintAlert.last_period >= b.period.start,
            )
            .order_by(ComplaintAlert.peak_count.desc(), ComplaintAlert.id)
        )
    )
    sec.tables.append(
        Table(
            b.t("控制图预警", "Control-chart alerts"),
            [
                b.t("单元", "Cell"),
                b.t("起止", "Days"),
                b.t("峰值件数", "Peak"),
                b.t("中心线", "Center"),
                b.t("判异规则", "Rules"),
                b.t("升级部门", "Escalated to"),
                b.t("状态", "Status"),
            ],
            ["text", "text", "count", "num", "text", "text", "text"],
            [
                [
                    str(a.cell.get("label", a.cell_key)),
                    f"{a.first_period}–{a.last_period}",
                    a.peak_count,
                    a.center,
                    ", ".join(a.rules),
                    a.department,
                    a.status,
                ]
                for a in alerts
            ],
        )
    )
    for a in alerts[: b.top_n]:
        label = alert_label(b, a.cell, line_names)
        sec.findings.append(
            b.t(
                f"控制图预警：「{label}」在 {a.first_period}–{a.last_period} 超出控制限，峰值 {a.peak_count} 件（每万单 {a.peak_rate:.1f}，中心线 {a.center:.1f}），已升级至{a.department or '负责部门'}。",
                f"Control-chart alert: '{label}' out of control {a.first_period}–{a.last_period}, peak {a.peak_count} ({a.peak_rate:.1f} per 10k orders, center {a.center:.1f}), escalated to {a.department or 'the owner'}.",
            )
        )
        b.candidates.append(effects.alert_candidate(b, a, label))
    par = analysis.pareto(b.s, b.workspace_id, b.period.start, b.period.end, "cell")
    if par.total:
        items = par.items[: max(b.top_n, len(par.vital_few))][:12]
        sec.charts.append(
            Chart(
                b.t("投诉帕累托（类别 × 产品线）", "Complaint Pareto (category × product line)"),
                _pareto_chart(b, [_cell_label(b, i) for i in items], items),
                height=300,
            )
        )
        vital = par.vital_few
        sec.findings.append(
            b.t(
                f"{len(vital)} 个单元占了 80% 的投诉：" + "、".join(_cell_label(b, i) for i in vital[:3]) + ("等" if len(vital) > 3 else "") + "。",
                f"{len(vital)} cells make 80% of complaints: " + ", ".join(_cell_label(b, i) for i in vital[:3]) + (" and more" if len(vital) > 3 else "") + ".",
            )
        )  # fmt: skip
    fixes = analysis.fix_ranking(b.s, b.workspace_id, b.period.start, b.period.end)[: b.top_n]
    sec.tables.append(
        Table(
            b.t(
                "优先整改（每单位补救成本的满意度收益）",
                "Fix first (satisfaction gain per unit of cost)",
            ),
            [
                b.t("问题", "Issue"),
                b.t("投诉", "Complaints"),
                b.t("补救成本", "Recovery cost"),
                b.t("平均满意度", "Mean CSAT"),
                b.t("基线", "Baseline"),
                b.t("收益", "Gain"),
            ],
            ["text", "count", "money", "num", "num", "num"],
            [
                [
                    _fix_label(b, f),
                    f.complaints,
                    _float(f.cost_total),
                    f.mean_csat,
                    f.baseline_csat,
                    f.gain,
                ]
                for f in fixes
            ],
        )
    )
    if cur.total == 0:
        sec.notes.append(b.t("本期没有投诉。", "No complaints in this period."))
    sec.findings.insert(
        0,
        b.t(
            f"投诉 {cur.total} 件（上期 {ref.total} 件，环比 {b.show(sec.kpis[0].change, 'change')}），每万单 {b.show(per10k, 'num')}；控制图预警 {len(alerts)} 个。",
            f"{cur.total} complaints (previous {ref.total}, {b.show(sec.kpis[0].change, 'change')}), {b.show(per10k, 'num')} per 10,000 orders; {len(alerts)} control-chart alerts.",
        ),
    )
    return sec


def alert_label(b: Build, cell: dict[str, Any], lines: dict[int, str]) -> str:
    """An alert's cell in the reader's words: 产品质量 / 手机数码, 客户等级：普通客户 — not
    product_quality / 1 or a bare value whose dimension the reader must guess."""
    group = {"category": "category", "customer_tier": "tier", "channel_kind": "channel"}
    keys = [k for k in sorted(cell) if k != "label"]
    parts = []
    for key in keys:
        value = cell[key]
        if key == "product_line_id":
            parts.append(
                lines.get(int(value), g.UNKNOWN_LINE) if value is not None else g.UNKNOWN_LINE
            )
        elif key in group:
            parts.append(translate(f"complaints.{group[key]}.{value}", b.locale))
        else:
            parts.append(str(value))
    if keys in (["customer_tier"], ["channel_kind"]):
        dimension = translate(f"complaints.dimension.{keys[0]}", b.locale)
        return f"{dimension}{b.t('：', ': ')}{parts[0]}"
    return " / ".join(parts) or str(cell.get("label", ""))


def _float(x: Decimal | float | None) -> float | None:
    return None if x is None else float(x)


def _cell_label(b: Build, item: analysis.ParetoItem) -> str:
    cat = _category(b, item.category or "unknown")
    return f"{cat} × {item.product_line_name or g.UNKNOWN_LINE}"


def _fix_label(b: Build, f: analysis.FixRow) -> str:
    return f"{_category(b, f.category or 'unknown')} / {f.subcategory or '—'}"


def _pareto_chart(
    b: Build, labels: list[str], items: Sequence[analysis.ParetoItem]
) -> dict[str, Any]:
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 50, "right": 50, "top": 20, "bottom": 90},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 30, "interval": 0}},
        "yAxis": [
            {"type": "value"},
            {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        ],
        "series": [
            {"type": "bar", "name": b.t("件数", "Count"), "data": [i.count for i in items],
             "color": "#b4532a"},
            {"type": "line", "name": b.t("累计占比", "Cumulative"), "yAxisIndex": 1,
             "data": [round(i.cumulative_share * 100, 1) for i in items]},
        ],
    }  # fmt: skip


def quality_section(b: Build) -> Section:
    sec = Section("quality", section_name("quality", b.locale))
    zone = zone_of(b.s, b.workspace_id)
    lo, hi = local_bounds(zone, b.period.start, b.period.end)
    plo, phi = local_bounds(zone, b.previous.start, b.previous.end)
    agents = quality.agent_quality(
        b.s, b.workspace_id, lo, hi, min_inspections=int(b.thresholds["min_units"])
    )
    before = quality.agent_quality(b.s, b.workspace_id, plo, phi)
    n = sum(a.inspections for a in agents)
    n_prev = sum(a.inspections for a in before)
    mean = sum(a.mean_score * a.inspections for a in agents) / n if n else None
    mean_prev = sum(a.mean_score * a.inspections for a in before) / n_prev if n_prev else None
    flagged = _flagged_conversations(b, lo, hi)

    def share(a: quality.AgentQuality, kind: str) -> float:
        return flagged.get(a.agent_id, {}).get(kind, 0) / a.inspections if a.inspections else 0.0

    attitude = sum(flagged.get(a.agent_id, {}).get("attitude", 0) for a in agents)
    team_rate = attitude / n if n else 0.0
    sec.kpis = [
        Kpi("inspections", b.t("质检会话", "Inspected conversations"), "count", n, n_prev,
            (n / n_prev - 1) if n_prev else None),
        Kpi("mean_score", b.t("平均质检分", "Mean score"), "num", mean, mean_prev,
            (mean / mean_prev - 1) if mean is not None and mean_prev else None),
        Kpi("attitude_rate", b.t("态度问题会话占比", "Conversations with attitude problems"),
            "share", team_rate if n else None),
    ]  # fmt: skip
    rows = []
    for a in sorted(agents, key=lambda a: (-share(a, "attitude"), a.mean_score))[: b.top_n]:
        rows.append([a.name, a.inspections, a.mean_score, share(a, "attitude"),
                     share(a, "forbidden_phrase"), share(a, "perfunctory")])  # fmt: skip
        mine = share(a, "attitude")
        rest_n = flagged.get(a.agent_id, {}).get("attitude", 0)
        others = (attitude - rest_n) / max(n - a.inspections, 1)
        if mine >= 0.05 and mine >= 3 * max(others, 0.001):
            sec.findings.append(
                b.t(
                    f"客服 {a.name} 有 {b.show(mine, 'share')} 的会话出现态度问题，是其他人（{b.show(others, 'share')}）的 {mine / max(others, 0.001):.0f} 倍。",
                    f"Agent {a.name} shows attitude problems in {b.show(mine, 'share')} of conversations, {mine / max(others, 0.001):.0f}× the others ({b.show(others, 'share')}).",
                )
            )
            b.candidates.append(effects.attitude_candidate(b, a, mine, others))
    sec.tables.append(
        Table(
            b.t(
                "需关注的客服（按态度问题会话占比）",
                "Agents to watch (by conversations with attitude problems)",
            ),
            [
                b.t("客服", "Agent"),
                b.t("质检会话", "Inspected"),
                b.t("平均分", "Mean score"),
                b.t("态度问题", "Attitude"),
                b.t("禁语", "Forbidden phrases"),
                b.t("敷衍", "Perfunctory"),
            ],
            ["text", "count", "num", "share", "share", "share"],
            rows,
        )
    )
    diag_rows = []
    for f in b.findings[: b.top_n * 3]:
        metric = BY_NAME[f.metric]
        kind = UNIT_KIND[metric.unit]
        dim = DIMENSION_BY_NAME[f.dimension].label(b.locale)
        label = _finding_label(b, f)
        diag_rows.append(
            [
                dim,
                label,
                metric.label(b.locale),
                b.show(f.value, kind),
                b.show(f.rest, kind),
                f.effect,
                f.units,
            ]
        )
    sec.tables.append(
        Table(
            b.t(
                "明显差于同行的环节（错误发现率 1%）", "Worse than peers (1% false-discovery rate)"
            ),
            [
                b.t("维度", "Dimension"),
                b.t("对象", "Who/what"),
                b.t("指标", "Metric"),
                b.t("数值", "Value"),
                b.t("其余", "Rest"),
                b.t("差异", "Effect"),
                b.t("样本", "Units"),
            ],
            ["text", "text", "text", "text", "text", "change", "count"],
            diag_rows,
        )
    )
    for f in b.findings[: b.top_n]:
        metric = BY_NAME[f.metric]
        kind = UNIT_KIND[metric.unit]
        sec.findings.append(
            b.t(
                f"{DIMENSION_BY_NAME[f.dimension].label(b.locale)}「{_finding_label(b, f)}」的{metric.label(b.locale)}为 {b.show(f.value, kind)}，其余为 {b.show(f.rest, kind)}（差 {b.show(f.effect, 'change')}）。",
                f"{DIMENSION_BY_NAME[f.dimension].label(b.locale)} '{_finding_label(b, f)}': {metric.label(b.locale)} {b.show(f.value, kind)} against {b.show(f.rest, kind)} for the rest ({b.show(f.effect, 'change')}).",
            )
        )
    if not n:
        sec.notes.append(b.t("本期没有质检记录。", "No inspections in this period."))
    return sec


def _flagged_conversations(b: Build, lo: Any, hi: Any) -> dict[int, dict[str, int]]:
    """Per agent, the inspected conversations with at least one (not overturned) hit of each
    kind: a share of conversations reads plainly, hits per conversation can pass 100%."""
    rows = b.s.execute(
        select(Inspection.agent_id, InspectionHit.kind, func.count(func.distinct(Inspection.id)))
        .join(InspectionHit, InspectionHit.inspection_id == Inspection.id)
        .where(
            Inspection.workspace_id == b.workspace_id,
            Inspection.ended_at >= lo,
            Inspection.ended_at < hi,
            Inspection.agent_id.is_not(None),
            InspectionHit.agent_id == Inspection.agent_id,
            (InspectionHit.verdict.is_(None)) | (InspectionHit.verdict != "overturned"),
        )
        .group_by(Inspection.agent_id, InspectionHit.kind)
    ).all()
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for agent, kind, n in rows:
        out[int(agent or 0)][str(kind)] = int(n)
    return out


def _finding_label(b: Build, f: Finding) -> str:
    if f.dimension == "hour":
        return f"{int(f.key):02d}:00–{int(f.key):02d}:59"
    return str(f.label)


def satisfaction_section(b: Build) -> Section:
    sec = Section("satisfaction", section_name("satisfaction", b.locale))
    cur = surveys.results(b.s, b.workspace_id, b.period.start, b.period.end)
    ref = surveys.results(b.s, b.workspace_id, b.previous.start, b.previous.end)
    rates = surveys.response_rates(b.s, b.workspace_id, b.period.start, b.period.end)
    o, p = cur.overall, ref.overall

    def rel(x: float | None, y: float | None) -> float | None:
        return (x / y - 1) if x is not None and y else None

    sec.kpis = [
        Kpi("csat_satisfied", b.t("CSAT 满意率", "CSAT satisfied"), "share", o.csat_satisfied,
            p.csat_satisfied, rel(o.csat_satisfied, p.csat_satisfied)),
        Kpi("csat_mean", b.t("CSAT 均分", "CSAT mean"), "num", o.csat_mean, p.csat_mean,
            rel(o.csat_mean, p.csat_mean)),
        Kpi("nps", "NPS", "num", o.nps, p.nps, None),
        Kpi("ces_mean", b.t("CES 费力度", "CES (effort)"), "num", o.ces_mean, p.ces_mean,
            rel(o.ces_mean, p.ces_mean)),
        Kpi("response_rate", b.t("回收率", "Response rate"), "share", rates.overall.rate),
    ]  # fmt: skip
    sec.findings.append(
        b.t(
            f"CSAT 满意率 {b.show(o.csat_satisfied, 'share')}（上期 {b.show(p.csat_satisfied, 'share')}），NPS {b.show(o.nps, 'num')}（上期 {b.show(p.nps, 'num')}），回收率 {b.show(rates.overall.rate, 'share')}。",
            f"CSAT satisfied {b.show(o.csat_satisfied, 'share')} (previous {b.show(p.csat_satisfied, 'share')}), NPS {b.show(o.nps, 'num')} (previous {b.show(p.nps, 'num')}), response rate {b.show(rates.overall.rate, 'share')}.",
        )
    )
    ipa = surveys.ipa_report(b.s, b.workspace_id, b.period.start, b.period.end)
    if ipa.derived is not None:
        attrs = ipa.derived.attributes
        sec.tables.append(
            Table(
                b.t("重要性—表现分析（IPA）", "Importance-performance (IPA)"),
                [
                    b.t("属性", "Attribute"),
                    b.t("满意率", "Satisfied"),
                    b.t("均分", "Mean"),
                    b.t("重要性", "Importance"),
                    b.t("象限", "Quadrant"),
                    b.t("短板", "Gap"),
                ],
                ["text", "share", "num", "num", "text", "text"],
                [
                    [
                        _attr(b, a.attribute),
                        a.share_satisfied,
                        a.mean,
                        a.importance,
                        a.quadrant_zh if b.zh else a.quadrant_en,
                        "●" if a.gap else "",
                    ]
                    for a in attrs
                ],
            )
        )
        sec.charts.append(
            Chart(
                b.t("各属性满意率", "Satisfied share per attribute"),
                _bar_chart(
                    [_attr(b, a.attribute) for a in attrs],
                    [round(a.share_satisfied * 100, 1) for a in attrs],
                    color="#3b7d4f",
                ),
                height=200,
            )
        )
        for a in attrs:
            if a.gap:
                sec.findings.append(
                    b.t(
                        f"「{_attr(b, a.attribute)}」重要（{a.importance:.2f}）但满意率只有 {b.show(a.share_satisfied, 'share')}：优先改进。",
                        f"'{_attr(b, a.attribute)}' matters (importance {a.importance:.2f}) but only {b.show(a.share_satisfied, 'share')} are satisfied: improve it first.",
                    )
                )
                b.candidates.append(
                    effects.ipa_candidate(b, a.attribute, _attr(b, a.attribute), a.share_satisfied)
                )
    elif ipa.derived_error:
        sec.notes.append(b.t("IPA 无法计算：", "IPA not computed: ") + ipa.derived_error)
    names = surveys.user_names(b.s, b.workspace_id)
    agent_rows = sorted(
        ((names.get(a, str(a)), sc) for a, sc in cur.by_agent.items()
         if a is not None and sc.csat_n >= 10 and sc.csat_mean is not None),
        key=lambda r: r[1].csat_mean or 0.0,
    )[: b.top_n]  # fmt: skip
    sec.tables.append(
        Table(
            b.t("CSAT 最低的客服", "Lowest CSAT by agent"),
            [
                b.t("客服", "Agent"),
                b.t("答卷", "Responses"),
                b.t("均分", "Mean"),
                b.t("满意率", "Satisfied"),
            ],
            ["text", "count", "num", "share"],
            [[name, sc.csat_n, sc.csat_mean, sc.csat_satisfied] for name, sc in agent_rows],
        )
    )
    if o.csat_n == 0 and o.nps_n == 0:
        sec.notes.append(b.t("本期没有收到问卷答卷。", "No survey answers in this period."))
    return sec


def _attr(b: Build, key: str) -> str:
    return translate(f"surveys.attr.{key}", b.locale) if key in surveys.ATTRIBUTES else key


def retention_section(b: Build) -> Section:
    sec = Section("retention", section_name("retention", b.locale))
    conf = retention_settings(b.s, b.workspace_id)
    summary = profiles.risk_summary(b.s, b.workspace_id, conf.high_risk)
    zone = zone_of(b.s, b.workspace_id)

    def churned(period: Period) -> int:
        lo, hi = local_bounds(zone, period.start, period.end)
        return int(
            b.s.scalar(
                select(func.count()).where(
                    ChurnRecord.workspace_id == b.workspace_id,
                    ChurnRecord.churned_at >= lo,
                    ChurnRecord.churned_at < hi,
                )
            )
            or 0
        )

    lost, lost_prev = churned(b.period), churned(b.previous)
    sec.kpis = [
        Kpi("churned", b.t("流失客户", "Customers lost"), "count", lost, lost_prev,
            (lost / lost_prev - 1) if lost_prev else None),
        Kpi("high_risk", b.t("高风险客户", "High-risk customers"), "count", summary.high),
        Kpi("revenue_at_risk", b.t("风险营收", "Revenue at risk"), "money",
            _float(summary.revenue_at_risk)),
    ]  # fmt: skip
    report = risk.load_report(b.workspace_id, b.model_dir)
    groups = (report or {}).get("groups") or []
    if groups:
        rows = sorted(groups, key=lambda x: float(x.get("share", 0)))
        sec.charts.append(
            Chart(
                b.t("流失风险的驱动因素", "What drives churn risk"),
                _bar_chart(
                    [str(x.get("label_zh" if b.zh else "label_en")) for x in rows],
                    [round(float(x.get("share", 0)) * 100, 1) for x in rows],
                    color="#b4532a",
                ),
                height=200,
            )
        )
        top = max(groups, key=lambda x: float(x.get("share", 0)))
        sec.findings.append(
            b.t(
                f"流失风险的首要驱动是「{top.get('label_zh')}」，占模型解释力的 {b.show(float(top.get('share', 0)), 'share')}。",
                f"The first driver of churn risk is '{top.get('label_en')}', {b.show(float(top.get('share', 0)), 'share')} of what the model explains.",
            )
        )
    else:
        sec.notes.append(
            b.t(
                "流失模型尚未训练：运行 `liuke retention daily`。",
                "The churn model is not trained yet: run `liuke retention daily`.",
            )
        )
    dist = winback.reason_distribution(b.s, b.workspace_id, b.period.start, b.period.end)
    sec.tables.append(
        Table(
            b.t("流失原因", "Why customers left"),
            [
                b.t("原因", "Reason"),
                b.t("人数", "Customers"),
                b.t("占比", "Share"),
                b.t("占已知原因", "Of known reasons"),
            ],
            ["text", "count", "share", "share"],
            [
                [
                    translate(f"retention.reason.{r.reason}", b.locale),
                    r.count,
                    r.share,
                    r.share_of_known,
                ]
                for r in dist.reasons
            ],
        )
    )
    if dist.note:
        sec.notes.append(dist.note)
    known = [r for r in dist.reasons if r.reason != "unknown" and r.count]
    if known:
        first = max(known, key=lambda r: r.count)
        sec.findings.append(
            b.t(
                f"本期流失 {lost} 人（上期 {lost_prev} 人）；已知原因中「{translate(f'retention.reason.{first.reason}', b.locale)}」最多，占 {b.show(first.share_of_known, 'share')}。",
                f"{lost} customers left (previous {lost_prev}); the most common known reason is '{translate(f'retention.reason.{first.reason}', b.locale)}' ({b.show(first.share_of_known, 'share')}).",
            )
        )
    sec.findings.append(
        b.t(
            f"{summary.high} 位客户流失概率 ≥ {conf.high_risk:.0%}，风险营收 {b.show(_float(summary.revenue_at_risk), 'money')}。",
            f"{summary.high} customers are at ≥ {conf.high_risk:.0%} churn risk; revenue at risk {b.show(_float(summary.revenue_at_risk), 'money')}.",
        )
    )
    return sec


def recovery_section(b: Build) -> Section:
    sec = Section("recovery", section_name("recovery", b.locale))
    zone = zone_of(b.s, b.workspace_id)
    lo, hi = local_bounds(zone, b.period.start, b.period.end)
    recs = b.s.execute(
        select(RecoveryRecord.action, RecoveryRecord.outcome, func.count(), func.sum(RecoveryRecord.cost))
        .where(
            RecoveryRecord.workspace_id == b.workspace_id,
            RecoveryRecord.created_at >= lo,
            RecoveryRecord.created_at < hi,
        )
        .group_by(RecoveryRecord.action, RecoveryRecord.outcome)
    ).all()  # fmt: skip
    by_action: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0])
    for action, outcome, n, cost in recs:
        row = by_action[str(action)]
        row[0] += int(n)
        row[1] += float(cost or 0)
        row[2] += int(n) if outcome == "recovered" else 0
        row[3] += int(n) if outcome not in ("pending", "") else 0
    total_n = sum(int(r[0]) for r in by_action.values())
    total_cost = sum(r[1] for r in by_action.values())
    sec.kpis = [
        Kpi("recoveries", b.t("补救记录", "Recovery records"), "count", total_n),
        Kpi("recovery_cost", b.t("补救成本", "Recovery cost"), "money", total_cost),
    ]
    sec.tables.append(
        Table(
            b.t("补救措施", "Recovery actions"),
            [
                b.t("措施", "Action"),
                b.t("次数", "Records"),
                b.t("成本", "Cost"),
                b.t("挽回率（已有结果）", "Recovered (of decided)"),
            ],
            ["text", "count", "money", "share"],
            [
                [
                    translate(f"complaints.action.{a}", b.locale),
                    int(r[0]),
                    r[1],
                    (r[2] / r[3]) if r[3] else None,
                ]
                for a, r in sorted(by_action.items(), key=lambda kv: -kv[1][0])
            ],
        )
    )
    done = Counter(
        str(k)
        for k in b.s.scalars(
            select(FollowUp.outcome).where(
                FollowUp.workspace_id == b.workspace_id,
                FollowUp.status == "done",
                FollowUp.completed_at >= lo,
                FollowUp.completed_at < hi,
            )
        )
    )
    overdue = followups.overdue_summary(b.s, b.workspace_id)
    sec.kpis += [
        Kpi("followups_done", b.t("完成回访", "Follow-ups done"), "count", sum(done.values())),
        Kpi(
            "followups_overdue",
            b.t("超期回访（当前）", "Overdue follow-ups (now)"),
            "count",
            overdue.overdue,
        ),
    ]
    sec.tables.append(
        Table(
            b.t("回访结果", "Follow-up outcomes"),
            [b.t("结果", "Outcome"), b.t("次数", "Count")],
            ["text", "count"],
            [[translate(f"retention.outcome.{k}", b.locale), n] for k, n in done.most_common()],
        )
    )
    sec.findings.append(
        b.t(
            f"本期补救 {total_n} 次，成本 {b.show(total_cost, 'money')}；完成回访 {sum(done.values())} 次，目前超期 {overdue.overdue} 个。",
            f"{total_n} recoveries costing {b.show(total_cost, 'money')}; {sum(done.values())} follow-ups done, {overdue.overdue} overdue now.",
        )
    )
    return sec


def warning_section(b: Build) -> Section:
    """The daily complaint warning, from the same builder as its page and e-mail."""
    w = complaint_warning.build(b.s, b.workspace_id, b.period.end)
    sec = Section("warning", section_name("warning", b.locale))
    sec.kpis = [
        Kpi("complaints", b.t("投诉件数", "Complaints"), "count", w.complaints, w.complaints_mean, w.change),
        Kpi("key_account", b.t("重点客户投诉", "Key-account complaints"), "count", w.key_account_complaints),
        Kpi("active_alerts", b.t("进行中的预警", "Active alerts"), "count", len(w.active_alerts)),
        Kpi("overdue", b.t("超期工单", "Overdue cases"), "count", w.overdue_total),
    ]  # fmt: skip
    for table in complaint_warning.tables(w, b.locale)[1:]:
        sec.tables.append(
            Table(table.title, table.headers, _kinds(table.rows, len(table.headers)), table.rows)
        )
    sec.findings.append(complaint_warning.text(w, b.locale).split("\n")[2])
    for a in w.new_alerts:
        label = alert_label(b, a.cell, w.lines)
        sec.findings.append(
            b.t(
                f"当日预警：{label}（{', '.join(a.rules)}），已升级至{a.department or '负责部门'}。",
                f"New alert: {label} ({', '.join(a.rules)}), escalated to {a.department or 'the owner'}.",
            )
        )
        b.candidates.append(effects.alert_candidate(b, a, label))
    return sec


def _kinds(rows: list[list[Any]], width: int) -> list[ColumnKind]:
    """Column kinds of a foreign table: numbers are numbers, the rest is text."""
    kinds: list[ColumnKind] = []
    for i in range(width):
        values = [r[i] for r in rows if i < len(r) and r[i] is not None and r[i] != ""]
        kinds.append(
            "num" if values and all(isinstance(v, int | float) for v in values) else "text"
        )
    return kinds


BUILDERS: dict[str, Callable[[Build], Section]] = {
    "warning": warning_section,
    "service": service_section,
    "funnel": funnel_section,
    "complaints": complaints_section,
    "quality": quality_section,
    "satisfaction": satisfaction_section,
    "retention": retention_section,
    "recovery": recovery_section,
}


def build(
    s: Session,
    settings: Settings,
    workspace_id: int,
    period: Period,
    *,
    sections: Sequence[str],
    thresholds: dict[str, float],
    locale: str,
) -> Document:
    """The document of one report: headline and ranked actions first, then the sections."""
    ws = s.get(Workspace, workspace_id)
    if ws is None:
        raise ValueError(f"unknown workspace {workspace_id}")
    with analytics.open_engine(settings) as engine:
        ctx = analytics.context(s, workspace_id)
        b = Build(s, engine, ctx, workspace_id, period, period.previous(), locale,
                  {**DEFAULT_THRESHOLDS, **thresholds}, model_dir=settings.model_dir)  # fmt: skip
        if any(k in sections for k in ("quality", "service")) and period.days > 1:
            # the service figures and the diagnosis from one computation of the facts
            b.overview, b.findings = analytics.overview_and_findings(
                engine, ctx, _overview_query(period), b.unassigned()
            )
            b.candidates += [c for f in b.findings if (c := effects.finding_candidate(b, f))]
            hours: dict[str, list[Finding]] = defaultdict(list)
            for f in b.findings:
                if f.dimension == "hour":
                    hours[f.metric].append(f)
            b.candidates += [effects.hour_candidate(b, m, fs) for m, fs in hours.items()]
        built = [BUILDERS[key](b) for key in sections]
    recs = effects.rank(b, b.candidates)
    if b.candidates:
        effects.note_missing_model(b)
    name = report_name(period.kind, locale)
    return Document(
        version=DOCUMENT_VERSION,
        kind=period.kind,
        title=f"{ws.name} {name} {period.label(locale)}",
        workspace=ws.name,
        locale=locale,
        start=period.start,
        end=period.end,
        previous_start=b.previous.start,
        previous_end=b.previous.end,
        generated_at=utcnow(),
        headline=_headline(b, built, recs),
        recommendations=recs,
        sections=built,
    )


def _headline(b: Build, sections: list[Section], recs: Sequence[Any]) -> list[str]:
    """Three to five sentences: how much service there was, where customers were lost, what
    to do first."""
    out: list[str] = []
    service = next((x for x in sections if x.key == "service"), None)
    if service:
        k = {x.key: x for x in service.kpis}
        contacts, missed = k.get("contacts"), k.get("missed_receptions")
        frt = k.get("first_response_time")
        if contacts and missed and frt:
            out.append(
                b.t(
                    f"本期进线 {b.show(contacts.value, 'count')} 次（环比 {b.show(contacts.change, 'change')}），漏接 {b.show(missed.value, 'count')} 次，首次响应 {b.show(frt.value, 'seconds')}。",
                    f"{b.show(contacts.value, 'count')} contacts ({b.show(contacts.change, 'change')} vs previous), {b.show(missed.value, 'count')} missed, first response {b.show(frt.value, 'seconds')}.",
                )
            )
    for key in ("retention", "complaints", "warning"):
        sec = next((x for x in sections if x.key == key), None)
        if sec and sec.findings:
            out.append(sec.findings[0])
    lost = float(b.cache.get("union_effect", 0.0))
    if recs and lost <= 0:
        out.append(
            b.t(
                f"下列 {len(recs)} 项问题需要处理；首要行动：{recs[0].title}。",
                f"{len(recs)} problems below need action; first: {recs[0].title}.",
            )
        )
    elif recs:
        out.append(
            b.t(
                f"下列 {len(recs)} 项问题涉及的客户，预计超额流失营收约 {b.show(lost, 'money')}；首要行动：{recs[0].title}。",
                f"The customers touched by the {len(recs)} problems below carry about {b.show(lost, 'money')} of excess revenue at risk; first: {recs[0].title}.",
            )
        )
    return out + b.notes


def thresholds_with_defaults(raw: dict[str, Any] | None) -> dict[str, float]:
    return {
        **DEFAULT_THRESHOLDS,
        **{k: float(v) for k, v in (raw or {}).items() if k in DEFAULT_THRESHOLDS},
    }


def period_days(period: Period) -> list[date]:
    return [period.start + timedelta(days=i) for i in range(period.days)]
