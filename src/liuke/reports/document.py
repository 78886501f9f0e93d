"""The report document: what a report says, as plain data.

A report is built once from the live services into this shape and archived as JSON (the data
snapshot). The web page, the PDF and the XLSX are all drawn from the document, never from the
live tables, so an archived report reads the same next year as on the day it was sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

# How a column's raw values read: counts and amounts are numbers in the XLSX, shares and
# changes are fractions (0.123 reads 12.3%), seconds are durations; an amount is an estimate
# in whole yuan, money is exact to the fen.
ColumnKind = Literal[
    "text", "count", "num", "share", "change", "money", "amount", "seconds", "date"
]
Verdict = Literal["better", "worse", "flat", "n/a"]

DOCUMENT_VERSION = 1


@dataclass
class Kpi:
    """One headline figure with its rise or fall against the previous period."""

    key: str
    label: str
    kind: ColumnKind
    value: float | None
    previous: float | None = None
    change: float | None = None  # (value - previous) / previous
    verdict: Verdict = "n/a"
    significant: bool | None = None


@dataclass
class Table:
    title: str
    headers: list[str]
    kinds: list[ColumnKind]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Chart:
    """An ECharts option; pages draw it with static/charts.js, the PDF with the SVG renderer."""

    title: str
    option: dict[str, Any]
    height: int = 260


@dataclass
class Section:
    key: str
    title: str
    findings: list[str] = field(default_factory=list)  # sentences a manager reads first
    kpis: list[Kpi] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be measured, and why


@dataclass
class Recommendation:
    """One thing to do, with the evidence and its expected effect (the ranking key)."""

    rank: int
    title: str
    evidence: str
    action: str
    effect: float  # expected revenue kept per period, in the workspace currency
    effect_text: str
    customers: int  # customers the problem touched in the period
    source: str  # the section it comes from


@dataclass
class Document:
    version: int
    kind: str
    title: str
    workspace: str
    locale: str
    start: date
    end: date
    previous_start: date
    previous_end: date
    generated_at: datetime
    headline: list[str]
    recommendations: list[Recommendation]
    sections: list[Section]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("start", "end", "previous_start", "previous_end"):
            out[key] = out[key].isoformat()
        out["generated_at"] = self.generated_at.isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        sections = [
            Section(
                key=s["key"],
                title=s["title"],
                findings=list(s.get("findings", [])),
                kpis=[Kpi(**k) for k in s.get("kpis", [])],
                charts=[Chart(**c) for c in s.get("charts", [])],
                tables=[Table(**t) for t in s.get("tables", [])],
                notes=list(s.get("notes", [])),
            )
            for s in data["sections"]
        ]
        return cls(
            version=int(data["version"]),
            kind=data["kind"],
            title=data["title"],
            workspace=data["workspace"],
            locale=data["locale"],
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            previous_start=date.fromisoformat(data["previous_start"]),
            previous_end=date.fromisoformat(data["previous_end"]),
            generated_at=datetime.fromisoformat(data["generated_at"]),
            headline=list(data["headline"]),
            recommendations=[Recommendation(**r) for r in data["recommendations"]],
            sections=sections,
        )

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)
