"""Analytics pages: overview, funnel, trends, agent scorecards with drill-down, SLA.

Thin: every figure comes from :mod:`liuke.analytics.service`, ``funnel`` and ``diagnosis``, the
same calls the API makes, so a page and its export never disagree. This module reads the URL
(the whole state of a view, so a view can be shared), writes numbers the way the workspace's
language does, and builds the ECharts options that ``/static/charts.js`` draws (the CSP forbids
inline scripts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

import liuke.analytics.messages  # noqa: F401  (registers the page strings)
from liuke.analytics import export, service
from liuke.analytics.catalogue import BY_NAME, DIMENSION_BY_NAME, METRICS, OVERVIEW, Metric
from liuke.analytics.compare import Change
from liuke.analytics.diagnosis import SCOPES, Finding
from liuke.analytics.engines import Engine
from liuke.analytics.facts import Window
from liuke.analytics.funnel import STEPS, Funnel
from liuke.analytics.query import MAX_DAYS, Query, Row
from liuke.commerce.models import ProductLine
from liuke.conversations.models import Channel, Conversation, Message
from liuke.conversations.service import ConversationFilter, list_conversations
from liuke.core.api import attachment
from liuke.core.errors import AppError, BadRequest, NotFound
from liuke.core.i18n import has_message, translate
from liuke.core.tenancy import WorkspaceScoped, get_scoped, scoped
from liuke.customers.models import TIERS, Customer
from liuke.web.pages import PageRefused, PageRoute, page_guard, page_locale, page_viewer, render
from liuke.workspaces.auth import DbSession
from liuke.workspaces.models import SkillGroup, User
from liuke.workspaces.service import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
M = TypeVar("M", bound=WorkspaceScoped)

# URL parameter -> the dimension it filters (the same names the API takes).
FILTER_PARAMS: dict[str, str] = {
    "channel_id": "channel",
    "agent_id": "agent",
    "skill_group_id": "skill_group",
    "product_line_id": "product_line",
    "tier": "tier",
    "channel_kind": "channel_kind",
    "platform": "platform",
    "intent": "intent",
    "hour": "hour",
}
PARAM_OF = {dim: param for param, dim in FILTER_PARAMS.items()}
ID_PARAMS = ("channel_id", "agent_id", "skill_group_id", "product_line_id", "hour")
FORM_FILTERS = ("channel_id", "agent_id", "skill_group_id", "product_line_id", "tier")
FUNNEL_BY = ("channel", "platform", "agent", "skill_group", "channel_kind", "tier")
TREND_BY = ("day", "week", "month")
TREND_DEFAULT = ("contacts", "reply_rate", "average_response_time", "conversion_rate")
MAX_TREND_METRICS = 8
SLA_METRICS = (
    "reply_rate",
    "sla_first_response",
    "sla_average_response",
    "first_response_time_median",
    "first_response_time_p90",
    "average_response_time",
)
SLA_SHARES = ("reply_rate", "sla_first_response", "sla_average_response")
FINDINGS_SHOWN = 8
PAGE_SIZE = 50
EXPORT_ROWS = 10_000
COLORS = ["#0f7a6c", "#2e90fa", "#f79009", "#b42318", "#7a5af8", "#12b76a", "#667085"]
TABS = (
    ("overview", "/analytics"),
    ("funnel", "/analytics/funnel"),
    ("trends", "/analytics/trends"),
    ("agents", "/analytics/agents"),
    ("sla", "/analytics/sla"),
)
API = "/api/v1/analytics"


def _chart(option: dict[str, Any]) -> str:
    return json.dumps(option, ensure_ascii=False)


def _percent_bars(
    categories: list[str],
    series: list[dict[str, Any]],
    *,
    colors: list[str],
    bottom: int,
    rotate_over: int,
) -> str:
    """Grouped bars of percentages (0-100) per category; labels tilt when there are many."""
    return _chart(
        {
            "color": colors,
            "grid": {"left": 48, "right": 16, "top": 36, "bottom": bottom},
            "legend": {"top": 0},
            "tooltip": {"trigger": "axis"},
            "xAxis": {
                "type": "category",
                "data": categories,
                "axisLabel": {"interval": 0, "rotate": 30 if len(categories) > rotate_over else 0},
            },
            "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "series": series,
        }
    )


# --- numbers in the page's language -------------------------------------------------------------


@dataclass(frozen=True)
class Fmt:
    """Figures as a manager reads them: "1分56秒", "83.3%", "¥1,200.00", "+12.5%"."""

    locale: str

    @property
    def zh(self) -> bool:
        return self.locale.startswith("zh")

    def label(self, name: str) -> str:
        return BY_NAME[name].label(self.locale)

    def definition(self, name: str) -> str:
        return BY_NAME[name].definition(self.locale)

    def count(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(round(value), locale=self.locale)

    def share(self, value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    def duration(self, seconds: float | None) -> str:
        """Two units at most, the larger first; a trailing zero unit is dropped."""
        if seconds is None:
            return "—"
        seconds = max(seconds, 0.0)
        if seconds < 10 and not float(seconds).is_integer():
            return f"{seconds:.1f}{'秒' if self.zh else 's'}"
        total = round(seconds)
        units = ("天", "小时", "分", "秒") if self.zh else ("d", "h", "m", "s")
        amounts = [total // 86_400, total % 86_400 // 3600, total % 3600 // 60, total % 60]
        first = next((i for i, n in enumerate(amounts) if n), 3)
        picked = [(n, units[i]) for i, n in enumerate(amounts) if first <= i < first + 2]
        if len(picked) == 2 and picked[1][0] == 0:
            picked = picked[:1]
        return ("" if self.zh else " ").join(f"{n}{u}" for n, u in picked)

    def money(self, value: float | None) -> str:
        if value is None:
            return "—"
        return "¥" + format_decimal(value, format="#,##0.00", locale=self.locale)

    def metric(self, name: str, value: float | None) -> str:
        unit = BY_NAME[name].unit
        if unit == "share":
            return self.share(value)
        if unit == "seconds":
            return self.duration(value)
        if unit == "yuan":
            return self.money(value)
        if unit == "per_conversation":
            return "—" if value is None else f"{value:.2f}"
        return self.count(value)

    def rate(self, value: float | None) -> str:
        if value is None:
            return "—"
        pct = value * 100
        return f"{pct:+.0f}%" if abs(pct) >= 100 else f"{pct:+.1f}%"


def chart_value(metric: Metric, value: float | None) -> float | None:
    """What a chart plots: shares as percent, everything rounded (ECharts JSON has no
    formatter functions, so the data must already read well)."""
    if value is None:
        return None
    if metric.unit == "share":
        return round(value * 100, 2)
    return round(value, 2)


def axis_label(metric: Metric, zh: bool) -> str:
    if metric.unit == "share":
        return "{value}%"
    if metric.unit == "seconds":
        return "{value} 秒" if zh else "{value} s"
    if metric.unit == "yuan":
        return "¥{value}"
    return "{value}"


@dataclass(frozen=True)
class ChangeView:
    text: str
    css: str  # is-better | is-worse | is-flat | is-na
    note: str


def change_view(t: Any, fmt: Fmt, change: Change | None) -> ChangeView:
    """Coloured only when the change is more than noise; grey and said so otherwise."""
    if change is None or change.rate is None:
        return ChangeView("—", "is-na", t("analytics.change.none"))
    text = fmt.rate(change.rate)
    if change.significant and change.verdict in ("better", "worse"):
        return ChangeView(text, f"is-{change.verdict}", t(f"analytics.change.{change.verdict}"))
    if change.significant is None:
        return ChangeView(text, "is-flat", t("analytics.change.untested"))
    return ChangeView(text, "is-flat", t("analytics.change.flat"))


# --- the view: everything the URL says ---------------------------------------------------------


@dataclass(frozen=True)
class View:
    """A range and filters, read from the URL and written back into every link on the page."""

    start: date
    end: date
    params: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def filters(self, drop: str | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return service.parse_filters({k: list(v) for k, v in self.params if k != drop})

    def query(self, **extra: str | Sequence[str] | None) -> str:
        """The query string of this view; ``extra`` adds or replaces parameters (None drops)."""
        merged: dict[str, Sequence[str]] = dict(self.params)
        for key, value in extra.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = [value] if isinstance(value, str) else value
        items = [("start", self.start.isoformat()), ("end", self.end.isoformat())]
        items += [(k, v) for k, vs in merged.items() for v in vs]
        return urlencode(items)

    def local_bounds(self, tz: str) -> tuple[datetime, datetime]:
        """The range as aware datetimes: local midnight of the first day to after the last."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.start, time(0), tzinfo=zone)
        return start, datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)


def _date(value: str | None, field: str, t: Any) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(
            "analytics.error.date", field=t(f"analytics.filter.{field}"), value=value
        ) from None


def read_view(request: Request, ctx: service.Context, t: Any) -> View:
    """Parse and check the URL; a bad value is a clear 400, never a 500 deeper down."""
    q = request.query_params
    start, end = ctx.default_range(_date(q.get("start"), "start", t), _date(q.get("end"), "end", t))
    if end < start:
        raise BadRequest("analytics.error.range", start=start.isoformat(), end=end.isoformat())
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequest("analytics.error.too_long", days=MAX_DAYS)
    params: list[tuple[str, tuple[str, ...]]] = []
    for param in FILTER_PARAMS:
        values = tuple(dict.fromkeys(v.strip() for v in q.getlist(param) if v.strip()))
        if param in ID_PARAMS:
            for v in values:
                if not v.isdigit():
                    label = t(f"analytics.filter.{param}")
                    raise BadRequest("analytics.error.id", field=label, value=v)
        if values:
            params.append((param, values))
    return View(start, end, tuple(params))


def _choice(value: str, choices: Sequence[str], locale: str) -> str:
    if value not in choices:
        names = "、".join(DIMENSION_BY_NAME[c].label(locale) + f" ({c})" for c in choices)
        raise BadRequest("analytics.error.by", value=value, choices=names)
    return value


def read_metrics(request: Request, default: Sequence[str]) -> tuple[str, ...]:
    """``metrics`` as repeated checkboxes or one comma-separated value (as the API takes it)."""
    raw = ",".join(request.query_params.getlist("metrics"))
    names = tuple(dict.fromkeys(service.csv_metrics(raw, tuple(default))))
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise BadRequest("analytics.error.metric", names=", ".join(unknown))
    if len(names) > MAX_TREND_METRICS:
        raise BadRequest("analytics.error.too_many", n=MAX_TREND_METRICS)
    return names


# --- one page request --------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    label: str
    csv: str
    xlsx: str


def _export(label: str, path: str, query: str) -> Export:
    sep = "&" if query else ""
    return Export(label, f"{path}?{query}{sep}format=csv", f"{path}?{query}{sep}format=xlsx")


@dataclass(frozen=True)
class Chip:
    """A filter the form has no field for (from a finding's link); shown so it can be removed."""

    param: str
    label: str
    values: tuple[str, ...]
    remove_url: str


class Page:
    """One analytics request: who asks, in which language, on which workspace clock."""

    def __init__(self, request: Request, s: Session, tab: str) -> None:
        self.request, self.s, self.tab = request, s, tab
        self.principal: Principal = page_guard(request, s, "analytics.read")
        self.locale = page_locale(request, self.principal)
        self.ctx = service.context(s, self.principal.workspace_id)
        self.fmt = Fmt(self.locale)
        self.view: View | None = None

    @property
    def ws(self) -> int:
        return self.principal.workspace_id

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.locale, **params)

    @property
    def cache(self) -> service.ResultCache:
        """The app's short-lived result cache: a dashboard reload does not recompute."""
        cache: service.ResultCache = getattr(
            self.request.app.state, "analytics_cache", service.NO_CACHE
        )
        return cache

    @property
    def unassigned(self) -> str:
        return self.t("analytics.unassigned")

    @contextmanager
    def answering(self) -> Iterator[None]:
        """A refusal inside (bad input, unknown id) becomes this page with the reason."""
        try:
            yield
        except AppError as exc:
            raise self.refuse(exc) from exc

    def read(self) -> View:
        with self.answering():
            self.view = read_view(self.request, self.ctx, self.t)
        return self.view

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        with self.answering(), service.open_engine(self.request.app.state.settings) as engine:
            yield engine

    def refuse(self, exc: AppError) -> PageRefused:
        """The analytics page itself, with the filters kept and the reason shown."""
        params = dict(exc.params)
        if isinstance(exc, NotFound) and params.get("entity"):
            params["entity"] = self.t(f"entity.{params['entity']}")
        if exc.message_key == "error.bad_request" and "detail" not in params:
            params["detail"] = ""
        message = self.t(exc.message_key, **params)
        return PageRefused(
            self.show("analytics/error.html", status_code=exc.status_code, message=message)
        )

    def _options(self) -> dict[str, list[tuple[str, str]]]:
        ws = self.ws

        def pairs(model: Any, *where: Any) -> list[tuple[str, str]]:
            stmt = select(model.id, model.name).where(model.workspace_id == ws, *where)
            return [(str(i), str(n)) for i, n in self.s.execute(stmt.order_by(model.name))]

        return {
            "channel_id": pairs(Channel),
            "agent_id": pairs(User, User.is_active.is_(True)),
            "skill_group_id": pairs(SkillGroup),
            "product_line_id": pairs(ProductLine),
            "tier": [(tier, self.t(f"analytics.tier.{tier}")) for tier in TIERS],
        }

    def _chips(self, view: View) -> list[Chip]:
        path = self.request.url.path
        return [
            Chip(
                k,
                self.t(f"analytics.filter.{k}"),
                vs,
                f"{path}?{view.query(**{k: None})}",
            )
            for k, vs in view.params
            if k not in FORM_FILTERS
        ]

    def show(self, template: str, *, status_code: int = 200, **context: Any) -> Response:
        q = self.request.query_params
        view = self.view
        form = {k: q.get(k, "") for k in ("start", "end", *FORM_FILTERS)}
        if view is not None:
            form["start"], form["end"] = view.start.isoformat(), view.end.isoformat()
        tabs_query = view.query() if view is not None else ""
        context.setdefault("range_text", self._range_text(view) if view else "")
        context.setdefault("exports", [])
        return render(
            self.request,
            template,
            self.locale,
            status_code=status_code,
            viewer=page_viewer(self.s, self.principal, active="analytics"),
            tab=self.tab,
            tabs=[(key, path + (f"?{tabs_query}" if tabs_query else "")) for key, path in TABS],
            action=self.request.url.path,
            form=form,
            form_filters=FORM_FILTERS,
            options=self._options(),
            chips=self._chips(view) if view else [],
            fmt=self.fmt,
            **context,
        )

    def _range_text(self, view: View) -> str:
        return self.t(
            "analytics.range",
            start=view.start.isoformat(),
            end=view.end.isoformat(),
            days=view.days,
        )


# --- overview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    definition: str
    value: str
    vs_previous: ChangeView
    vs_last_year: ChangeView


@dataclass(frozen=True)
class FindingView:
    sentence: str
    url: str
    scope: str | None  # the channel scope's badge ("邮件", "电话"); None for chat
    conversations_url: str | None
    p_value: float


def _finding(page: Page, view: View, f: Finding) -> FindingView:
    """One finding as a sentence a manager reads at a glance, linked to the filtered view."""
    t, fmt = page.t, page.fmt
    label = f.label
    if f.dimension == "hour":
        label = f"{int(f.key):02d}:00–{int(f.key) + 1:02d}:00"
    elif f.dimension == "tier" and has_message(f"analytics.tier.{f.key}"):
        label = t(f"analytics.tier.{f.key}")
    if has_message(f"analytics.finding.{f.dimension}"):
        subject = t(f"analytics.finding.{f.dimension}", label=label)
        rest_label = t(f"analytics.finding.rest.{f.dimension}")
    else:  # a dimension diagnosis learnt after these pages were written
        subject = f"{DIMENSION_BY_NAME[f.dimension].label(page.locale)} {label}"
        rest_label = t("analytics.finding.rest")
    sentence = t(
        "analytics.finding.line",
        subject=subject,
        metric=fmt.label(f.metric),
        value=fmt.metric(f.metric, f.value),
        rest_label=rest_label,
        rest=fmt.metric(f.metric, f.rest),
        effect=fmt.rate(f.effect),
    )
    param = PARAM_OF.get(f.dimension)
    extra: dict[str, str | Sequence[str] | None] = {"channel_kind": SCOPES.get(f.scope)}
    if param is not None:
        extra[param] = str(f.key)
    url = "/analytics?" + view.query(**extra)
    drill = None
    if f.dimension == "agent":
        drill = f"/analytics/agents/{f.key}?{view.query(agent_id=None)}"
    badge = None if f.scope == "live" else page.t(f"analytics.findings.{f.scope}")
    return FindingView(sentence, url, badge, drill, f.p_value)


def _line_chart(
    page: Page, labels: list[str], rows: list[Row], names: Sequence[str], bars: bool = False
) -> str:
    metric = BY_NAME[names[0]]
    return _chart(
        {
            "color": COLORS,
            "grid": {"left": 56, "right": 16, "top": 36, "bottom": 28},
            "legend": {"top": 0},
            "tooltip": {"trigger": "axis"},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {
                "type": "value",
                "axisLabel": {"formatter": axis_label(metric, page.fmt.zh)},
            },
            "series": [
                {
                    "type": "bar" if bars else "line",
                    "name": page.fmt.label(n),
                    "data": [chart_value(BY_NAME[n], r.values.get(n)) for r in rows],
                    "smooth": False,
                    "showSymbol": len(rows) <= 45,
                }
                for n in names
            ],
        }
    )


@router.get("/analytics")
def overview(request: Request, s: DbSession) -> Response:
    """KPI cards with their rise and fall, the daily trend, and where customers are lost."""
    page = Page(request, s, "overview")
    view = page.read()
    ctx = page.ctx
    with page.engine() as engine:
        query = service.overview_query(view.start, view.end, view.filters())
        result, findings = service.overview_and_findings(
            engine, ctx, query, page.unassigned, page.cache
        )
    t, fmt = page.t, page.fmt
    kpis = [
        Kpi(
            name,
            fmt.label(name),
            fmt.definition(name),
            fmt.metric(name, result.total.values[name]),
            change_view(t, fmt, result.vs_previous.get(name)),
            change_view(t, fmt, result.vs_last_year.get(name)),
        )
        for name in OVERVIEW
    ]
    window = Window(ctx.workspace_id, view.start, view.end, ctx.tz)
    prev, ly = window.previous(), window.last_year()
    days = [r.label[5:] for r in result.rows]  # MM-DD
    q = view.query()
    return page.show(
        "analytics/overview.html",
        empty=not result.total.values["contacts"],
        kpis=kpis,
        compare_text=t(
            "analytics.range.compare",
            prev_start=prev.start_day.isoformat(),
            prev_end=prev.end_day.isoformat(),
            ly_start=ly.start_day.isoformat(),
            ly_end=ly.end_day.isoformat(),
        ),
        volume_chart=_line_chart(
            page, days, result.rows, ("contacts", "receptions", "missed_receptions"), bars=True
        ),
        speed_chart=_line_chart(
            page, days, result.rows, ("first_response_time", "average_response_time")
        ),
        findings=[_finding(page, view, f) for f in findings],
        findings_shown=FINDINGS_SHOWN,
        exports=[
            _export(t("analytics.tab.overview"), f"{API}/query", q),
            _export(
                t("analytics.trend.volume"),
                f"{API}/query",
                view.query(by="day", metrics=",".join(OVERVIEW), compare="false"),
            ),
            _export(t("analytics.findings.title"), f"{API}/diagnosis", q),
        ],
    )


# --- funnel --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelCell:
    count: str
    rate: str
    weakest: bool


@dataclass(frozen=True)
class FunnelLine:
    label: str
    cells: list[FunnelCell]
    weakest: str
    gap: str
    overall: bool = False


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


def _funnel_line(page: Page, side: Funnel, overall: bool = False) -> FunnelLine:
    names = {s.name: s.label(page.locale) for s in STEPS}
    cells = [
        FunnelCell(
            page.fmt.count(st.count),
            page.fmt.share(st.pass_rate if i else st.share_of_contacts),
            st.name == side.weakest,
        )
        for i, st in enumerate(side.steps)
    ]
    gap = ""
    if side.gap is not None:
        gap = page.t("analytics.funnel.gap", points=f"{abs(side.gap) * 100:.1f}")
    label = page.t("analytics.funnel.all") if overall else side.label
    return FunnelLine(label, cells, names.get(side.weakest or "", ""), gap, overall)


@router.get("/analytics/funnel")
def funnel_page(request: Request, s: DbSession) -> Response:
    """The overall funnel, and the same funnel per channel, platform or agent side by side."""
    page = Page(request, s, "funnel")
    view = page.read()
    with page.answering():
        by = _choice(request.query_params.get("by") or "channel", FUNNEL_BY, page.locale)
    with page.engine() as engine:
        query = Query(view.start, view.end, OVERVIEW, by, view.filters(), False)
        result = service.funnel_of(engine, page.ctx, query, page.unassigned, page.cache)
    loc = page.locale
    overall = result.overall
    funnel_chart = _chart(
        {
            "color": COLORS,
            "tooltip": {"trigger": "item"},
            "series": [
                {
                    "type": "funnel",
                    "sort": "none",
                    "left": "8%",
                    "width": "84%",
                    "top": 10,
                    "bottom": 10,
                    "minSize": "12%",
                    "gap": 2,
                    "label": {"show": True, "position": "inside", "formatter": "{b}"},
                    "data": [
                        {
                            "name": f"{step.label(loc)}  {page.fmt.count(st.count)}",
                            "value": st.count,
                        }
                        for step, st in zip(STEPS, overall.steps, strict=True)
                    ],
                }
            ],
        }
    )
    sides_chart = _percent_bars(
        [x.label for x in result.sides],
        [
            {
                "type": "bar",
                "name": step.label(loc),
                "data": [_percent(x.steps[i].share_of_contacts) for x in result.sides],
            }
            for i, step in enumerate(STEPS)
            if i
        ],
        colors=COLORS[1:],
        bottom=60,
        rotate_over=6,
    )
    return page.show(
        "analytics/funnel.html",
        empty=not overall.steps[0].count,
        by=by,
        by_choices=[(d, DIMENSION_BY_NAME[d].label(loc)) for d in FUNNEL_BY],
        by_label=DIMENSION_BY_NAME[by].label(loc),
        steps=[s.label(loc) for s in STEPS],
        overall=overall,
        overall_line=_funnel_line(page, overall, overall=True),
        lines=[_funnel_line(page, x) for x in result.sides],
        funnel_chart=funnel_chart,
        sides_chart=sides_chart,
        exports=[_export(page.t("analytics.funnel.title"), f"{API}/funnel", view.query(by=by))],
    )


# --- trends --------------------------------------------------------------------------------------


@router.get("/analytics/trends")
def trends_page(request: Request, s: DbSession) -> Response:
    """Chosen metrics by day, week or month: one small chart per metric (units differ)."""
    page = Page(request, s, "trends")
    view = page.read()
    with page.answering():
        metrics = read_metrics(request, TREND_DEFAULT)
        by = _choice(request.query_params.get("by") or "day", TREND_BY, page.locale)
    with page.engine() as engine:
        query = Query(view.start, view.end, metrics, by, view.filters(), False)
        result = service.query(engine, page.ctx, query, page.unassigned, page.cache)
    labels = [r.label for r in result.rows]
    charts = [
        (name, page.fmt.label(name), _line_chart(page, labels, result.rows, (name,)))
        for name in metrics
    ]
    export_query = view.query(by=by, metrics=",".join(metrics), compare="false")
    return page.show(
        "analytics/trends.html",
        empty=not any(result.total.values.values()),
        by=by,
        by_choices=[(d, DIMENSION_BY_NAME[d].label(page.locale)) for d in TREND_BY],
        metrics=metrics,
        all_metrics=[(m.name, m.label(page.locale)) for m in METRICS],
        charts=charts,
        result=result,
        exports=[_export(page.t("analytics.trends.title"), f"{API}/query", export_query)],
    )


# --- agents --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: str
    team: str
    css: str
    title: str


def _cells(page: Page, card: service.Scorecard) -> list[Cell]:
    out = []
    for name in service.SCORECARD:
        cell = card.cells[name]
        css = {"better": "is-better", "worse": "is-worse"}.get(cell.verdict, "")
        title = "" if cell.p_value is None else f"p = {cell.p_value:.4g}"
        # a count's "team" is the rest of the team's total: no yardstick for one person
        summed = BY_NAME[name].kind in ("count", "sum")
        team = "" if summed else page.fmt.metric(name, cell.team)
        out.append(Cell(page.fmt.metric(name, cell.value), team, css, title))
    return out


@router.get("/analytics/agents")
def agents_page(request: Request, s: DbSession) -> Response:
    """Each agent's scorecard, every figure coloured by how it compares with the rest."""
    page = Page(request, s, "agents")
    view = page.read()
    with page.engine() as engine:
        cards = service.scorecards(
            engine, page.ctx, view.start, view.end, view.filters(), page.cache
        )
    q = view.query(agent_id=None)
    rows = [
        {
            "id": c.agent_id,
            "name": c.name,
            "url": f"/analytics/agents/{c.agent_id}?{q}",
            "cells": _cells(page, c),
            "attention": [page.fmt.label(a) for a in c.attention],
        }
        for c in cards
    ]
    return page.show(
        "analytics/agents.html",
        empty=not cards,
        columns=[page.fmt.label(n) for n in service.SCORECARD],
        rows=rows,
        attention=[r for r in rows if r["attention"]],
        exports=[_export(page.t("analytics.agents.title"), f"{API}/agents", view.query())],
    )


def _owned(page: Page, model: type[M], raw_id: str, entity: str) -> M:
    """A row of this workspace; another workspace's id reads as not found, exactly like a typo."""
    with page.answering():
        if not raw_id.isdigit():
            raise NotFound(entity, raw_id)
        return get_scoped(page.s, model, page.ws, int(raw_id), entity)


def _agent_filter(page: Page, view: View, agent: User) -> ConversationFilter:
    start, end = view.local_bounds(page.ctx.tz)

    def single(param: str) -> int | None:
        values = next((vs for k, vs in view.params if k == param), ())
        return int(values[0]) if len(values) == 1 else None

    return ConversationFilter(
        assignee_id=agent.id,
        channel_id=single("channel_id"),
        skill_group_id=single("skill_group_id"),
        created_from=start,
        created_to=end,
    )


def _names(s: Session, model: Any, ws: int) -> dict[int, str]:
    rows = s.execute(select(model.id, model.name).where(model.workspace_id == ws))
    return {int(i): str(n) for i, n in rows}


def _first_response(conv: Conversation) -> float | None:
    if not conv.timing_known or conv.first_response_at is None:
        return None
    return (conv.first_response_at - conv.created_at).total_seconds()


@router.get("/analytics/agents/{agent_id}")
def agent_page(agent_id: str, request: Request, s: DbSession) -> Response:
    """One agent: the scorecard against the team, and the conversations behind it."""
    page = Page(request, s, "agents")
    view = page.read()
    agent = _owned(page, User, agent_id, "user")
    raw = request.query_params.get("page", "1")
    number = int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1
    with page.engine() as engine:
        cards = service.scorecards(
            engine, page.ctx, view.start, view.end, view.filters(drop="agent_id"), page.cache
        )
    card = next((c for c in cards if c.agent_id == agent.id), None)
    convs, total = list_conversations(
        s, page.ws, _agent_filter(page, view, agent), PAGE_SIZE, (number - 1) * PAGE_SIZE
    )
    channels = _names(s, Channel, page.ws)
    zone = ZoneInfo(page.ctx.tz)
    q = view.query(agent_id=None)
    here = f"/analytics/agents/{agent.id}"
    score = []
    if card is not None:
        for name, cell in zip(service.SCORECARD, _cells(page, card), strict=True):
            score.append((page.fmt.label(name), cell))
    rows = [
        {
            "id": c.id,
            "url": f"/analytics/conversations/{c.id}?{q}",
            "created": c.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "channel": channels.get(c.channel_id, ""),
            "status": c.status,
            "subject": c.subject,
            "messages": c.message_count,
            "first_response": page.fmt.duration(_first_response(c)),
            "transfers": c.transfer_count,
        }
        for c in convs
    ]
    return page.show(
        "analytics/agent.html",
        agent=agent,
        score=score,
        rows=rows,
        total=total,
        page=number,
        prev_url=f"{here}?{view.query(agent_id=None, page=str(number - 1))}"
        if number > 1
        else None,
        next_url=f"{here}?{view.query(agent_id=None, page=str(number + 1))}"
        if number * PAGE_SIZE < total
        else None,
        back_url=f"/analytics/agents?{q}",
        exports=[
            _export(page.t("analytics.agent.conversations"), f"{here}/export", q),
            _export(page.t("analytics.agents.title"), f"{API}/agents", q),
        ],
    )


@router.get("/analytics/agents/{agent_id}/export")
def agent_export(agent_id: str, request: Request, s: DbSession) -> Response:
    """The drill-down's conversation list as CSV or XLSX (the API has no such table)."""
    page = Page(request, s, "agents")
    view = page.read()
    agent = _owned(page, User, agent_id, "user")
    fmt = request.query_params.get("format", "csv")
    if fmt not in export.FORMATS:
        raise page.refuse(BadRequest(detail=f"format must be one of {', '.join(export.FORMATS)}"))
    convs, _ = list_conversations(s, page.ws, _agent_filter(page, view, agent), EXPORT_ROWS, 0)
    channels = _names(s, Channel, page.ws)
    zone = ZoneInfo(page.ctx.tz)
    t = page.t
    table = export.Table(
        "conversations",
        [
            t("analytics.col.conversation"),
            t("analytics.col.created"),
            t("analytics.col.channel"),
            t("analytics.col.status"),
            t("analytics.col.subject"),
            t("analytics.col.messages"),
            t("analytics.col.first_response") + (" (秒)" if page.fmt.zh else " (s)"),
            t("analytics.col.transfers"),
        ],
        [
            [
                c.id,
                c.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                channels.get(c.channel_id, ""),
                c.status,
                c.subject,
                c.message_count,
                _first_response(c),
                c.transfer_count,
            ]
            for c in convs
        ],
    )
    name = f"agent-{agent.id}-conversations.{fmt}"
    return attachment(export.render(table, fmt), export.MEDIA[fmt], name)


# --- one conversation, read-only -------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    seq: int
    sender: str
    who: str
    at: str
    wait: str
    body: str


@router.get("/analytics/conversations/{conversation_id}")
def conversation_page(conversation_id: str, request: Request, s: DbSession) -> Response:
    """The transcript as it happened: who wrote what, when, and how long the other side waited."""
    page = Page(request, s, "agents")
    view = page.read()
    conv = _owned(page, Conversation, conversation_id, "conversation")
    users = _names(s, User, page.ws)
    zone = ZoneInfo(page.ctx.tz)
    customer = None
    if conv.customer_id is not None:
        customer = s.scalar(
            select(Customer.name).where(
                Customer.workspace_id == page.ws, Customer.id == conv.customer_id
            )
        )
    lines: list[Line] = []
    before: datetime | None = None
    for m in s.scalars(
        scoped(Message, page.ws).where(Message.conversation_id == conv.id).order_by(Message.seq)
    ):
        gap = (m.created_at - before).total_seconds() if before is not None else None
        before = m.created_at
        sender = m.sender_type if m.sender_type in ("customer", "agent", "bot") else "system"
        who = page.t(f"analytics.sender.{sender}")
        if m.sender_user_id is not None and m.sender_user_id in users:
            who = f"{who} {users[m.sender_user_id]}"
        wait = (
            ""
            if gap is None
            else page.t("analytics.conversation.wait", wait=page.fmt.duration(gap))
        )
        lines.append(
            Line(
                m.seq,
                sender,
                who,
                m.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                wait,
                m.body[:20_000],
            )
        )
    q = view.query(agent_id=None)
    agent_name = users.get(conv.assignee_id) if conv.assignee_id else None
    return page.show(
        "analytics/conversation.html",
        conv=conv,
        lines=lines,
        customer=customer,
        channel=_names(s, Channel, page.ws).get(conv.channel_id, ""),
        agent_name=agent_name or page.t("analytics.conversation.unassigned"),
        created=conv.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        back_url=f"/analytics/agents/{conv.assignee_id}?{q}" if agent_name else None,
        exports=[],
    )


# --- SLA ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaFigure:
    name: str
    label: str
    value: str
    target: str
    status: str  # met | missed | ""
    change: ChangeView


def _sla_status(targets: Any, name: str, value: float | None) -> str:
    if value is None:
        return ""
    if name == "reply_rate":
        return "met" if value >= targets.reply_rate else "missed"
    if name in ("first_response_time_median", "first_response_time_p90"):
        return "met" if value <= targets.first_response_s else "missed"
    if name == "average_response_time":
        return "met" if value <= targets.average_response_s else "missed"
    return ""


def _sla_target(page: Page, name: str) -> str:
    targets, fmt, t = page.ctx.targets, page.fmt, page.t
    if name == "reply_rate":
        return t("analytics.sla.target_ge", value=fmt.share(targets.reply_rate))
    if name == "sla_first_response":
        return t("analytics.sla.within", value=fmt.duration(targets.first_response_s))
    if name == "sla_average_response":
        return t("analytics.sla.within", value=fmt.duration(targets.average_response_s))
    if name == "average_response_time":
        return t("analytics.sla.target_le", value=fmt.duration(targets.average_response_s))
    return t("analytics.sla.target_le", value=fmt.duration(targets.first_response_s))


def _gauge(page: Page, name: str, value: float | None) -> str:
    """One share as a gauge, red when it misses its target (one chart each: gauges that share a
    canvas overlap on narrow screens)."""
    missed = _sla_status(page.ctx.targets, name, value) == "missed"
    return _chart(
        {
            "series": [
                {
                    "type": "gauge",
                    "center": ["50%", "58%"],
                    "radius": "92%",
                    "min": 0,
                    "max": 100,
                    "startAngle": 210,
                    "endAngle": -30,
                    "progress": {"show": True, "width": 12},
                    "axisLine": {"lineStyle": {"width": 12}},
                    "axisTick": {"show": False},
                    "splitLine": {"show": False},
                    "axisLabel": {"show": False},
                    "pointer": {"show": False},
                    "itemStyle": {"color": COLORS[3] if missed else COLORS[0]},
                    "title": {"offsetCenter": [0, "70%"], "fontSize": 12},
                    "detail": {"offsetCenter": [0, "5%"], "formatter": "{value}%", "fontSize": 20},
                    "data": [
                        {
                            "name": page.fmt.label(name),
                            "value": round((value or 0.0) * 100, 1),
                        }
                    ],
                }
            ]
        }
    )


@router.get("/analytics/sla")
def sla_page(request: Request, s: DbSession) -> Response:
    """The service-level figures against the workspace's own targets, overall and per channel."""
    page = Page(request, s, "sla")
    view = page.read()
    with page.engine() as engine:
        query = Query(view.start, view.end, SLA_METRICS, "channel", view.filters())
        result = service.query(engine, page.ctx, query, page.unassigned, page.cache)
    t, fmt, targets = page.t, page.fmt, page.ctx.targets
    totals = result.total.values
    figures = [
        SlaFigure(
            name,
            fmt.label(name),
            fmt.metric(name, totals[name]),
            _sla_target(page, name),
            _sla_status(targets, name, totals[name]),
            change_view(t, fmt, result.vs_previous.get(name)),
        )
        for name in SLA_METRICS
    ]
    channels = [
        {
            "label": r.label,
            "cells": [
                (fmt.metric(n, r.values[n]), _sla_status(targets, n, r.values[n]))
                for n in SLA_METRICS
            ],
        }
        for r in result.rows
    ]
    series: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": fmt.label(n),
            "data": [chart_value(BY_NAME[n], r.values[n]) for r in result.rows],
        }
        for n in SLA_SHARES
    ]
    target = round(targets.reply_rate * 100, 2)
    series[0]["markLine"] = {  # the reply-rate target across every channel
        "symbol": "none",
        "data": [{"yAxis": target}],
        "label": {"position": "insideEndTop", "formatter": f"{target}%"},
        "lineStyle": {"color": COLORS[3], "type": "dashed"},
    }
    bars = _percent_bars(
        [r.label for r in result.rows], series, colors=COLORS, bottom=48, rotate_over=4
    )
    return page.show(
        "analytics/sla.html",
        empty=not result.rows,
        targets_text=t(
            "analytics.sla.targets",
            first=fmt.duration(targets.first_response_s),
            average=fmt.duration(targets.average_response_s),
            reply=fmt.share(targets.reply_rate),
        ),
        figures=figures,
        columns=[fmt.label(n) for n in SLA_METRICS],
        channels=channels,
        gauges=[(n, _gauge(page, n, totals[n])) for n in SLA_SHARES],
        bars=bars,
        exports=[
            _export(
                t("analytics.sla.by_channel"),
                f"{API}/query",
                view.query(by="channel", metrics=",".join(SLA_METRICS)),
            )
        ],
    )
