"""REST endpoints for report templates, the archive, downloads and delivery (thin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from liuke.core.api import Page, PageParams, attachment, page_params, request_settings
from liuke.core.errors import BadRequest
from liuke.core.pagination import page_of
from liuke.reports import builder, render, service
from liuke.reports.periods import KINDS, last_complete, parse
from liuke.reports.schemas import (
    RunDetailOut,
    RunIn,
    RunOut,
    SendIn,
    SendOut,
    TemplateIn,
    TemplateOut,
)
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.clock import local_today
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Reader = Annotated[Principal, Depends(require("reports.read"))]
Manager = Annotated[Principal, Depends(require("reports.manage"))]
Paging = Annotated[PageParams, Depends(page_params)]


def _template_out(workspace_id: int, t: service.TemplateSettings) -> TemplateOut:
    return TemplateOut(
        workspace_id=workspace_id, available_sections=list(builder.SECTIONS[t.kind]), **asdict(t)
    )


@router.get("/templates")
def list_templates(principal: Reader, s: DbSession) -> list[TemplateOut]:
    ws = principal.workspace_id
    return [_template_out(ws, service.template_of(s, ws, k)) for k in KINDS]


@router.get("/templates/{kind}")
def get_template(kind: str, principal: Reader, s: DbSession) -> TemplateOut:
    return _template_out(
        principal.workspace_id, service.template_of(s, principal.workspace_id, kind)
    )


@router.put("/templates/{kind}")
def put_template(kind: str, body: TemplateIn, principal: Manager, s: DbSession) -> TemplateOut:
    saved = service.save_template(
        s,
        principal.workspace_id,
        kind,
        sections=body.sections,
        thresholds=body.thresholds,
        recipients=body.recipients,
        locale=body.locale,
        scheduled=body.scheduled,
        send_hour=body.send_hour,
        actor_id=principal.user_id,
    )
    return _template_out(principal.workspace_id, saved)


@router.post("/runs", status_code=201)
def create_run(body: RunIn, request: Request, principal: Manager, s: DbSession) -> RunOut:
    """Generate and archive a report now (the PDF is drawn when the server can)."""
    ws = principal.workspace_id
    period = (
        parse(body.kind, body.period)
        if body.period
        else last_complete(body.kind, local_today(s, ws))
    )
    s.commit()  # the build reads for seconds: hold no lock meanwhile (service.generate)
    run_id = service.generate(
        request.app.state.db, request_settings(request), ws, period, trigger="manual",
        actor_id=principal.user_id, locale=body.locale,
    )  # fmt: skip
    return RunOut.model_validate(service.get_run(s, ws, run_id))


@router.get("/runs")
def list_runs(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    kind: Annotated[str | None, Query(description="daily | tenday | weekly | monthly")] = None,
) -> Page[RunOut]:
    stmt = service.run_query(principal.workspace_id, kind)
    return page_of(s, stmt, paging, RunOut.model_validate)


@router.get("/runs/{run_id}")
def get_run(run_id: int, principal: Reader, s: DbSession) -> RunDetailOut:
    run = service.get_run(s, principal.workspace_id, run_id)
    out = RunDetailOut.model_validate(run)
    return out.model_copy(update={"document": run.snapshot})


@router.get("/runs/{run_id}/pdf")
def download_pdf(run_id: int, request: Request, principal: Reader, s: DbSession) -> Response:
    run = service.get_run(s, principal.workspace_id, run_id, files=True)
    data = service.pdf_of(s, request_settings(request), run)
    return attachment(data, service.PDF_MEDIA, service.file_name(run, "pdf"))


@router.get("/runs/{run_id}/xlsx")
def download_xlsx(run_id: int, principal: Reader, s: DbSession) -> Response:
    run = service.get_run(s, principal.workspace_id, run_id, files=True)
    return attachment(service.xlsx_of(run), render.XLSX_MEDIA, service.file_name(run, "xlsx"))


@router.post("/runs/{run_id}/send")
def send_run(
    run_id: int, body: SendIn, request: Request, principal: Manager, s: DbSession
) -> SendOut:
    try:
        res = service.send(
            s, request_settings(request), principal.workspace_id, run_id, recipients=body.recipients
        )
    except BadRequest:
        s.commit()  # keep the failure recorded on the run; the caller still gets the 400
        raise
    return SendOut(
        message_id=res.message_id, recipients=list(res.recipients), refused=dict(res.refused)
    )
