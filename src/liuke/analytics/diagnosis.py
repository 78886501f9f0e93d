"""Where the service loses customers: every breakdown row tested against the rest of the team.

For each dimension (agent, hour, channel, ...) and each rate or time metric, a row is compared
with everything outside it, using the same tests as period-over-period changes. Hundreds of
tests run at once, so findings are kept only under a Benjamini-Hochberg false-discovery rate
and a practical effect size; a 3% wobble on a big team is not a finding even when significant.

Email and phone are judged apart from chat: an email answered in an hour is good service, a chat
answered in an hour is a lost customer, and mixing them would flag whoever handles email (or
make the phone line "miss" a 5-second chat target it was never meant to meet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from liuke.analytics.catalogue import BY_NAME, DIMENSION_BY_NAME, Metric
from liuke.analytics.compare import p_value
from liuke.analytics.engines import Engine
from liuke.analytics.facts import Targets, Window
from liuke.analytics.query import (
    FactsCache,
    Query,
    aggregate_parts,
    dimension_labels,
    metric_value,
)

DIAGNOSIS_METRICS = (
    "missed_rate",
    "first_response_time",
    "agent_first_response_time",
    "average_response_time",
    "resolution_time",
    "transfers_per_conversation",
    "one_touch_resolution_rate",
    "bot_answer_rate",
    "conversion_rate",
    "sla_first_response",
    "sla_average_response",
)
DIAGNOSIS_DIMENSIONS = ("agent", "hour", "channel", "skill_group", "product_line", "tier")
# Metrics that say nothing about a dimension by construction: the bot answers before anyone is
# assigned (so agents "never" close bot chats), and first response counts the bot's reply, so
# people are judged on their own first response instead; nobody is assigned a missed contact.
NOT_FOR: dict[str, tuple[str, ...]] = {
    "bot_answer_rate": ("agent", "skill_group"),
    "first_response_time": ("agent", "skill_group"),
    "sla_first_response": ("agent", "skill_group"),
    "missed_rate": ("agent",),
}
# Channels with different norms are judged apart: a chat answered in 5 s, a phone call picked up
# after its queue message, an email answered within hours are each good service.
SCOPES: dict[str, tuple[str, ...]] = {
    "live": ("web", "api"),
    "phone": ("phone",),
    "email": ("email",),
}
FDR = 0.01
MIN_EFFECT = 0.25  # relative difference from the rest
MIN_UNITS = 30  # units (conversations, replies) in the row before it is judged


@dataclass(frozen=True)
class Finding:
    scope: Literal["live", "phone", "email"]
    dimension: str
    key: Any
    label: str
    metric: str
    value: float
    rest: float
    effect: float  # (value - rest) / rest, signed
    p_value: float
    units: int


def rest_of(parts: dict[str, float | None], total: dict[str, float | None]) -> dict[str, float]:
    return {k: (total.get(k) or 0.0) - (v or 0.0) for k, v in parts.items()}


def peer_pool(
    rows: dict[Any, dict[str, dict[str, float | None]]],
) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for parts_by_metric in rows.values():
        for metric, parts in parts_by_metric.items():
            slot = out.setdefault(metric, {})
            for k, v in parts.items():
                slot[k] = (slot.get(k) or 0.0) + (v or 0.0)
    return out


def _units(metric: Metric, parts: dict[str, float | None]) -> float:
    return float(parts.get("den") or parts.get("n") or 0.0)


def _worse(metric: Metric, value: float, rest: float) -> bool:
    return value < rest if metric.good == "up" else value > rest


def benjamini_hochberg(ps: list[float], q: float) -> float:
    """The largest p-value still a discovery at false-discovery rate ``q`` (0 when none)."""
    m = len(ps)
    cutoff = 0.0
    for rank, p in enumerate(sorted(ps), start=1):
        if p <= q * rank / m:
            cutoff = p
    return cutoff


def diagnose(
    engine: Engine,
    start: date,
    end: date,
    *,
    workspace_id: int,
    tz: str = "Asia/Shanghai",
    targets: Targets | None = None,
    dimensions: tuple[str, ...] = DIAGNOSIS_DIMENSIONS,
    filters: tuple[tuple[str, tuple[str, ...]], ...] = (),
    facts: FactsCache | None = None,
) -> list[Finding]:
    """Every row that is significantly and materially worse than the rest, worst first.

    Pass ``facts`` to reuse facts another query of the same window already computed.
    """
    targets = targets or Targets()
    metrics = [BY_NAME[m] for m in DIAGNOSIS_METRICS]
    window = Window(workspace_id, start, end, tz)
    candidates: list[tuple[Finding, float]] = []
    query = Query(start, end, DIAGNOSIS_METRICS, filters=filters)
    query.validate()
    cache = facts or FactsCache(engine, targets)  # the facts once; each scope filters them
    try:
        for scope, kinds in SCOPES.items():
            every = cache(window, query.filters)
            scoped = every.filter(every.channel_kind.isin(kinds))
            total = aggregate_parts(scoped, metrics, targets, None).get(0, {})
            for dim_name in dimensions:
                dim = DIMENSION_BY_NAME[dim_name]
                rows = aggregate_parts(scoped, metrics, targets, dim.column)
                labels = dimension_labels(engine, dim, workspace_id)
                pool = total
                if dim.names is not None:
                    # people and groups are compared with their peers, not with the
                    # conversations nobody was assigned (bot-only, missed)
                    rows.pop(None, None)
                    pool = peer_pool(rows)
                for key, parts_by_metric in rows.items():
                    for m in metrics:
                        if dim_name in NOT_FOR.get(m.name, ()):
                            continue
                        parts = parts_by_metric.get(m.name, {})
                        rest = rest_of(parts, pool.get(m.name, {}))
                        value, other = metric_value(m, parts), metric_value(m, dict(rest))
                        if value is None or other is None or other == 0:
                            continue
                        if _units(m, parts) < MIN_UNITS or _units(m, dict(rest)) < MIN_UNITS:
                            continue
                        p = p_value(m, parts, dict(rest))
                        if p is None:
                            continue
                        effect = (value - other) / abs(other)
                        label = labels.get(key, str(key)) if dim.names else str(key)
                        finding = Finding(
                            scope,  # type: ignore[arg-type]
                            dim_name,
                            key,
                            label,
                            m.name,
                            value,
                            round(other, 6),
                            round(effect, 6),
                            p,
                            int(_units(m, parts)),
                        )
                        candidates.append((finding, p))
    finally:
        if facts is None:
            cache.release()
    if not candidates:
        return []
    cutoff = benjamini_hochberg([p for _, p in candidates], FDR)
    metric_of = BY_NAME
    found = [
        f
        for f, p in candidates
        if p <= cutoff
        and abs(f.effect) >= MIN_EFFECT
        and _worse(metric_of[f.metric], f.value, f.rest)
    ]
    found.sort(key=lambda f: (f.p_value, -abs(f.effect)))
    return found
