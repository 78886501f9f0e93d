"""Importance-performance analysis (IPA, 四象限分析) of survey attributes.

Each survey response rates some attributes (say 1-5: response speed, courtesy, resolution)
and overall satisfaction. IPA places every attribute on two axes so a team sees where effort
pays: *performance* (the mean score; also the share of answers at or above ``satisfied_at``)
and *importance*. The crosshairs are the means of both axes over the analysed attributes (on
the line counts as high), which splits the plane into

* 重点改进区 concentrate here: important, performing below average;
* 继续保持区 keep up the good work: important, performing well;
* 次要改进区 low priority: less important, performing below average;
* 过度投入区 possible overkill: less important, performing above average.

Importance is the ``stated_importance`` given (for example "how important is ...?" means),
otherwise *derived* from how overall satisfaction moves with each attribute: the standardised
coefficients (beta weights) of a least-squares regression of overall on the attributes. The
regression uses complete responses only, those answering overall and every analysed
attribute (listwise deletion: one well-defined sample, reported as ``complete``); performance
uses every answer an attribute got. When attributes are strongly collinear (a variance
inflation factor above 10), plain least squares splits the credit between them erratically,
so ridge regression is used instead, its penalty chosen by generalised cross-validation
from 0.01 to 100 on the correlation scale, so some shrinkage always applies
(``method="ridge"``). When there are too few complete responses for a regression (no more
than one per attribute plus one), each attribute's correlation with overall is its importance
(``method="correlation"``). Coefficients can come out negative (an attribute that adds nothing
beyond the others); they are reported as they are and count as unimportant.

An attribute is *important* when its importance is above the median of all analysed
attributes, and it is a *gap* when it is important and its share satisfied is at or below
``target``: the issue's example, an important attribute at 85 % satisfied, is a gap to work on
at the default target of 85 %.

Attributes that cannot be analysed are returned in ``excluded`` with a reason instead of
failing the whole analysis: no answers, fewer than 3 answers, no stated importance (when
importance is stated), or the same score in every complete response (derived importance is
undefined). Derived importance with fewer than 3 complete responses, or with an overall score
that never varies, raises ``ValueError``: there is nothing to derive from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Quadrant = Literal["concentrate", "keep_up", "low_priority", "overkill"]
Method = Literal["stated", "regression", "ridge", "correlation"]
QUADRANTS: dict[Quadrant, tuple[str, str]] = {
    "concentrate": ("重点改进区", "Concentrate here"),
    "keep_up": ("继续保持区", "Keep up the good work"),
    "low_priority": ("次要改进区", "Low priority"),
    "overkill": ("过度投入区", "Possible overkill"),
}
EXCLUSIONS: dict[str, tuple[str, str]] = {
    "no_answers": ("没有任何回答", "no answers"),
    "too_few_answers": ("回答少于3条", "fewer than 3 answers"),
    "no_stated_importance": ("未提供重要性", "no stated importance"),
    "no_variation": (
        "完整答卷中评分完全相同，无法推算重要性",
        "same score in every complete response",
    ),
}
MIN_RESPONSES = 3
VIF_LIMIT = 10.0
RIDGE_GRID = np.logspace(-2, 2, 41)  # penalties on the correlation scale, searched by GCV


@dataclass(frozen=True)
class AttributeResult:
    """One analysed attribute: performance, importance, quadrant and gap flag."""

    attribute: str
    answers: int
    mean: float
    share_satisfied: float  # answers >= satisfied_at / answers
    importance: float
    correlation: float | None  # Pearson r with overall over responses answering both
    important: bool  # importance above the median
    gap: bool  # important and share_satisfied <= target
    quadrant: Quadrant
    quadrant_zh: str
    quadrant_en: str


@dataclass(frozen=True)
class Excluded:
    """An attribute left out of the analysis, and why."""

    attribute: str
    code: str  # a key of EXCLUSIONS
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class ChartPoint:
    """A dot of the quadrant chart: x = performance (mean), y = importance."""

    attribute: str
    x: float
    y: float
    quadrant: Quadrant
    gap: bool


@dataclass(frozen=True)
class QuadrantChart:
    """What a quadrant scatter needs: the crosshairs, the axis ranges and the dots."""

    x_cross: float
    y_cross: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    points: list[ChartPoint]


@dataclass(frozen=True)
class IpaResult:
    """The analysed attributes (in the order asked), the excluded ones and how it was done."""

    attributes: list[AttributeResult]
    excluded: list[Excluded]
    method: Method
    responses: int
    complete: int  # responses answering overall and every analysed attribute
    performance_cross: float | None  # None when no attribute could be analysed
    importance_cross: float | None
    median_importance: float | None
    r_squared: float | None  # of the regression (standardised); None for stated / correlation
    ridge_alpha: float | None  # the ridge penalty on the correlation scale, when ridge was used
    satisfied_at: float
    target: float
    chart: QuadrantChart | None


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _pearson(x: NDArray[np.float64], y: NDArray[np.float64]) -> float | None:
    if len(x) < MIN_RESPONSES or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _ridge(z: NDArray[np.float64], zy: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """Ridge coefficients on standardised data, the penalty chosen by GCV."""
    n = z.shape[0]
    u, s, vt = np.linalg.svd(z, full_matrices=False)
    uty = u.T @ zy
    best: tuple[float, float, NDArray[np.float64]] | None = None
    for alpha in RIDGE_GRID:
        lam = alpha * (n - 1)  # z'z = (n - 1) R, so this is alpha on the correlation scale
        shrink = s / (s**2 + lam)
        beta = vt.T @ (shrink * uty)
        rss = float(np.sum((zy - z @ beta) ** 2))
        dof = float(np.sum(s**2 / (s**2 + lam))) + 1  # + the intercept removed by centring
        gcv = n * rss / (n - dof) ** 2
        if best is None or gcv < best[0]:
            best = (gcv, float(alpha), beta)
    assert best is not None
    return best[2], best[1]


def _derive(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], Method, float | None, float | None]:
    """Standardised importance of each column of x for y: (importance, method, R², alpha)."""
    n, p = x.shape
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    if n <= p + 1:
        return (z.T @ zy) / (n - 1), "correlation", None, None
    r = (z.T @ z) / (n - 1)
    vif = np.diag(np.linalg.pinv(r)) if np.linalg.cond(r) < 1e12 else np.array([math.inf])
    alpha: float | None = None
    if float(np.max(vif)) <= VIF_LIMIT:
        beta = np.linalg.lstsq(z, zy, rcond=None)[0]
        method: Method = "regression"
    else:
        beta, alpha = _ridge(z, zy)
        method = "ridge"
    r2 = 1.0 - float(np.sum((zy - z @ beta) ** 2)) / (n - 1)
    return beta, method, r2, alpha


def ipa(
    responses: Sequence[Mapping[str, float | None]],
    attributes: Sequence[str],
    overall: str,
    *,
    stated_importance: Mapping[str, float] | None = None,
    satisfied_at: float = 4.0,
    target: float = 0.85,
) -> IpaResult:
    """Performance, importance, quadrant and gap per attribute, plus the chart's data.

    Missing answers are ``None`` (or absent, or not a finite number). See the module
    docstring for how importance is derived and what is excluded or refused.
    """
    if not attributes:
        raise ValueError("no attributes to analyse")
    if len(set(attributes)) != len(attributes):
        raise ValueError("attributes are listed more than once")
    if overall in attributes:
        raise ValueError(f"the overall score {overall!r} cannot also be an attribute")
    if not 0 < target <= 1:
        raise ValueError("target is a share: above 0, at most 1")
    cols = {a: [_num(r.get(a)) for r in responses] for a in attributes}
    ys = [_num(r.get(overall)) for r in responses]
    excluded: list[Excluded] = []

    def exclude(attribute: str, code: str) -> None:
        excluded.append(Excluded(attribute, code, *EXCLUSIONS[code]))

    kept: list[str] = []
    for a in attributes:
        answered = sum(v is not None for v in cols[a])
        if answered == 0:
            exclude(a, "no_answers")
        elif answered < MIN_RESPONSES:
            exclude(a, "too_few_answers")
        elif stated_importance is not None and _num(stated_importance.get(a)) is None:
            exclude(a, "no_stated_importance")
        else:
            kept.append(a)

    def complete_rows(names: list[str]) -> list[int]:
        return [
            i
            for i, y in enumerate(ys)
            if y is not None and all(cols[a][i] is not None for a in names)
        ]

    rows = complete_rows(kept)
    method: Method = "stated"
    r2: float | None = None
    alpha: float | None = None
    importance: dict[str, float] = {}
    if stated_importance is not None:
        importance = {a: float(stated_importance[a]) for a in kept}
    elif kept:
        if len(rows) < MIN_RESPONSES:
            raise ValueError(
                f"deriving importance needs at least {MIN_RESPONSES} complete responses "
                f"(overall and every attribute answered), got {len(rows)}"
            )
        for a in list(kept):
            if len({cols[a][i] for i in rows}) == 1:
                kept.remove(a)
                exclude(a, "no_variation")
        rows = complete_rows(kept)  # dropping a column can only add rows, never remove variation
        if kept:
            y = np.array([ys[i] for i in rows], dtype=np.float64)
            if np.ptp(y) == 0:
                raise ValueError("overall satisfaction is the same in every complete response")
            x = np.array([[cols[a][i] for a in kept] for i in rows], dtype=np.float64)
            beta, method, r2, alpha = _derive(x, y)
            importance = {a: float(b) for a, b in zip(kept, beta, strict=True)}
    excluded.sort(key=lambda e: list(attributes).index(e.attribute))
    if not kept:
        return IpaResult(
            attributes=[],
            excluded=excluded,
            method=method,
            responses=len(responses),
            complete=len(rows),
            performance_cross=None,
            importance_cross=None,
            median_importance=None,
            r_squared=r2,
            ridge_alpha=alpha,
            satisfied_at=satisfied_at,
            target=target,
            chart=None,
        )

    perf: dict[str, tuple[int, float, float]] = {}
    for a in kept:
        given = [v for v in cols[a] if v is not None]
        satisfied = sum(v >= satisfied_at for v in given)
        perf[a] = (len(given), sum(given) / len(given), satisfied / len(given))
    x_cross = float(np.mean([perf[a][1] for a in kept]))
    y_cross = float(np.mean([importance[a] for a in kept]))
    median = float(np.median([importance[a] for a in kept]))
    results: list[AttributeResult] = []
    for a in kept:
        answers, mean, share = perf[a]
        pairs = [
            (v, y) for v, y in zip(cols[a], ys, strict=True) if v is not None and y is not None
        ]
        corr = _pearson(
            np.array([p[0] for p in pairs], dtype=np.float64),
            np.array([p[1] for p in pairs], dtype=np.float64),
        )
        high_imp, high_perf = importance[a] >= y_cross, mean >= x_cross
        quadrant: Quadrant = (
            ("keep_up" if high_perf else "concentrate")
            if high_imp
            else ("overkill" if high_perf else "low_priority")
        )
        important = importance[a] > median
        zh, en = QUADRANTS[quadrant]
        results.append(
            AttributeResult(
                attribute=a,
                answers=answers,
                mean=mean,
                share_satisfied=share,
                importance=importance[a],
                correlation=corr,
                important=important,
                gap=important and share <= target,
                quadrant=quadrant,
                quadrant_zh=zh,
                quadrant_en=en,
            )
        )
    xs, ys_chart = [r.mean for r in results], [r.importance for r in results]
    chart = QuadrantChart(
        x_cross,
        y_cross,
        (min(xs), max(xs)),
        (min(ys_chart), max(ys_chart)),
        [ChartPoint(r.attribute, r.mean, r.importance, r.quadrant, r.gap) for r in results],
    )
    return IpaResult(
        attributes=results,
        excluded=excluded,
        method=method,
        responses=len(responses),
        complete=len(rows),
        performance_cross=x_cross,
        importance_cross=y_cross,
        median_importance=median,
        r_squared=r2,
        ridge_alpha=alpha,
        satisfied_at=satisfied_at,
        target=target,
        chart=chart,
    )
