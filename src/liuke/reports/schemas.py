"""Request and response bodies of the reports API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: list[str] = Field(description="sections in reading order; see GET /templates")
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="notable_change (0-10), top_n (1-50), min_units"
    )
    recipients: list[str] = Field(default_factory=list, max_length=50)
    locale: str = "zh_CN"
    scheduled: bool = False
    send_hour: int = Field(default=8, description="local hour after the period ends (0-23)")


class TemplateOut(BaseModel):
    workspace_id: int
    kind: str
    sections: list[str]
    available_sections: list[str]
    thresholds: dict[str, float]
    recipients: list[str]
    locale: str
    scheduled: bool
    send_hour: int
    saved: bool


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="daily | tenday | weekly | monthly")
    period: str | None = Field(
        default=None,
        description="2026-10 (monthly), 2026-W43 (weekly), 2026-10-2 (tenday: 1-3), "
        "2026-10-31 (daily); default: the last complete period",
    )
    locale: str | None = None


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    workspace_id: int
    kind: str
    period_key: str
    period_start: date
    period_end: date
    trigger: str
    status: str
    locale: str
    title: str
    pdf_size: int
    xlsx_size: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    sent_at: datetime | None
    sent_to: list[str]
    send_error: str


class RunDetailOut(RunOut):
    document: dict[str, Any] | None = None


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipients: list[str] | None = Field(
        default=None, max_length=50, description="default: the template's recipients"
    )


class SendOut(BaseModel):
    message_id: str
    recipients: list[str]
    refused: dict[str, str]
