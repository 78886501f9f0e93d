"""A workspace's retention settings (``workspace.settings["retention"]``), validated in one place.

Every figure has a default a shop can start with and is refused when saved if it is out of range,
so the nightly jobs never meet a bad one. The economics figures are the workspace's own numbers
(what winning and keeping a customer costs, the margin on revenue); the defaults are placeholders
the retention page marks as such until an admin sets them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.core.errors import BadRequest
from liuke.workspaces.models import Workspace


@dataclass(frozen=True)
class RetentionSettings:
    # a customer with no paid order and no contact for this many days is detected as churned
    churn_inactive_days: int = 90
    # churn probability from which a customer is "high risk" (risk list, follow-up rule)
    high_risk: float = 0.5
    # follow-up rules
    follow_up_after_complaint_days: int = 3  # a visit this many days after a complaint resolves
    follow_up_high_risk_tiers: tuple[str, ...] = ("key_account",)
    follow_up_due_days: int = 2  # how long a rule-made high-risk task has before it is overdue
    periodic_segment_codes: tuple[str, ...] = ()  # segments visited every periodic_days
    periodic_days: int = 90
    follow_up_group_id: int | None = None  # tasks go to its least-loaded member (else any agent)
    # economics (the workspace's own figures; None until an admin enters them)
    acquisition_cost: Decimal | None = None  # cost to win one new customer
    retention_cost: Decimal | None = None  # cost to keep one customer a year (visits, offers)
    gross_margin: float | None = None  # share of revenue that is margin

    @property
    def economics_configured(self) -> bool:
        return None not in (self.acquisition_cost, self.retention_cost, self.gross_margin)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("acquisition_cost", "retention_cost"):
            out[key] = None if out[key] is None else str(out[key])
        out["follow_up_high_risk_tiers"] = list(self.follow_up_high_risk_tiers)
        out["periodic_segment_codes"] = list(self.periodic_segment_codes)
        return out


KNOWN = frozenset(RetentionSettings.__dataclass_fields__)


def _int(raw: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
        raise BadRequest(detail=f"retention.{name} must be a whole number from {lo} to {hi}")
    return raw


def _float(raw: Any, name: str, lo: float, hi: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not lo <= raw <= hi:
        raise BadRequest(detail=f"retention.{name} must be a number from {lo:g} to {hi:g}")
    return float(raw)


def _money(raw: Any, name: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal("NaN")
    if isinstance(raw, bool) or not value.is_finite() or not 0 <= value <= Decimal("1e9"):
        raise BadRequest(detail=f"retention.{name} must be an amount from 0 to 1,000,000,000")
    return value.quantize(Decimal("0.01"))


def _strings(raw: Any, name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) and v for v in raw):
        raise BadRequest(detail=f"retention.{name} must be a list of names")
    if allowed is not None and (bad := sorted(set(raw) - set(allowed))):
        raise BadRequest(detail=f"retention.{name}: unknown {', '.join(bad)}")
    return tuple(dict.fromkeys(raw))


def parse(raw: dict[str, Any] | None) -> RetentionSettings:
    """Validated settings; unknown keys are refused so a typo does not silently do nothing."""
    from liuke.customers.models import TIERS

    raw = raw or {}
    if not isinstance(raw, dict):
        raise BadRequest(detail="retention settings must be an object")
    if unknown := sorted(set(raw) - KNOWN):
        raise BadRequest(detail=f"unknown retention settings: {', '.join(unknown)}")
    d = RetentionSettings()
    group = raw.get("follow_up_group_id")
    if group is not None:
        group = _int(group, "follow_up_group_id", 1, 2**62)
    margin = raw.get("gross_margin")
    return RetentionSettings(
        churn_inactive_days=_int(
            raw.get("churn_inactive_days", d.churn_inactive_days), "churn_inactive_days", 7, 3650
        ),
        high_risk=_float(raw.get("high_risk", d.high_risk), "high_risk", 0.01, 0.99),
        follow_up_after_complaint_days=_int(
            raw.get("follow_up_after_complaint_days", d.follow_up_after_complaint_days),
            "follow_up_after_complaint_days",
            0,
            90,
        ),
        follow_up_high_risk_tiers=_strings(
            raw.get("follow_up_high_risk_tiers", list(d.follow_up_high_risk_tiers)),
            "follow_up_high_risk_tiers",
            TIERS,
        ),
        follow_up_due_days=_int(
            raw.get("follow_up_due_days", d.follow_up_due_days), "follow_up_due_days", 0, 90
        ),
        periodic_segment_codes=_strings(
            raw.get("periodic_segment_codes", []), "periodic_segment_codes"
        ),
        periodic_days=_int(raw.get("periodic_days", d.periodic_days), "periodic_days", 7, 3650),
        follow_up_group_id=group,
        acquisition_cost=_money(raw.get("acquisition_cost"), "acquisition_cost"),
        retention_cost=_money(raw.get("retention_cost"), "retention_cost"),
        gross_margin=None if margin is None else _float(margin, "gross_margin", 0, 1),
    )


def settings_of(s: Session, workspace_id: int) -> RetentionSettings:
    raw = s.scalar(select(Workspace.settings).where(Workspace.id == workspace_id)) or {}
    return parse(raw.get("retention"))


def save(s: Session, workspace_id: int, raw: dict[str, Any]) -> RetentionSettings:
    """Validate and store the workspace's retention settings (replacing them; omitted fields
    fall back to the defaults). Ids and segment codes must be the workspace's own."""
    from liuke.core.tenancy import ensure_scoped_ids
    from liuke.crm import segment_store as store
    from liuke.crm.models import Segment
    from liuke.workspaces.models import SkillGroup

    parsed = parse(raw)  # refuses bad values before anything is stored
    ensure_scoped_ids(s, SkillGroup, workspace_id, [parsed.follow_up_group_id], "skill_group")
    store.ensure_system_segments(s, workspace_id)
    known = set(s.scalars(select(Segment.code).where(Segment.workspace_id == workspace_id)))
    if unknown := [c for c in parsed.periodic_segment_codes if c not in known]:
        raise BadRequest(detail=f"periodic_segment_codes: no segment {', '.join(unknown)}")
    ws = s.get(Workspace, workspace_id)
    assert ws is not None
    ws.settings = {**(ws.settings or {}), "retention": raw}
    s.flush()
    store.ensure_system_segments(s, workspace_id)  # risk:high follows the new threshold and tiers
    return parsed
