"""Report periods: keys, bounds, previous periods and refusal of bad names."""

from __future__ import annotations

from datetime import date

import pytest

from liuke.core.errors import BadRequest
from liuke.reports.periods import containing, last_complete, parse


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "key"),
    [
        ("daily", date(2026, 10, 5), date(2026, 10, 5), date(2026, 10, 5), "2026-10-05"),
        ("tenday", date(2026, 10, 5), date(2026, 10, 1), date(2026, 10, 10), "2026-10-1"),
        ("tenday", date(2026, 10, 20), date(2026, 10, 11), date(2026, 10, 20), "2026-10-2"),
        ("tenday", date(2026, 10, 31), date(2026, 10, 21), date(2026, 10, 31), "2026-10-3"),
        ("tenday", date(2026, 2, 28), date(2026, 2, 21), date(2026, 2, 28), "2026-02-3"),
        ("weekly", date(2026, 10, 21), date(2026, 10, 19), date(2026, 10, 25), "2026-W43"),
        ("monthly", date(2026, 10, 21), date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
        ("monthly", date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
    ],
)
def test_containing(kind: str, day: date, start: date, end: date, key: str) -> None:
    p = containing(kind, day)
    assert (p.start, p.end, p.key) == (start, end, key)
    assert parse(kind, key) == p


def test_previous_and_last_complete() -> None:
    assert containing("tenday", date(2026, 11, 3)).previous().key == "2026-10-3"
    assert containing("monthly", date(2026, 1, 15)).previous().key == "2025-12"
    assert containing("weekly", date(2026, 1, 1)).previous().key == "2025-W52"
    # a report is sent for the period that has ended, never for the one still running
    assert last_complete("monthly", date(2026, 11, 1)).key == "2026-10"
    assert last_complete("monthly", date(2026, 11, 30)).key == "2026-10"
    assert last_complete("daily", date(2026, 11, 1)).key == "2026-10-31"
    assert last_complete("tenday", date(2026, 11, 11)).key == "2026-11-1"


def test_labels_read_as_managers_say_them() -> None:
    assert parse("tenday", "2026-10-2").label("zh_CN") == "2026年10月中旬"
    assert parse("monthly", "2026-10").label("zh_CN") == "2026年10月"
    assert parse("monthly", "2026-10").label("en") == "October 2026"
    assert parse("weekly", "2026-W43").label("zh_CN").startswith("2026年第43周")


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("monthly", "2026-13"),
        ("monthly", "10/2026"),
        ("tenday", "2026-10-4"),
        ("weekly", "2026-W54"),
        ("daily", "2026-02-30"),
        ("daily", ""),
    ],
)
def test_bad_periods_name_the_expected_form(kind: str, value: str) -> None:
    with pytest.raises(BadRequest) as exc:
        parse(kind, value)
    assert "expected" in exc.value.params["detail"]


def test_unknown_kind() -> None:
    with pytest.raises(BadRequest) as exc:
        containing("yearly", date(2026, 1, 1))
    assert "unknown report kind" in exc.value.params["detail"]
