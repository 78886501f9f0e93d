"""Report templates, generation into the archive, delivery, and the schedule (SQLite and
PostgreSQL): what a manager configures is validated before anything is written, a report of an
empty shop still reads, and a scheduled report is generated and sent exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from liuke.core.config import Settings
from liuke.core.db import Database
from liuke.core.errors import BadRequest
from liuke.reports import scheduler, service
from liuke.reports.document import Document
from liuke.reports.models import ReportRun, ReportTemplate
from liuke.reports.periods import parse
from tests.conftest import WorkspaceCtx
from tests.smtp import Server

NO_BROWSER = Path("/nonexistent/chromium")


def _settings(db: Database, **over: Any) -> Settings:
    return Settings(database_url=db.url, chromium_path=NO_BROWSER, **over)


def _template(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sections": ["service", "complaints"],
        "thresholds": {"top_n": 3},
        "recipients": ["boss@shop.cn"],
        "locale": "zh_CN",
        "scheduled": True,
        "send_hour": 8,
        "actor_id": None,
    }
    return {**body, **over}


def test_defaults_then_a_saved_template(db: Database, workspace: WorkspaceCtx) -> None:
    with db.session() as s:
        t = service.template_of(s, workspace.id, "monthly")
        assert not t.saved and not t.scheduled and t.recipients == []
        assert t.sections[0] == "service" and "retention" in t.sections
        saved = service.save_template(s, workspace.id, "monthly", **_template())
    assert saved.saved and saved.sections == ["service", "complaints"]
    assert saved.thresholds["top_n"] == 3 and saved.thresholds["notable_change"] == 0.1
    with db.session() as s:
        again = service.template_of(s, workspace.id, "monthly")
    assert again == saved


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"sections": ["retention", "nonsense"]}, "unknown section nonsense"),
        ({"sections": []}, "at least one section"),
        ({"sections": ["service", "service"]}, "once"),
        ({"sections": ["warning"]}, "unknown section warning"),  # daily only
        ({"thresholds": {"top_n": 0}}, "top_n must be a number from 1 to 50"),
        ({"thresholds": {"speed": 1}}, "unknown threshold"),
        ({"recipients": ["not an address"]}, "address"),
        ({"recipients": ["a@b.cn\nBcc: x@y.cn"]}, ""),
        ({"locale": "fr"}, "locale"),
        ({"send_hour": 24}, "send_hour"),
    ],
)
def test_a_bad_template_is_refused_and_nothing_changes(
    db: Database, workspace: WorkspaceCtx, over: dict[str, Any], needle: str
) -> None:
    with db.session() as s:
        service.save_template(s, workspace.id, "monthly", **_template())
    with db.session() as s:
        before = service.template_of(s, workspace.id, "monthly")
        with pytest.raises(BadRequest) as exc:
            service.save_template(s, workspace.id, "monthly", **_template(**over))
        assert needle in str(exc.value.params.get("detail", ""))
        s.rollback()
        assert service.template_of(s, workspace.id, "monthly") == before


def test_an_empty_shop_gets_a_readable_report(db: Database, workspace: WorkspaceCtx) -> None:
    run_id = service.generate(db, _settings(db), workspace.id, parse("monthly", "2026-10"))
    with db.session() as s:
        run = service.get_run(s, workspace.id, run_id, files=True)
        assert run.status == "ready" and run.xlsx_size > 0
        # no browser: the report is kept, the reason noted, the PDF left for later
        assert run.pdf is None and "Chromium" in run.error
        doc = service.document_of(run)
    assert [sec.key for sec in doc.sections] == [
        "service", "funnel", "complaints", "quality", "satisfaction", "retention", "recovery",
    ]  # fmt: skip
    assert doc.title.endswith("客户服务管理月报 2026年10月")
    assert (doc.previous_start, doc.previous_end) == (date(2026, 9, 1), date(2026, 9, 30))
    assert doc.recommendations == []
    complaints = doc.section("complaints")
    assert complaints is not None and "本期没有投诉。" in complaints.notes
    # the snapshot is the document: it reads back the same
    assert Document.from_json(doc.to_json()) == doc


def test_other_kinds_and_english(db: Database, workspace: WorkspaceCtx) -> None:
    for kind, key in (("daily", "2026-10-31"), ("tenday", "2026-10-3"), ("weekly", "2026-W44")):
        run_id = service.generate(
            db, _settings(db), workspace.id, parse(kind, key), locale="en", with_pdf=False
        )
        with db.session() as s:
            run = service.get_run(s, workspace.id, run_id)
            doc = service.document_of(run)
        assert doc.locale == "en" and run.period_key == key
        assert doc.sections[0].key == ("warning" if kind == "daily" else "service")
    assert "Daily complaint warning" in doc.title or "Weekly" in doc.title
    with pytest.raises(BadRequest):
        service.generate(db, _settings(db), workspace.id, parse("daily", "2026-10-31"), locale="fr")


def test_send_attaches_the_files_and_records_where_it_went(
    db: Database, workspace: WorkspaceCtx, smtp: Server
) -> None:
    settings = smtp.settings(database_url=db.url, chromium_path=NO_BROWSER)
    run_id = service.generate(db, settings, workspace.id, parse("monthly", "2026-10"))
    with db.session() as s, pytest.raises(BadRequest) as exc:
        service.send(s, settings, workspace.id, run_id)  # no recipients anywhere
    assert "no recipients" in exc.value.params["detail"]
    with db.session() as s:
        result = service.send(s, settings, workspace.id, run_id, recipients=["boss@shop.cn"])
    assert result.recipients == ("boss@shop.cn",)
    message = smtp.handler.received[-1].parsed()
    assert "客户服务管理月报" in str(message["Subject"])
    names = [p.get_filename() for p in message.iter_attachments()]
    assert names == ["liuke-monthly-2026-10.xlsx"]  # no browser here: the XLSX goes alone
    body = message.get_body(("plain",))
    assert body is not None and "Chromium" in body.get_content()
    with db.session() as s:
        run = service.get_run(s, workspace.id, run_id)
        assert run.sent_to == ["boss@shop.cn"] and run.sent_at is not None


def test_mail_failure_is_a_clear_error(db: Database, workspace: WorkspaceCtx) -> None:
    settings = _settings(db)  # no SMTP host
    run_id = service.generate(
        db, settings, workspace.id, parse("monthly", "2026-10"), with_pdf=False
    )
    with db.session() as s, pytest.raises(BadRequest) as exc:
        service.send(s, settings, workspace.id, run_id, recipients=["boss@shop.cn"])
    assert "mail is not configured" in exc.value.params["detail"]


def _schedule(db: Database, ws: int, **over: Any) -> None:
    with db.session() as s:
        service.save_template(s, ws, "monthly", **_template(sections=["service"], **over))


def _runs(db: Database, ws: int) -> list[ReportRun]:
    with db.session() as s:
        return list(s.scalars(select(ReportRun).where(ReportRun.workspace_id == ws)))


def test_the_schedule_runs_each_report_once(
    db: Database, make_workspace: Any, smtp: Server
) -> None:
    ws = make_workspace().id
    idle = make_workspace().id  # nothing scheduled: never touched
    settings = smtp.settings(database_url=db.url, chromium_path=NO_BROWSER)
    _schedule(db, ws)
    # 2026-11-01 07:30 in Shanghai: October is over but the send hour (8) has not come
    early = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert [d for d in scheduler.due(db, early) if d.workspace_id == ws] == []
    later = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)  # 09:00 local
    mine = [d for d in scheduler.due(db, later) if d.workspace_id == ws]
    assert [(d.period.kind, d.period.key) for d in mine] == [("monthly", "2026-10")]
    outcome = scheduler.run_one(db, settings, mine[0], later)
    assert outcome.status == "ready" and outcome.sent_to == ("boss@shop.cn",)
    # a second worker that saw it due at the same time does nothing
    assert scheduler.run_one(db, settings, mine[0], later).status == "skipped"
    assert [d for d in scheduler.due(db, later) if d.workspace_id == ws] == []
    runs = _runs(db, ws)
    assert (
        len(runs) == 1
        and runs[0].trigger == "schedule"
        and runs[0].schedule_key == "monthly:2026-10"
    )
    assert runs[0].sent_at is not None
    assert len([m for m in smtp.handler.received if "boss@shop.cn" in m.rcpt_tos]) == 1
    assert _runs(db, idle) == []


def test_a_dead_workers_run_is_taken_over(db: Database, make_workspace: Any) -> None:
    ws = make_workspace().id
    settings = _settings(db)
    _schedule(db, ws, recipients=[])
    now = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    item = next(d for d in scheduler.due(db, now) if d.workspace_id == ws)
    assert scheduler._claim(db, item, now) is not None  # claimed, then the worker died
    assert [d for d in scheduler.due(db, now) if d.workspace_id == ws] == []
    assert scheduler._claim(db, item, now) is None
    two_hours = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    again = [d for d in scheduler.due(db, two_hours) if d.workspace_id == ws]
    assert again == [item]
    assert scheduler.run_one(db, settings, item, two_hours).status == "ready"
    runs = _runs(db, ws)
    assert len(runs) == 1 and runs[0].status == "ready"


def test_a_failing_report_is_recorded_and_the_others_still_run(
    db: Database, make_workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace().id
    settings = _settings(db)
    _schedule(db, ws, recipients=[])
    now = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    item = next(d for d in scheduler.due(db, now) if d.workspace_id == ws)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("section exploded")

    monkeypatch.setattr(service, "build_document", broken)
    outcome = scheduler.run_one(db, settings, item, now)
    assert outcome.status == "failed" and "section exploded" in outcome.error
    (run,) = _runs(db, ws)
    assert run.status == "failed" and "section exploded" in run.error
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportTemplate)) >= 1


def test_a_report_being_built_locks_nobody_out(
    db: Database, workspace: WorkspaceCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite every session takes the write lock; the build reads in a snapshot instead, so
    the service keeps writing while a long report is built (here: a write from inside it)."""
    real = service.build_document
    wrote: list[int] = []

    def build_and_meanwhile_write(*args: Any, **kwargs: Any) -> Document:
        with db.session() as other:  # another request writes while the report reads
            other.add(
                ReportTemplate(workspace_id=workspace.id, kind="weekly", sections=["service"])
            )
            other.flush()
            wrote.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "build_document", build_and_meanwhile_write)
    run_id = service.generate(
        db, _settings(db), workspace.id, parse("monthly", "2026-10"), with_pdf=False
    )
    assert wrote == [1] and run_id > 0
