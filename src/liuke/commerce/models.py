"""Commerce tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liuke.core.db import Base, UTCDateTime, utcnow
from liuke.core.tenancy import IdType, WorkspaceScoped

Money = Numeric(14, 2)


class ProductLine(WorkspaceScoped, Base):
    __tablename__ = "product_lines"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    owner_department: Mapped[str] = mapped_column(String(100), default="")


class Product(WorkspaceScoped, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("workspace_id", "sku"),)

    product_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product_lines.id", ondelete="RESTRICT"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


class Order(WorkspaceScoped, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_orders_ws_customer_time", "workspace_id", "customer_id", "ordered_at"),
        Index("ix_orders_ws_time", "workspace_id", "ordered_at"),
    )

    external_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="RESTRICT")
    )
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(default=1)
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="paid")  # paid|refunded|cancelled
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_conversation_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailySales(WorkspaceScoped, Base):
    """Sales volume per product line and day, kept in step with orders (or imported as totals)."""

    __tablename__ = "daily_sales"
    __table_args__ = (UniqueConstraint("workspace_id", "product_line_id", "day"),)

    product_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product_lines.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    orders: Mapped[int] = mapped_column(default=0)
    units: Mapped[int] = mapped_column(default=0)
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
