"""Report tables: per-workspace templates and the archive of every report generated.

The archive keeps the document (the data snapshot the report was drawn from) and the files as
sent, so a report can be re-read, re-downloaded and re-sent exactly as it was. A scheduled run
holds a unique ``schedule_key`` (kind + period): two workers that both find a report due race on
that key, and only one generates it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdType, WorkspaceScoped

RUN_STATES = ("running", "ready", "failed")
TRIGGERS = ("schedule", "manual", "cli")


class ReportTemplate(WorkspaceScoped, Base):
    """What one kind of report holds for a workspace, who gets it and when."""

    __tablename__ = "report_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "kind"),)

    kind: Mapped[str] = mapped_column(String(16))
    sections: Mapped[list[str]] = mapped_column(JSONType, default=list)  # in reading order
    # notable_change: a rise or fall this large (and significant) is called out; top_n: rows
    # per ranked table; min_units: a row needs this many conversations to be judged
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    send_hour: Mapped[int] = mapped_column(Integer, default=8)  # local hour after period end
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )


class ReportRun(WorkspaceScoped, Base):
    """One generated report: the snapshot, its files, and where it was sent."""

    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint("workspace_id", "schedule_key"),
        Index("ix_report_runs_ws_kind_period", "workspace_id", "kind", "period_start"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    period_key: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    schedule_key: Mapped[str | None] = mapped_column(String(40))  # set for scheduled runs only
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    status: Mapped[str] = mapped_column(String(16), default="running")
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    title: Mapped[str] = mapped_column(String(200), default="")
    snapshot: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSONType))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    xlsx: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_size: Mapped[int] = mapped_column(Integer, default=0)
    xlsx_size: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")  # why it failed, or why no PDF
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_to: Mapped[list[str]] = mapped_column(JSONType, default=list)
    send_error: Mapped[str] = mapped_column(Text, default="")
