"""Retention pages: the churn-risk list, customer 360, segments, follow-ups, win-back, economics.

Thin: reads go through the crm services and the same scoped queries as the API; writes go
through the service functions; every form post is checked for cross-site origin by the guard.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy import func, select

from liuke.complaints.models import OPEN_STATUSES, Case
from liuke.conversations.models import Conversation
from liuke.core.db import utcnow
from liuke.core.errors import AppError, BadRequest
from liuke.core.i18n import error_text, translate
from liuke.core.pagination import fetch_page
from liuke.core.tenancy import get_scoped, scoped
from liuke.crm import economics, followups, profiles, risk, winback
from liuke.crm import segment_store as store
from liuke.crm.messages import note_text  # (importing it registers the page strings)
from liuke.crm.models import (
    CHURN_REASONS,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_OUTCOMES,
    Campaign,
    ChurnRecord,
    CustomerScore,
    FollowUp,
    Segment,
)
from liuke.crm.segments import SEGMENTS_CN8 as RFM_SEGMENTS
from liuke.crm.settings import settings_of
from liuke.customers.models import TIERS, Customer
from liuke.surveys.models import SurveyResponse
from liuke.web.fmt import Fmt
from liuke.web.pages import PageRoute, page_guard, page_locale, page_viewer, redirect, render
from liuke.workspaces.auth import DbSession
from liuke.workspaces.models import User
from liuke.workspaces.service import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
READ, WRITE, MANAGE = "retention.read", "retention.write", "retention.manage"
PAGE_SIZE = 50
TABS = (
    ("risk", "/customers"),
    ("segments", "/customers/segments"),
    ("followups", "/customers/follow-ups"),
    ("winback", "/customers/winback"),
    ("economics", "/customers/economics"),
)


def _chart(option: dict[str, Any]) -> str:
    """An ECharts option as JSON for a ``data-chart`` attribute (the template escapes it)."""
    return json.dumps({"animation": False, **option}, ensure_ascii=False)


class _Page:
    """One retention request: who asks, allowed what, in which language, on which clock."""

    def __init__(
        self, request: Request, s: DbSession, tab: str, permission: str = READ, post: bool = False
    ) -> None:
        self.request, self.s, self.tab = request, s, tab
        self.principal: Principal = page_guard(request, s, permission, post=post)
        self.ws = self.principal.workspace_id
        self.locale = page_locale(request, self.principal)
        self.zh = self.locale.startswith("zh")
        self.fmt = Fmt(self.locale, profiles.zone_of(s, self.ws))

    def label(self, group: str, key: str | None) -> str:
        return "—" if key is None else translate(f"retention.{group}.{key}", self.locale)

    def names(self) -> dict[int, str]:
        return dict(
            self.s.execute(select(User.id, User.name).where(User.workspace_id == self.ws)).all()
        )

    def render(self, template: str, **context: Any) -> Response:
        context.setdefault("saved", "")
        context.setdefault("subtitle", None)
        return render(
            self.request,
            template,
            self.locale,
            viewer=page_viewer(self.s, self.principal, active="customers"),
            tabs=TABS,
            tab=self.tab,
            fmt=self.fmt,
            lbl=self.label,
            note=lambda text: note_text(text, self.locale),
            zh=self.zh,
            can_write=self.principal.can(WRITE),
            can_manage=self.principal.can(MANAGE),
            **context,
        )


def _reason_text(page: _Page, reason: dict[str, Any]) -> str:
    label = reason.get("label_zh" if page.zh else "label_en") or reason.get("feature", "")
    value = reason.get("value_zh" if page.zh else "value_en", reason.get("value"))
    if isinstance(value, float):
        value = f"{value:g}" if value.is_integer() else f"{value:.1f}"
    return f"{label}: {value}" if value not in (None, "") else str(label)


def _optional_int(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadRequest(detail=f"expected a whole number, got {raw[:20]!r}")
    return int(raw)


# --- risk list -------------------------------------------------------------------------------


@router.get("/customers")
def risk_list(
    request: Request,
    s: DbSession,
    tier: Annotated[str, Query(max_length=16)] = "",
    grade: Annotated[str, Query(max_length=1)] = "",
    rfm: Annotated[str, Query(max_length=32)] = "",
    segment: Annotated[str, Query(max_length=20)] = "",
    min_probability: Annotated[float | None, Query(ge=0, le=1)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    p = _Page(request, s, "risk")
    segment_id = _optional_int(segment)
    if segment_id is not None:
        store.get_segment(s, p.ws, segment_id)
    f = profiles.ScoreFilter(
        customer_tier=tier or None,
        grade=grade or None,
        rfm_segment=rfm or None,
        segment_id=segment_id,
        min_probability=min_probability,
    )
    rows, total = fetch_page(
        s, profiles.score_query(p.ws, f), PAGE_SIZE, (page - 1) * PAGE_SIZE, *profiles.RISK_ORDER
    )
    ids = [r.customer_id for r in rows]
    customers = {c.id: c for c in s.scalars(scoped(Customer, p.ws).where(Customer.id.in_(ids)))}
    open_followups = set(
        s.scalars(
            select(FollowUp.customer_id).where(
                FollowUp.workspace_id == p.ws,
                FollowUp.customer_id.in_(ids),
                FollowUp.status == "open",
            )
        )
    )
    conf = settings_of(s, p.ws)
    summary = profiles.risk_summary(s, p.ws, conf.high_risk)
    report = risk.load_report(p.ws)
    drivers = (report or {}).get("groups") or []
    filters = {
        "tier": tier,
        "grade": grade,
        "rfm": rfm,
        "segment": segment,
        "min_probability": min_probability,
    }

    def page_url(n: int) -> str:
        query = {k: v for k, v in filters.items() if v not in (None, "")}
        return "/customers?" + urlencode({**query, "page": n})

    return p.render(
        "retention/risk.html",
        rows=[(r, customers.get(r.customer_id)) for r in rows],
        total=total,
        page=page,
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page * PAGE_SIZE < total else None,
        filters=filters,
        tiers=TIERS,
        grades=("A", "B", "C", "D"),
        rfm_segments=RFM_SEGMENTS,
        segments=list(s.scalars(store.segment_query(p.ws).order_by(Segment.code))),
        open_followups=open_followups,
        high_risk=conf.high_risk,
        scored=summary.scored,
        high=summary.high,
        at_risk=summary.revenue_at_risk,
        as_of=summary.as_of,
        model=summary.model_version or "—",
        reason_text=lambda r: _reason_text(p, r),
        drivers_chart=_drivers_chart(p, drivers) if drivers else None,
        report=report,
    )


def _drivers_chart(p: _Page, groups: list[dict[str, Any]]) -> str:
    """Each reason group's share of the model's mean absolute contribution, largest on top."""
    rows = sorted(groups, key=lambda g: float(g.get("share", 0)))
    names = [str(g.get("label_zh" if p.zh else "label_en") or g.get("group")) for g in rows]
    return _chart(
        {
            "grid": {"left": 110, "right": 20, "top": 10, "bottom": 30},
            "xAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "yAxis": {"type": "category", "data": names},
            "series": [
                {
                    "type": "bar",
                    "data": [round(float(g.get("share", 0)) * 100, 1) for g in rows],
                    "color": "#b4532a",
                }
            ],
            "tooltip": {},
        }
    )


# --- customer 360 ----------------------------------------------------------------------------


M = TypeVar("M", Conversation, Case, SurveyResponse, FollowUp)


def _latest(s: DbSession, ws: int, model: type[M], customer_id: int, newest: Any) -> list[M]:
    """The customer's 20 newest rows of one kind, for a 360 panel."""
    stmt = scoped(model, ws).where(model.customer_id == customer_id)
    return list(s.scalars(stmt.order_by(newest.desc()).limit(20)))


@router.get("/customers/{customer_id:int}")
def customer_360(request: Request, s: DbSession, customer_id: int, saved: str = "") -> Response:
    p = _Page(request, s, "risk")
    customer = get_scoped(s, Customer, p.ws, customer_id, "customer")
    score = profiles.score_of(s, p.ws, customer_id)
    conversations = _latest(s, p.ws, Conversation, customer_id, Conversation.created_at)
    cases = _latest(s, p.ws, Case, customer_id, Case.received_at)
    surveys = _latest(s, p.ws, SurveyResponse, customer_id, SurveyResponse.submitted_at)
    tasks = _latest(s, p.ws, FollowUp, customer_id, FollowUp.due_at)
    churn = s.scalar(scoped(ChurnRecord, p.ws).where(ChurnRecord.customer_id == customer_id))
    reasons = list(score.churn_reasons) if score is not None else []
    return p.render(
        "retention/customer.html",
        customer=customer,
        score=score,
        has_history=profiles.has_history(score),
        spells=store.customer_spells(s, p.ws, customer_id),
        conversations=conversations,
        cases=cases,
        open_statuses=OPEN_STATUSES,
        surveys=surveys,
        tasks=tasks,
        now=utcnow(),
        churn=churn,
        churn_reasons=CHURN_REASONS,
        outcomes=FOLLOW_UP_OUTCOMES,
        names=p.names(),
        reason_text=lambda r: _reason_text(p, r),
        reasons_chart=_reasons_chart(p, reasons) if reasons else None,
        rfm_segments=RFM_SEGMENTS,
        saved=saved,
    )


def _reasons_chart(p: _Page, reasons: list[dict[str, Any]]) -> str:
    rows = list(reversed(reasons))
    return _chart(
        {
            "grid": {"left": 150, "right": 20, "top": 10, "bottom": 30},
            "xAxis": {"type": "value", "name": "log-odds"},
            "yAxis": {"type": "category", "data": [_reason_text(p, r) for r in rows]},
            "series": [
                {
                    "type": "bar",
                    "data": [
                        {
                            "value": round(float(r.get("contribution", 0)), 3),
                            "itemStyle": {
                                "color": "#b4532a"
                                if float(r.get("contribution", 0)) > 0
                                else "#0f7a6c"
                            },
                        }
                        for r in rows
                    ],
                }
            ],
            "tooltip": {},
        }
    )


@router.post("/customers/{customer_id:int}/follow-ups")
def create_follow_up(
    request: Request,
    s: DbSession,
    customer_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
    due_days: Annotated[int, Form(ge=0, le=365)] = 2,
) -> Response:
    p = _Page(request, s, "risk", WRITE, post=True)
    get_scoped(s, Customer, p.ws, customer_id, "customer")
    followups.create(
        s,
        p.ws,
        customer_id=customer_id,
        reason=reason,
        due_at=utcnow() + timedelta(days=due_days),
        assignee_id=p.principal.user_id,
        actor_id=p.principal.user_id,
    )
    return redirect(f"/customers/{customer_id}?saved=followup#followups")


@router.post("/customers/{customer_id:int}/churn-reason")
def record_churn_reason(
    request: Request,
    s: DbSession,
    customer_id: int,
    reason: Annotated[str, Form(max_length=16)],
    detail: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    p = _Page(request, s, "winback", WRITE, post=True)
    winback.record_churn(s, p.ws, customer_id, reason, detail=detail, actor_id=p.principal.user_id)
    return redirect(f"/customers/{customer_id}?saved=churn#churn")


# --- segments --------------------------------------------------------------------------------


@router.get("/customers/segments")
def segment_list(request: Request, s: DbSession, saved: str = "", error: str = "") -> Response:
    p = _Page(request, s, "segments")
    store.ensure_system_segments(s, p.ws)
    segments = list(s.scalars(store.segment_query(p.ws).order_by(Segment.kind, Segment.code)))
    panel = profiles.value_panel(s, p.ws)
    rfm_counts = dict(
        s.execute(
            select(CustomerScore.rfm_segment, func.count())
            .where(CustomerScore.workspace_id == p.ws, CustomerScore.rfm_segment != "")
            .group_by(CustomerScore.rfm_segment)
        ).all()
    )
    return p.render(
        "retention/segments.html",
        segments=segments,
        describe=lambda sg: store.describe(sg, p.locale),
        is_system=store.is_system,
        panel=panel,
        lorenz_chart=_lorenz_chart(panel) if panel.curve else None,
        rfm_chart=_rfm_chart(p, rfm_counts) if rfm_counts else None,
        saved=saved,
        error=error,
    )


def _lorenz_chart(panel: profiles.ValuePanel) -> str:
    return _chart(
        {
            "grid": {"left": 50, "right": 20, "top": 20, "bottom": 40},
            "xAxis": {"type": "value", "min": 0, "max": 100, "name": "% customers"},
            "yAxis": {"type": "value", "min": 0, "max": 100, "name": "% revenue"},
            "series": [
                {
                    "type": "line",
                    "showSymbol": False,
                    "data": [
                        [
                            round(pt.customer_share * 100, 1),
                            round(pt.revenue_share * 100, 1),
                        ]
                        for pt in panel.curve
                    ],
                    "color": "#0f7a6c",
                    "areaStyle": {"opacity": 0.15},
                },
                {
                    "type": "line",
                    "showSymbol": False,
                    "data": [[0, 0], [100, 100]],
                    "lineStyle": {"type": "dashed"},
                    "color": "#999",
                },
            ],
            "tooltip": {"trigger": "axis"},
        }
    )


def _rfm_chart(p: _Page, counts: dict[str, int]) -> str:
    order = [k for k in RFM_SEGMENTS if k in counts] + sorted(set(counts) - set(RFM_SEGMENTS))
    labels = [RFM_SEGMENTS[k][0 if p.zh else 1] if k in RFM_SEGMENTS else k for k in order]
    return _chart(
        {
            "grid": {"left": 110, "right": 20, "top": 10, "bottom": 30},
            "xAxis": {"type": "value"},
            "yAxis": {"type": "category", "data": labels},
            "series": [{"type": "bar", "data": [counts[k] for k in order], "color": "#0f7a6c"}],
            "tooltip": {},
        }
    )


@router.post("/customers/segments")
def segment_create(
    request: Request,
    s: DbSession,
    code: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    rule: Annotated[str, Form(max_length=20_000)],
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    p = _Page(request, s, "segments", MANAGE, post=True)
    try:
        parsed = json.loads(rule)
        sg = store.create_segment(
            s,
            p.ws,
            code=code,
            name=name,
            rule=parsed,
            description=description,
            actor_id=p.principal.user_id,
        )
        store.refresh_memberships(s, p.ws, profiles.local_today(s, p.ws), codes=[sg.code])
    except (ValueError, AppError) as exc:
        s.rollback()
        message = (
            error_text(exc, p.locale) if isinstance(exc, AppError) else f"rule is not JSON: {exc}"
        )
        return redirect("/customers/segments?" + urlencode({"error": str(message)[:300]}))
    return redirect(f"/customers/segments/{sg.id}?saved=1")


@router.get("/customers/segments/{segment_id}")
def segment_detail(
    request: Request,
    s: DbSession,
    segment_id: int,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    saved: str = "",
) -> Response:
    p = _Page(request, s, "segments")
    sg = store.get_segment(s, p.ws, segment_id)
    stmt = store.members_query(p.ws, segment_id)
    total = int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = s.execute(
        stmt.order_by(Customer.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    history = store.segment_history(s, p.ws, segment_id)
    return p.render(
        "retention/segment.html",
        segment=sg,
        describe=store.describe(sg, p.locale),
        rows=rows,
        total=total,
        page=page,
        prev_url=f"/customers/segments/{segment_id}?page={page - 1}" if page > 1 else None,
        next_url=f"/customers/segments/{segment_id}?page={page + 1}"
        if page * PAGE_SIZE < total
        else None,
        history_chart=_history_chart(p, history) if history else None,
        saved=saved,
    )


def _history_chart(p: _Page, history: list[store.HistoryDay]) -> str:
    return _chart(
        {
            "grid": {"left": 50, "right": 50, "top": 30, "bottom": 40},
            "legend": {},
            "xAxis": {"type": "category", "data": [h.day.isoformat() for h in history]},
            "yAxis": [{"type": "value"}, {"type": "value"}],
            "series": [
                {
                    "name": translate("retention.seg.joined", p.locale),
                    "type": "bar",
                    "data": [h.joined for h in history],
                    "color": "#0f7a6c",
                },
                {
                    "name": translate("retention.seg.left", p.locale),
                    "type": "bar",
                    "data": [-h.left for h in history],
                    "color": "#b4532a",
                },
                {
                    "name": translate("retention.col.members", p.locale),
                    "type": "line",
                    "yAxisIndex": 1,
                    "data": [h.members for h in history],
                    "color": "#333",
                },
            ],
            "tooltip": {"trigger": "axis"},
        }
    )


@router.post("/customers/segments/{segment_id}/refresh")
def segment_refresh(request: Request, s: DbSession, segment_id: int) -> Response:
    p = _Page(request, s, "segments", MANAGE, post=True)
    sg = store.get_segment(s, p.ws, segment_id)
    today = max(profiles.local_today(s, p.ws), store.last_refresh_day(s, p.ws) or date.min)
    store.refresh_memberships(s, p.ws, today, codes=[sg.code])
    return redirect(f"/customers/segments/{segment_id}?saved=1")


# --- follow-ups ------------------------------------------------------------------------------


@router.get("/customers/follow-ups")
def follow_up_list(
    request: Request,
    s: DbSession,
    view: Annotated[str, Query(max_length=16)] = "open",
    kind: Annotated[str, Query(max_length=24)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    saved: str = "",
) -> Response:
    p = _Page(request, s, "followups")
    f = followups.FollowUpFilter(
        status=None if view in ("all", "overdue") else "done" if view == "done" else "open",
        assignee_id=p.principal.user_id if view == "mine" else None,
        overdue=True if view == "overdue" else None,
        kind=kind or None,
    )
    followups.check_filter(s, p.ws, f)
    rows, total = fetch_page(
        s, followups.query(p.ws, f), PAGE_SIZE, (page - 1) * PAGE_SIZE, FollowUp.due_at, FollowUp.id
    )
    ids = {r.customer_id for r in rows}
    customers = dict(
        s.execute(
            select(Customer.id, Customer.name).where(
                Customer.workspace_id == p.ws, Customer.id.in_(ids)
            )
        ).all()
    )
    counts = followups.overdue_summary(s, p.ws)

    def page_url(n: int) -> str:
        return "/customers/follow-ups?" + urlencode({"view": view, "kind": kind, "page": n})

    return p.render(
        "retention/followups.html",
        rows=rows,
        total=total,
        page=page,
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page * PAGE_SIZE < total else None,
        view=view,
        kind=kind,
        kinds=FOLLOW_UP_KINDS,
        outcomes=FOLLOW_UP_OUTCOMES,
        customers=customers,
        names=p.names(),
        counts=counts,
        now=utcnow(),
        saved=saved,
    )


@router.post("/customers/follow-ups/{follow_up_id}/complete")
def follow_up_complete(
    request: Request,
    s: DbSession,
    follow_up_id: int,
    outcome: Annotated[str, Form(max_length=24)],
    note: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    p = _Page(request, s, "followups", WRITE, post=True)
    task = followups.complete(
        s, p.ws, follow_up_id, outcome, note=note, actor_id=p.principal.user_id
    )
    if back == "customer":
        return redirect(f"/customers/{task.customer_id}?saved=followup#followups")
    return redirect("/customers/follow-ups?saved=1")


# --- win-back --------------------------------------------------------------------------------


@router.get("/customers/winback")
def winback_page(
    request: Request,
    s: DbSession,
    reason: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    saved: str = "",
    error: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    p = _Page(request, s, "winback")
    stmt = winback.churn_query(s, p.ws, winback.ChurnFilter(reason=reason or None))
    rows, total = fetch_page(
        s,
        stmt,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        ChurnRecord.churned_at.desc(),
        ChurnRecord.id.desc(),
    )
    ids = {r.customer_id for r in rows}
    customers = dict(
        s.execute(
            select(Customer.id, Customer.name).where(
                Customer.workspace_id == p.ws, Customer.id.in_(ids)
            )
        ).all()
    )
    dist = winback.reason_distribution(s, p.ws)
    campaigns = list(s.scalars(winback.campaign_query(p.ws).order_by(Campaign.id.desc())))
    results = {  # a draft has no results yet
        c.id: winback.campaign_results(s, p.ws, c.id) for c in campaigns if c.status != "draft"
    }

    def page_url(n: int) -> str:
        return "/customers/winback?" + urlencode({"reason": reason, "page": n})

    return p.render(
        "retention/winback.html",
        rows=rows,
        total=total,
        page=page,
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page * PAGE_SIZE < total else None,
        reason=reason,
        reasons=CHURN_REASONS,
        customers=customers,
        dist=dist,
        dist_chart=_dist_chart(p, dist) if dist.total else None,
        campaigns=campaigns,
        results=results,
        segments=dict(
            s.execute(
                select(Segment.id, Segment.name)
                .where(Segment.workspace_id == p.ws)
                .order_by(Segment.kind, Segment.code)
            ).all()
        ),
        channels=winback.CHANNELS,
        error=error,
        saved=saved,
    )


def _dist_chart(p: _Page, dist: Any) -> str:
    return _chart(
        {
            "tooltip": {"trigger": "item"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "70%"],
                    "data": [
                        {"name": p.label("reason", row.reason), "value": row.count}
                        for row in dist.reasons
                        if row.count
                    ],
                }
            ],
        }
    )


@router.post("/customers/winback/{record_id}/reason")
def winback_reason(
    request: Request,
    s: DbSession,
    record_id: int,
    reason: Annotated[str, Form(max_length=16)],
    detail: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    p = _Page(request, s, "winback", WRITE, post=True)
    winback.set_reason(s, p.ws, record_id, reason, detail=detail, actor_id=p.principal.user_id)
    return redirect("/customers/winback?saved=1")


@router.post("/customers/winback/campaigns")
def campaign_create(
    request: Request,
    s: DbSession,
    name: Annotated[str, Form(max_length=200)],
    segment_id: Annotated[int, Form()],
    channel: Annotated[str, Form(max_length=16)] = "email",
    offer: Annotated[str, Form(max_length=2000)] = "",
    cost_per_contact: Annotated[Decimal, Form(ge=0, le=10**9)] = Decimal("0"),
    holdout_share: Annotated[float, Form(ge=0, le=0.9)] = 0.1,
) -> Response:
    """A draft campaign to a segment's current members; a refusal comes back on the page."""
    p = _Page(request, s, "winback", MANAGE, post=True)
    try:
        winback.create_campaign(
            s,
            p.ws,
            name=name,
            segment_id=segment_id,
            channel=channel,
            offer=offer,
            cost_per_contact=cost_per_contact,
            holdout_share=holdout_share,
            actor_id=p.principal.user_id,
        )
    except AppError as exc:
        if exc.status_code == 404:
            raise
        s.rollback()
        return redirect("/customers/winback?" + urlencode({"error": error_text(exc, p.locale)}))
    return redirect("/customers/winback?saved=1#campaigns")


@router.post("/customers/winback/campaigns/{campaign_id}/{action}")
def campaign_step(request: Request, s: DbSession, campaign_id: int, action: str) -> Response:
    """Start a draft campaign (its targets count as contacted) or finish a running one."""
    p = _Page(request, s, "winback", MANAGE, post=True)
    if action == "start":
        winback.start_campaign(s, p.ws, campaign_id)
    elif action == "finish":
        winback.finish_campaign(s, p.ws, campaign_id)
    else:
        raise BadRequest(detail=f"unknown campaign action {action[:20]!r}: start or finish")
    return redirect("/customers/winback?saved=1#campaigns")


# --- economics -------------------------------------------------------------------------------


@router.get("/customers/economics")
def economics_page(
    request: Request,
    s: DbSession,
    customers: Annotated[int | None, Query(ge=0, le=10**9)] = None,
    revenue_per_customer: Annotated[Decimal | None, Query(ge=0, le=10**9)] = None,
    retention_rate: Annotated[float | None, Query(ge=0, le=1)] = None,
    gross_margin: Annotated[float | None, Query(ge=0, le=1)] = None,
    acquisition_cost: Annotated[Decimal | None, Query(ge=0, le=10**9)] = None,
    retention_cost: Annotated[Decimal | None, Query(ge=0, le=10**9)] = None,
) -> Response:
    """The workspace's own panel, and the calculator: its inputs start from the panel's figures
    and any field the manager types replaces one (what if retention rose to 90 %?)."""
    p = _Page(request, s, "economics")
    panel = economics.panel(s, p.ws, profiles.local_today(s, p.ws))
    conf = settings_of(s, p.ws)
    base = panel.result.inputs if panel.result is not None else None
    asked = {
        "customers": customers,
        "revenue_per_customer": revenue_per_customer,
        "retention_rate": retention_rate,
        "gross_margin": gross_margin,
        "acquisition_cost": acquisition_cost,
        "retention_cost": retention_cost,
    }
    start = {
        "customers": base.customers if base else panel.active_customers,
        "revenue_per_customer": base.revenue_per_customer if base else panel.revenue_per_customer,
        "retention_rate": base.retention_rate if base else panel.retention.rate,
        "gross_margin": conf.gross_margin,
        "acquisition_cost": conf.acquisition_cost,
        "retention_cost": conf.retention_cost,
    }
    values = {k: asked[k] if asked[k] is not None else v for k, v in start.items()}
    result = None
    n, rpc, rate = values["customers"], values["revenue_per_customer"], values["retention_rate"]
    if n is not None and rpc is not None and rate is not None:
        result = economics.calculate(
            economics.Inputs(
                customers=int(n),
                revenue_per_customer=Decimal(str(rpc)),
                retention_rate=float(rate),
                gross_margin=None
                if values["gross_margin"] is None
                else float(values["gross_margin"]),
                acquisition_cost=None
                if values["acquisition_cost"] is None
                else Decimal(str(values["acquisition_cost"])),
                retention_cost=None
                if values["retention_cost"] is None
                else Decimal(str(values["retention_cost"])),
            )
        )
    return p.render(
        "retention/economics.html",
        panel=panel,
        values=values,
        calculated=result,
        asked=any(v is not None for v in asked.values()),
    )
