"""REST endpoints for cases, the grid, control charts and alerts, analyses, recovery, warning."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

import liuke.complaints.events  # noqa: F401  (registers the complaint subscribers)
from liuke.complaints import analysis, intake, recovery, service, spc, warning
from liuke.complaints import grid as g
from liuke.complaints import settings as cs
from liuke.complaints.models import OPEN_STATUSES, Case, ComplaintAlert, RecoveryRecord
from liuke.complaints.schemas import (
    AgreementOut,
    AlertOut,
    AlertStatusIn,
    AssignIn,
    CaseDetail,
    CaseEventOut,
    CaseIdsIn,
    CaseIn,
    CaseOut,
    CellChartOut,
    ChartPointOut,
    ClassifyIn,
    DetectIn,
    DetectOut,
    EntryIn,
    Figures,
    GridCellOut,
    GridOut,
    RecoveryIn,
    RecoveryOut,
    RecoveryPatch,
    ReviewIn,
    ReviewOut,
    SettingsIn,
    SettingsOut,
    StatusIn,
    T,
    TrainingOut,
    WarningSendIn,
    WarningSendOut,
)
from liuke.core.api import Page, PageParams, page_params
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest
from liuke.core.pagination import page_of
from liuke.core.tenancy import ensure_scoped_ids, get_scoped
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.models import SkillGroup, Workspace
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])
Reader = Annotated[Principal, Depends(require("complaints.read"))]
Writer = Annotated[Principal, Depends(require("complaints.write"))]
Manager = Annotated[Principal, Depends(require("complaints.manage"))]
Paging = Annotated[PageParams, Depends(page_params)]
WINDOW_DAYS = 30


def case_out(case: Case) -> CaseOut:
    overdue = case.status in OPEN_STATUSES and case.due_at is not None and case.due_at < utcnow()
    return CaseOut.model_validate(case).model_copy(
        update={"number": service.case_number(case), "overdue": overdue}
    )


def window(
    s: DbSession, workspace_id: int, start: date | None, end: date | None
) -> tuple[date, date]:
    """[start, end] in local days; by default the last 30 complete days."""
    if end is None:
        end = utcnow().astimezone(g.zone_of(s, workspace_id)).date() - timedelta(days=1)
    start = start or end - timedelta(days=WINDOW_DAYS - 1)
    g.check_window(start, end)
    return start, end


def _figures(principal: Principal, start: date, end: date, result: T) -> Figures[T]:
    return Figures[T](workspace_id=principal.workspace_id, start=start, end=end, result=result)


# --- cases ---------------------------------------------------------------------------------


@router.get("/cases", response_model=Page[CaseOut])
def list_cases(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    kind: str | None = None,
    status: str | None = None,
    category: str | None = None,
    product_line_id: int | None = None,
    customer_id: int | None = None,
    owner_id: int | None = None,
    customer_tier: str | None = None,
    channel_kind: str | None = None,
    review_status: str | None = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[CaseOut]:
    f = service.CaseFilter(
        kind=kind,
        status=status,
        category=category,
        product_line_id=product_line_id,
        customer_id=customer_id,
        owner_id=owner_id,
        customer_tier=customer_tier,
        channel_kind=channel_kind,
        review_status=review_status,
        overdue=overdue,
        q=q,
    )
    stmt = service.case_query(principal.workspace_id, f)
    return page_of(s, stmt, paging, case_out, Case.received_at.desc(), Case.id.desc())


@router.post("/cases", response_model=CaseOut, status_code=201)
def create_case(body: CaseIn, principal: Writer, s: DbSession, response: Response) -> CaseOut:
    """201 for a new case; 200 with the existing one for a replay (same conversation or
    external id), as for orders and conversations."""
    case, created = service.create_case(
        s,
        principal.workspace_id,
        service.Intake(**body.model_dump()),
        actor_id=principal.user_id,
        suggester=intake.suggester_for(s, principal.workspace_id),
    )
    if not created:
        response.status_code = 200
    return case_out(case)


def _detail(s: DbSession, workspace_id: int, case: Case) -> CaseDetail:
    children = list(
        s.scalars(
            select(Case.id).where(Case.workspace_id == workspace_id, Case.parent_id == case.id)
        )
    )
    merged = list(
        s.scalars(
            select(Case.id).where(Case.workspace_id == workspace_id, Case.merged_into_id == case.id)
        )
    )
    events = [CaseEventOut.model_validate(e) for e in service.timeline(s, workspace_id, case.id)]
    return CaseDetail(
        **case_out(case).model_dump(), timeline=events, children=children, merged=merged
    )


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: int, principal: Reader, s: DbSession) -> CaseDetail:
    return _detail(s, principal.workspace_id, service.get_case(s, principal.workspace_id, case_id))


@router.post("/cases/{case_id}/status", response_model=CaseOut)
def change_status(case_id: int, body: StatusIn, principal: Writer, s: DbSession) -> CaseOut:
    case = service.change_status(
        s,
        principal.workspace_id,
        case_id,
        body.status,
        actor_id=principal.user_id,
        resolution=body.resolution,
    )
    return case_out(case)


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign(case_id: int, body: AssignIn, principal: Writer, s: DbSession) -> CaseOut:
    case = service.assign(
        s,
        principal.workspace_id,
        case_id,
        body.owner_id,
        actor_id=principal.user_id,
        reason=body.reason,
    )
    return case_out(case)


@router.post("/cases/{case_id}/entries", response_model=CaseEventOut, status_code=201)
def add_entry(case_id: int, body: EntryIn, principal: Writer, s: DbSession) -> CaseEventOut:
    ev = service.add_entry(
        s, principal.workspace_id, case_id, body.kind, body.body, actor_id=principal.user_id
    )
    return CaseEventOut.model_validate(ev)


@router.post("/cases/{case_id}/classify", response_model=CaseOut)
def classify(case_id: int, body: ClassifyIn, principal: Writer, s: DbSession) -> CaseOut:
    case = service.classify(
        s,
        principal.workspace_id,
        case_id,
        category=body.category,
        product_line_id=body.product_line_id,
        subcategory=body.subcategory,
        actor_id=principal.user_id,
    )
    return case_out(case)


@router.post("/cases/{case_id}/merge", response_model=CaseDetail)
def merge(case_id: int, body: CaseIdsIn, principal: Writer, s: DbSession) -> CaseDetail:
    case = service.merge(
        s, principal.workspace_id, case_id, body.case_ids, actor_id=principal.user_id
    )
    return _detail(s, principal.workspace_id, case)


@router.post("/cases/{case_id}/children", response_model=CaseDetail)
def link(case_id: int, body: CaseIdsIn, principal: Writer, s: DbSession) -> CaseDetail:
    case = service.link(
        s, principal.workspace_id, case_id, body.case_ids, actor_id=principal.user_id
    )
    return _detail(s, principal.workspace_id, case)


@router.delete("/cases/{case_id}/parent", response_model=CaseOut)
def unlink(case_id: int, principal: Writer, s: DbSession) -> CaseOut:
    return case_out(service.unlink(s, principal.workspace_id, case_id, actor_id=principal.user_id))


@router.post("/cases/{case_id}/review", response_model=ReviewOut, status_code=201)
def review(case_id: int, body: ReviewIn, principal: Manager, s: DbSession) -> ReviewOut:
    if principal.user_id is None:
        raise BadRequest(detail="a second review is a person's judgement: sign in, not an API key")
    r = service.submit_review(
        s,
        principal.workspace_id,
        case_id,
        reviewer_id=principal.user_id,
        category=body.category,
        product_line_id=body.product_line_id,
        note=body.note,
    )
    return ReviewOut.model_validate(r)


@router.get("/review/agreement", response_model=AgreementOut)
def review_agreement(principal: Reader, s: DbSession) -> AgreementOut:
    a = service.agreement(s, principal.workspace_id)
    return AgreementOut(workspace_id=principal.workspace_id, **a.__dict__)


@router.post("/classifier/train", response_model=TrainingOut)
def train_classifier(principal: Manager, s: DbSession) -> TrainingOut:
    t = intake.retrain(s, principal.workspace_id)
    return TrainingOut(
        examples=t.examples,
        categories=t.categories,
        product_lines=t.product_lines,
        version=t.version,
    )


# --- grid, charts, alerts ------------------------------------------------------------------


@router.get("/grid", response_model=Figures[GridOut])
def grid(
    principal: Reader,
    s: DbSession,
    start: date | None = None,
    end: date | None = None,
    customer_tier: Literal["key_account", "ordinary"] | None = None,
    channel_kind: Literal["web", "email", "api", "phone"] | None = None,
) -> Figures[GridOut]:
    lo, hi = window(s, principal.workspace_id, start, end)
    res = g.grid(
        s, principal.workspace_id, lo, hi, customer_tier=customer_tier, channel_kind=channel_kind
    )
    return _figures(
        principal,
        lo,
        hi,
        GridOut(
            total=res.total,
            cells=[GridCellOut.model_validate(c) for c in res.cells],
            per_10k_orders={str(ln.id): res.per_10k(ln.id) for ln in res.lines},
        ),
    )


@router.get("/charts", response_model=Figures[list[CellChartOut]])
def charts(
    principal: Reader,
    s: DbSession,
    dimension: Literal["product_line", "category", "customer_tier", "channel_kind", "cell"] = (
        "product_line"
    ),
    start: date | None = None,
    end: date | None = None,
) -> Figures[list[CellChartOut]]:
    ws = principal.workspace_id
    lo, hi = window(s, ws, start, end)
    lines = {ln.id: ln for ln in g.product_lines(s, ws)}
    out = []
    for cc in spc.charts(s, ws, dimension, lo, hi):
        points = [
            ChartPointOut(
                day=p.period,
                count=p.count,
                orders=p.exposure,
                rate=p.rate,
                center=p.center,
                lcl=p.lcl,
                ucl=p.ucl,
                signals=list(p.signals),
                info=list(p.info),
                alert=p.alert,
                missing_reason=p.missing_reason,
            )
            for p in cc.chart.points
        ]
        out.append(
            CellChartOut(
                dimension=dimension,
                key=cc.series.key,
                cell=dict(cc.series.cell),
                label=spc.label_of(cc.series.cell, lines),
                chart=cc.chart.kind,
                note=cc.note,
                points=points,
            )
        )
    return _figures(principal, lo, hi, out)


@router.post("/detect", response_model=DetectOut)
def detect(body: DetectIn, principal: Manager, s: DbSession) -> DetectOut:
    _, end = window(s, principal.workspace_id, None, body.end)
    d = spc.detect(s, principal.workspace_id, end, days=body.days)
    return DetectOut(
        start=d.start,
        end=d.end,
        charts=d.charts,
        raised=[a.id for a in d.raised],
        updated=[a.id for a in d.updated],
    )


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    status: Literal["active", "open", "escalated", "acknowledged", "closed"] | None = None,
    dimension: str | None = None,
) -> Page[AlertOut]:
    stmt = spc.alert_query(principal.workspace_id, status=status, dimension=dimension)
    return page_of(
        s,
        stmt,
        paging,
        AlertOut.model_validate,
        ComplaintAlert.last_period.desc(),
        ComplaintAlert.id.desc(),
    )


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: int, principal: Reader, s: DbSession) -> AlertOut:
    a = get_scoped(s, ComplaintAlert, principal.workspace_id, alert_id, "complaint_alert")
    return AlertOut.model_validate(a)


@router.post("/alerts/{alert_id}/status", response_model=AlertOut)
def alert_status(alert_id: int, body: AlertStatusIn, principal: Manager, s: DbSession) -> AlertOut:
    a = spc.set_alert_status(
        s,
        principal.workspace_id,
        alert_id,
        body.status,
        actor_id=principal.user_id,
        resolution=body.resolution,
        department=body.department,
    )
    return AlertOut.model_validate(a)


# --- analyses ------------------------------------------------------------------------------


@router.get("/pareto", response_model=Figures[analysis.Pareto])
def pareto(
    principal: Reader,
    s: DbSession,
    by: Literal["category", "subcategory", "product_line", "channel", "tier", "cell"] = "cell",
    kind: Literal["inquiry", "complaint", "suggestion"] = "complaint",
    start: date | None = None,
    end: date | None = None,
) -> Figures[analysis.Pareto]:
    lo, hi = window(s, principal.workspace_id, start, end)
    return _figures(
        principal, lo, hi, analysis.pareto(s, principal.workspace_id, lo, hi, by, kind=kind)
    )


@router.get("/value-tiers", response_model=Figures[list[analysis.ValueTierRow]])
def value_tiers(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> Figures[list[analysis.ValueTierRow]]:
    lo, hi = window(s, principal.workspace_id, start, end)
    return _figures(
        principal, lo, hi, analysis.customer_value_pareto(s, principal.workspace_id, lo, hi)
    )


@router.get("/fix-ranking", response_model=Figures[list[analysis.FixRow]])
def fix_ranking(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> Figures[list[analysis.FixRow]]:
    lo, hi = window(s, principal.workspace_id, start, end)
    return _figures(principal, lo, hi, analysis.fix_ranking(s, principal.workspace_id, lo, hi))


@router.get("/root-causes", response_model=Figures[list[analysis.CauseRow]])
def root_causes(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> Figures[list[analysis.CauseRow]]:
    ws = principal.workspace_id
    lo, hi = window(s, ws, start, end)
    causes = analysis.root_causes(s, ws, lo, hi, min_repeat=service.settings_of(s, ws).min_repeat)
    return _figures(principal, lo, hi, causes)


@router.get("/silent", response_model=Figures[analysis.SilentEstimate])
def silent(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> Figures[analysis.SilentEstimate]:
    lo, hi = window(s, principal.workspace_id, start, end)
    return _figures(
        principal, lo, hi, analysis.silent_dissatisfaction(s, principal.workspace_id, lo, hi)
    )


@router.get("/requests", response_model=Figures[analysis.FeatureRequests])
def feature_requests(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> Figures[analysis.FeatureRequests]:
    lo, hi = window(s, principal.workspace_id, start, end)
    return _figures(principal, lo, hi, analysis.feature_requests(s, principal.workspace_id, lo, hi))


# --- recovery ------------------------------------------------------------------------------


@router.get("/recovery", response_model=Page[RecoveryOut])
def list_recovery(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    source_kind: str | None = None,
    outcome: str | None = None,
    root_cause: str | None = None,
    case_id: int | None = None,
    customer_id: int | None = None,
) -> Page[RecoveryOut]:
    stmt = recovery.recovery_query(
        principal.workspace_id,
        source_kind=source_kind,
        outcome=outcome,
        root_cause=root_cause,
        case_id=case_id,
        customer_id=customer_id,
    )
    return page_of(
        s,
        stmt,
        paging,
        RecoveryOut.model_validate,
        RecoveryRecord.created_at.desc(),
        RecoveryRecord.id.desc(),
    )


@router.post("/recovery", response_model=RecoveryOut, status_code=201)
def record_recovery(body: RecoveryIn, principal: Writer, s: DbSession) -> RecoveryOut:
    rec = recovery.record(s, principal.workspace_id, **body.model_dump())
    return RecoveryOut.model_validate(rec)


@router.patch("/recovery/{recovery_id}", response_model=RecoveryOut)
def update_recovery(
    recovery_id: int, body: RecoveryPatch, principal: Writer, s: DbSession
) -> RecoveryOut:
    changes = body.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        raise BadRequest(detail="fields cannot be set to null")
    return RecoveryOut.model_validate(
        recovery.update(s, principal.workspace_id, recovery_id, changes)
    )


# --- settings and the daily warning --------------------------------------------------------


def _settings_out(workspace_id: int, c: cs.ComplaintSettings) -> SettingsOut:
    return SettingsOut(
        workspace_id=workspace_id,
        due_hours=c.due_hours,
        review_share=c.review_share,
        routing=c.routing,
        retrain_every=c.retrain_every,
        min_repeat=c.min_repeat,
        recipients=list(c.recipients),
        charts=c.charts,
        min_excess=c.min_excess,
        merge_gap=c.merge_gap,
        owner_group_id=c.owner_group_id,
    )


@router.get("/settings", response_model=SettingsOut)
def get_settings(principal: Reader, s: DbSession) -> SettingsOut:
    return _settings_out(principal.workspace_id, service.settings_of(s, principal.workspace_id))


@router.put("/settings", response_model=SettingsOut)
def put_settings(body: SettingsIn, principal: Manager, s: DbSession) -> SettingsOut:
    """Replace the workspace's complaint settings (omitted fields fall back to the defaults)."""
    raw = body.model_dump(exclude_none=True)
    parsed = cs.parse(raw)  # refuses bad values before anything is stored
    ensure_scoped_ids(s, SkillGroup, principal.workspace_id, [parsed.owner_group_id], "skill_group")
    ws = s.get(Workspace, principal.workspace_id)
    assert ws is not None
    ws.settings = {**(ws.settings or {}), "complaints": raw}
    s.flush()
    return _settings_out(principal.workspace_id, parsed)


@router.get("/warning", response_model=None)
def get_warning(
    principal: Reader,
    s: DbSession,
    day: date | None = None,
    locale: Literal["zh_CN", "en"] = "zh_CN",
    format: Literal["json", "xlsx"] = "json",
) -> dict[str, Any] | Response:
    """The daily complaint warning as figures, or (``format=xlsx``) the spreadsheet."""
    _, d = window(s, principal.workspace_id, None, day)
    w = warning.build(s, principal.workspace_id, d)
    if format == "xlsx":
        name = quote(f"{warning.title(w, locale)}.xlsx".replace(" ", "_"))
        return Response(
            warning.xlsx(w, locale),
            media_type=warning.XLSX,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
        )
    return {
        "workspace_id": principal.workspace_id,
        "day": d.isoformat(),
        "title": warning.title(w, locale),
        "text": warning.text(w, locale),
        "complaints": w.complaints,
        "complaints_mean": w.complaints_mean,
        "key_account_complaints": w.key_account_complaints,
        "alerts_on_day": [a.id for a in w.new_alerts],
        "active_alerts": [a.id for a in w.active_alerts],
        "overdue_total": w.overdue_total,
        "tables": [
            {"title": t.title, "headers": t.headers, "rows": t.rows}
            for t in warning.tables(w, locale)
        ],
    }


@router.post("/warning/send", response_model=WarningSendOut)
def send_warning(
    body: WarningSendIn, request: Request, principal: Manager, s: DbSession
) -> WarningSendOut:
    from liuke.core.mail import MailError

    _, d = window(s, principal.workspace_id, None, body.day)
    try:
        res = warning.send(
            s,
            principal.workspace_id,
            d,
            request.app.state.settings,
            locale=body.locale,
            recipients=body.recipients,
        )
    except MailError as exc:
        raise BadRequest(detail=str(exc)) from exc
    return WarningSendOut(
        message_id=res.message_id, recipients=list(res.recipients), refused=dict(res.refused)
    )
