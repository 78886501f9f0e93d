"""Survey pages: results, response rates, the IPA chart, questionnaires, the public answer form."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
