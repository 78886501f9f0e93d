"""Offset pagination shared by services and routers: one count, one ordered page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from liuke.core.api import Page, PageParams

M = TypeVar("M")
T = TypeVar("T")


def fetch_page(
    s: Session, stmt: Select[M], limit: int, offset: int, *order_by: Any
) -> tuple[list[M], int]:
    """Rows of one page and the total matching ``stmt``; ``order_by`` must make order stable."""
    total = int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = list(s.scalars(stmt.order_by(*order_by).limit(limit).offset(offset)))
    return rows, total


def to_page(
    rows: Iterable[M], total: int, paging: PageParams, convert: Callable[[M], T]
) -> Page[T]:
    return Page(
        items=[convert(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )


def page_of(
    s: Session, stmt: Select[M], paging: PageParams, convert: Callable[[M], T], *order_by: Any
) -> Page[T]:
    rows, total = fetch_page(s, stmt, paging.limit, paging.offset, *order_by)
    return to_page(rows, total, paging, convert)
