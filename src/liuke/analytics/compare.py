"""Period-over-period rise and fall (升降率), flagged only when the change is more than noise.

Each metric kind has the test that fits how it is counted: counts are Poisson (an exact
conditional binomial test), shares are binomial (Fisher's exact test when cells are small, a
two-proportion z-test otherwise), per-unit ratios are Poisson rates, means get Welch's t-test from
their sums. Sums of money and quantiles carry no variance here, so their changes are shown but
never called significant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from liuke.analytics.catalogue import Metric

ALPHA = 0.05
Parts = dict[str, float | None]


@dataclass(frozen=True)
class Change:
    """How a metric moved against a reference period."""

    current: float | None
    reference: float | None
    delta: float | None
    rate: float | None  # (current - reference) / reference
    p_value: float | None
    significant: bool | None  # None: not testable for this metric or these counts
    verdict: Literal["better", "worse", "flat", "n/a"]


def _num(parts: Parts, key: str) -> float:
    value = parts.get(key)
    return float(value) if value is not None else 0.0


def proportion_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value that x1/n1 and x2/n2 share one rate (Fisher's exact when small)."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    if min(n1, n2) * min(pooled, 1 - pooled) < 5:
        return float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))


def p_value(metric: Metric, cur: Parts, ref: Parts) -> float | None:
    """The two-sided p-value that the two periods share one underlying level."""
    kind = metric.kind
    if kind == "count":
        a, b = int(_num(cur, "n")), int(_num(ref, "n"))
        if a + b == 0:
            return None
        return float(stats.binomtest(a, a + b, 0.5).pvalue)
    if kind == "proportion":
        return proportion_p(
            int(_num(cur, "num")),
            int(_num(cur, "den")),
            int(_num(ref, "num")),
            int(_num(ref, "den")),
        )
    if kind == "ratio":
        a, b = int(_num(cur, "num")), int(_num(ref, "num"))
        e1, e2 = _num(cur, "den"), _num(ref, "den")
        if a + b == 0 or e1 == 0 or e2 == 0:
            return None
        return float(stats.binomtest(a, a + b, e1 / (e1 + e2)).pvalue)
    if kind == "mean":
        c1, c2 = _num(cur, "n"), _num(ref, "n")
        if c1 < 2 or c2 < 2:
            return None
        m1, m2 = _num(cur, "sum") / c1, _num(ref, "sum") / c2
        v1 = max((_num(cur, "sumsq") - c1 * m1 * m1) / (c1 - 1), 0.0)
        v2 = max((_num(ref, "sumsq") - c2 * m2 * m2) / (c2 - 1), 0.0)
        if v1 == 0 and v2 == 0:
            return None if m1 == m2 else 0.0
        result = stats.ttest_ind_from_stats(
            m1, math.sqrt(v1), int(c1), m2, math.sqrt(v2), int(c2), equal_var=False
        )
        return float(result.pvalue)
    return None


def compare(
    metric: Metric, current: float | None, reference: float | None, cur: Parts, ref: Parts
) -> Change:
    """The change of ``metric`` from ``reference`` to ``current`` with its verdict."""
    if current is None or reference is None:
        return Change(current, reference, None, None, None, None, "n/a")
    delta = current - reference
    rate = delta / reference if reference else None
    p = p_value(metric, cur, ref)
    significant = None if p is None else p < ALPHA
    if not significant or delta == 0:
        verdict: Literal["better", "worse", "flat", "n/a"] = "flat"
    else:
        up = delta > 0
        verdict = "better" if up == (metric.good == "up") else "worse"
    return Change(
        current,
        reference,
        round(delta, 6),
        None if rate is None else round(rate, 6),
        None if p is None else round(p, 6),
        significant,
        verdict,
    )
