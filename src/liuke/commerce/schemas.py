"""Commerce request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from liuke.core.api import Schema


def _cents(value: Decimal) -> Decimal:
    """Money always has two decimals, so a reply reads the same as a later GET ("9.50")."""
    return value.quantize(Decimal("0.01"))


Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), AfterValidator(_cents)]


class ProductLineOut(Schema):
    id: int
    code: str
    name: str
    owner_department: str


class ProductLineIn(Schema):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    owner_department: str = Field(default="", max_length=100)


class ProductLinePatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    owner_department: str | None = Field(default=None, max_length=100)


class ProductOut(Schema):
    id: int
    product_line_id: int
    sku: str
    name: str
    price: Decimal


class ProductIn(Schema):
    product_line_id: int
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    price: Money


class ProductPatch(Schema):
    product_line_id: int | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    price: Money | None = None


class OrderOut(Schema):
    id: int
    external_id: str | None
    customer_id: int
    product_id: int
    quantity: int
    amount: Decimal
    status: str
    ordered_at: datetime
    source_conversation_id: int | None


class OrderIn(Schema):
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    customer_id: int
    product_id: int
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    amount: Money
    ordered_at: AwareDatetime | None = None
    source_conversation_id: int | None = None


class OrderPatch(Schema):
    status: Literal["paid", "refunded", "cancelled"]


class DailySalesOut(Schema):
    product_line_id: int
    day: date
    orders: int
    units: int
    revenue: Decimal


class DailySalesIn(Schema):
    product_line_id: int
    day: date
    orders: int = Field(ge=0)
    units: int = Field(ge=0)
    revenue: Money
