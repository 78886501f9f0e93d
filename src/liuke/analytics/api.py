"""REST endpoints for the metric catalogue, queries, funnels, scorecards and diagnosis.

Every endpoint answers JSON by default and the same table as CSV or XLSX with ``format``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from liuke.analytics import export, service
from liuke.analytics.catalogue import DIMENSIONS, METRICS, OVERVIEW
from liuke.analytics.engines import ENGINES
from liuke.analytics.funnel import STEPS
from liuke.analytics.query import Query as MetricQuery
from liuke.analytics.schemas import (
    CatalogueOut,
    ChangeOut,
    DiagnosisOut,
    DimensionOut,
    FindingOut,
    FunnelOut,
    FunnelSideOut,
    MetricOut,
    QueryOut,
    RowOut,
    ScorecardOut,
    ScorecardsOut,
    StepOut,
)
from liuke.core.api import attachment
from liuke.web.pages import page_locale
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
Reader = Annotated[Principal, Depends(require("analytics.read"))]
Format = Literal["json", "csv", "xlsx"]
EngineName = Literal["database", "duckdb", "pyspark"]


@dataclass
class Params:
    """The parameters every analytics endpoint shares (a view's URL is its whole state)."""

    start: date | None
    end: date | None
    by: str | None
    engine: str
    format: str
    filters: tuple[tuple[str, tuple[str, ...]], ...]


def params(
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
    engine: EngineName = "database",
    format: Format = "json",
    channel_id: Annotated[list[int], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    skill_group_id: Annotated[list[int], Query()] = [],  # noqa: B006
    agent_id: Annotated[list[int], Query()] = [],  # noqa: B006
    product_line_id: Annotated[list[int], Query()] = [],  # noqa: B006
    channel_kind: Annotated[list[str], Query()] = [],  # noqa: B006
    platform: Annotated[list[str], Query()] = [],  # noqa: B006
    tier: Annotated[list[str], Query()] = [],  # noqa: B006
    intent: Annotated[list[str], Query()] = [],  # noqa: B006
    hour: Annotated[list[int], Query()] = [],  # noqa: B006
) -> Params:
    filters = service.parse_filters(
        {
            "channel_id": list(channel_id),
            "skill_group_id": list(skill_group_id),
            "agent_id": list(agent_id),
            "product_line_id": list(product_line_id),
            "channel_kind": list(channel_kind),
            "platform": list(platform),
            "tier": list(tier),
            "intent": list(intent),
            "hour": list(hour),
        }
    )
    return Params(start, end, by or None, engine, format, filters)


Shared = Annotated[Params, Depends(params)]


def _cache(request: Request) -> service.ResultCache:
    cache: service.ResultCache = getattr(request.app.state, "analytics_cache", service.NO_CACHE)
    return cache


def _locale(request: Request, principal: Principal) -> str:
    """The page's language (?lang=, the switch cookie, the saved preference), for exports."""
    return page_locale(request, principal)


def _file(table: export.Table, fmt: str, name: str) -> Response:
    return attachment(export.render(table, fmt), export.MEDIA[fmt], f"{name}.{fmt}")


@router.get("/catalogue", response_model=CatalogueOut)
def catalogue(principal: Reader) -> CatalogueOut:
    return CatalogueOut(
        workspace_id=principal.workspace_id,
        metrics=[MetricOut.model_validate(m) for m in METRICS],
        dimensions=[DimensionOut.model_validate(d) for d in DIMENSIONS],
        funnel_steps=[StepOut.model_validate(s) for s in STEPS],
        engines=list(ENGINES),
    )


@router.get("/query", response_model=QueryOut)
def run_query(
    request: Request,
    principal: Reader,
    s: DbSession,
    p: Shared,
    metrics: str | None = None,
    compare: bool = True,
) -> QueryOut | Response:
    """Metrics for a range, one breakdown and filters, with rise/fall vs the previous period and
    the same period last year."""
    ctx = service.context(s, principal.workspace_id)
    start, end = ctx.default_range(p.start, p.end)
    q = MetricQuery(start, end, service.csv_metrics(metrics, OVERVIEW), p.by, p.filters, compare)
    unassigned = service.unassigned_label(_locale(request, principal))
    with service.open_engine(request.app.state.settings, p.engine) as engine:
        result = service.query(engine, ctx, q, unassigned, _cache(request))
    if p.format != "json":
        return _file(export.query_table(result, _locale(request, principal)), p.format, "metrics")
    return QueryOut(
        workspace_id=principal.workspace_id,
        engine=result.engine,
        start=start,
        end=end,
        by=q.by,
        metrics=list(q.metrics),
        total=RowOut.model_validate(result.total),
        rows=[RowOut.model_validate(r) for r in result.rows],
        previous=RowOut.model_validate(result.previous) if result.previous else None,
        last_year=RowOut.model_validate(result.last_year) if result.last_year else None,
        vs_previous={k: ChangeOut.model_validate(v) for k, v in result.vs_previous.items()},
        vs_last_year={k: ChangeOut.model_validate(v) for k, v in result.vs_last_year.items()},
    )


@router.get("/funnel", response_model=FunnelOut)
def run_funnel(
    request: Request, principal: Reader, s: DbSession, p: Shared
) -> FunnelOut | Response:
    """Contact -> reception -> consultation -> quote -> order; per ``by`` side by side."""
    ctx = service.context(s, principal.workspace_id)
    start, end = ctx.default_range(p.start, p.end)
    q = MetricQuery(start, end, OVERVIEW, p.by, p.filters, False)
    with service.open_engine(request.app.state.settings, p.engine) as engine:
        result = service.funnel_of(engine, ctx, q, cache=_cache(request))
    if p.format != "json":
        return _file(export.funnel_table(result, _locale(request, principal)), p.format, "funnel")
    return FunnelOut(
        workspace_id=principal.workspace_id,
        engine=result.engine,
        start=start,
        end=end,
        by=result.by,
        overall=FunnelSideOut.model_validate(result.overall),
        sides=[FunnelSideOut.model_validate(x) for x in result.sides],
    )


@router.get("/agents", response_model=ScorecardsOut)
def agent_scorecards(
    request: Request,
    principal: Reader,
    s: DbSession,
    p: Shared,
    scope: Literal["live", "phone", "email", "all"] = "live",
) -> ScorecardsOut | Response:
    """Each agent's scorecard, every figure tested against the rest of the team, within one
    channel scope (chat by default: web and API channels)."""
    ctx = service.context(s, principal.workspace_id)
    start, end = ctx.default_range(p.start, p.end)
    with service.open_engine(request.app.state.settings, p.engine) as engine:
        cards = service.scorecards(engine, ctx, start, end, p.filters, _cache(request), scope)
    if p.format != "json":
        return _file(export.scorecard_table(cards, _locale(request, principal)), p.format, "agents")
    return ScorecardsOut(
        workspace_id=principal.workspace_id,
        start=start,
        end=end,
        agents=[ScorecardOut.model_validate(c) for c in cards],
    )


@router.get("/diagnosis", response_model=DiagnosisOut)
def diagnosis(
    request: Request, principal: Reader, s: DbSession, p: Shared
) -> DiagnosisOut | Response:
    """Where the service loses customers: rows significantly and materially worse than peers."""
    ctx = service.context(s, principal.workspace_id)
    start, end = ctx.default_range(p.start, p.end)
    with service.open_engine(request.app.state.settings, p.engine) as engine:
        findings = service.diagnosis_of(engine, ctx, start, end, p.filters, _cache(request))
    if p.format != "json":
        return _file(
            export.diagnosis_table(findings, _locale(request, principal)), p.format, "diagnosis"
        )
    return DiagnosisOut(
        workspace_id=principal.workspace_id,
        start=start,
        end=end,
        findings=[FindingOut.model_validate(f) for f in findings],
    )
