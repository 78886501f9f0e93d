"""Customer tables: one profile per real person, reachable by any of its identities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdMixin, IdType, WorkspaceScoped

TIERS = ("key_account", "ordinary")


class Customer(WorkspaceScoped, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "phone"),
        UniqueConstraint("workspace_id", "email"),
        Index("ix_customers_ws_tier", "workspace_id", "tier"),
    )

    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    tier: Mapped[str] = mapped_column(String(16), default="ordinary")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    external_ids: Mapped[list[CustomerExternalId]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CustomerExternalId.id"
    )
    tags: Mapped[list[CustomerTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CustomerTag.tag"
    )


class CustomerExternalId(IdMixin, Base):
    """An identity in another system (shop account, Twitter handle, CRM id)."""

    __tablename__ = "customer_external_ids"
    __table_args__ = (UniqueConstraint("workspace_id", "system", "external_id"),)

    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))


class CustomerTag(IdMixin, Base):
    __tablename__ = "customer_tags"
    __table_args__ = (
        UniqueConstraint("customer_id", "tag"),
        Index("ix_customer_tags_ws_tag", "workspace_id", "tag"),
    )

    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))
