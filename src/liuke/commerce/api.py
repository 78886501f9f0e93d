"""REST endpoints for product lines, products, orders and daily sales."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import AwareDatetime

from liuke.commerce import service
from liuke.commerce.models import Order, Product, ProductLine
from liuke.commerce.schemas import (
    DailySalesIn,
    DailySalesOut,
    OrderIn,
    OrderOut,
    OrderPatch,
    ProductIn,
    ProductLineIn,
    ProductLineOut,
    ProductLinePatch,
    ProductOut,
    ProductPatch,
)
from liuke.core.api import Page, PageParams, page_params
from liuke.core.pagination import page_of, to_page
from liuke.core.tenancy import get_scoped, scoped
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1", tags=["commerce"])
Reader = Annotated[Principal, Depends(require("commerce.read"))]
Writer = Annotated[Principal, Depends(require("commerce.write"))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/product-lines", response_model=list[ProductLineOut])
def list_product_lines(principal: Reader, s: DbSession) -> list[ProductLine]:
    return list(s.scalars(scoped(ProductLine, principal.workspace_id).order_by(ProductLine.id)))


@router.post("/product-lines", response_model=ProductLineOut, status_code=201)
def create_product_line(body: ProductLineIn, principal: Writer, s: DbSession) -> ProductLine:
    return service.create_product_line(
        s, principal.workspace_id, body.code, body.name, body.owner_department
    )


@router.get("/product-lines/{line_id}", response_model=ProductLineOut)
def get_product_line(line_id: int, principal: Reader, s: DbSession) -> ProductLine:
    return get_scoped(s, ProductLine, principal.workspace_id, line_id, "product_line")


@router.patch("/product-lines/{line_id}", response_model=ProductLineOut)
def patch_product_line(
    line_id: int, body: ProductLinePatch, principal: Writer, s: DbSession
) -> ProductLine:
    return service.update_product_line(
        s, principal.workspace_id, line_id, body.name, body.owner_department
    )


@router.get("/products", response_model=Page[ProductOut])
def list_products(
    principal: Reader, s: DbSession, paging: Paging, product_line_id: int | None = None
) -> Page[ProductOut]:
    stmt = scoped(Product, principal.workspace_id)
    if product_line_id is not None:
        stmt = stmt.where(Product.product_line_id == product_line_id)
    return page_of(s, stmt, paging, ProductOut.model_validate, Product.id)


@router.post("/products", response_model=ProductOut, status_code=201)
def create_product(body: ProductIn, principal: Writer, s: DbSession) -> Product:
    return service.create_product(
        s, principal.workspace_id, body.product_line_id, body.sku, body.name, body.price
    )


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: int, principal: Reader, s: DbSession) -> Product:
    return get_scoped(s, Product, principal.workspace_id, product_id, "product")


@router.patch("/products/{product_id}", response_model=ProductOut)
def patch_product(product_id: int, body: ProductPatch, principal: Writer, s: DbSession) -> Product:
    return service.update_product(
        s, principal.workspace_id, product_id, body.name, body.price, body.product_line_id
    )


@router.get("/orders", response_model=Page[OrderOut])
def list_orders(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    customer_id: int | None = None,
    product_id: int | None = None,
    status: str | None = None,
    source_conversation_id: int | None = None,
    ordered_from: AwareDatetime | None = None,
    ordered_to: AwareDatetime | None = None,
) -> Page[OrderOut]:
    stmt = scoped(Order, principal.workspace_id)
    for col, value in (
        (Order.customer_id, customer_id),
        (Order.product_id, product_id),
        (Order.status, status),
        (Order.source_conversation_id, source_conversation_id),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    if ordered_from is not None:
        stmt = stmt.where(Order.ordered_at >= ordered_from)
    if ordered_to is not None:
        stmt = stmt.where(Order.ordered_at < ordered_to)
    return page_of(
        s, stmt, paging, OrderOut.model_validate, Order.ordered_at.desc(), Order.id.desc()
    )


@router.post("/orders", response_model=OrderOut, status_code=201)
def create_order(body: OrderIn, principal: Writer, s: DbSession, response: Response) -> Order:
    order, created = service.record_order(
        s,
        principal.workspace_id,
        customer_id=body.customer_id,
        product_id=body.product_id,
        amount=body.amount,
        quantity=body.quantity,
        ordered_at=body.ordered_at,
        source_conversation_id=body.source_conversation_id,
        external_id=body.external_id,
    )
    if not created:
        response.status_code = 200
    return order


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: int, principal: Reader, s: DbSession) -> Order:
    return get_scoped(s, Order, principal.workspace_id, order_id, "order")


@router.patch("/orders/{order_id}", response_model=OrderOut)
def patch_order(order_id: int, body: OrderPatch, principal: Writer, s: DbSession) -> Order:
    return service.set_order_status(s, principal.workspace_id, order_id, body.status)


@router.get("/daily-sales", response_model=Page[DailySalesOut])
def list_daily_sales(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    product_line_id: int | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> Page[DailySalesOut]:
    rows, total = service.list_daily_sales(
        s, principal.workspace_id, product_line_id, day_from, day_to, paging.limit, paging.offset
    )
    return to_page(rows, total, paging, DailySalesOut.model_validate)


@router.put("/daily-sales", response_model=DailySalesOut)
def put_daily_sales(body: DailySalesIn, principal: Writer, s: DbSession) -> DailySalesOut:
    row = service.set_daily_sales(
        s,
        principal.workspace_id,
        body.product_line_id,
        body.day,
        body.orders,
        body.units,
        body.revenue,
    )
    return DailySalesOut.model_validate(row)
