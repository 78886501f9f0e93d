"""Draw a report document as HTML (page and print), PDF and XLSX.

One partial (``reports/_document.html``) holds the report's body; the web page wraps it in the
site's layout and the print document in a standalone A4 page that Chromium turns into the PDF.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from liuke.core.config import Settings
from liuke.reports.document import ColumnKind, Document, Table
from liuke.reports.pdf import render_pdf
from liuke.web.fmt import Fmt

CSS_PATH = Path(__file__).resolve().parent.parent / "web" / "static" / "reports.css"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "num": "#,##0.00",
    "share": "0.0%",
    "change": "+0.0%;-0.0%;0.0%",
    "money": "¥#,##0.00",
    "amount": "¥#,##0",
    "seconds": "#,##0",
}


def format_cell(value: Any, kind: ColumnKind | str, locale: str) -> str:
    """A raw document value as a reader sees it, in the site's own number formats (the XLSX
    keeps the raw value and a format instead)."""
    if value is None or value == "":
        return "—" if value is None else ""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    fmt = Fmt(locale, ZoneInfo("UTC"))
    if kind == "seconds":
        return f"{value:.0f}s" if value < 120 else f"{value / 60:.1f}min"
    by_kind: dict[str, Callable[[float], str]] = {
        "share": fmt.share,
        "change": fmt.change,
        "money": fmt.money,
        "amount": fmt.amount,
        "count": fmt.count,
    }
    return by_kind.get(kind, fmt.num)(value)


def chart_json(option: dict[str, Any]) -> str:
    return json.dumps(option, ensure_ascii=False, separators=(",", ":"))


def _context(doc: Document) -> dict[str, Any]:
    zh = doc.locale.startswith("zh")

    def label(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    return {
        "doc": doc,
        "cell": lambda v, k: format_cell(v, k, doc.locale),
        "chart_json": chart_json,
        "L": label,
    }


def body_html(doc: Document) -> Markup:
    """The report body (headline, actions, sections) for the web page."""
    from liuke.web.pages import templates

    return Markup(templates.get_template("reports/_document.html").render(**_context(doc)))


def print_html(doc: Document) -> str:
    """A standalone A4 document: the body with the report stylesheet inlined."""
    from liuke.web.pages import templates

    return templates.get_template("reports/print.html").render(
        css=Markup(CSS_PATH.read_text(encoding="utf-8")),
        body=body_html(doc),
        **_context(doc),
    )


def mail_html(doc: Document, note: str = "") -> str:
    """The e-mail's HTML body: the summary and the actions, inline styles only (mail clients
    drop style sheets), readable on a phone without opening the attachment."""
    from liuke.web.pages import templates

    return templates.get_template("reports/mail.html").render(note=note, **_context(doc))


def pdf(doc: Document, settings: Settings) -> bytes:
    return render_pdf(
        print_html(doc),
        chromium_path=settings.chromium_path,
        vendor_dir=settings.static_vendor_dir,
        title=doc.title,
    )


def tables(doc: Document) -> list[tuple[str, Table]]:
    """Every table of the document with the section it belongs to, in reading order."""
    zh = doc.locale.startswith("zh")
    out: list[tuple[str, Table]] = []
    if doc.recommendations:
        out.append(
            (
                "summary",
                Table(
                    "改进建议" if zh else "Recommendations",
                    ["序号", "问题", "证据", "建议行动", "涉及客户", "预计影响（元）"]
                    if zh
                    else ["#", "Problem", "Evidence", "Action", "Customers", "Expected effect"],
                    ["count", "text", "text", "text", "count", "amount"],
                    [
                        [r.rank, r.title, r.evidence, r.action, r.customers, r.effect]
                        for r in doc.recommendations
                    ],
                ),
            )
        )
    for sec in doc.sections:
        if sec.kpis:
            out.append(
                (
                    sec.key,
                    Table(
                        sec.title,
                        ["指标", "本期", "上期", "环比"] if zh else
                        ["Figure", "This period", "Previous", "Change"],
                        ["text", "num", "num", "change"],
                        [[k.label, k.value, k.previous, k.change] for k in sec.kpis],
                    ),
                )
            )  # fmt: skip
        out += [(sec.key, t) for t in sec.tables]
    return out


def xlsx(doc: Document) -> bytes:
    """One sheet per table, numbers kept as numbers with a display format; a cover sheet says
    what the workbook is and which period it covers."""
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "报告" if doc.locale.startswith("zh") else "Report"
    cover.append([doc.title])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([f"{doc.start.isoformat()} – {doc.end.isoformat()}"])
    cover.append([])
    for line in doc.headline:
        cover.append([line])
    cover.column_dimensions["A"].width = 120
    used: set[str] = {cover.title}
    head_fill = PatternFill("solid", fgColor="EEF2F6")
    for _key, table in tables(doc):
        name = _sheet_name(table.title, used)
        ws = wb.create_sheet(name)
        ws.append(table.headers)
        for c in ws[1]:
            c.font = Font(bold=True)
            c.fill = head_fill
        for row in table.rows:
            ws.append([_xlsx_value(v) for v in row])
        for col, kind in enumerate(table.kinds, start=1):
            fmt = NUMBER_FORMATS.get(kind)
            width = max(
                [len(str(table.headers[col - 1]))]
                + [len(str(r[col - 1])) for r in table.rows[:200] if col - 1 < len(r)]
            )
            ws.column_dimensions[ws.cell(1, col).column_letter].width = min(
                max(10, width * 1.6), 60
            )
            if fmt:
                for r in range(2, len(table.rows) + 2):
                    ws.cell(r, col).number_format = fmt
            else:
                for r in range(2, len(table.rows) + 2):
                    ws.cell(r, col).alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "B2"
        if table.note:
            ws.append([])
            ws.append([table.note])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, int | float | str):
        return v
    return str(v)


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "sheet"
    name, n = clean, 2
    while name in used:
        suffix = f" ({n})"
        name = clean[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name
