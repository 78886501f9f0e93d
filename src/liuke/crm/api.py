"""REST endpoints for retention: scores, segments, follow-ups, churn records, campaigns, economics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])
