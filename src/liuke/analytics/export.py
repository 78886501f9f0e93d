"""Every analytics table as CSV (UTF-8 with BOM, so Excel opens Chinese correctly) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from liuke.analytics.catalogue import BY_NAME, DIMENSION_BY_NAME
from liuke.analytics.diagnosis import Finding
from liuke.analytics.funnel import STEPS, FunnelResult
from liuke.analytics.query import Result
from liuke.analytics.service import SCORECARD, Scorecard

FORMATS = ("csv", "xlsx")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _zh(locale: str) -> bool:
    return locale.startswith("zh")


def query_table(result: Result, locale: str) -> Table:
    names = list(result.query.metrics)
    dim = DIMENSION_BY_NAME[result.query.by] if result.query.by else None
    first = dim.label(locale) if dim else ("范围" if _zh(locale) else "Scope")
    headers = [first] + [BY_NAME[n].label(locale) for n in names]
    total = "合计" if _zh(locale) else "Total"
    rows = [[r.label] + [r.values[n] for n in names] for r in result.rows]
    rows.append([total] + [result.total.values[n] for n in names])
    if result.previous is not None:
        label = "上期" if _zh(locale) else "Previous period"
        rows.append([label] + [result.previous.values[n] for n in names])
        rate = "环比升降率" if _zh(locale) else "Change vs previous"
        rows.append([rate] + [result.vs_previous[n].rate for n in names])
    if result.last_year is not None:
        label = "去年同期" if _zh(locale) else "Same period last year"
        rows.append([label] + [result.last_year.values[n] for n in names])
        rate = "同比升降率" if _zh(locale) else "Change vs last year"
        rows.append([rate] + [result.vs_last_year[n].rate for n in names])
    return Table("metrics", headers, rows)


def funnel_table(result: FunnelResult, locale: str) -> Table:
    dim = DIMENSION_BY_NAME[result.by].label(locale) if result.by else ""
    headers = [dim or ("范围" if _zh(locale) else "Scope")]
    for step in STEPS:
        headers += [step.label(locale), f"{step.label(locale)} %"]
    headers.append("流失最多的环节" if _zh(locale) else "Weakest step")
    rows = []
    for side in [*result.sides, result.overall]:
        label = side.label or ("全部" if _zh(locale) else "All")
        line: list[Any] = [label]
        for s in side.steps:
            line += [s.count, s.pass_rate]
        line.append(side.weakest or "")
        rows.append(line)
    return Table("funnel", headers, rows)


def scorecard_table(cards: Sequence[Scorecard], locale: str) -> Table:
    headers = ["客服" if _zh(locale) else "Agent"]
    for name in SCORECARD:
        label = BY_NAME[name].label(locale)
        headers += [label, f"{label} ({'团队' if _zh(locale) else 'team'})"]
    headers.append("需关注" if _zh(locale) else "Attention")
    rows = []
    for card in cards:
        line: list[Any] = [card.name]
        for name in SCORECARD:
            cell = card.cells[name]
            line += [cell.value, cell.team]
        line.append(", ".join(BY_NAME[a].label(locale) for a in card.attention))
        rows.append(line)
    return Table("agents", headers, rows)


def diagnosis_table(findings: Sequence[Finding], locale: str) -> Table:
    zh = _zh(locale)
    headers = (
        ["范围", "维度", "对象", "指标", "数值", "其余", "差异", "p 值", "样本"]
        if zh
        else ["Scope", "Dimension", "Who/what", "Metric", "Value", "Rest", "Effect", "p", "Units"]
    )
    rows = [
        [
            f.scope,
            DIMENSION_BY_NAME[f.dimension].label(locale),
            f.label,
            BY_NAME[f.metric].label(locale),
            f.value,
            f.rest,
            f.effect,
            f.p_value,
            f.units,
        ]
        for f in findings
    ]
    return Table("diagnosis", headers, rows)


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(table.headers)
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: Table, *more: Table) -> bytes:
    """One sheet per table (sheet names are the titles, cut to Excel's 31 characters)."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    for i, tab in enumerate((table, *more)):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = tab.title[:31]
        ws.append(tab.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in tab.rows:
            ws.append(row)
        ws.freeze_panes = "B2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(table: Table, fmt: str) -> bytes:
    return to_csv(table) if fmt == "csv" else to_xlsx(table)
