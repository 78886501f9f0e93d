"""Report periods: a local day, a ten-day part of a month (旬), an ISO week, a month.

Each kind names its periods the way managers do ("2026-10", "2026-10 上旬", "2026-W43") and
knows its previous period, so every figure can show its rise or fall (环比).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from liuke.core.errors import BadRequest

KINDS = ("daily", "tenday", "weekly", "monthly")
PERIOD_FORMS = {
    "daily": "YYYY-MM-DD",
    "tenday": "YYYY-MM-1|2|3",
    "weekly": "YYYY-Www | YYYY-MM-DD",
    "monthly": "YYYY-MM",
}
TEN_DAY_NAMES = {
    "zh": ("上旬", "中旬", "下旬"),
    "en": ("1st ten days", "2nd ten days", "last ten days"),
}


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        """The stable name used in URLs, the archive and the CLI."""
        if self.kind == "daily":
            return self.start.isoformat()
        if self.kind == "tenday":
            return f"{self.start:%Y-%m}-{_part(self.start)}"
        if self.kind == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"

    def label(self, locale: str) -> str:
        zh = locale.startswith("zh")
        if self.kind == "tenday":
            names = TEN_DAY_NAMES["zh" if zh else "en"]
            part = names[_part(self.start) - 1]
            return (
                f"{self.start.year}年{self.start.month}月{part}"
                if zh
                else f"{part} of {self.start:%B %Y}"
            )
        if self.kind == "weekly":
            year, week, _ = self.start.isocalendar()
            span = f"{self.start:%m-%d}–{self.end:%m-%d}"
            return f"{year}年第{week}周（{span}）" if zh else f"week {week} of {year} ({span})"
        if self.kind == "monthly":
            return f"{self.start.year}年{self.start.month}月" if zh else f"{self.start:%B %Y}"
        return self.start.isoformat()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return containing(self.kind, self.end + timedelta(days=1))


def _part(day: date) -> int:
    return 1 if day.day <= 10 else 2 if day.day <= 20 else 3


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise BadRequest(detail=f"unknown report kind {kind!r}; known: {', '.join(KINDS)}")


def containing(kind: str, day: date) -> Period:
    """The period of ``kind`` that holds ``day``."""
    check_kind(kind)
    if kind == "daily":
        return Period(kind, day, day)
    if kind == "tenday":
        part = _part(day)
        start = day.replace(day=1 + 10 * (part - 1))
        last = calendar.monthrange(day.year, day.month)[1]
        end = day.replace(day=last) if part == 3 else start + timedelta(days=9)
        return Period(kind, start, end)
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(kind, day.replace(day=1), day.replace(day=last))


def last_complete(kind: str, today: date) -> Period:
    """The newest period of ``kind`` that ended before ``today`` (the one a schedule sends)."""
    return containing(kind, today).previous()


_TENDAY = re.compile(r"^(\d{4})-(\d{2})-([123])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse(kind: str, value: str) -> Period:
    """A period from its key (see :data:`PERIOD_FORMS`); a bad value gets a message with the form."""
    check_kind(kind)
    text = value.strip()
    bad = BadRequest(detail=f"{kind} period {value!r} is not valid; expected {PERIOD_FORMS[kind]}")
    try:
        if kind == "tenday" and (m := _TENDAY.match(text)):
            year, month, part = (int(x) for x in m.groups())
            return containing(kind, date(year, month, 1 + 10 * (part - 1)))
        if kind == "weekly" and (m := _WEEK.match(text)):
            year, week = (int(x) for x in m.groups())
            return containing(kind, date.fromisocalendar(year, week, 1))
        if kind == "monthly" and (m := _MONTH.match(text)):
            year, month = (int(x) for x in m.groups())
            return containing(kind, date(year, month, 1))
        if kind in ("daily", "weekly") and re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return containing(kind, date.fromisoformat(text))
    except ValueError:
        raise bad from None
    raise bad
