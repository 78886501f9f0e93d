"""REST endpoints for retention: scores, segments, follow-ups, churn records, campaigns, economics."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

import liuke.crm.events  # noqa: F401  (registers the crm subscribers)
from liuke.core.api import Page, PageParams, page_params, request_locale
from liuke.core.errors import BadRequest
from liuke.core.pagination import fetch_page, page_of, to_page
from liuke.core.tenancy import ensure_scoped_ids, get_scoped
from liuke.crm import economics, followups, profiles, winback
from liuke.crm import segment_store as store
from liuke.crm import settings as rs
from liuke.crm.models import Campaign, ChurnRecord, CustomerScore, FollowUp, Segment
from liuke.crm.schemas import (
    CalculatorIn,
    CampaignIn,
    CampaignOut,
    CampaignStatus,
    CancelIn,
    ChurnReasonPatch,
    ChurnRecordIn,
    ChurnRecordOut,
    CompleteIn,
    CustomerTier,
    FollowUpIn,
    FollowUpKind,
    FollowUpOut,
    FollowUpStatus,
    HistoryDayOut,
    Letter,
    MemberOut,
    MembershipRefreshIn,
    MembershipRefreshOut,
    OverdueOut,
    PreviewIn,
    PreviewOut,
    ProfileOut,
    Reason,
    ReassignIn,
    RefreshProfilesIn,
    RefreshProfilesOut,
    RescheduleIn,
    RuleReportOut,
    RunRulesIn,
    Scoped,
    ScoreOut,
    SegmentIn,
    SegmentOut,
    SegmentPatch,
    SettingsIn,
    SettingsOut,
    Source,
    SpellOut,
    ValueTier,
)
from liuke.crm.segments import SEGMENTS_CLASSIC, SEGMENTS_CN8
from liuke.customers.models import Customer
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])
Reader = Annotated[Principal, Depends(require("retention.read"))]
Writer = Annotated[Principal, Depends(require("retention.write"))]
Manager = Annotated[Principal, Depends(require("retention.manage"))]
Paging = Annotated[PageParams, Depends(page_params)]


def _names(s: DbSession, workspace_id: int, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = s.execute(
        select(Customer.id, Customer.name, Customer.tier).where(
            Customer.workspace_id == workspace_id, Customer.id.in_(ids)
        )
    )
    return {cid: (name, tier) for cid, name, tier in rows}


def _score_out(row: CustomerScore, names: dict[int, tuple[str, str]]) -> ScoreOut:
    name, tier = names.get(row.customer_id, ("", ""))
    return ScoreOut.model_validate(
        {
            **{k: getattr(row, k) for k in ScoreOut.model_fields if hasattr(row, k)},
            "name": name,
            "tier": tier,
            "no_history": not profiles.has_history(row),
        }
    )


def _follow_up_out(f: FollowUp) -> FollowUpOut:
    return FollowUpOut.model_validate(f).model_copy(update={"overdue": followups.is_overdue(f)})


# --- scores and profiles ----------------------------------------------------------------------


@router.get("/scores", response_model=Page[ScoreOut])
def list_scores(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    value_tier: ValueTier | None = None,
    grade: Letter | None = None,
    customer_tier: CustomerTier | None = None,
    rfm_segment: str | None = None,
    segment_id: int | None = None,
    min_probability: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> Page[ScoreOut]:
    """The risk list: highest churn probability first (unscored last)."""
    ws = principal.workspace_id
    if rfm_segment is not None and rfm_segment not in {**SEGMENTS_CN8, **SEGMENTS_CLASSIC}:
        raise BadRequest(detail=f"unknown RFM segment {rfm_segment!r}")
    ensure_scoped_ids(s, Segment, ws, [segment_id], "segment")
    f = profiles.ScoreFilter(
        value_tier=value_tier, grade=grade, customer_tier=customer_tier,
        rfm_segment=rfm_segment, segment_id=segment_id, min_probability=min_probability,
    )  # fmt: skip
    rows, total = fetch_page(
        s, profiles.score_query(ws, f), paging.limit, paging.offset, *profiles.RISK_ORDER
    )
    names = _names(s, ws, [r.customer_id for r in rows])
    return to_page(rows, total, paging, lambda r: _score_out(r, names))


@router.post("/profiles/refresh", response_model=RefreshProfilesOut)
def refresh_profiles(
    body: RefreshProfilesIn, principal: Manager, s: DbSession
) -> RefreshProfilesOut:
    ws = principal.workspace_id
    as_of = body.as_of or profiles.local_today(s, ws) - timedelta(days=1)
    return RefreshProfilesOut(as_of=as_of, profiles=profiles.refresh_profiles(s, ws, as_of))


@router.get("/value-tiers", response_model=Scoped[profiles.ValuePanel])
def value_tiers(principal: Reader, s: DbSession) -> Scoped[profiles.ValuePanel]:
    """The 80/20 panel: tiers, the top 20 %'s revenue share, Gini and the Lorenz curve."""
    ws = principal.workspace_id
    return Scoped[profiles.ValuePanel](workspace_id=ws, result=profiles.value_panel(s, ws))


@router.get("/customers/{customer_id}/profile", response_model=ProfileOut)
def customer_profile(customer_id: int, principal: Reader, s: DbSession) -> ProfileOut:
    ws = principal.workspace_id
    c = get_scoped(s, Customer, ws, customer_id, "customer")
    score = profiles.score_of(s, ws, c.id)
    spells = store.customer_spells(s, ws, c.id)
    tasks = s.scalars(
        followups.query(ws, followups.FollowUpFilter(customer_id=c.id))
        .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
        .limit(20)
    )
    churn = s.scalar(
        select(ChurnRecord).where(ChurnRecord.workspace_id == ws, ChurnRecord.customer_id == c.id)
    )
    if score is None:
        note = "no profile yet: the profiles are refreshed daily"
    elif not profiles.has_history(score):
        note = "no history: this customer has no paid order"
    else:
        note = ""
    return ProfileOut(
        customer_id=c.id,
        name=c.name,
        tier=c.tier,
        score=_score_out(score, {c.id: (c.name, c.tier)}) if score is not None else None,
        note=note,
        segments=[SpellOut.model_validate(x) for x in spells if x.until is None],
        segment_history=[SpellOut.model_validate(x) for x in spells],
        follow_ups=[_follow_up_out(f) for f in tasks],
        churn=None
        if churn is None
        else ChurnRecordOut.model_validate(churn).model_copy(update={"customer_name": c.name}),
    )


# --- segments ---------------------------------------------------------------------------------


def _segment_out(sg: Segment, locale: str) -> SegmentOut:
    return SegmentOut(
        id=sg.id, code=sg.code, name=sg.name, description=sg.description, kind=sg.kind,
        system=store.is_system(sg), rule=sg.rule, rule_text=store.describe(sg, locale),
        active=sg.active, member_count=sg.member_count,
        empty=sg.member_count == 0, note=store.status_note(sg), refreshed_at=sg.refreshed_at,
        created_at=sg.created_at, updated_at=sg.updated_at,
    )  # fmt: skip


@router.get("/segments", response_model=Page[SegmentOut])
def list_segments(
    request: Request,
    principal: Reader,
    s: DbSession,
    paging: Paging,
    kind: str | None = None,
    active: bool | None = None,
) -> Page[SegmentOut]:
    store.ensure_system_segments(s, principal.workspace_id)
    locale = request_locale(request)
    stmt = store.segment_query(principal.workspace_id, kind=kind, active=active)
    return page_of(s, stmt, paging, lambda sg: _segment_out(sg, locale), Segment.id)


@router.post("/segments", response_model=SegmentOut, status_code=201)
def create_segment(
    request: Request, body: SegmentIn, principal: Manager, s: DbSession
) -> SegmentOut:
    sg = store.create_segment(
        s, principal.workspace_id, code=body.code, name=body.name, rule=body.rule,
        description=body.description, active=body.active, actor_id=principal.user_id,
    )  # fmt: skip
    return _segment_out(sg, request_locale(request))


@router.post("/segments/preview", response_model=PreviewOut)
def preview_segment(body: PreviewIn, principal: Reader, s: DbSession) -> PreviewOut:
    """How many customers a rule would hold (nothing stored): for editing rules."""
    p = store.preview_rule(s, principal.workspace_id, body.rule, body.day)
    return PreviewOut.model_validate(p)


@router.post("/segments/refresh", response_model=MembershipRefreshOut)
def refresh_segments(
    body: MembershipRefreshIn, principal: Manager, s: DbSession
) -> MembershipRefreshOut:
    ws = principal.workspace_id
    day = body.day or profiles.local_today(s, ws)
    report = store.refresh_memberships(s, ws, day, codes=body.codes)
    return MembershipRefreshOut.model_validate(report)


@router.get("/segments/{segment_id}", response_model=SegmentOut)
def get_segment(request: Request, segment_id: int, principal: Reader, s: DbSession) -> SegmentOut:
    sg = store.get_segment(s, principal.workspace_id, segment_id)
    return _segment_out(sg, request_locale(request))


@router.patch("/segments/{segment_id}", response_model=SegmentOut)
def update_segment(
    request: Request, segment_id: int, body: SegmentPatch, principal: Manager, s: DbSession
) -> SegmentOut:
    sg = store.update_segment(
        s, principal.workspace_id, segment_id, name=body.name, description=body.description,
        rule=body.rule, active=body.active,
    )  # fmt: skip
    return _segment_out(sg, request_locale(request))


@router.delete("/segments/{segment_id}", status_code=204)
def delete_segment(segment_id: int, principal: Manager, s: DbSession) -> Response:
    store.delete_segment(s, principal.workspace_id, segment_id)
    return Response(status_code=204)


@router.get("/segments/{segment_id}/members", response_model=Page[MemberOut])
def segment_members(
    segment_id: int, principal: Reader, s: DbSession, paging: Paging, day: date | None = None
) -> Page[MemberOut]:
    """Current members (or members on ``day``); an empty segment is an empty page."""
    ws = principal.workspace_id
    sg = store.get_segment(s, ws, segment_id)
    stmt = store.members_query(ws, sg.id, day)
    total = len(s.execute(stmt.with_only_columns(Customer.id)).all())
    rows = s.execute(stmt.order_by(Customer.id).limit(paging.limit).offset(paging.offset)).all()
    return Page(
        items=[MemberOut.model_validate(r._mapping) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/segments/{segment_id}/history", response_model=list[HistoryDayOut])
def segment_history(
    segment_id: int,
    principal: Reader,
    s: DbSession,
    start: date | None = None,
    end: date | None = None,
) -> list[HistoryDayOut]:
    """Joins and leaves per day with the member count after each day (days with a change)."""
    days = store.segment_history(s, principal.workspace_id, segment_id, start, end)
    return [HistoryDayOut.model_validate(d) for d in days]


# --- follow-ups -------------------------------------------------------------------------------


@router.get("/follow-ups", response_model=Page[FollowUpOut])
def list_follow_ups(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    mine: bool = False,
    overdue: bool | None = None,
    status: FollowUpStatus | None = None,
    kind: FollowUpKind | None = None,
    customer_id: int | None = None,
    assignee_id: int | None = None,
    unassigned: bool | None = None,
) -> Page[FollowUpOut]:
    ws = principal.workspace_id
    if mine:
        if principal.user_id is None:
            raise BadRequest(detail="mine=true needs a signed-in user, not an API key")
        assignee_id = principal.user_id
    f = followups.FollowUpFilter(
        status=status, kind=kind, customer_id=customer_id, assignee_id=assignee_id,
        overdue=overdue, unassigned=unassigned,
    )  # fmt: skip
    followups.check_filter(s, ws, f)
    return page_of(s, followups.query(ws, f), paging, _follow_up_out, FollowUp.due_at, FollowUp.id)


@router.post("/follow-ups", response_model=FollowUpOut, status_code=201)
def create_follow_up(body: FollowUpIn, principal: Writer, s: DbSession) -> FollowUpOut:
    f = followups.create(
        s, principal.workspace_id, customer_id=body.customer_id, due_at=body.due_at,
        reason=body.reason, kind=body.kind, assignee_id=body.assignee_id,
        actor_id=principal.user_id,
    )  # fmt: skip
    return _follow_up_out(f)


@router.get("/follow-ups/summary", response_model=Scoped[OverdueOut])
def follow_up_summary(principal: Reader, s: DbSession) -> Scoped[OverdueOut]:
    """Open and overdue counts, by kind and by assignee."""
    ws = principal.workspace_id
    summary = OverdueOut.model_validate(followups.overdue_summary(s, ws))
    return Scoped[OverdueOut](workspace_id=ws, result=summary)


@router.post("/follow-ups/run-rules", response_model=RuleReportOut)
def run_follow_up_rules(body: RunRulesIn, principal: Manager, s: DbSession) -> RuleReportOut:
    report = followups.run_rules(s, principal.workspace_id, body.now)
    return RuleReportOut(
        day=report.day, complaint_resolved=report.complaint_resolved,
        high_risk=report.high_risk, periodic=report.periodic, created=report.created,
        unassigned=report.unassigned, notes=report.notes,
    )  # fmt: skip


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpOut)
def get_follow_up(follow_up_id: int, principal: Reader, s: DbSession) -> FollowUpOut:
    return _follow_up_out(followups.get_follow_up(s, principal.workspace_id, follow_up_id))


@router.post("/follow-ups/{follow_up_id}/complete", response_model=FollowUpOut)
def complete_follow_up(
    follow_up_id: int, body: CompleteIn, principal: Writer, s: DbSession
) -> FollowUpOut:
    """Record the outcome; a task already done or cancelled answers 409."""
    f = followups.complete(
        s, principal.workspace_id, follow_up_id, body.outcome, note=body.note,
        actor_id=principal.user_id,
    )  # fmt: skip
    return _follow_up_out(f)


@router.post("/follow-ups/{follow_up_id}/reassign", response_model=FollowUpOut)
def reassign_follow_up(
    follow_up_id: int, body: ReassignIn, principal: Writer, s: DbSession
) -> FollowUpOut:
    f = followups.reassign(
        s, principal.workspace_id, follow_up_id, body.assignee_id, actor_id=principal.user_id
    )
    return _follow_up_out(f)


@router.post("/follow-ups/{follow_up_id}/reschedule", response_model=FollowUpOut)
def reschedule_follow_up(
    follow_up_id: int, body: RescheduleIn, principal: Writer, s: DbSession
) -> FollowUpOut:
    f = followups.reschedule(s, principal.workspace_id, follow_up_id, body.due_at)
    return _follow_up_out(f)


@router.post("/follow-ups/{follow_up_id}/cancel", response_model=FollowUpOut)
def cancel_follow_up(
    follow_up_id: int, body: CancelIn, principal: Writer, s: DbSession
) -> FollowUpOut:
    f = followups.cancel(
        s, principal.workspace_id, follow_up_id, note=body.note, actor_id=principal.user_id
    )
    return _follow_up_out(f)


# --- churn records ----------------------------------------------------------------------------


def _churn_page(
    s: DbSession, workspace_id: int, rows: list[ChurnRecord], total: int, paging: PageParams
) -> Page[ChurnRecordOut]:
    names = _names(s, workspace_id, [r.customer_id for r in rows])
    return to_page(
        rows,
        total,
        paging,
        lambda r: ChurnRecordOut.model_validate(r).model_copy(
            update={"customer_name": names.get(r.customer_id, ("", ""))[0]}
        ),
    )


@router.get("/churn-records", response_model=Page[ChurnRecordOut])
def list_churn_records(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    reason: Reason | None = None,
    source: Source | None = None,
    start: date | None = None,
    end: date | None = None,
    won_back: bool | None = None,
    customer_id: int | None = None,
) -> Page[ChurnRecordOut]:
    """Lost customers, newest first; ``start``/``end`` are local days of the churn."""
    ws = principal.workspace_id
    f = winback.ChurnFilter(reason, source, start, end, won_back, customer_id)
    rows, total = fetch_page(
        s, winback.churn_query(s, ws, f), paging.limit, paging.offset,
        ChurnRecord.churned_at.desc(), ChurnRecord.id.desc(),
    )  # fmt: skip
    return _churn_page(s, ws, rows, total, paging)


@router.post("/churn-records", response_model=ChurnRecordOut, status_code=201)
def record_churn(
    body: ChurnRecordIn, principal: Writer, s: DbSession, response: Response
) -> ChurnRecordOut:
    """Record that a customer left and why; 200 with the updated record when the customer
    already has one (detected or imported)."""
    record, created = winback.record_churn(
        s, principal.workspace_id, body.customer_id, body.reason, detail=body.detail,
        churned_at=body.churned_at, actor_id=principal.user_id,
    )  # fmt: skip
    if not created:
        response.status_code = 200
    return ChurnRecordOut.model_validate(record)


@router.patch("/churn-records/{record_id}", response_model=ChurnRecordOut)
def set_churn_reason(
    record_id: int, body: ChurnReasonPatch, principal: Writer, s: DbSession
) -> ChurnRecordOut:
    record = winback.set_reason(
        s, principal.workspace_id, record_id, body.reason, detail=body.detail,
        actor_id=principal.user_id,
    )  # fmt: skip
    return ChurnRecordOut.model_validate(record)


@router.get("/churn-reasons", response_model=Scoped[winback.Distribution])
def churn_reasons(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> Scoped[winback.Distribution]:
    """The churn-reason distribution over local churn days (all time by default)."""
    ws = principal.workspace_id
    dist = winback.reason_distribution(s, ws, start, end)
    return Scoped[winback.Distribution](workspace_id=ws, result=dist)


# --- campaigns --------------------------------------------------------------------------------


def _campaign_out(c: Campaign, counts: dict[int, tuple[int, int]]) -> CampaignOut:
    targets, held = counts.get(c.id, (0, 0))
    return CampaignOut.model_validate(c).model_copy(update={"targets": targets, "held_out": held})


def _one_campaign(s: DbSession, workspace_id: int, c: Campaign) -> CampaignOut:
    return _campaign_out(c, winback.target_counts(s, workspace_id, [c.id]))


@router.get("/campaigns", response_model=Page[CampaignOut])
def list_campaigns(
    principal: Reader, s: DbSession, paging: Paging, status: CampaignStatus | None = None
) -> Page[CampaignOut]:
    ws = principal.workspace_id
    rows, total = fetch_page(
        s, winback.campaign_query(ws, status), paging.limit, paging.offset,
        Campaign.created_at.desc(), Campaign.id.desc(),
    )  # fmt: skip
    counts = winback.target_counts(s, ws, [c.id for c in rows])
    return to_page(rows, total, paging, lambda c: _campaign_out(c, counts))


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(body: CampaignIn, principal: Manager, s: DbSession) -> CampaignOut:
    """A draft whose targets are the segment's current members (an empty segment is a 400)."""
    ws = principal.workspace_id
    c = winback.create_campaign(
        s, ws, name=body.name, segment_id=body.segment_id, channel=body.channel,
        offer=body.offer, cost_per_contact=body.cost_per_contact,
        holdout_share=body.holdout_share, seed=body.seed, actor_id=principal.user_id,
    )  # fmt: skip
    return _one_campaign(s, ws, c)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: int, principal: Reader, s: DbSession) -> CampaignOut:
    ws = principal.workspace_id
    return _one_campaign(s, ws, winback.get_campaign(s, ws, campaign_id))


@router.post("/campaigns/{campaign_id}/start", response_model=CampaignOut)
def start_campaign(campaign_id: int, principal: Manager, s: DbSession) -> CampaignOut:
    ws = principal.workspace_id
    return _one_campaign(s, ws, winback.start_campaign(s, ws, campaign_id))


@router.post("/campaigns/{campaign_id}/finish", response_model=CampaignOut)
def finish_campaign(campaign_id: int, principal: Manager, s: DbSession) -> CampaignOut:
    ws = principal.workspace_id
    return _one_campaign(s, ws, winback.finish_campaign(s, ws, campaign_id))


@router.get("/campaigns/{campaign_id}/results", response_model=winback.CampaignResults)
def campaign_results(campaign_id: int, principal: Reader, s: DbSession) -> Any:
    return winback.campaign_results(s, principal.workspace_id, campaign_id)


# --- economics --------------------------------------------------------------------------------


@router.get("/economics", response_model=Scoped[economics.Panel])
def economics_panel(
    principal: Reader, s: DbSession, as_of: date | None = None
) -> Scoped[economics.Panel]:
    """The panel on the workspace's own figures (yesterday by default)."""
    ws = principal.workspace_id
    day = as_of or profiles.local_today(s, ws) - timedelta(days=1)
    return Scoped[economics.Panel](workspace_id=ws, result=economics.panel(s, ws, day))


@router.post("/economics/calculator", response_model=economics.Result)
def economics_calculator(body: CalculatorIn, principal: Reader) -> Any:
    """The calculator on any figures (nothing stored)."""
    return economics.calculate(economics.Inputs(**body.model_dump()))


# --- settings ---------------------------------------------------------------------------------


def _settings_out(workspace_id: int, c: rs.RetentionSettings) -> SettingsOut:
    return SettingsOut(
        workspace_id=workspace_id,
        **{k: v for k, v in c.to_json().items()},
        economics_configured=c.economics_configured,
    )


@router.get("/settings", response_model=SettingsOut)
def get_settings(principal: Reader, s: DbSession) -> SettingsOut:
    return _settings_out(principal.workspace_id, rs.settings_of(s, principal.workspace_id))


@router.put("/settings", response_model=SettingsOut)
def put_settings(body: SettingsIn, principal: Manager, s: DbSession) -> SettingsOut:
    """Replace the workspace's retention settings (omitted fields fall back to the defaults)."""
    ws = principal.workspace_id
    parsed = rs.save(s, ws, body.model_dump(mode="json", exclude_none=True))
    return _settings_out(ws, parsed)
