"""Report pages: the archive, one report as a page, generation, delivery and the templates.

Thin: everything goes through ``reports.service``. Reading needs ``reports.read``; generating,
sending and editing templates need ``reports.manage``. Downloads are the API's endpoints (the
session cookie signs them in).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response

import liuke.reports.messages  # noqa: F401  (registers the page strings)
from liuke.core.api import attachment, request_settings
from liuke.core.errors import AppError, BadRequest
from liuke.core.i18n import translate
from liuke.core.pagination import fetch_page
from liuke.reports import builder, render, service
from liuke.reports.periods import KINDS, PERIOD_FORMS, last_complete, parse
from liuke.web.fmt import Fmt
from liuke.web.pages import PageRoute, page_guard, page_locale, page_viewer, redirect
from liuke.web.pages import render as render_page
from liuke.workspaces.auth import DbSession
from liuke.workspaces.clock import local_today, zone_of
from liuke.workspaces.service import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
READ, MANAGE = "reports.read", "reports.manage"
PAGE_SIZE = 30


class _Page:
    def __init__(
        self, request: Request, s: DbSession, permission: str = READ, post: bool = False
    ) -> None:
        self.request, self.s = request, s
        self.principal: Principal = page_guard(request, s, permission, post=post)
        self.ws = self.principal.workspace_id
        self.locale = page_locale(request, self.principal)
        self.fmt = Fmt(self.locale, zone_of(s, self.ws))

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        context.setdefault("saved", "")
        context.setdefault("error", "")
        return render_page(
            self.request,
            template,
            self.locale,
            status_code=status_code,
            viewer=page_viewer(self.s, self.principal, active="reports"),
            fmt=self.fmt,
            kinds=KINDS,
            kind_name=lambda k: builder.report_name(k, self.locale),
            section_name=lambda k: builder.section_name(k, self.locale),
            can_manage=self.principal.can(MANAGE),
            **context,
        )

    def error_text(self, exc: AppError) -> str:
        return translate(exc.message_key, self.locale, **exc.params)


@router.get("/reports")
def archive(
    request: Request,
    s: DbSession,
    kind: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    p = _Page(request, s)
    stmt = service.run_query(p.ws, kind or None)
    runs, total = fetch_page(s, stmt, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    today = local_today(s, p.ws)
    return p.render(
        "reports/index.html",
        runs=runs,
        total=total,
        page=page,
        kind=kind,
        next_url=f"/reports?kind={kind}&page={page + 1}" if page * PAGE_SIZE < total else None,
        prev_url=f"/reports?kind={kind}&page={page - 1}" if page > 1 else None,
        defaults={k: last_complete(k, today).key for k in KINDS},
        forms=PERIOD_FORMS,
        templates={k: service.template_of(s, p.ws, k) for k in KINDS},
    )


@router.post("/reports/generate")
def generate(
    request: Request,
    s: DbSession,
    kind: Annotated[str, Form(max_length=16)],
    period: Annotated[str, Form(max_length=16)] = "",
    locale: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    p = _Page(request, s, MANAGE, post=True)
    chosen = parse(kind, period) if period.strip() else last_complete(kind, local_today(s, p.ws))
    s.commit()  # the build reads for seconds: hold no lock meanwhile (service.generate)
    run_id = service.generate(
        request.app.state.db, request_settings(request), p.ws, chosen, trigger="manual",
        actor_id=p.principal.user_id, locale=locale or None,
    )  # fmt: skip
    return redirect(f"/reports/{run_id}")


@router.get("/reports/{run_id:int}")
def view(request: Request, s: DbSession, run_id: int, saved: str = "") -> Response:
    p = _Page(request, s)
    run = service.get_run(s, p.ws, run_id)
    doc = service.document_of(run) if run.status == "ready" else None
    return p.render(
        "reports/view.html",
        run=run,
        body=render.body_html(doc) if doc else None,
        recipients=", ".join(service.template_of(s, p.ws, run.kind).recipients),
        saved=saved,
    )


@router.get("/reports/{run_id:int}/{fmt}")
def download(request: Request, s: DbSession, run_id: int, fmt: str) -> Response:
    """The files from a page link: a server that cannot print answers with the error page in
    the reader's language (what to install), not the API's JSON."""
    p = _Page(request, s)
    if fmt not in ("pdf", "xlsx"):
        raise BadRequest(detail=f"unknown file {fmt!r}; known: pdf, xlsx")
    run = service.get_run(s, p.ws, run_id, files=True)
    if fmt == "pdf":
        data, media = service.pdf_of(s, request_settings(request), run), service.PDF_MEDIA
    else:
        data, media = service.xlsx_of(run), render.XLSX_MEDIA
    name = service.file_name(run, fmt)
    return attachment(data, media, name)


@router.post("/reports/{run_id:int}/send")
def send(
    request: Request,
    s: DbSession,
    run_id: int,
    recipients: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    p = _Page(request, s, MANAGE, post=True)
    to = [r for r in recipients.replace(";", ",").replace("\n", ",").split(",") if r.strip()]
    try:
        service.send(s, request_settings(request), p.ws, run_id, recipients=to or None)
    except AppError:
        s.commit()  # keep the failure the service recorded on the run (send_error), then refuse
        raise
    return redirect(f"/reports/{run_id}?saved=sent")


@router.get("/reports/templates/{kind}")
def template_form(request: Request, s: DbSession, kind: str, saved: str = "") -> Response:
    p = _Page(request, s, MANAGE)
    conf = service.template_of(s, p.ws, kind)
    return p.render("reports/template.html", conf=conf, values=_values(conf), saved=saved, kind=kind,
                    available=builder.SECTIONS[kind])  # fmt: skip


def _values(conf: service.TemplateSettings) -> dict[str, Any]:
    return {
        "sections": conf.sections,
        "notable_change": f"{conf.thresholds['notable_change']:g}",
        "top_n": f"{conf.thresholds['top_n']:g}",
        "min_units": f"{conf.thresholds['min_units']:g}",
        "recipients": "\n".join(conf.recipients),
        "locale": conf.locale,
        "scheduled": conf.scheduled,
        "send_hour": str(conf.send_hour),
    }


def _number(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # "nan" and "inf" parse as floats but are no threshold
        raise BadRequest(detail=f"{name} must be a number, not {raw[:20]!r}")
    return value


def _hour(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise BadRequest(detail=f"send_hour must be a whole hour, not {raw[:20]!r}") from None


@router.post("/reports/templates/{kind}")
def template_save(
    request: Request,
    s: DbSession,
    kind: str,
    sections: Annotated[list[str] | None, Form()] = None,
    notable_change: Annotated[str, Form(max_length=20)] = "0.1",
    top_n: Annotated[str, Form(max_length=20)] = "5",
    min_units: Annotated[str, Form(max_length=20)] = "30",
    recipients: Annotated[str, Form(max_length=5000)] = "",
    locale: Annotated[str, Form(max_length=8)] = "zh_CN",
    scheduled: Annotated[str, Form(max_length=8)] = "",
    send_hour: Annotated[str, Form(max_length=4)] = "8",
) -> Response:
    p = _Page(request, s, MANAGE, post=True)
    conf = service.template_of(s, p.ws, kind)
    values = {
        "sections": sections or [],
        "notable_change": notable_change,
        "top_n": top_n,
        "min_units": min_units,
        "recipients": recipients,
        "locale": locale,
        "scheduled": bool(scheduled),
        "send_hour": send_hour,
    }
    try:
        service.save_template(
            s,
            p.ws,
            kind,
            sections=[x for x in builder.SECTIONS[kind] if x in (sections or [])],
            thresholds={
                "notable_change": _number(notable_change, "notable_change"),
                "top_n": _number(top_n, "top_n"),
                "min_units": _number(min_units, "min_units"),
            },
            recipients=[r for r in recipients.replace(",", "\n").splitlines() if r.strip()],
            locale=locale,
            scheduled=bool(scheduled),
            send_hour=_hour(send_hour),
            actor_id=p.principal.user_id,
        )
    except AppError as exc:  # show the form again with what was typed and why it was refused
        s.rollback()
        return p.render("reports/template.html", status_code=exc.status_code, conf=conf,
                        values=values, kind=kind, available=builder.SECTIONS[kind],
                        error=p.error_text(exc))  # fmt: skip
    return redirect(f"/reports/templates/{kind}?saved=1")
