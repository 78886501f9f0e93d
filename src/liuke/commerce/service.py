"""Product lines, products, orders and daily sales.

``daily_sales`` is kept in step with orders in the same transaction so complaint rates always
have the right denominator; shops that only have daily totals can write them directly instead.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from liuke.commerce.models import DailySales, Order, Product, ProductLine
from liuke.conversations.models import Conversation
from liuke.core.db import add_or_existing, utcnow
from liuke.core.errors import BadRequest, Conflict
from liuke.core.events import emit
from liuke.core.pagination import fetch_page
from liuke.core.tenancy import ensure_scoped_ids, get_scoped, scoped
from liuke.customers.models import Customer
from liuke.workspaces.clock import zone_of

ORDER_STATUSES = ("paid", "refunded", "cancelled")


def create_product_line(
    s: Session, workspace_id: int, code: str, name: str, owner_department: str = ""
) -> ProductLine:
    if s.scalar(scoped(ProductLine, workspace_id).where(ProductLine.code == code)) is not None:
        raise Conflict(detail=f"product line {code!r} exists")
    pl = ProductLine(
        workspace_id=workspace_id, code=code, name=name, owner_department=owner_department
    )
    s.add(pl)
    s.flush()
    emit(s, workspace_id, "product_line.created", {"product_line_id": pl.id, "code": code})
    return pl


def update_product_line(
    s: Session,
    workspace_id: int,
    line_id: int,
    name: str | None = None,
    owner_department: str | None = None,
) -> ProductLine:
    pl = get_scoped(s, ProductLine, workspace_id, line_id, "product_line")
    if name is not None:
        pl.name = name
    if owner_department is not None:
        pl.owner_department = owner_department
    return pl


def create_product(
    s: Session, workspace_id: int, product_line_id: int, sku: str, name: str, price: Decimal
) -> Product:
    get_scoped(s, ProductLine, workspace_id, product_line_id, "product_line")
    if price < 0:
        raise BadRequest(detail="price cannot be negative")
    if s.scalar(scoped(Product, workspace_id).where(Product.sku == sku)) is not None:
        raise Conflict(detail=f"product {sku!r} exists")
    p = Product(
        workspace_id=workspace_id, product_line_id=product_line_id, sku=sku, name=name, price=price
    )
    s.add(p)
    s.flush()
    emit(s, workspace_id, "product.created", {"product_id": p.id, "sku": sku})
    return p


def update_product(
    s: Session,
    workspace_id: int,
    product_id: int,
    name: str | None = None,
    price: Decimal | None = None,
    product_line_id: int | None = None,
) -> Product:
    p = get_scoped(s, Product, workspace_id, product_id, "product")
    if name is not None:
        p.name = name
    if price is not None:
        if price < 0:
            raise BadRequest(detail="price cannot be negative")
        p.price = price
    if product_line_id is not None:
        p.product_line_id = get_scoped(
            s, ProductLine, workspace_id, product_line_id, "product_line"
        ).id
    return p


def local_day(s: Session, workspace_id: int, at: datetime) -> date:
    """The calendar day in the workspace's time zone: a Shanghai shop's day ends at 16:00 UTC."""
    return at.astimezone(zone_of(s, workspace_id)).date()


def _daily_row(s: Session, workspace_id: int, line_id: int, day: date) -> DailySales:
    """The (product line, day) row, created if missing; locked until commit on PostgreSQL.

    Concurrent orders for the same day must neither lose an increment (read-modify-write without
    a lock) nor fail on the unique key when both find no row and both insert one.
    """
    stmt = (
        scoped(DailySales, workspace_id)
        .where(DailySales.product_line_id == line_id, DailySales.day == day)
        .execution_options(populate_existing=True)
    )
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = s.scalar(stmt)
    if row is not None:
        return row
    row = DailySales(
        workspace_id=workspace_id,
        product_line_id=line_id,
        day=day,
        orders=0,
        units=0,
        revenue=Decimal("0"),
    )
    return add_or_existing(s, row, lambda: s.scalar(stmt))[0]  # theirs if they were first


def _bump_daily_sales(
    s: Session,
    workspace_id: int,
    line_id: int,
    day: date,
    orders: int,
    units: int,
    revenue: Decimal,
) -> None:
    row = _daily_row(s, workspace_id, line_id, day)
    row.orders += orders
    row.units += units
    row.revenue = Decimal(row.revenue) + revenue


def record_order(
    s: Session,
    workspace_id: int,
    *,
    customer_id: int,
    product_id: int,
    amount: Decimal,
    quantity: int = 1,
    ordered_at: datetime | None = None,
    source_conversation_id: int | None = None,
    external_id: str | None = None,
) -> tuple[Order, bool]:
    """Record an order once; a repeated ``external_id`` returns the existing order."""
    if quantity < 1:
        raise BadRequest(detail="quantity must be at least 1")
    if amount < 0:
        raise BadRequest(detail="amount cannot be negative")
    # ids are checked before the replay look-up, so a replay naming another workspace's rows
    # is a 404 like any other request, not a 200
    ensure_scoped_ids(s, Customer, workspace_id, [customer_id], "customer")
    product = get_scoped(s, Product, workspace_id, product_id, "product")
    ensure_scoped_ids(s, Conversation, workspace_id, [source_conversation_id], "conversation")
    by_external_id = scoped(Order, workspace_id).where(Order.external_id == external_id)
    if external_id is not None:
        found = s.scalar(by_external_id)
        if found is not None:
            return found, False
    at = ordered_at or utcnow()
    order = Order(
        workspace_id=workspace_id,
        external_id=external_id,
        customer_id=customer_id,
        product_id=product.id,
        quantity=quantity,
        amount=amount,
        status="paid",
        ordered_at=at,
        source_conversation_id=source_conversation_id,
    )
    # a concurrent request may record the same external id first: this is a replay of it
    order, created = add_or_existing(
        s, order, lambda: s.scalar(by_external_id) if external_id is not None else None
    )
    if not created:
        return order, False
    _bump_daily_sales(
        s,
        workspace_id,
        product.product_line_id,
        local_day(s, workspace_id, at),
        1,
        quantity,
        amount,
    )
    emit(
        s,
        workspace_id,
        "order.created",
        {
            "order_id": order.id,
            "customer_id": customer_id,
            "product_line_id": product.product_line_id,
            "amount": str(amount),
            "source_conversation_id": source_conversation_id,
        },
    )
    return order, True


def set_order_status(s: Session, workspace_id: int, order_id: int, status: str) -> Order:
    if status not in ORDER_STATUSES:
        raise BadRequest(detail=f"status must be one of {', '.join(ORDER_STATUSES)}")
    order = get_scoped(s, Order, workspace_id, order_id, "order")
    if order.status != status:
        old, order.status = order.status, status
        emit(
            s,
            workspace_id,
            "order.status_changed",
            {"order_id": order.id, "from": old, "to": status},
        )
    return order


def set_daily_sales(
    s: Session,
    workspace_id: int,
    product_line_id: int,
    day: date,
    orders: int,
    units: int,
    revenue: Decimal,
) -> DailySales:
    """Overwrite one day's totals (for shops that import volumes rather than single orders)."""
    if orders < 0 or units < 0 or revenue < 0:
        raise BadRequest(detail="sales figures cannot be negative")
    get_scoped(s, ProductLine, workspace_id, product_line_id, "product_line")
    row = _daily_row(s, workspace_id, product_line_id, day)
    row.orders, row.units, row.revenue = orders, units, revenue
    s.flush()
    return row


def list_daily_sales(
    s: Session,
    workspace_id: int,
    product_line_id: int | None,
    day_from: date | None,
    day_to: date | None,
    limit: int,
    offset: int,
) -> tuple[list[DailySales], int]:
    stmt = scoped(DailySales, workspace_id)
    if product_line_id is not None:
        stmt = stmt.where(DailySales.product_line_id == product_line_id)
    if day_from is not None:
        stmt = stmt.where(DailySales.day >= day_from)
    if day_to is not None:
        stmt = stmt.where(DailySales.day <= day_to)
    return fetch_page(s, stmt, limit, offset, DailySales.day, DailySales.product_line_id)
