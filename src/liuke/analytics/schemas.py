"""API shapes of analytics results (read from the domain dataclasses by attribute)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MetricOut(_Out):
    name: str
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str
    unit: str
    good: str
    kind: str


class DimensionOut(_Out):
    name: str
    label_zh: str
    label_en: str
    time: bool


class StepOut(_Out):
    name: str
    label_zh: str
    label_en: str
    definition_en: str


class CatalogueOut(BaseModel):
    workspace_id: int
    metrics: list[MetricOut]
    dimensions: list[DimensionOut]
    funnel_steps: list[StepOut]
    engines: list[str]


class ChangeOut(_Out):
    current: float | None
    reference: float | None
    delta: float | None
    rate: float | None
    p_value: float | None
    significant: bool | None
    verdict: str


class RowOut(_Out):
    key: int | str | None
    label: str
    values: dict[str, float | None]
    changes: dict[str, ChangeOut] = {}


class QueryOut(BaseModel):
    workspace_id: int
    engine: str
    start: date
    end: date
    by: str | None
    metrics: list[str]
    total: RowOut
    rows: list[RowOut]
    previous: RowOut | None
    last_year: RowOut | None
    vs_previous: dict[str, ChangeOut]
    vs_last_year: dict[str, ChangeOut]


class FunnelStepOut(_Out):
    name: str
    count: int
    share_of_contacts: float | None
    pass_rate: float | None
    lost: int


class FunnelSideOut(_Out):
    key: int | str | None
    label: str
    steps: list[FunnelStepOut]
    weakest: str | None
    gap: float | None


class FunnelOut(BaseModel):
    workspace_id: int
    engine: str
    start: date
    end: date
    by: str | None
    overall: FunnelSideOut
    sides: list[FunnelSideOut]


class ScoreCellOut(_Out):
    value: float | None
    team: float | None
    p_value: float | None
    verdict: str


class ScorecardOut(_Out):
    agent_id: int
    name: str
    cells: dict[str, ScoreCellOut]
    attention: list[str]


class ScorecardsOut(BaseModel):
    workspace_id: int
    start: date
    end: date
    agents: list[ScorecardOut]


class FindingOut(_Out):
    scope: str
    dimension: str
    key: Any
    label: str
    metric: str
    value: float
    rest: float
    effect: float
    p_value: float
    units: int


class DiagnosisOut(BaseModel):
    workspace_id: int
    start: date
    end: date
    findings: list[FindingOut]
