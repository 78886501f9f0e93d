"""Commerce service functions, including concurrent order recording on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from liuke.commerce import service
from liuke.commerce.models import DailySales, Order
from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, NotFound
from liuke.core.events import OutboxEvent
from liuke.customers.service import resolve_customer


def setup_catalogue(db: Database, workspace_id: int) -> tuple[int, int, int]:
    with db.session() as s:
        pl = service.create_product_line(s, workspace_id, "PL", "线")
        p = service.create_product(s, workspace_id, pl.id, "SKU", "品", Decimal("9.90"))
        c = resolve_customer(s, workspace_id, phone="13800000001").customer
        return pl.id, p.id, c.id


def test_local_day(db: Database, make_workspace) -> None:  # type: ignore[no-untyped-def]
    shanghai = make_workspace()
    at = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    with db.session() as s:
        assert service.local_day(s, shanghai.id, at) == date(2026, 3, 2)
        assert service.local_day(s, shanghai.id, datetime(2026, 3, 1, 15, 59, tzinfo=UTC)) == date(
            2026, 3, 1
        )
    from liuke.workspaces import service as ws_service

    with db.session() as s:
        ny = ws_service.create_workspace(
            s, "ny-" + shanghai.slug[2:], "NY", timezone="America/New_York"
        )
        assert service.local_day(s, ny.id, datetime(2026, 3, 2, 3, 0, tzinfo=UTC)) == date(
            2026, 3, 1
        )


def test_record_order_updates_daily_sales_and_emits(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    line_id, product_id, customer_id = setup_catalogue(db, workspace.id)
    with db.session() as s:
        o, created = service.record_order(
            s,
            workspace.id,
            customer_id=customer_id,
            product_id=product_id,
            amount=Decimal("19.80"),
            quantity=2,
            ordered_at=datetime(2026, 3, 1, 17, 0, tzinfo=UTC),
            external_id="e-1",
        )
        assert created
        again, created_again = service.record_order(
            s,
            workspace.id,
            customer_id=customer_id,
            product_id=product_id,
            amount=Decimal("19.80"),
            external_id="e-1",
        )
        assert (again.id, created_again) == (o.id, False)
    with db.session() as s:
        [row] = s.scalars(select(DailySales).where(DailySales.workspace_id == workspace.id)).all()
        assert (row.product_line_id, row.day, row.orders, row.units, row.revenue) == (
            line_id,
            date(2026, 3, 2),
            1,
            2,
            Decimal("19.80"),
        )
        ev = s.scalars(
            select(OutboxEvent).where(
                OutboxEvent.workspace_id == workspace.id, OutboxEvent.type == "order.created"
            )
        ).all()
        assert len(ev) == 1 and ev[0].payload["amount"] == "19.80"


def test_record_order_validation(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    _, product_id, customer_id = setup_catalogue(db, workspace.id)
    base: dict[str, Any] = {"customer_id": customer_id, "product_id": product_id}
    for kw, exc in (
        ({"amount": Decimal("1"), "quantity": 0}, BadRequest),
        ({"amount": Decimal("-1")}, BadRequest),
        ({"amount": Decimal("1"), "customer_id": 987654}, NotFound),
        ({"amount": Decimal("1"), "product_id": 987654}, NotFound),
        ({"amount": Decimal("1"), "source_conversation_id": 987654}, NotFound),
    ):
        with db.session() as s, pytest.raises(exc):
            service.record_order(s, workspace.id, **{**base, **kw})
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Order.workspace_id == workspace.id)) == 0


def test_order_status_events(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    _, product_id, customer_id = setup_catalogue(db, workspace.id)
    with db.session() as s:
        o, _ = service.record_order(
            s, workspace.id, customer_id=customer_id, product_id=product_id, amount=Decimal("1")
        )
        service.set_order_status(s, workspace.id, o.id, "refunded")
        service.set_order_status(s, workspace.id, o.id, "refunded")  # no change, no event
        with pytest.raises(BadRequest):
            service.set_order_status(s, workspace.id, o.id, "lost")
        n = s.scalar(
            select(func.count()).where(
                OutboxEvent.workspace_id == workspace.id,
                OutboxEvent.type == "order.status_changed",
            )
        )
        assert n == 1


def test_catalogue_rules(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    line_id, product_id, _ = setup_catalogue(db, workspace.id)
    with db.session() as s, pytest.raises(Conflict):
        service.create_product_line(s, workspace.id, "PL", "again")
    with db.session() as s, pytest.raises(Conflict):
        service.create_product(s, workspace.id, line_id, "SKU", "again", Decimal("1"))
    with db.session() as s, pytest.raises(BadRequest):
        service.create_product(s, workspace.id, line_id, "NEW", "x", Decimal("-1"))
    with db.session() as s, pytest.raises(BadRequest):
        service.update_product(s, workspace.id, product_id, price=Decimal("-1"))
    with db.session() as s, pytest.raises(NotFound):
        service.update_product(s, workspace.id, product_id, product_line_id=987654)
    with db.session() as s, pytest.raises(BadRequest):
        service.set_daily_sales(s, workspace.id, line_id, date(2026, 1, 1), -1, 0, Decimal("0"))


def test_list_daily_sales_service(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    line_id, _, _ = setup_catalogue(db, workspace.id)
    with db.session() as s:
        for d in range(1, 6):
            service.set_daily_sales(s, workspace.id, line_id, date(2026, 1, d), d, d, Decimal(d))
    with db.session() as s:
        rows, total = service.list_daily_sales(
            s, workspace.id, line_id, date(2026, 1, 2), date(2026, 1, 4), 2, 0
        )
        assert total == 3 and [r.day.day for r in rows] == [2, 3]


# --- concurrency (PostgreSQL: real concurrent transactions) ----------------------------------


def run_threads(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # collected and asserted on by the caller
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def require_postgresql(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")


def test_concurrent_orders_keep_daily_totals(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    require_postgresql(db)
    _, product_id, customer_id = setup_catalogue(db, workspace.id)
    n = 8

    def order(i: int) -> int:
        with db.session() as s:
            o, _ = service.record_order(
                s,
                workspace.id,
                customer_id=customer_id,
                product_id=product_id,
                amount=Decimal("2.00"),
                quantity=i + 1,
                ordered_at=datetime(2026, 5, 5, 4, 0, tzinfo=UTC),
            )
            return o.id

    results = run_threads(n, order)
    assert all(isinstance(r, int) for r in results), results
    with db.session() as s:
        [row] = s.scalars(select(DailySales).where(DailySales.workspace_id == workspace.id)).all()
        assert (row.orders, row.units, row.revenue) == (
            n,
            sum(range(1, n + 1)),
            Decimal("2.00") * n,
        )


def test_concurrent_orders_with_one_external_id(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    require_postgresql(db)
    _, product_id, customer_id = setup_catalogue(db, workspace.id)

    def order(_: int) -> tuple[int, bool]:
        with db.session() as s:
            o, created = service.record_order(
                s,
                workspace.id,
                customer_id=customer_id,
                product_id=product_id,
                amount=Decimal("2.00"),
                external_id="same-order",
                ordered_at=datetime(2026, 5, 5, 4, 0, tzinfo=UTC),
            )
            return o.id, created

    results = run_threads(8, order)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({r[0] for r in results}) == 1
    assert sum(r[1] for r in results) == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Order.workspace_id == workspace.id)) == 1
        [row] = s.scalars(select(DailySales).where(DailySales.workspace_id == workspace.id)).all()
        assert row.orders == 1
