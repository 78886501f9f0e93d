"""Complaint pages: overview, cases and their handling, control charts and alerts, Pareto,
service recovery, feature requests, the QA review queue and the daily warning.

Thin: every figure and every change goes through the complaints domain modules (``service``,
``grid``, ``spc``, ``analysis``, ``recovery``, ``warning``), the same calls the API and the jobs
make. This module reads the URL and the forms, checks permissions (``complaints.read`` to look,
``.write`` to handle cases, ``.manage`` for alerts, detection, the warning e-mail and the QA
review), writes figures the way the page's language does and builds the ECharts options that
``/static/charts.js`` draws (the CSP forbids inline scripts). A refusal from the domain (bad
input, another workspace's id) is this section's error page with the reason; the request's
transaction is rolled back, so a half-done change is never kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import Select, func, select

import liuke.complaints.messages  # noqa: F401  (registers the page strings)
from liuke.complaints import analysis as an
from liuke.complaints import grid as g
from liuke.complaints import recovery, service, spc, warning
from liuke.complaints.charts import INSUFFICIENT_BASELINE, RULES
from liuke.complaints.intake import suggester_for
from liuke.complaints.models import (
    ACTIONS,
    ALERT_STATES,
    CATEGORIES,
    FAILURE_SOURCES,
    KINDS,
    OUTCOMES,
    ROOT_CAUSES,
    SEVERITIES,
    STATUSES,
    TIERS,
    Case,
    CaseEvent,
    ComplaintAlert,
    RecoveryRecord,
)
from liuke.core.api import attachment, request_settings
from liuke.core.errors import AppError, BadRequest, NotFound
from liuke.core.i18n import has_message, translate
from liuke.core.mail import MailError, SendResult
from liuke.core.pagination import fetch_page
from liuke.core.tenancy import WorkspaceScoped, get_scoped, scoped
from liuke.customers.models import Customer
from liuke.web.fmt import Fmt
from liuke.web.pages import (
    PageRefused,
    PageRoute,
    page_guard,
    page_locale,
    page_viewer,
    redirect,
    render,
)
from liuke.web.safety import safe_next
from liuke.workspaces.auth import DbSession
from liuke.workspaces.models import User
from liuke.workspaces.service import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
M = TypeVar("M", bound=WorkspaceScoped)

READ, WRITE, MANAGE = "complaints.read", "complaints.write", "complaints.manage"
PAGE_SIZE = 50
DEFAULT_DAYS = 30  # the pages' window: the last 30 complete local days
MAX_DAYS = 731
ALERTS_SHOWN = 10
PARETO_BARS = 30
SMALL_PARETO_BARS = 10
COLORS = ["#0f7a6c", "#2e90fa", "#f79009", "#b42318", "#7a5af8", "#12b76a", "#667085"]
ALERT_RED = "#b42318"
TABS: tuple[tuple[str, str, str], ...] = (
    ("overview", "/complaints", READ),
    ("cases", "/complaints/cases", READ),
    ("charts", "/complaints/charts", READ),
    ("alerts", "/complaints/alerts", READ),
    ("pareto", "/complaints/pareto", READ),
    ("recovery", "/complaints/recovery", READ),
    ("requests", "/complaints/requests", READ),
    ("review", "/complaints/review", MANAGE),
    ("warning", "/complaints/warning", READ),
)
ALERT_FILTERS = ("active", *ALERT_STATES, "all")
XLSX = warning.XLSX
_CASE_NUMBER = re.compile(r"^[Cc]?0*(\d{1,12})$")


def _chart(option: dict[str, Any]) -> str:
    """An ECharts option as JSON for a ``data-chart`` attribute (the template escapes it)."""
    return json.dumps({"animation": False, **option}, ensure_ascii=False)


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


# --- figures in the page's language ---------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The local days a page reads, from ``?start=&end=`` or the default."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> str:
        return urlencode({"start": self.start.isoformat(), "end": self.end.isoformat()})

    def previous(self) -> Window:
        return Window(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


# --- one page request --------------------------------------------------------------------------


class Page:
    """One complaints request: who asks, allowed what, in which language, on which clock."""

    def __init__(
        self,
        request: Request,
        s: DbSession,
        tab: str,
        permission: str = READ,
        *,
        post: bool = False,
    ) -> None:
        self.request, self.s, self.tab = request, s, tab
        self.principal: Principal = page_guard(request, s, permission, post=post)
        self.locale = page_locale(request, self.principal)
        self.ws = self.principal.workspace_id
        self.zone = g.zone_of(s, self.ws)
        self.fmt = Fmt(self.locale, self.zone)
        self.window: Window | None = None
        self._lines: dict[int, str] | None = None
        self._users: dict[int, str] | None = None

    # language

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.locale, **params)

    def label(self, group: str, value: object) -> str:
        """A domain value in words (``complaints.<group>.<value>``), the value if unknown."""
        if value is None or value == "":
            return "—"
        key = f"complaints.{group}.{value}"
        return self.t(key) if has_message(key) else str(value)

    def line_name(self, line_id: object) -> str:
        if line_id is None or line_id == "":
            return self.t("complaints.unknown_line")
        return self.lines.get(int(str(line_id)), str(line_id))

    def cell_label(self, cell: dict[str, Any]) -> str:
        """A chart cell in words: "产品质量 / 手机", "重点客户"."""
        parts = []
        for key, value in sorted(cell.items()):
            if key == "product_line_id":
                parts.append(self.line_name(value))
            elif key == "category":
                parts.append(self.label("category", value))
            elif key == "customer_tier":
                parts.append(self.label("tier", value))
            elif key == "channel_kind":
                parts.append(self.label("channel", value))
        return " / ".join(parts) or str(cell.get("label", ""))

    # permissions and names

    @property
    def can_write(self) -> bool:
        return self.principal.can(WRITE)

    @property
    def can_manage(self) -> bool:
        return self.principal.can(MANAGE)

    @property
    def lines(self) -> dict[int, str]:
        if self._lines is None:
            self._lines = {ln.id: ln.name for ln in g.product_lines(self.s, self.ws)}
        return self._lines

    @property
    def users(self) -> dict[int, str]:
        if self._users is None:
            rows = self.s.execute(
                select(User.id, User.name).where(User.workspace_id == self.ws).order_by(User.name)
            )
            self._users = {int(i): str(n) for i, n in rows}
        return self._users

    def user_name(self, user_id: int | None) -> str:
        if user_id is None:
            return "—"
        return self.users.get(user_id, f"#{user_id}")

    # the URL

    def yesterday(self) -> date:
        return datetime.now(self.zone).date() - timedelta(days=1)

    def _date(self, name: str, label_key: str) -> date | None:
        raw = self.request.query_params.get(name, "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadRequest("complaints.error.date", field=self.t(label_key), value=raw) from None

    def read_window(self, days: int = DEFAULT_DAYS) -> Window:
        """``?start=&end=``; a missing end is yesterday, a missing start ``days`` before it."""
        with self.answering():
            start = self._date("start", "complaints.filter.start")
            end = self._date("end", "complaints.filter.end")
            if end is None:
                end = start + timedelta(days=days - 1) if start else self.yesterday()
            start = start or end - timedelta(days=days - 1)
            if end < start:
                raise BadRequest(
                    "complaints.error.range", start=start.isoformat(), end=end.isoformat()
                )
            if (end - start).days + 1 > MAX_DAYS:
                raise BadRequest("complaints.error.too_long", days=MAX_DAYS)
        self.window = Window(start, end)
        return self.window

    def choice(self, name: str, allowed: Sequence[str], label_key: str) -> str | None:
        raw = self.request.query_params.get(name, "").strip()
        if not raw:
            return None
        if raw not in allowed:
            raise self.refuse(
                BadRequest(
                    "complaints.error.choice",
                    field=self.t(label_key),
                    value=raw,
                    choices=", ".join(allowed),
                )
            )
        return raw

    def ident(self, name: str, label_key: str) -> int | None:
        raw = self.request.query_params.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit() or len(raw) > 12:
            raise self.refuse(BadRequest("complaints.error.id", field=self.t(label_key), value=raw))
        return int(raw)

    def page_number(self) -> int:
        raw = self.request.query_params.get("page", "1")
        return int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1

    # answers

    @contextmanager
    def answering(self) -> Iterator[None]:
        """A refusal from the domain inside becomes this section's error page, with the reason."""
        try:
            yield
        except AppError as exc:
            raise self.refuse(exc) from exc

    def message(self, exc: AppError) -> str:
        params = dict(exc.params)
        if isinstance(exc, NotFound) and params.get("entity"):
            entity = f"entity.{params['entity']}"
            params["entity"] = self.t(entity) if has_message(entity) else params["entity"]
        if exc.message_key == "error.bad_request" and "detail" not in params:
            params["detail"] = ""
        return self.t(exc.message_key, **params)

    def refuse(self, exc: AppError) -> PageRefused:
        """Raised: the dependency rolls the transaction back, the app answers with this page."""
        return PageRefused(
            self.show(
                "complaints/error.html",
                status_code=exc.status_code,
                message=self.message(exc),
                back=_local(self.request.headers.get("referer"), "/complaints"),
            )
        )

    def owned(self, model: type[M], raw_id: str, entity: str) -> M:
        """A row of this workspace; another workspace's id reads as not found, like a typo."""
        with self.answering():
            if not raw_id.isdigit() or len(raw_id) > 12:
                raise NotFound(entity, raw_id)
            return get_scoped(self.s, model, self.ws, int(raw_id), entity)

    def show(self, template: str, *, status_code: int = 200, **context: Any) -> Response:
        tabs = [
            (key, path) for key, path, perm in TABS if self.principal.can(perm)
        ]  # the review queue is a manager's
        win = self.window
        context.setdefault(
            "window_text",
            self.t("complaints.window", start=win.start, end=win.end, days=win.days) if win else "",
        )
        return render(
            self.request,
            template,
            self.locale,
            status_code=status_code,
            viewer=page_viewer(self.s, self.principal, active="complaints"),
            tab=self.tab,
            tabs=tabs,
            fmt=self.fmt,
            lbl=self.label,
            line_name=self.line_name,
            user_name=self.user_name,
            number=_number,
            can_write=self.can_write,
            can_manage=self.can_manage,
            window=win,
            action=self.request.url.path,
            q=self.request.query_params,
            **context,
        )


def _local(url: str | None, default: str) -> str:
    """The path of a (referring) URL when it is on this site, for a "back" link."""
    if not url:
        return default
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, default=default)


def _number(case_or_id: Case | int) -> str:
    if isinstance(case_or_id, Case):
        return service.case_number(case_or_id)
    return f"C{int(case_or_id):06d}"


def _count(s: DbSession, stmt: Select[Any]) -> int:
    return int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _pager(path: str, params: dict[str, Any], number: int, total: int) -> dict[str, Any]:
    query = {k: v for k, v in params.items() if v not in (None, "", False)}

    def url(n: int) -> str:
        return f"{path}?{urlencode({**query, 'page': n})}"

    return {
        "page": number,
        "total": total,
        "prev_url": url(number - 1) if number > 1 else None,
        "next_url": url(number + 1) if number * PAGE_SIZE < total else None,
    }


def _form_id(raw: str, field: str, page: Page) -> int | None:
    """An optional id from a form field; anything but digits is a clear refusal."""
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        raise BadRequest("complaints.error.id", field=page.t(field), value=value)
    return int(value)


def _case_ids(raw: str) -> list[int]:
    """ "C000012, 15 C000020" -> [12, 15, 20]: numbers as the pages write them, or plain ids."""
    parts = [p for p in re.split(r"[\s,，;；、]+", raw.strip()) if p]
    ids = []
    for part in parts:
        m = _CASE_NUMBER.match(part)
        if m is None:
            raise BadRequest("complaints.error.ids", value=raw.strip()[:200])
        ids.append(int(m.group(1)))
    if not ids:
        raise BadRequest("complaints.error.ids", value=raw.strip()[:200])
    return ids


# --- charts ---------------------------------------------------------------------------------


def _heat_map(page: Page, grid: g.Grid) -> str:
    """Rows: product lines and "unknown"; columns: the four categories; count and rate."""
    rows: list[tuple[int | None, str]] = [(ln.id, ln.name) for ln in grid.lines]
    rows.append((None, page.t("complaints.unknown_line")))
    data = []
    top = 1
    for y, (line_id, name) in enumerate(rows):
        for x, cat in enumerate(CATEGORIES):
            n = grid.count(category=cat, product_line_id=line_id)
            rate = grid.per_10k(line_id, cat) if line_id is not None else None
            top = max(top, n)
            data.append(
                {
                    "value": [x, y, n],
                    "name": page.t(
                        "complaints.grid.tip",
                        line=name,
                        category=page.label("category", cat),
                        count=page.fmt.count(n),
                        rate=page.fmt.num(rate),
                    ),
                }
            )
    return _chart(
        {
            "tooltip": {"trigger": "item", "formatter": "{b}"},
            "grid": {"left": 110, "right": 16, "top": 8, "bottom": 64},
            "xAxis": {
                "type": "category",
                "data": [page.label("category", c) for c in CATEGORIES],
                "splitArea": {"show": True},
            },
            "yAxis": {
                "type": "category",
                "inverse": True,
                "data": [name for _, name in rows],
                "splitArea": {"show": True},
            },
            "visualMap": {
                "min": 0,
                "max": top,
                "calculable": True,
                "orient": "horizontal",
                "left": "center",
                "bottom": 0,
                "inRange": {"color": ["#f2fbf9", "#7cc8bb", "#0f7a6c"]},
            },
            "series": [{"type": "heatmap", "data": data, "label": {"show": True}}],
        }
    )


def _pareto_label(page: Page, item: an.ParetoItem, by: str) -> str:
    cat = page.label("category", item.category or "unknown")
    if by == "category":
        return cat
    if by == "subcategory":
        return f"{cat} / {item.subcategory or '—'}"
    if by == "product_line":
        return page.line_name(item.product_line_id)
    if by == "channel":
        return page.label("channel", item.channel)
    if by == "tier":
        return page.label("tier", item.tier)
    return f"{cat} × {page.line_name(item.product_line_id)}"


def _pareto_chart(page: Page, labels: list[str], items: Sequence[an.ParetoItem]) -> str:
    """Bars (count) with the cumulative share as a line on a 0-100% axis and the 80% line."""
    return _chart(
        {
            "color": [COLORS[0], COLORS[2]],
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 48, "right": 48, "top": 36, "bottom": 72},
            "xAxis": {
                "type": "category",
                "data": labels,
                "axisLabel": {"interval": 0, "rotate": 30 if len(labels) > 5 else 0},
            },
            "yAxis": [
                {"type": "value", "minInterval": 1},
                {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
            ],
            "series": [
                {
                    "type": "bar",
                    "name": page.t("complaints.col.count"),
                    "data": [i.count for i in items],
                },
                {
                    "type": "line",
                    "name": page.t("complaints.chart.cumulative"),
                    "yAxisIndex": 1,
                    "data": [round(i.cumulative_share * 100, 1) for i in items],
                    "markLine": {
                        "symbol": "none",
                        "silent": True,
                        "data": [{"yAxis": 80}],
                        "label": {"formatter": "80%"},
                        "lineStyle": {"type": "dashed", "color": ALERT_RED},
                    },
                },
            ],
        }
    )


@dataclass(frozen=True)
class Point:
    """One day of a control chart, from a computed chart or an alert's stored evidence."""

    day: str
    count: int | None
    orders: float | None
    rate: float | None
    center: float | None
    ucl: float | None
    lcl: float | None
    signals: tuple[str, ...]
    alert: bool
    missing: str | None


def _control_chart(page: Page, points: Sequence[Point], *, counts: bool) -> str:
    """Rate per 10,000 orders (or counts, c chart) with centre, UCL and LCL; alerts pinned,
    missing days left as gaps and marked at zero with the reason in their tooltip."""
    t, fmt = page.t, page.fmt
    days = [p.day for p in points]
    rates: list[Any] = []
    missing: list[dict[str, Any]] = []
    pins: list[dict[str, Any]] = []
    for p in points:
        tip = [p.day]
        if p.count is not None:
            tip.append(t("complaints.chart.tip_count", count=fmt.count(p.count)))
        if p.orders is not None and not counts:
            tip.append(t("complaints.chart.tip_orders", orders=fmt.count(p.orders)))
        if p.rate is not None and not counts:
            tip.append(t("complaints.chart.tip_rate", rate=fmt.num(p.rate)))
        if p.center is not None:
            tip.append(
                t("complaints.chart.tip_limits", center=fmt.num(p.center), ucl=fmt.num(p.ucl))
            )
        if p.signals:
            tip.append(", ".join(page.label("rule", r) for r in p.signals))
        if p.missing:
            tip.append(page.label("missing", p.missing))
        name = " · ".join(tip)
        if p.rate is None:
            rates.append(None)  # a gap: nothing to divide by, or no count
            missing.append({"value": [p.day, 0], "name": name})
        else:
            rates.append({"value": round(p.rate, 3), "name": name})
        if p.alert and p.rate is not None:
            pins.append(
                {
                    "coord": [p.day, round(p.rate, 3)],
                    "value": p.count,
                    "name": name,
                    "itemStyle": {"color": ALERT_RED},
                }
            )

    def limit(values: list[float | None], name: str, color: str) -> dict[str, Any]:
        return {
            "type": "line",
            "name": name,
            "data": [_round(v, 3) for v in values],
            "showSymbol": False,
            "silent": True,
            "tooltip": {"show": False},
            "lineStyle": {"type": "dashed", "width": 1, "color": color},
            "itemStyle": {"color": color},
        }

    series: list[dict[str, Any]] = [
        {
            "type": "line",
            "name": t("complaints.chart.count" if counts else "complaints.chart.rate"),
            "data": rates,
            "connectNulls": False,
            "showSymbol": len(points) <= 60,
            "itemStyle": {"color": COLORS[0]},
            "markPoint": {"symbol": "pin", "symbolSize": 34, "data": pins},
        },
        limit([p.center for p in points], t("complaints.chart.center"), "#667085"),
        limit([p.ucl for p in points], t("complaints.chart.ucl"), ALERT_RED),
    ]
    if any(p.lcl is not None for p in points):  # an alert's evidence keeps no LCL
        series.append(limit([p.lcl for p in points], t("complaints.chart.lcl"), "#2e90fa"))
    if missing:
        series.append(
            {
                "type": "scatter",
                "name": t("complaints.chart.missing"),
                "data": missing,
                "symbol": "emptyCircle",
                "symbolSize": 6,
                "itemStyle": {"color": "#98a2b3"},
            }
        )
    return _chart(
        {
            "tooltip": {"trigger": "item", "formatter": "{b}"},
            "legend": {"top": 0},
            "grid": {"left": 48, "right": 16, "top": 36, "bottom": 28},
            "xAxis": {"type": "category", "data": days},
            "yAxis": {"type": "value", "min": 0},
            "series": series,
        }
    )


def _points_of(cc: spc.CellChart) -> list[Point]:
    return [
        Point(
            p.period.isoformat(),
            p.count,
            p.exposure,
            p.rate,
            p.center,
            p.ucl,
            p.lcl,
            p.signals,
            p.alert,
            p.missing_reason,
        )
        for p in cc.chart.points
    ]


def _evidence_points(alert: ComplaintAlert) -> list[Point]:
    first, last = alert.first_period.isoformat(), alert.last_period.isoformat()
    out = []
    for p in (alert.evidence or {}).get("points", []):
        day = str(p.get("day", ""))
        signals = tuple(str(r) for r in p.get("signals") or ())
        out.append(
            Point(
                day,
                p.get("count"),
                p.get("orders"),
                p.get("rate"),
                p.get("center"),
                p.get("ucl"),
                None,
                signals,
                bool(signals) and first <= day <= last,
                p.get("missing"),
            )
        )
    return out


# --- overview ---------------------------------------------------------------------------------


@router.get("/complaints")
def overview(request: Request, s: DbSession) -> Response:
    """KPI cards, the classification grid as a heat map, a small Pareto and the active alerts."""
    page = Page(request, s, "overview")
    win = page.read_window()
    tier = page.choice("tier", TIERS, "complaints.col.tier")
    channel = page.choice("channel", g.CHANNELS, "complaints.col.channel")
    ws = page.ws
    prev = win.previous()
    with page.answering():
        whole = g.grid(s, ws, win.start, win.end)
        before = g.grid(s, ws, prev.start, prev.end)
        heat = (
            whole
            if tier is None and channel is None
            else g.grid(s, ws, win.start, win.end, customer_tier=tier, channel_kind=channel)
        )
        silent = an.silent_dissatisfaction(s, ws, win.start, win.end)
        par = an.pareto(s, ws, win.start, win.end, "cell")
    alerts, active = fetch_page(
        s,
        spc.alert_query(ws, status="active"),
        ALERTS_SHOWN,
        0,
        ComplaintAlert.last_period.desc(),
        ComplaintAlert.id.desc(),
    )
    overdue = _count(s, service.case_query(ws, service.CaseFilter(overdue=True)))
    change = (whole.total - before.total) / before.total if before.total else None
    if silent.complaint_rate is None:
        silent_reason = page.t("complaints.silent.no_detractors")
    elif silent.complaint_rate == 0:
        silent_reason = page.t("complaints.silent.zero_rate")
    else:
        silent_reason = ""
    top = par.items[:SMALL_PARETO_BARS]
    return page.show(
        "complaints/overview.html",
        total=whole.total,
        previous=before.total,
        prev=prev,
        change=change,
        change_css="" if change is None else ("is-worse" if change > 0 else "is-better"),
        active=active,
        overdue=overdue,
        silent=silent,
        silent_reason=silent_reason,
        silent_method=page.t(
            "complaints.silent.method",
            csat=silent.csat_detractor_max,
            anger=silent.anger_threshold,
        ),
        heat_chart=_heat_map(page, heat),
        filters={"tier": tier or "", "channel": channel or ""},
        tiers=TIERS,
        channels=g.CHANNELS,
        pareto_chart=_pareto_chart(page, [_pareto_label(page, i, "cell") for i in top], top),
        pareto_total=par.total,
        alerts=alerts,
        cell_label=page.cell_label,
    )


# --- cases ------------------------------------------------------------------------------------


def _case_filter(page: Page) -> tuple[service.CaseFilter, dict[str, Any]]:
    q = page.request.query_params
    overdue = q.get("overdue", "") in ("1", "on", "true")
    text = q.get("q", "").strip()[:100]
    f = service.CaseFilter(
        kind=page.choice("kind", KINDS, "complaints.col.kind"),
        status=page.choice("status", STATUSES, "complaints.col.status"),
        category=page.choice("category", CATEGORIES, "complaints.col.category"),
        product_line_id=page.ident("product_line", "complaints.col.product_line"),
        customer_tier=page.choice("tier", TIERS, "complaints.col.tier"),
        channel_kind=page.choice("channel", g.CHANNELS, "complaints.col.channel"),
        owner_id=page.ident("owner", "complaints.col.owner"),
        overdue=True if overdue else None,
        q=text or None,
    )
    raw = {
        "kind": f.kind or "",
        "status": f.status or "",
        "category": f.category or "",
        "product_line": f.product_line_id or "",
        "tier": f.customer_tier or "",
        "channel": f.channel_kind or "",
        "owner": f.owner_id or "",
        "overdue": "1" if overdue else "",
        "q": text,
    }
    return f, raw


@router.get("/complaints/cases")
def case_list(request: Request, s: DbSession) -> Response:
    page = Page(request, s, "cases")
    f, raw = _case_filter(page)
    number = page.page_number()
    rows, total = fetch_page(
        s,
        service.case_query(page.ws, f),
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
        Case.received_at.desc(),
        Case.id.desc(),
    )
    now = datetime.now(page.zone)
    return page.show(
        "complaints/cases.html",
        rows=rows,
        filters=raw,
        overdue_ids={
            c.id
            for c in rows
            if c.due_at is not None and c.due_at < now and c.status not in ("resolved", "closed")
        },
        kinds=KINDS,
        statuses=STATUSES,
        categories=CATEGORIES,
        severities=SEVERITIES,
        tiers=TIERS,
        channels=g.CHANNELS,
        lines=page.lines,
        owners=page.users,
        **_pager("/complaints/cases", raw, number, total),
    )


@router.post("/complaints/cases")
def case_create(
    request: Request,
    s: DbSession,
    kind: Annotated[str, Form()] = "complaint",
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    customer_id: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    product_line: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "normal",
) -> Response:
    """A new case from the form; an empty category lets the workspace's classifier suggest."""
    page = Page(request, s, "cases", WRITE, post=True)
    with page.answering():
        case, _ = service.create_case(
            s,
            page.ws,
            service.Intake(
                kind=kind,
                title=title,
                description=description,
                source="agent",
                customer_id=_form_id(customer_id, "complaints.col.customer", page),
                category=category or None,
                product_line_id=_form_id(product_line, "complaints.col.product_line", page),
                severity=severity,
            ),
            actor_id=page.principal.user_id,
            suggester=suggester_for(s, page.ws),
        )
    return redirect(f"/complaints/cases/{case.id}")


@dataclass(frozen=True)
class EventLine:
    id: int
    kind: str
    label: str
    at: str
    actor: str
    body: str
    detail: str
    duplicate: str  # the merged duplicate's number when the event happened there


def _event_detail(page: Page, ev: CaseEvent) -> str:
    """What the event changed, in words (the body, if any, is shown as written)."""
    data = ev.data or {}
    t = page.t
    if ev.kind == "status":
        return f"{page.label('status', data.get('from'))} → {page.label('status', data.get('to'))}"
    if ev.kind == "assigned":
        return page.user_name(data.get("owner_id"))
    if ev.kind == "reassigned":
        return f"{page.user_name(data.get('from'))} → {page.user_name(data.get('to'))}"
    if ev.kind == "classified":
        after = data.get("after") or {}
        text = (
            f"{page.label('category', after.get('category'))} / "
            f"{page.line_name(after.get('product_line_id'))}"
        )
        return text + (t("complaints.case.corrected") if after.get("corrected") else "")
    if ev.kind == "merged":
        if data.get("into") is not None:
            return "→ " + _number(int(data["into"]))
        return ", ".join(_number(int(i)) for i in data.get("merged") or [])
    if ev.kind in ("linked", "unlinked"):
        if data.get("parent_id") is not None:
            return "↑ " + _number(int(data["parent_id"]))
        return ", ".join(_number(int(i)) for i in data.get("children") or [])
    if ev.kind == "reviewed":
        return t("complaints.case.agrees" if data.get("agrees") else "complaints.case.disagrees")
    return ""


@router.get("/complaints/cases/{case_id}")
def case_detail(case_id: str, request: Request, s: DbSession) -> Response:
    """The case, its timeline (with merged duplicates') and the forms that move it along."""
    page = Page(request, s, "cases")
    case = page.owned(Case, case_id, "case")
    ws = page.ws
    events = [
        EventLine(
            ev.id,
            ev.kind,
            page.label("event", ev.kind),
            page.fmt.when(ev.created_at),
            page.user_name(ev.actor_id) if ev.actor_id else page.t("complaints.case.system"),
            ev.body,
            _event_detail(page, ev),
            _number(ev.case_id) if ev.case_id != case.id else "",
        )
        for ev in service.timeline(s, ws, case.id)
    ]
    records = list(
        s.scalars(
            recovery.recovery_query(ws, case_id=case.id).order_by(
                RecoveryRecord.created_at.desc(), RecoveryRecord.id.desc()
            )
        )
    )
    related = scoped(Case, ws).order_by(Case.id)
    children = list(s.scalars(related.where(Case.parent_id == case.id)))
    duplicates = list(s.scalars(related.where(Case.merged_into_id == case.id)))
    customer = None
    if case.customer_id is not None:
        customer = s.scalar(scoped(Customer, ws).where(Customer.id == case.customer_id))
    active_users = dict(
        s.execute(
            select(User.id, User.name)
            .where(User.workspace_id == ws, User.is_active.is_(True))
            .order_by(User.name)
        ).all()
    )
    now = datetime.now(page.zone)
    return page.show(
        "complaints/case.html",
        case=case,
        events=events,
        records=records,
        children=children,
        duplicates=duplicates,
        customer=customer,
        overdue=case.due_at is not None
        and case.due_at < now
        and case.status not in ("resolved", "closed"),
        next_statuses=service.TRANSITIONS.get(case.status, ()),
        active_users=active_users,
        categories=CATEGORIES,
        lines=page.lines,
        root_causes=ROOT_CAUSES,
        actions=ACTIONS,
        outcomes=OUTCOMES,
        editable=page.can_write and case.merged_into_id is None,
        saved=request.query_params.get("saved", ""),
    )


def _back(case_id: int, what: str) -> Response:
    return redirect(f"/complaints/cases/{case_id}?saved={what}#{what}")


@router.post("/complaints/cases/{case_id}/status")
def case_status(
    case_id: str,
    request: Request,
    s: DbSession,
    status: Annotated[str, Form()] = "",
    resolution: Annotated[str, Form()] = "",
) -> Response:
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    with page.answering():
        service.change_status(
            s, page.ws, case.id, status, actor_id=page.principal.user_id, resolution=resolution
        )
    return _back(case.id, "status")


@router.post("/complaints/cases/{case_id}/assign")
def case_assign(
    case_id: str,
    request: Request,
    s: DbSession,
    owner: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    with page.answering():
        owner_id = _form_id(owner, "complaints.col.owner", page)
        if owner_id is None:
            raise BadRequest("complaints.error.id", field=page.t("complaints.col.owner"), value="")
        service.assign(
            s, page.ws, case.id, owner_id, actor_id=page.principal.user_id, reason=reason
        )
    return _back(case.id, "assign")


@router.post("/complaints/cases/{case_id}/note")
def case_note(
    case_id: str, request: Request, s: DbSession, body: Annotated[str, Form()] = ""
) -> Response:
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    with page.answering():
        service.add_entry(s, page.ws, case.id, "note", body, actor_id=page.principal.user_id)
    return _back(case.id, "note")


@router.post("/complaints/cases/{case_id}/classify")
def case_classify(
    case_id: str,
    request: Request,
    s: DbSession,
    category: Annotated[str, Form()] = "",
    product_line: Annotated[str, Form()] = "",
    subcategory: Annotated[str, Form()] = "",
) -> Response:
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    with page.answering():
        service.classify(
            s,
            page.ws,
            case.id,
            category=category,
            product_line_id=_form_id(product_line, "complaints.col.product_line", page),
            subcategory=subcategory,
            actor_id=page.principal.user_id,
        )
    return _back(case.id, "classify")


@router.post("/complaints/cases/{case_id}/merge")
def case_merge(
    case_id: str, request: Request, s: DbSession, ids: Annotated[str, Form()] = ""
) -> Response:
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    with page.answering():
        service.merge(s, page.ws, case.id, _case_ids(ids), actor_id=page.principal.user_id)
    return _back(case.id, "merge")


@router.post("/complaints/cases/{case_id}/link")
def case_link(
    case_id: str, request: Request, s: DbSession, ids: Annotated[str, Form()] = ""
) -> Response:
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    with page.answering():
        service.link(s, page.ws, case.id, _case_ids(ids), actor_id=page.principal.user_id)
    return _back(case.id, "link")


@router.post("/complaints/cases/{case_id}/unlink")
def case_unlink(case_id: str, request: Request, s: DbSession) -> Response:
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    with page.answering():
        service.unlink(s, page.ws, case.id, actor_id=page.principal.user_id)
    return _back(case.id, "link")


@router.post("/complaints/cases/{case_id}/recovery")
def case_recovery(
    case_id: str,
    request: Request,
    s: DbSession,
    root_cause: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    cost: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "pending",
    cause_detail: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """A recovery for this case: the first settles the pending record the complaint opened
    with (root cause, action, cost, outcome); later ones are further actions."""
    page = Page(request, s, "cases", WRITE, post=True)
    case = page.owned(Case, case_id, "case")
    pending = s.scalar(
        select(RecoveryRecord).where(
            RecoveryRecord.workspace_id == page.ws,
            RecoveryRecord.case_id == case.id,
            RecoveryRecord.action == "",
        )
    )
    with page.answering():
        if pending is not None and action:
            recovery.decide(
                s,
                pending,
                root_cause=root_cause,
                action=action,
                cost=cost.strip() or 0,
                outcome=outcome,
                cause_detail=cause_detail,
                owner_id=page.principal.user_id,
            )
            if note.strip():
                pending.note = note.strip()
            return _back(case.id, "recovery")
        recovery.record(
            s,
            page.ws,
            source_kind="case",
            source_id=case.id,
            root_cause=root_cause,
            action=action,
            cost=cost.strip() or 0,
            outcome=outcome,
            cause_detail=cause_detail,
            note=note,
            owner_id=page.principal.user_id,
            case=case,
        )
    return _back(case.id, "recovery")


@router.post("/complaints/recovery/{recovery_id}/outcome")
def recovery_outcome(
    recovery_id: str,
    request: Request,
    s: DbSession,
    outcome: Annotated[str, Form()] = "",
) -> Response:
    """Record how a recovery ended; back to its case (or the log)."""
    page = Page(request, s, "recovery", WRITE, post=True)
    rec = page.owned(RecoveryRecord, recovery_id, "recovery")
    with page.answering():
        recovery.update(s, page.ws, rec.id, {"outcome": outcome})
    if rec.case_id is not None:
        return _back(rec.case_id, "recovery")
    return redirect("/complaints/recovery")


# --- control charts ----------------------------------------------------------------------------


@router.get("/complaints/charts")
def charts_page(request: Request, s: DbSession) -> Response:
    """One chart per cell of the chosen dimension (or the chosen cell), judged like detection:
    by default over the same history the daily detection reads, so points and alerts agree."""
    page = Page(request, s, "charts")
    win = page.read_window(days=spc.HISTORY_DAYS)
    dimension = page.choice("dimension", g.DIMENSIONS, "complaints.col.dimension")
    dimension = dimension or "product_line"
    cell = request.query_params.get("cell", "").strip()
    with page.answering():
        ccs = spc.charts(s, page.ws, dimension, win.start, win.end)
    cells = [(cc.series.key, page.cell_label(cc.series.cell)) for cc in ccs]
    shown = [cc for cc in ccs if not cell or cc.series.key == cell]
    if cell and not shown:
        raise page.refuse(BadRequest("complaints.error.cell", value=cell))
    charts = []
    for i, cc in enumerate(shown):
        counts = cc.chart.kind == "c"
        charts.append(
            {
                "id": f"chart-{i}",
                "key": cc.series.key,
                "label": page.cell_label(cc.series.cell),
                "option": _control_chart(page, _points_of(cc), counts=counts),
                "note": page.t("complaints.charts.c_note") if counts else "",
                "kind": cc.chart.kind,
                "alerts": sum(1 for p in cc.chart.points if p.alert),
                "total": sum(cc.series.counts),
                "early": sum(
                    1 for p in cc.chart.points if p.missing_reason == INSUFFICIENT_BASELINE
                ),
            }
        )
    return page.show(
        "complaints/charts.html",
        dimension=dimension,
        dimensions=g.DIMENSIONS,
        cell=cell,
        cells=cells,
        charts=charts,
    )


# --- alerts --------------------------------------------------------------------------------------


@router.get("/complaints/alerts")
def alerts_page(request: Request, s: DbSession) -> Response:
    page = Page(request, s, "alerts")
    status = page.choice("status", ALERT_FILTERS, "complaints.col.status") or "active"
    dimension = page.choice("dimension", g.DIMENSIONS, "complaints.col.dimension")
    number = page.page_number()
    rows, total = fetch_page(
        s,
        spc.alert_query(page.ws, status=None if status == "all" else status, dimension=dimension),
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
        ComplaintAlert.last_period.desc(),
        ComplaintAlert.id.desc(),
    )
    q = request.query_params
    detected = None
    if q.get("raised", "").isdigit():
        detected = page.t(
            "complaints.alerts.detected",
            raised=q.get("raised"),
            updated=q.get("updated", "0") if q.get("updated", "0").isdigit() else "0",
            charts=q.get("charts", "0") if q.get("charts", "0").isdigit() else "0",
        )
    raw = {"status": status, "dimension": dimension or ""}
    return page.show(
        "complaints/alerts.html",
        rows=rows,
        filters=raw,
        statuses=ALERT_FILTERS,
        dimensions=g.DIMENSIONS,
        cell_label=page.cell_label,
        detected=detected,
        yesterday=page.yesterday().isoformat(),
        **_pager("/complaints/alerts", raw, number, total),
    )


@router.post("/complaints/alerts/detect")
def alerts_detect(request: Request, s: DbSession) -> Response:
    """Run the daily detection now, up to yesterday, and say how many alerts it raised."""
    page = Page(request, s, "alerts", MANAGE, post=True)
    with page.answering():
        found = spc.detect(s, page.ws, page.yesterday())
    query = urlencode(
        {"raised": len(found.raised), "updated": len(found.updated), "charts": found.charts}
    )
    return redirect(f"/complaints/alerts?{query}")


@router.get("/complaints/alerts/{alert_id}")
def alert_detail(alert_id: str, request: Request, s: DbSession) -> Response:
    """The alert with its evidence: the chart up to it, observed vs expected, sample cases."""
    page = Page(request, s, "alerts")
    alert = page.owned(ComplaintAlert, alert_id, "complaint_alert")
    ev = alert.evidence or {}
    points = _evidence_points(alert)
    counts = ev.get("chart") == "c"
    moves = [m for m in spc.TRANSITIONS.get(alert.status, ()) if m in ("acknowledged", "closed")]
    return page.show(
        "complaints/alert.html",
        alert=alert,
        label=page.cell_label(alert.cell or {}),
        rules=[(r, page.label("rule", r), page.label("rule_text", r)) for r in alert.rules],
        all_rules=RULES,
        evidence=ev,
        ratio=ev.get("ratio"),
        subcategories=[(str(k), int(n)) for k, n in ev.get("top_subcategories") or []],
        samples=[int(i) for i in ev.get("sample_case_ids") or []],
        evidence_chart=_control_chart(page, points, counts=counts) if points else "",
        note=page.t("complaints.charts.c_note") if counts else "",
        moves=moves,
        saved=request.query_params.get("saved", ""),
    )


@router.post("/complaints/alerts/{alert_id}/status")
def alert_status(
    alert_id: str,
    request: Request,
    s: DbSession,
    status: Annotated[str, Form()] = "",
    resolution: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
) -> Response:
    """Acknowledge or close (with the resolution) and, with either, move it to a department."""
    page = Page(request, s, "alerts", MANAGE, post=True)
    alert = page.owned(ComplaintAlert, alert_id, "complaint_alert")
    dept = department.strip()
    with page.answering():
        spc.set_alert_status(
            s,
            page.ws,
            alert.id,
            status,
            actor_id=page.principal.user_id,
            resolution=resolution,
            department=dept if dept and dept != alert.department else None,
        )
    return redirect(f"/complaints/alerts/{alert.id}?saved=1")


# --- Pareto -------------------------------------------------------------------------------------


@router.get("/complaints/pareto")
def pareto_page(request: Request, s: DbSession) -> Response:
    """The vital few, who complains against who pays, what to fix first, and the root causes."""
    page = Page(request, s, "pareto")
    win = page.read_window()
    by = page.choice("by", an.PARETO_BY, "complaints.pareto.by") or "category"
    ws = page.ws
    min_repeat = service.settings_of(s, ws).min_repeat
    with page.answering():
        par = an.pareto(s, ws, win.start, win.end, by)
        value = an.customer_value_pareto(s, ws, win.start, win.end)
        fixes = an.fix_ranking(s, ws, win.start, win.end)
        causes = an.root_causes(s, ws, win.start, win.end, min_repeat=min_repeat)
    items = [(i, _pareto_label(page, i, by)) for i in par.items]
    bars = items[:PARETO_BARS]
    return page.show(
        "complaints/pareto.html",
        by=by,
        by_choices=an.PARETO_BY,
        pareto=par,
        items=items,
        pareto_chart=_pareto_chart(page, [label for _, label in bars], [i for i, _ in bars]),
        value=value,
        fixes=fixes,
        fix_label=lambda r: (
            f"{page.label('category', r.category or 'unknown')} / {r.subcategory or '—'}"
        ),
        causes=causes,
        min_repeat=min_repeat,
    )


# --- recovery -------------------------------------------------------------------------------


@router.get("/complaints/recovery")
def recovery_page(request: Request, s: DbSession) -> Response:
    """The recovery log with its totals, and the resolved complaints nobody tried to win back."""
    page = Page(request, s, "recovery")
    ws = page.ws
    outcome = page.choice("outcome", OUTCOMES, "complaints.col.outcome")
    root_cause = page.choice("root_cause", ROOT_CAUSES, "complaints.col.root_cause")
    source = page.choice("source", FAILURE_SOURCES, "complaints.col.source_kind")
    stmt = recovery.recovery_query(ws, source_kind=source, outcome=outcome, root_cause=root_cause)
    number = page.page_number()
    rows, total = fetch_page(
        s,
        stmt,
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
        RecoveryRecord.created_at.desc(),
        RecoveryRecord.id.desc(),
    )
    sub = stmt.subquery()
    by_outcome = {
        str(o): (int(n), Decimal(str(c or 0)))
        for o, n, c in s.execute(
            select(sub.c.outcome, func.count(), func.sum(sub.c.cost)).group_by(sub.c.outcome)
        ).all()
    }
    cost = sum((c for _, c in by_outcome.values()), Decimal("0")).quantize(Decimal("0.01"))
    won = by_outcome.get("recovered", (0, Decimal(0)))[0]
    lost = by_outcome.get("not_recovered", (0, Decimal(0)))[0]
    raw = {"outcome": outcome or "", "root_cause": root_cause or "", "source": source or ""}
    return page.show(
        "complaints/recovery.html",
        rows=rows,
        filters=raw,
        outcomes=OUTCOMES,
        root_causes=ROOT_CAUSES,
        sources=FAILURE_SOURCES,
        totals=page.t(
            "complaints.recovery.totals",
            count=page.fmt.count(total),
            cost=page.fmt.money(cost),
            share=page.fmt.share(won / (won + lost) if won + lost else None),
        ),
        without=recovery.cases_without_recovery(s, ws),
        **_pager("/complaints/recovery", raw, number, total),
    )


# --- feature requests ----------------------------------------------------------------------------


@router.get("/complaints/requests")
def requests_page(request: Request, s: DbSession) -> Response:
    page = Page(request, s, "requests")
    win = page.read_window()
    with page.answering():
        found = an.feature_requests(s, page.ws, win.start, win.end)
    return page.show("complaints/requests.html", found=found)


# --- QA review ------------------------------------------------------------------------------


@router.get("/complaints/review")
def review_page(request: Request, s: DbSession) -> Response:
    """The sampled cases a second person classifies blind, and how often the two agree."""
    page = Page(request, s, "review", MANAGE)
    number = page.page_number()
    rows, total = fetch_page(
        s,
        service.case_query(page.ws, service.CaseFilter(review_status="queued")),
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
        Case.id,
    )
    return page.show(
        "complaints/review.html",
        rows=rows,
        agreement=service.agreement(s, page.ws),
        categories=CATEGORIES,
        lines=page.lines,
        **_pager("/complaints/review", {}, number, total),
    )


@router.post("/complaints/review/{case_id}")
def review_submit(
    case_id: str,
    request: Request,
    s: DbSession,
    category: Annotated[str, Form()] = "",
    product_line: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    page = Page(request, s, "review", MANAGE, post=True)
    case = page.owned(Case, case_id, "case")
    reviewer = page.principal.user_id
    with page.answering():
        if reviewer is None:  # an API key is nobody: a second review needs a person
            raise BadRequest(detail="a second review needs a signed-in person")
        service.submit_review(
            s,
            page.ws,
            case.id,
            reviewer_id=reviewer,
            category=category,
            product_line_id=_form_id(product_line, "complaints.col.product_line", page),
            note=note,
        )
    return redirect("/complaints/review?saved=1")


# --- the daily warning --------------------------------------------------------------------------


def _day(page: Page, raw: str | None) -> date:
    value = (raw or "").strip()
    if not value:
        return page.yesterday()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise page.refuse(
            BadRequest("complaints.error.date", field=page.t("complaints.filter.day"), value=value)
        ) from None


def _warning_view(page: Page, day: date, *, status_code: int = 200, **extra: Any) -> Response:
    with page.answering():
        w = warning.build(page.s, page.ws, day)
    hot = [
        (
            h,
            f"{page.line_name(h.product_line_id)} / {page.label('category', h.category)}",
        )
        for h in w.hot_spots
    ]
    extra.setdefault("sent", None)
    extra.setdefault("send_error", "")
    extra.setdefault("recipients", "")
    return page.show(
        "complaints/warning.html",
        status_code=status_code,
        w=w,
        day=day.isoformat(),
        hot=hot,
        cell_label=page.cell_label,
        configured=", ".join(service.settings_of(page.s, page.ws).recipients),
        xlsx_url=f"/complaints/warning.xlsx?{urlencode({'day': day.isoformat()})}",
        **extra,
    )


@router.get("/complaints/warning")
def warning_page(request: Request, s: DbSession) -> Response:
    page = Page(request, s, "warning")
    return _warning_view(page, _day(page, request.query_params.get("day")))


@router.get("/complaints/warning.xlsx")
def warning_xlsx(request: Request, s: DbSession) -> Response:
    """The warning as a workbook (summary, alerts, hot spots, overdue cases)."""
    page = Page(request, s, "warning")
    day = _day(page, request.query_params.get("day"))
    with page.answering():
        w = warning.build(s, page.ws, day)
        content = warning.xlsx(w, page.locale)
    name = f"{warning.title(w, page.locale)}.xlsx".replace(" ", "_")
    return attachment(content, XLSX, f"complaint-warning-{day.isoformat()}.xlsx", name)


@router.post("/complaints/warning/send")
def warning_send(
    request: Request,
    s: DbSession,
    day: Annotated[str, Form()] = "",
    recipients: Annotated[str, Form()] = "",
) -> Response:
    """E-mail the warning (the XLSX attached) and say who got it, or why it was not sent."""
    page = Page(request, s, "warning", MANAGE, post=True)
    when = _day(page, day)
    to = [r.strip() for r in re.split(r"[,，;；\n]+", recipients) if r.strip()]
    result: SendResult | None = None
    error = ""
    status_code = 200
    try:
        result = warning.send(
            s, page.ws, when, request_settings(request), locale=page.locale, recipients=to or None
        )
    except MailError as exc:
        error, status_code = page.t("complaints.warning.failed", reason=str(exc)), 502
    except AppError as exc:
        error = page.t("complaints.warning.failed", reason=page.message(exc))
        status_code = exc.status_code
    return _warning_view(
        page,
        when,
        status_code=status_code,
        sent=result,
        send_error=error,
        recipients=recipients,
    )
