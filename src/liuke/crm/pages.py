"""Retention pages: customer 360, risk list, segments, follow-ups, win-back, economics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
