"""Service funnels: contact -> reception -> consultation -> quote/recommendation -> order.

Each step keeps only the conversations that passed every earlier step, so the drop between two
steps is exactly the customers lost there. The horizontal funnel is the same funnel per channel,
platform or agent side by side; each side's weakest step is the one whose pass rate falls
furthest below the rest of the workspace's at that step, when the gap is material (3 points)
and significant (p < 0.01); most sides have none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
from ibis import Table

from liuke.analytics.catalogue import DIMENSION_BY_NAME
from liuke.analytics.compare import proportion_p
from liuke.analytics.engines import Engine
from liuke.analytics.facts import Targets, Window, conversation_facts
from liuke.analytics.query import (
    Query,
    as_key,
    dimension_labels,
    filtered,
    key_label,
)


@dataclass(frozen=True)
class Step:
    name: str
    label_zh: str
    label_en: str
    passes: Callable[[Table], ibis.Value]
    definition_en: str

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en


STEPS: tuple[Step, ...] = (
    Step("contact", "进线", "Contact", lambda f: f.id.notnull(), "every conversation opened"),
    Step(
        "reception",
        "接待",
        "Reception",
        lambda f: f.received == 1,
        "the bot or an agent replied",
    ),
    Step(
        "consultation",
        "咨询",
        "Consultation",
        lambda f: f.consulted == 1,
        "the customer wrote again after the first reply: a real dialogue began",
    ),
    Step(
        "recommendation",
        "推荐/报价",
        "Quote / recommendation",
        lambda f: f.product_line_id.notnull() & (f.replies >= 2),
        "a product line was discussed and answered at least twice",
    ),
    Step(
        "order",
        "下单",
        "Order",
        lambda f: f.orders_n > 0,
        "a paid order was credited to the conversation within the conversion window",
    ),
)


@dataclass
class FunnelStep:
    name: str
    count: int
    share_of_contacts: float | None
    pass_rate: float | None  # of the previous step
    lost: int


@dataclass
class Funnel:
    key: Any
    label: str
    steps: list[FunnelStep]
    weakest: str | None = None  # the step that loses most against the overall funnel
    gap: float | None = None  # its pass rate minus the rest's pass rate (negative)


@dataclass
class FunnelResult:
    engine: str
    overall: Funnel
    sides: list[Funnel] = field(default_factory=list)
    by: str | None = None


def _steps(counts: dict[str, float | None]) -> list[FunnelStep]:
    out: list[FunnelStep] = []
    first = int(counts.get(STEPS[0].name) or 0)
    prev: int | None = None
    for step in STEPS:
        n = int(counts.get(step.name) or 0)
        out.append(
            FunnelStep(
                step.name,
                n,
                round(n / first, 6) if first else None,
                None if prev is None else (round(n / prev, 6) if prev else None),
                0 if prev is None else prev - n,
            )
        )
        prev = n
    return out


MIN_GAP = 0.03  # pass-rate points below the rest before a step is called weak
MAX_P = 0.01


def _weakest(side: Funnel, overall: Funnel, min_entrants: int = 20) -> None:
    """Mark the step where this side's pass rate lags the rest of the workspace most, if it
    lags by at least ``MIN_GAP`` and more than chance explains (``MAX_P``)."""
    worst: tuple[float, str] | None = None
    for mine, ref, before, ref_before in zip(
        side.steps[1:], overall.steps[1:], side.steps[:-1], overall.steps[:-1], strict=True
    ):
        rest_in, rest_out = ref_before.count - before.count, ref.count - mine.count
        if before.count < min_entrants or rest_in < min_entrants or mine.pass_rate is None:
            continue
        rest_rate = rest_out / rest_in
        gap = mine.pass_rate - rest_rate
        p = proportion_p(mine.count, before.count, rest_out, rest_in)
        if gap > -MIN_GAP or p is None or p > MAX_P:
            continue
        if worst is None or gap < worst[0]:
            worst = (gap, mine.name)
    if worst is not None:
        side.gap, side.weakest = round(worst[0], 6), worst[1]


def funnel(
    engine: Engine,
    query: Query,
    *,
    workspace_id: int,
    tz: str = "Asia/Shanghai",
    targets: Targets | None = None,
    unassigned_label: str = "Unassigned",
) -> FunnelResult:
    """The vertical funnel for the window, and per ``query.by`` the horizontal one."""
    query.validate()
    targets = targets or Targets()
    window = Window(workspace_id, query.start, query.end, tz)
    facts = filtered(conversation_facts(engine, window, targets), query.filters)
    dim = DIMENSION_BY_NAME[query.by] if query.by else None
    f = facts.mutate(key=facts[dim.column] if dim else ibis.literal(0))
    passed: ibis.Value = ibis.literal(True)
    exprs: dict[str, ibis.Value] = {}
    for step in STEPS:
        passed = passed & step.passes(f)
        exprs[step.name] = passed.ifelse(1, 0).sum()
    frame = f.group_by("key").aggregate(**exprs).execute()
    groups = {as_key(r.pop("key")): r for r in frame.to_dict("records")}
    totals: dict[str, float | None] = {
        s.name: float(sum(float(g[s.name] or 0) for g in groups.values())) for s in STEPS
    }
    result = FunnelResult(engine.name, Funnel(None, "", _steps(totals)), by=query.by)
    if dim is None:
        return result
    labels = dimension_labels(engine, dim, workspace_id)
    for key, counts in groups.items():
        side = Funnel(key, key_label(dim, key, labels, unassigned_label), _steps(counts))
        _weakest(side, result.overall)
        result.sides.append(side)
    result.sides.sort(key=lambda s: (s.key is None, s.key if dim.time else str(s.label)))
    return result
