"""Figures as a manager reads them, in the page's language and the workspace's clock.

Shared by the capability pages (complaints, retention) so a share, an amount or a time reads the
same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal


@dataclass(frozen=True)
class Fmt:
    """Figures as a manager reads them, in the page's language and the workspace's clock."""

    locale: str
    zone: ZoneInfo

    def count(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(round(value), locale=self.locale)

    def share(self, value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    def change(self, value: float | None) -> str:
        return "—" if value is None else f"{value * 100:+.1f}%"

    def num(self, value: float | None, places: int = 2) -> str:
        if value is None:
            return "—"
        return format_decimal(
            round(value, places), format=f"#,##0.{'0' * places}", locale=self.locale
        )

    def money(self, value: Decimal | float | None) -> str:
        if value is None:
            return "—"
        return "¥" + format_decimal(value, format="#,##0.00", locale=self.locale)

    def amount(self, value: Decimal | float | None) -> str:
        """An estimate in whole yuan: the fen of a model's figure would be false precision."""
        if value is None:
            return "—"
        return "¥" + format_decimal(round(value), locale=self.locale)

    def when(self, at: datetime | None) -> str:
        return "" if at is None else at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
