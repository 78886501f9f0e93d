"""The monthly report of the simulated shop names what was planted in it.

One month of the demo world (rude agent, slow agent, evening misses, a complaint spike on one
product line, a low-converting channel) is inspected, its complaint desk and retention desk
played, and the report for that month generated: each planted signal must be among the ranked
actions or the section findings, the summary must fit page 1, the PDF must render Chinese text
and charts, the XLSX must hold the tables as numbers, and the e-mail must reach a real SMTP
server with both files attached.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from liuke.core.config import Settings, get_settings
from liuke.quality.cli import backfill
from liuke.reports import service
from liuke.reports.document import Document
from liuke.reports.periods import parse
from liuke.simulate import simulate_world
from liuke.simulate.casework import work_cases
from liuke.simulate.retention import work_retention
from tests.e2e.test_browser import require_browser
from tests.simulate.helpers import Sim, fresh_db
from tests.smtp import Server

MONTH = "2026-11"


@dataclass
class Shop:
    sim: Sim
    settings: Settings
    doc: Document
    run_id: int


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp = tmp_path_factory.mktemp("report-world")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUKE_MODEL_DIR", str(tmp / "models"))
        get_settings.cache_clear()
        db = fresh_db(tmp / "world.db")
        result = simulate_world(
            db, end=date(2026, 11, 30), days=30, customers=2500, conversations=14_000,
            agents=16, seed=7,
        )  # fmt: skip
        sim = Sim(db, tmp / "world.db", result)
        backfill(db, sim.ws)
        work_cases(db, sim.ws)
        work_retention(db, sim.ws)
        settings = Settings(database_url=db.url, model_dir=tmp / "models")
        run_id = service.generate(db, settings, sim.ws, parse("monthly", MONTH), with_pdf=False)
        with db.session() as s:
            doc = service.document_of(service.get_run(s, sim.ws, run_id))
        yield Shop(sim, settings, doc, run_id)
    get_settings.cache_clear()
    db.dispose()


def _text(doc: Document) -> str:
    parts = [*doc.headline]
    for r in doc.recommendations:
        parts += [r.title, r.evidence, r.action]
    for sec in doc.sections:
        parts += sec.findings
    return "\n".join(parts)


def test_the_ranked_actions_name_the_planted_problems(shop: Shop) -> None:
    signals = shop.sim.truth["signals"]
    doc = shop.doc
    titles = [r.title for r in doc.recommendations]
    assert 3 <= len(titles) <= 8
    # the rude agent: an action of their own, with the attitude evidence first
    rude = signals["rude_agent"]["name"]
    rude_rec = next(r for r in doc.recommendations if rude in r.title)
    assert "态度" in rude_rec.evidence.split("；")[0] and rude in rude_rec.action
    # the evening hours where nobody answered
    assert any("22:00" in t for t in titles), titles
    # the complaint spike's product line, escalated to its department
    line = signals["complaint_spike"]["product_line_name"]
    complaints = doc.section("complaints")
    assert complaints is not None
    assert any(line in f and "控制图预警" in f for f in complaints.findings)
    # the low-converting channel loses orders outright
    channel = signals["low_converting_channel"]["channel_name"]
    assert any(channel in t for t in titles), titles
    # the slow agent is named among the quality findings or the actions
    assert signals["slow_agent"]["name"] in _text(doc)
    # ranked by expected effect, largest first, with the churn model's estimate
    effects = [r.effect for r in doc.recommendations]
    assert effects == sorted(effects, reverse=True) and effects[0] > 0
    assert [r.rank for r in doc.recommendations] == list(range(1, len(titles) + 1))


def test_the_sections_carry_the_other_capabilities_figures(shop: Shop) -> None:
    doc = shop.doc
    assert doc.headline and "进线" in doc.headline[0]
    service_kpis = {k.key: k for k in doc.section("service").kpis}  # type: ignore[union-attr]
    assert service_kpis["contacts"].value and service_kpis["contacts"].value > 5000
    retention = doc.section("retention")
    assert retention is not None and any("服务体验" in f for f in retention.findings)
    satisfaction = doc.section("satisfaction")
    assert satisfaction is not None and any("CSAT" in f for f in satisfaction.findings)
    quality = doc.section("quality")
    rude = shop.sim.truth["signals"]["rude_agent"]["name"]
    assert quality is not None and rude in quality.tables[0].rows[0][0]
    recovery = doc.section("recovery")
    assert recovery is not None and recovery.kpis[0].value and recovery.kpis[0].value > 0


def test_the_pdf_renders_chinese_and_charts(shop: Shop) -> None:
    require_browser()
    import pypdfium2 as pdfium

    with shop.sim.db.session() as s:
        run = service.get_run(s, shop.sim.ws, shop.run_id, files=True)
        data = service.pdf_of(s, shop.settings, run)
    assert data.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) >= 4
    first = "".join(pdf[0].get_textpage().get_text_range().split())
    assert "优先行动" in first and "摘要" in first
    second = "".join(pdf[1].get_textpage().get_text_range().split())
    assert "关键指标一览" in second  # page 2: the key figures, so the story fits two pages
    for i in (0, 1, 2):
        pixels = pdf[i].render(scale=100 / 72).to_numpy()[:, :, :3].astype(np.float64)
        ink = (pixels.mean(axis=2) < 200).mean()
        assert ink > 0.02 and pixels.std() > 20, (i, ink)


def test_the_xlsx_holds_every_table_as_numbers(shop: Shop) -> None:
    with shop.sim.db.session() as s:
        run = service.get_run(s, shop.sim.ws, shop.run_id, files=True)
        data = service.xlsx_of(run)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "报告" and "改进建议" in wb.sheetnames
    actions = wb["改进建议"]
    assert actions.cell(1, 1).value == "序号"
    assert isinstance(actions.cell(2, 6).value, float)  # the effect, a number not text
    assert actions.cell(2, 6).number_format == "¥#,##0"
    assert len(wb.sheetnames) > 10


def test_english_report(shop: Shop) -> None:
    with shop.sim.db.session() as s:
        doc = service.build_document(
            s, shop.settings, shop.sim.ws, parse("monthly", MONTH), locale="en"
        )
    assert "Monthly customer service report" in doc.title
    assert doc.recommendations and doc.headline[0].endswith(".")
    # names (agents, channels, departments) are the shop's own; the words around them are English
    assert not any(p in r.action + r.evidence for r in doc.recommendations for p in "，。；「」")


def test_the_report_is_emailed_with_both_files(shop: Shop, smtp: Server, tmp_path: Path) -> None:
    require_browser()
    settings = smtp.settings(
        database_url=shop.settings.database_url, model_dir=shop.settings.model_dir
    )
    with shop.sim.db.session() as s:
        result = service.send(
            s, settings, shop.sim.ws, shop.run_id, recipients=["ceo@shop.cn", "cs-lead@shop.cn"]
        )
    assert sorted(result.recipients) == ["ceo@shop.cn", "cs-lead@shop.cn"]
    message = smtp.handler.received[-1].parsed()
    files = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    assert set(files) == {"liuke-monthly-2026-11.pdf", "liuke-monthly-2026-11.xlsx"}
    assert files["liuke-monthly-2026-11.pdf"].startswith(b"%PDF")
    body = message.get_body(("plain",))
    assert body is not None and "优先行动" in body.get_content()
    html = message.get_body(("html",))  # the summary readable on a phone without the PDF
    assert html is not None
    content = html.get_content()
    assert "<table" in content and shop.doc.recommendations[0].title in content
