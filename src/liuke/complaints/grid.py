"""The classification grid and the complaint series the control charts read.

Every complaint lands in exactly one cell: category × product line × customer tier × channel,
as fixed when the case was received. Duplicates merged into another case are not counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liuke.commerce.models import DailySales, ProductLine
from liuke.complaints.models import CATEGORIES, TIERS, Case
from liuke.workspaces.clock import local_bounds
from liuke.workspaces.clock import zone_of as zone_of

CHANNELS = ("web", "email", "api", "phone")
UNKNOWN_LINE = "unknown"


def check_window(start: date, end: date, max_days: int = 3700) -> None:
    from liuke.core.errors import BadRequest

    if end < start:
        raise BadRequest(detail=f"the window ends ({end}) before it starts ({start})")
    if (end - start).days + 1 > max_days:
        raise BadRequest(detail=f"the window is at most {max_days} days")


@dataclass(frozen=True)
class Line:
    id: int
    code: str
    name: str
    department: str


def product_lines(s: Session, workspace_id: int) -> list[Line]:
    rows = s.execute(
        select(ProductLine.id, ProductLine.code, ProductLine.name, ProductLine.owner_department)
        .where(ProductLine.workspace_id == workspace_id)
        .order_by(ProductLine.id)
    ).all()
    return [Line(r.id, r.code, r.name, r.owner_department) for r in rows]


@dataclass(frozen=True)
class GridCell:
    category: str
    product_line_id: int | None
    customer_tier: str
    channel_kind: str
    count: int


@dataclass(frozen=True)
class Grid:
    start: date
    end: date
    total: int
    cells: list[GridCell]
    lines: list[Line]
    orders: dict[int, int]  # product line id -> orders in the window

    def count(
        self,
        *,
        category: str | None = None,
        product_line_id: int | str | None = "any",
        customer_tier: str | None = None,
        channel_kind: str | None = None,
    ) -> int:
        return sum(
            c.count
            for c in self.cells
            if (category is None or c.category == category)
            and (product_line_id == "any" or c.product_line_id == product_line_id)
            and (customer_tier is None or c.customer_tier == customer_tier)
            and (channel_kind is None or c.channel_kind == channel_kind)
        )

    def per_10k(self, product_line_id: int, category: str | None = None) -> float | None:
        """Complaints per 10,000 orders of the line; None when it sold nothing."""
        orders = self.orders.get(product_line_id, 0)
        if orders <= 0:
            return None
        return self.count(category=category, product_line_id=product_line_id) * 10_000 / orders


def grid(
    s: Session,
    workspace_id: int,
    start: date,
    end: date,
    *,
    kind: str = "complaint",
    customer_tier: str | None = None,
    channel_kind: str | None = None,
) -> Grid:
    check_window(start, end)
    lo, hi = local_bounds(zone_of(s, workspace_id), start, end)
    stmt = (
        select(
            Case.category,
            Case.product_line_id,
            Case.customer_tier,
            Case.channel_kind,
            func.count(),
        )
        .where(
            Case.workspace_id == workspace_id,
            Case.kind == kind,
            Case.merged_into_id.is_(None),
            Case.received_at >= lo,
            Case.received_at < hi,
        )
        .group_by(Case.category, Case.product_line_id, Case.customer_tier, Case.channel_kind)
    )
    if customer_tier is not None:
        stmt = stmt.where(Case.customer_tier == customer_tier)
    if channel_kind is not None:
        stmt = stmt.where(Case.channel_kind == channel_kind)
    cells = [
        GridCell(cat or "other", line, tier, ch, int(n))
        for cat, line, tier, ch, n in s.execute(stmt).all()
    ]
    cells.sort(key=lambda c: (-c.count, c.category, c.product_line_id or 0))
    orders = {
        int(line): int(n or 0)
        for line, n in s.execute(
            select(DailySales.product_line_id, func.sum(DailySales.orders))
            .where(
                DailySales.workspace_id == workspace_id,
                DailySales.day >= start,
                DailySales.day <= end,
            )
            .group_by(DailySales.product_line_id)
        ).all()
    }
    return Grid(
        start, end, sum(c.count for c in cells), cells, product_lines(s, workspace_id), orders
    )


# --- series for the control charts ---------------------------------------------------------

DIMENSIONS = ("product_line", "category", "customer_tier", "channel_kind", "cell")


@dataclass(frozen=True)
class Series:
    """One chart cell's daily complaint counts and the orders they are normalised by."""

    dimension: str
    key: str
    cell: dict[str, str | int | None]
    days: list[date]
    counts: list[int]
    exposures: list[float | None] | None  # None: the workspace records no sales volume
    case_days: dict[date, list[int]]  # case ids per day (evidence)


def _cell_of(
    dimension: str, row: tuple[int, str, int | None, str, str]
) -> dict[str, str | int | None]:
    _, cat, line, tier, ch = row
    if dimension == "product_line":
        return {"product_line_id": line}
    if dimension == "category":
        return {"category": cat}
    if dimension == "customer_tier":
        return {"customer_tier": tier}
    if dimension == "channel_kind":
        return {"channel_kind": ch}
    return {"category": cat, "product_line_id": line}


def cell_key(dimension: str, cell: dict[str, str | int | None]) -> str:
    parts = [f"{k}={'' if v is None else v}" for k, v in sorted(cell.items())]
    return f"{dimension}:" + ",".join(parts)


def series(
    s: Session,
    workspace_id: int,
    dimension: str,
    start: date,
    end: date,
    *,
    kind: str = "complaint",
) -> list[Series]:
    """Daily counts per cell of ``dimension`` over [start, end] in local days, every day present.

    Cells are the values the dimension can take (all categories, tiers and channels; every
    product line), so a quiet cell still gets a chart and a first complaint can alert.
    """
    from liuke.core.errors import BadRequest

    if dimension not in DIMENSIONS:
        raise BadRequest(detail=f"dimension must be one of {', '.join(DIMENSIONS)}")
    check_window(start, end)
    zone = zone_of(s, workspace_id)
    lo, hi = local_bounds(zone, start, end)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    rows = s.execute(
        select(
            Case.id,
            Case.category,
            Case.product_line_id,
            Case.customer_tier,
            Case.channel_kind,
            Case.received_at,
        ).where(
            Case.workspace_id == workspace_id,
            Case.kind == kind,
            Case.merged_into_id.is_(None),
            Case.received_at >= lo,
            Case.received_at < hi,
        )
    ).all()
    # orders per line per day; lines with no rows at all mean the shop records no volume
    sales: dict[int, list[float]] = defaultdict(lambda: [0.0] * len(days))
    for line_no, day, n in s.execute(
        select(DailySales.product_line_id, DailySales.day, DailySales.orders).where(
            DailySales.workspace_id == workspace_id,
            DailySales.day >= start,
            DailySales.day <= end,
        )
    ).all():
        sales[int(line_no)][index[day]] += float(n)
    has_volume = bool(sales)
    total = [sum(v[i] for v in sales.values()) for i in range(len(days))]

    lines = product_lines(s, workspace_id)
    cells: dict[str, dict[str, str | int | None]] = {}
    if dimension == "product_line":
        for ln in lines:
            cells[cell_key(dimension, {"product_line_id": ln.id})] = {"product_line_id": ln.id}
    elif dimension == "category":
        for cat in CATEGORIES:
            cells[cell_key(dimension, {"category": cat})] = {"category": cat}
    elif dimension == "customer_tier":
        for tier in TIERS:
            cells[cell_key(dimension, {"customer_tier": tier})] = {"customer_tier": tier}
    elif dimension == "channel_kind":
        for ch in CHANNELS:
            cells[cell_key(dimension, {"channel_kind": ch})] = {"channel_kind": ch}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    case_days: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        cell = _cell_of(
            dimension,
            (r.id, r.category or "other", r.product_line_id, r.customer_tier, r.channel_kind),
        )
        key = cell_key(dimension, cell)
        cells.setdefault(key, cell)
        day = r.received_at.astimezone(zone).date()
        counts[key][index[day]] += 1
        case_days[key][day].append(r.id)
    out = []
    for key, cell in cells.items():
        line_id = cell.get("product_line_id")
        exposures: list[float | None] | None = None
        if has_volume:
            if "product_line_id" in cell:
                base = sales.get(int(line_id), [0.0] * len(days)) if line_id is not None else None
                # complaints naming no product line are normalised by all orders
                exposures = list(base) if base is not None else list(total)
            else:
                exposures = list(total)
        out.append(Series(dimension, key, cell, days, counts[key], exposures, dict(case_days[key])))
    return out
