"""Report templates, generation into the archive, downloads and e-mail delivery.

Generation builds the document once (the data snapshot), draws the XLSX and the PDF from it and
keeps all three on the run. A PDF that cannot be drawn (no Chromium on this server) does not
lose the report: the run is kept with the reason, and the PDF is drawn from the snapshot the
first time someone asks for it on a server that can.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, undefer

from liuke.core.config import Settings
from liuke.core.db import Database, utcnow
from liuke.core.errors import BadRequest, NotFound
from liuke.core.mail import Attachment, MailError, SendResult, build_message, send_mail
from liuke.reports import builder, render
from liuke.reports.document import Document
from liuke.reports.models import ReportRun, ReportTemplate
from liuke.reports.pdf import PdfUnavailable
from liuke.reports.periods import Period, check_kind

log = logging.getLogger(__name__)

LOCALES = ("zh_CN", "en")
MAX_RECIPIENTS = 50
PDF_MEDIA = "application/pdf"


@dataclass(frozen=True)
class TemplateSettings:
    """A template as the API and pages show it (the defaults when none was saved)."""

    kind: str
    sections: list[str]
    thresholds: dict[str, float]
    recipients: list[str]
    locale: str
    scheduled: bool
    send_hour: int
    saved: bool


def _template_row(s: Session, workspace_id: int, kind: str) -> ReportTemplate | None:
    check_kind(kind)
    return s.scalar(
        select(ReportTemplate).where(
            ReportTemplate.workspace_id == workspace_id, ReportTemplate.kind == kind
        )
    )


def template_of(s: Session, workspace_id: int, kind: str) -> TemplateSettings:
    row = _template_row(s, workspace_id, kind)
    if row is None:
        return TemplateSettings(
            kind, list(builder.SECTIONS[kind]), dict(builder.DEFAULT_THRESHOLDS), [], "zh_CN",
            False, 8, False,
        )  # fmt: skip
    return TemplateSettings(
        kind,
        [x for x in row.sections if x in builder.SECTIONS[kind]],
        builder.thresholds_with_defaults(row.thresholds),
        list(row.recipients),
        row.locale,
        row.scheduled,
        row.send_hour,
        True,
    )


def _check_sections(kind: str, sections: list[str]) -> list[str]:
    allowed = builder.SECTIONS[kind]
    unknown = [x for x in sections if x not in allowed]
    if unknown:
        raise BadRequest(
            detail=f"unknown section {', '.join(unknown)} for a {kind} report; "
            f"known: {', '.join(allowed)}"
        )
    if not sections:
        raise BadRequest(detail="a report needs at least one section")
    if len(set(sections)) != len(sections):
        raise BadRequest(detail="each section may appear once")
    return list(sections)


def _check_thresholds(raw: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in raw.items():
        if key not in builder.THRESHOLD_LIMITS:
            raise BadRequest(
                detail=f"unknown threshold {key!r}; known: {', '.join(builder.THRESHOLD_LIMITS)}"
            )
        lo, hi = builder.THRESHOLD_LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise BadRequest(detail=f"threshold {key} must be a number from {lo:g} to {hi:g}")
        out[key] = float(value)
    return out


def _check_recipients(recipients: list[str]) -> list[str]:
    clean = list(dict.fromkeys(r.strip() for r in recipients if r.strip()))
    if len(clean) > MAX_RECIPIENTS:
        raise BadRequest(detail=f"at most {MAX_RECIPIENTS} recipients")
    # the mail module's own parser: the same rules as when the message is sent
    build_message(sender="check@localhost", to=clean or ["check@localhost"], subject="x", text="")
    return clean


def save_template(
    s: Session,
    workspace_id: int,
    kind: str,
    *,
    sections: list[str],
    thresholds: dict[str, Any],
    recipients: list[str],
    locale: str,
    scheduled: bool,
    send_hour: int,
    actor_id: int | None,
) -> TemplateSettings:
    """Validate everything before writing anything: a bad field changes nothing."""
    check_kind(kind)
    sections = _check_sections(kind, sections)
    values = _check_thresholds(thresholds)
    to = _check_recipients(recipients)
    if locale not in LOCALES:
        raise BadRequest(detail=f"locale must be one of {', '.join(LOCALES)}")
    if not 0 <= send_hour <= 23:
        raise BadRequest(detail="send_hour is a local hour from 0 to 23")
    row = _template_row(s, workspace_id, kind)
    if row is None:
        row = ReportTemplate(workspace_id=workspace_id, kind=kind)
        s.add(row)
    row.sections = sections
    row.thresholds = values
    row.recipients = to
    row.locale = locale
    row.scheduled = scheduled
    row.send_hour = send_hour
    row.updated_at = utcnow()
    row.updated_by = actor_id
    s.flush()
    return template_of(s, workspace_id, kind)


# --- generation --------------------------------------------------------------------------------


def build_document(
    s: Session,
    settings: Settings,
    workspace_id: int,
    period: Period,
    *,
    locale: str | None = None,
    sections: list[str] | None = None,
) -> Document:
    """The document for ``period`` under the workspace's template (not archived)."""
    conf = template_of(s, workspace_id, period.kind)
    return builder.build(
        s,
        settings,
        workspace_id,
        period,
        sections=_check_sections(period.kind, sections) if sections else conf.sections,
        thresholds=conf.thresholds,
        locale=locale or conf.locale,
    )


def generate(
    db: Database,
    settings: Settings,
    workspace_id: int,
    period: Period,
    *,
    trigger: str = "manual",
    actor_id: int | None = None,
    locale: str | None = None,
    run_id: int | None = None,
    with_pdf: bool = True,
) -> int:
    """Build, draw and archive one report; returns the run's id. ``run_id`` is a row a
    scheduler already claimed.

    The build reads for seconds (half a minute on a big shop), so it runs in a read session
    (``Database.read_session``: on SQLite no write lock is held meanwhile) and the files are
    drawn outside any transaction; only storing the result is a (short) write.
    """
    if locale is not None and locale not in LOCALES:
        raise BadRequest(detail=f"locale must be one of {', '.join(LOCALES)}")
    with db.read_session() as r:
        doc = build_document(r, settings, workspace_id, period, locale=locale)
    xlsx = render.xlsx(doc)
    pdf, error = None, ""
    if with_pdf:
        try:
            pdf = render.pdf(doc, settings)
        except PdfUnavailable as exc:
            error = exc.detail
            log.warning("report %s %s: no PDF: %s", period.kind, period.key, exc.detail)
    with db.session() as s:
        run = s.get(ReportRun, run_id) if run_id is not None else None
        if run is None or run.workspace_id != workspace_id:
            run = ReportRun(workspace_id=workspace_id, trigger=trigger, created_by=actor_id)
            s.add(run)
        run.kind, run.period_key = period.kind, period.key
        run.period_start, run.period_end = period.start, period.end
        run.locale, run.title = doc.locale, doc.title
        run.snapshot = doc.to_json()
        run.xlsx, run.xlsx_size = xlsx, len(xlsx)
        run.pdf, run.pdf_size = pdf, len(pdf or b"")
        run.error = error
        run.status = "ready"
        run.finished_at = utcnow()
        s.flush()
        return run.id


def run_query(workspace_id: int, kind: str | None = None) -> Select[ReportRun]:
    stmt = select(ReportRun).where(ReportRun.workspace_id == workspace_id)
    if kind is not None:
        check_kind(kind)
        stmt = stmt.where(ReportRun.kind == kind)
    return stmt.order_by(ReportRun.period_start.desc(), ReportRun.id.desc())


def get_run(s: Session, workspace_id: int, run_id: int, *, files: bool = False) -> ReportRun:
    stmt = select(ReportRun).where(ReportRun.workspace_id == workspace_id, ReportRun.id == run_id)
    if files:
        stmt = stmt.options(undefer(ReportRun.pdf), undefer(ReportRun.xlsx))
    run = s.scalar(stmt.options(undefer(ReportRun.snapshot)))
    if run is None:
        raise NotFound("report", run_id)
    return run


def document_of(run: ReportRun) -> Document:
    if run.snapshot is None or run.status != "ready":
        raise BadRequest(detail=f"report {run.id} is {run.status}: {run.error or 'not ready'}")
    return Document.from_json(run.snapshot)


def pdf_of(s: Session, settings: Settings, run: ReportRun) -> bytes:
    """The archived PDF, drawn from the snapshot the first time when generation had none."""
    if run.pdf:
        return run.pdf
    data = render.pdf(document_of(run), settings)
    run.pdf, run.pdf_size, run.error = data, len(data), ""
    s.flush()
    return data


def xlsx_of(run: ReportRun) -> bytes:
    if run.xlsx:
        return run.xlsx
    return render.xlsx(document_of(run))


def file_name(run: ReportRun, ext: str) -> str:
    return f"liuke-{run.kind}-{run.period_key}.{ext}"


def mail_text(doc: Document) -> str:
    """The e-mail body: the summary and the ranked actions, readable without the attachment."""
    zh = doc.locale.startswith("zh")
    lines = [doc.title, f"{doc.start} – {doc.end}", ""]
    lines += [f"· {line}" for line in doc.headline]
    if doc.recommendations:
        lines += ["", "优先行动：" if zh else "What to do first:"]
        for r in doc.recommendations:
            lines.append(f"{r.rank}. {r.title} — {r.action} ({r.effect_text})")
    lines += [
        "",
        "完整报告见附件 PDF 与 XLSX。" if zh else "The full report is attached (PDF, XLSX).",
    ]
    return "\n".join(lines)


def send(
    s: Session,
    settings: Settings,
    workspace_id: int,
    run_id: int,
    *,
    recipients: list[str] | None = None,
) -> SendResult:
    """E-mail one archived report (PDF and XLSX attached) and record where it went.

    Without a PDF renderer the XLSX goes alone and the body says so; a mail failure is
    recorded on the run and raised as a clear 400, the report itself is kept.
    """
    run = get_run(s, workspace_id, run_id, files=True)
    doc = document_of(run)
    to = (
        _check_recipients(recipients)
        if recipients
        else template_of(s, workspace_id, run.kind).recipients
    )
    if not to:
        raise BadRequest(
            detail=f"no recipients: add them to the {run.kind} report template or the request"
        )
    text, note = mail_text(doc), ""
    attachments = [Attachment(file_name(run, "xlsx"), xlsx_of(run), render.XLSX_MEDIA)]
    try:
        attachments.insert(
            0, Attachment(file_name(run, "pdf"), pdf_of(s, settings, run), PDF_MEDIA)
        )
    except PdfUnavailable as exc:
        note = exc.detail
        text += "\n\n" + note
    try:
        result = send_mail(
            settings, to, doc.title, text, html=render.mail_html(doc, note), attachments=attachments
        )
    except MailError as exc:
        run.send_error = str(exc)
        s.flush()
        raise BadRequest(detail=str(exc)) from exc
    run.sent_at = utcnow()
    run.sent_to = list(result.recipients)
    run.send_error = "; ".join(f"{k}: {v}" for k, v in result.refused.items())
    s.flush()
    return result
