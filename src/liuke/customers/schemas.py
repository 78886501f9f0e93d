"""Customer request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from liuke.core.api import Schema

Tier = Literal["key_account", "ordinary"]


class ExternalIdIO(Schema):
    system: str = Field(min_length=1, max_length=64)
    external_id: str = Field(min_length=1, max_length=200)


class CustomerOut(Schema):
    id: int
    name: str
    phone: str | None
    email: str | None
    tier: str
    tags: list[str]
    external_ids: list[ExternalIdIO]
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class CustomerIn(Schema):
    """Create-or-match: an existing profile with the same identity is updated, not duplicated."""

    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    tier: Tier | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    external_id: ExternalIdIO | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=100)


class CustomerResolved(CustomerOut):
    created: bool
    matched_by: str | None


class CustomerPatch(Schema):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    tier: Tier | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    attributes: dict[str, Any] | None = Field(default=None, max_length=100)
    external_ids: list[ExternalIdIO] | None = Field(default=None, max_length=20)


class MergeIn(Schema):
    duplicate_id: int
