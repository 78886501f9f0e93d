"""REST endpoints for questionnaires, invitations, answers and survey results."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys"])
