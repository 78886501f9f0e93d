"""Control charts for complaint rates: is this cell's complaint rate out of its usual range?

Complaints are counted per period (a day, or an ISO week) per cell (a product line, a category)
and, where sales volume is known, normalised per ``per`` orders (complaints per 10,000 orders).

* ``u`` chart (default): Poisson counts over an exposure (orders / ``per``).
* ``p`` chart: binomial, complaints out of orders (each order complains at most once).
* ``c`` chart: plain counts, for data without sales volume (e.g. a public complaint database).

Limits are exact probability limits of the reference distribution (Poisson or binomial) at the
one-sided normal tail probabilities of 1, 2 and 3 sigma, not mean +/- k*sqrt(mean): a cell has
a handful of complaints a day, where the normal approximation puts the lower limit below zero
and the upper one too low (false alarms on the long right tail of small counts).

Each point is judged against a baseline: a fixed stretch of periods, or by default the trailing
``baseline_window`` periods before it, leaving out periods that were themselves out of control
(otherwise a spike, or the first days of a shift, inflates the very limits meant to catch it).
A shift that lasts is one episode until its alerting days crowd the window below
``min_baseline``; after that many periods without limits its level becomes the new baseline (a
fixed baseline never adapts).

The Western Electric rules run on those limits; EWMA and a one-sided upper CUSUM run on the
points' standardised values (mid-p normal scores) to catch sustained small shifts. Complaints
going up alert; going down is good news, reported in ``info`` only. Consecutive alerting points
make one :class:`Episode`, the unit that is escalated.

The defaults were calibrated with ``bench/control_charts.py`` (Poisson complaints on a weekly
order pattern, trailing baseline): 0.09-0.13 false episodes per cell per 90 in-control days at
2-60 complaints a day (6 cells: < 1 per dimension per quarter); a x3 jump at 20-60 a day is
caught on its first day, a sustained x1.5 shift at 20 a day in a median of 5 days (all within
14), at 60 a day on day 1-2. Counts more variable than Poisson raise the false alarms (10 %
extra day-to-day variation at 60 a day: about 1.3 per cell per quarter).
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

ChartKind = Literal["u", "p", "c"]
KINDS: tuple[str, ...] = ("u", "p", "c")
RULES: tuple[str, ...] = ("rule1", "rule2", "rule3", "rule4", "ewma", "cusum")
DEFAULT_ALERT_RULES: tuple[str, ...] = ("rule1", "cusum")

NO_SALES_VOLUME = "no_sales_volume"
MISSING_COUNT = "missing_count"
INSUFFICIENT_BASELINE = "insufficient_baseline"

# One-sided normal tail probabilities at 3, 2 and 1 sigma: the "sigma" lines of a discrete
# chart are the reference distribution's quantiles at these tails (0.5 is the centre line).
_TAILS = (0.00135, 0.02275, 0.158655)
_QS = np.array([*_TAILS, 0.5, *(1.0 - t for t in reversed(_TAILS))])


def _probs(limit_sigma: float) -> NDArray[np.float64]:
    """Quantile probabilities of the lines: the control limit at ``limit_sigma``, the
    Western Electric zones at 1 and 2 sigma, the median."""
    if limit_sigma == 3.0:
        return _QS
    tail = float(stats.norm.sf(limit_sigma))
    return np.array([tail, *_TAILS[1:], 0.5, *(1.0 - t for t in reversed(_TAILS[1:])), 1.0 - tail])


# Standardised values are clipped: one extreme day is rule 1's business, and an unclipped
# z of 10 would hold the EWMA above its limit for a week after the day itself.
_Z_CLIP = 4.0
# A baseline without a single complaint would make any complaint "impossible"; count half a
# complaint instead (the usual continuity correction).
_ZERO_BASELINE = 0.5
_PHASE1_ROUNDS = 10
_PHI_EPS = 0.05  # dispersion this close to 1 is Poisson
_PHI_MAX = 10.0


def _is_int(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


@dataclass(frozen=True, slots=True)
class ChartParams:
    """How points are judged; every field can be set per workspace (:meth:`from_settings`).

    ``baseline_window``/``min_baseline`` count periods (28/14 suit days; for weeks use
    :meth:`weekly`). ``fixed_baseline`` is an inclusive date range, or an index range
    ``(start, stop)`` with slice semantics; ``None`` means the trailing window.
    ``alert_rules`` are the upward signals that alert (all of :data:`RULES` are computed).

    Defaults: rule 1 catches jumps the day they happen; the CUSUM (k = 0.5, tuned to a
    one-sigma shift, h = 7) catches sustained smaller shifts and costs about 0.01 false
    episodes per quarter. Rules 2-4 and the EWMA are computed and shown but do not alert by
    default: each would add 0.03-0.12 false episodes per cell per quarter, more than the
    budget of a 6-cell dimension (<= 1 a quarter in all) leaves after rule 1's ~0.1. The EWMA
    (lambda = 0.2, L = 3.3) is set so that enabling it adds only ~0.03-0.05.
    """

    baseline_window: int = 28
    min_baseline: int = 14
    fixed_baseline: tuple[date, date] | tuple[int, int] | None = None
    ewma_lambda: float = 0.2
    ewma_l: float = 3.3
    cusum_k: float = 0.5
    cusum_h: float = 7.0
    alert_rules: tuple[str, ...] = DEFAULT_ALERT_RULES
    # widen the limits when the baseline varies more than Poisson (see _dispersion)
    overdispersion: bool = True
    # the control limit in sigmas (one-sided tail of the normal): wider for a dimension with
    # many cells, so that the dimension as a whole keeps its false-alarm budget
    limit_sigma: float = 3.0

    def __post_init__(self) -> None:
        for name in ("baseline_window", "min_baseline"):
            v = getattr(self, name)
            if not _is_int(v) or v < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {v!r}")
        if self.min_baseline > self.baseline_window:
            raise ValueError(
                f"min_baseline ({self.min_baseline}) cannot exceed baseline_window "
                f"({self.baseline_window}): no point would ever get limits"
            )
        if not _is_number(self.limit_sigma) or not 2.0 <= self.limit_sigma <= 6.0:
            raise ValueError(f"limit_sigma must be from 2 to 6, got {self.limit_sigma!r}")
        for name in ("ewma_lambda", "ewma_l", "cusum_k", "cusum_h"):
            v = getattr(self, name)
            if not _is_number(v) or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
        if not 0.0 < self.ewma_lambda <= 1.0:
            raise ValueError(f"ewma_lambda must be in (0, 1], got {self.ewma_lambda!r}")
        if self.ewma_l <= 0:
            raise ValueError(f"ewma_l must be > 0, got {self.ewma_l!r}")
        if self.cusum_k < 0:
            raise ValueError(f"cusum_k must be >= 0, got {self.cusum_k!r}")
        if self.cusum_h <= 0:
            raise ValueError(f"cusum_h must be > 0, got {self.cusum_h!r}")
        rules = self.alert_rules
        if isinstance(rules, str) or not isinstance(rules, Sequence):
            raise ValueError(f"alert_rules must be a list of rule names, got {rules!r}")
        unknown = [r for r in rules if r not in RULES]
        if unknown:
            raise ValueError(
                f"unknown alert rule(s): {', '.join(map(str, unknown))}; "
                f"known rules: {', '.join(RULES)}"
            )
        object.__setattr__(self, "alert_rules", tuple(dict.fromkeys(rules)))
        fb = self.fixed_baseline
        if fb is not None:
            if not isinstance(fb, Sequence) or isinstance(fb, str) or len(fb) != 2:
                raise ValueError(f"fixed_baseline must be a (start, end) pair, got {fb!r}")
            a, b = fb
            if isinstance(a, date) and isinstance(b, date):
                if a > b:
                    raise ValueError(f"fixed_baseline starts after it ends: {a} > {b}")
            elif not isinstance(a, date) and not isinstance(b, date) and _is_int(a) and _is_int(b):
                if a < 0 or b <= a:
                    raise ValueError(
                        f"fixed_baseline index range must be 0 <= start < stop, got {a}, {b}"
                    )
                a, b = int(a), int(b)
            else:
                raise ValueError(f"fixed_baseline must be two dates or two indexes, got {fb!r}")
            object.__setattr__(self, "fixed_baseline", (a, b))

    @classmethod
    def weekly(cls, **overrides: Any) -> ChartParams:
        """Defaults for ISO-week periods: a quarter of trailing weeks, at least 8 of them."""
        kwargs: dict[str, Any] = {"baseline_window": 13, "min_baseline": 8, **overrides}
        return cls(**kwargs)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ChartParams:
        """Parameters from a workspace settings dict (JSON: dates as ISO strings, lists).

        Unknown keys are refused, so a typo does not silently keep a default. Raises
        ``ValueError`` with a message naming the bad setting.
        """
        if settings is None:
            return cls()
        if not isinstance(settings, Mapping):
            raise ValueError(f"chart settings must be an object, got {type(settings).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(str(k) for k in settings if k not in known)
        if unknown:
            raise ValueError(
                f"unknown chart setting(s): {', '.join(unknown)}; known: {', '.join(known)}"
            )
        kwargs: dict[str, Any] = {}
        for name, v in settings.items():
            if name in ("baseline_window", "min_baseline"):
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                if not _is_int(v):
                    raise ValueError(f"{name} must be a whole number, got {v!r}")
                kwargs[name] = int(v)
            elif name in ("ewma_lambda", "ewma_l", "cusum_k", "cusum_h", "limit_sigma"):
                if not _is_number(v):
                    raise ValueError(f"{name} must be a number, got {v!r}")
                kwargs[name] = float(v)
            elif name == "overdispersion":
                if not isinstance(v, bool):
                    raise ValueError(f"overdispersion must be true or false, got {v!r}")
                kwargs[name] = v
            elif name == "alert_rules":
                if isinstance(v, str) or not isinstance(v, Sequence):
                    raise ValueError(f"alert_rules must be a list of rule names, got {v!r}")
                if not all(isinstance(r, str) for r in v):
                    raise ValueError(f"alert_rules must be rule names (strings), got {v!r}")
                kwargs[name] = tuple(v)
            else:  # fixed_baseline
                kwargs[name] = _parse_fixed_baseline(v)
        return cls(**kwargs)


def _parse_fixed_baseline(v: Any) -> tuple[date, date] | tuple[int, int] | None:
    if v is None:
        return None
    if isinstance(v, str) or not isinstance(v, Sequence) or len(v) != 2:
        raise ValueError(f"fixed_baseline must be [start, end] or null, got {v!r}")
    if all(_is_int(x) for x in v):
        return (int(v[0]), int(v[1]))
    out: list[date] = []
    for x in v:
        if isinstance(x, date):
            out.append(x)
        elif isinstance(x, str):
            try:
                out.append(date.fromisoformat(x))
            except ValueError:
                raise ValueError(f"fixed_baseline: {x!r} is not an ISO date") from None
        else:
            raise ValueError(f"fixed_baseline must be two ISO dates or two indexes, got {v!r}")
    return (out[0], out[1])


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One period of one cell, judged against its own baseline.

    Rates and lines are per ``Chart.per`` orders (u, p) or plain counts (c); the lines are
    ``count / exposure`` of the reference distribution's quantiles, so ``rate > ucl`` is the
    rule 1 test. ``expected`` is the baseline's expected count for this period's exposure.
    ``signals`` are the upward rules that fired (all rules, alerting or not), ``info`` the
    downward ones; ``alert`` says whether any of ``signals`` is in the chart's alert rules.
    ``z`` is the mid-p normal score the EWMA and CUSUM run on; ``cusum`` is the sum before
    it is held at h. ``out_of_control`` points (an alert, or beyond 3 sigma either way) stay
    out of later trailing baselines. ``missing_reason`` is set when the point has no rate
    (``no_sales_volume``, ``missing_count``) or no limits (``insufficient_baseline``).
    """

    period: date
    count: int | None
    exposure: float | None
    rate: float | None
    expected: float | None
    center: float | None
    lcl: float | None
    ucl: float | None
    sigma1_lo: float | None
    sigma1_hi: float | None
    sigma2_lo: float | None
    sigma2_hi: float | None
    z: float | None
    ewma: float | None
    ewma_ucl: float | None
    cusum: float | None
    signals: tuple[str, ...]
    info: tuple[str, ...]
    alert: bool
    out_of_control: bool
    missing_reason: str | None
    baseline_n: int


@dataclass(frozen=True, slots=True)
class Episode:
    """Consecutive alerting points of one cell: the unit that is escalated and tracked.

    The peak is the point with the highest rate relative to its centre line.
    """

    first_period: date
    last_period: date
    peak_period: date
    peak_count: int
    peak_rate: float
    peak_ratio: float
    center: float
    ucl: float | None
    rules: tuple[str, ...]
    n_points: int


@dataclass(frozen=True, slots=True)
class Chart:
    """A computed chart: ``kind`` (u, p, c), ``per`` (rate unit), points in period order."""

    kind: str
    per: float
    points: tuple[ChartPoint, ...]
    alert_rules: tuple[str, ...]

    def episodes(self, *, max_gap: int = 0) -> list[Episode]:
        """See :func:`episodes`."""
        return episodes(self, max_gap=max_gap)


@dataclass(frozen=True, slots=True)
class WeeklySeries:
    """Daily data summed into ISO weeks; ``days`` says how many days each week had."""

    periods: tuple[date, ...]
    counts: tuple[int | None, ...]
    exposures: tuple[float | None, ...] | None
    days: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Ref:
    """The baseline's reference distribution for one period: Poisson(mu) or Binomial(n, p)."""

    kind: str
    mu: float
    n: int
    p: float
    phi: float = 1.0  # variance / mean of the counts (1: Poisson)

    @property
    def expected(self) -> float:
        return self.n * self.p if self.kind == "p" else self.mu

    @property
    def _nb(self) -> tuple[float, float] | None:
        """Negative binomial (size, prob) with mean mu and variance phi * mu, if over-dispersed."""
        if self.kind == "p" or self.phi <= 1.0 + _PHI_EPS:
            return None
        return self.mu / (self.phi - 1.0), 1.0 / self.phi

    def quantiles(self, probs: NDArray[np.float64] = _QS) -> list[float]:
        nb = self._nb
        if self.kind == "p":
            q = stats.binom.ppf(probs, self.n, self.p)
        elif nb is not None:
            q = stats.nbinom.ppf(probs, nb[0], nb[1])
        else:
            q = stats.poisson.ppf(probs, self.mu)
        return [float(v) for v in q]

    def cdf(self, x: int) -> float:
        if x < 0:
            return 0.0
        if self.kind == "p":
            return float(special.bdtr(x, self.n, self.p))
        nb = self._nb
        if nb is not None:
            return float(special.betainc(nb[0], x + 1.0, nb[1]))  # NB cdf, real size
        return float(special.pdtr(x, self.mu))

    def z(self, x: int) -> float:
        """Mid-p normal score: about N(0, 1) in control even for counts of 1-2 a period, where
        (x - mu) / sqrt(mu) is badly skewed; deterministic, unlike a randomised transform."""
        lo, hi = self.cdf(x - 1), self.cdf(x)
        z = float(special.ndtri(lo + 0.5 * (hi - lo)))
        return max(-_Z_CLIP, min(_Z_CLIP, z))


def _ref(kind: str, total: float, weight: float, n_points: int, w: float, phi: float = 1.0) -> _Ref:
    """Reference distribution for a period of weight ``w`` from baseline sums."""
    total = max(total, _ZERO_BASELINE)
    if kind == "u":
        return _Ref("u", total / weight * w, 0, 0.0, phi)
    if kind == "p":
        p = min(total / weight, (weight - _ZERO_BASELINE) / weight)
        return _Ref("p", 0.0, round(w), p)
    return _Ref("c", total / n_points, 0, 0.0, phi)


def _dispersion(
    kind: str, idx: Sequence[int], xs: Sequence[int | None], ws: Sequence[float]
) -> float:
    """Variance-to-mean ratio of the baseline counts around their common rate, from the
    median absolute deviation of the Pearson residuals; at least 1, at most ``_PHI_MAX``.

    Real complaint counts vary more than Poisson from day to day (a viral post, a batch of
    bad parts); with Poisson limits such a cell raises an alert every few weeks. Limits from
    a negative binomial with this variance keep the false-alarm rate where it was calibrated.
    The MAD, not the sum of squares: the first days of a spike that no rule flagged yet sit in
    the baseline, and squared residuals would let them widen the limits until the spike hides
    itself (in simulation: Pearson gives 5.6 for a Poisson baseline with four x2.5 days, the
    MAD 1.4, and 1.5 for a true 1.5).
    """
    if kind == "p" or len(idx) < 5:
        return 1.0
    total = float(sum(xs[i] or 0 for i in idx))
    weight = sum(ws[i] for i in idx) if kind == "u" else float(len(idx))
    if total <= 0 or weight <= 0:
        return 1.0
    rate = total / weight
    e = np.array([rate * (ws[i] if kind == "u" else 1.0) for i in idx])
    x = np.array([float(xs[i] or 0) for i in idx])
    ok = e > 0
    if ok.sum() < 5:
        return 1.0
    r = (x[ok] - e[ok]) / np.sqrt(e[ok])
    sigma = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    return min(_PHI_MAX, max(1.0, sigma * sigma))


class _Rules:
    """Western Electric rules over the last evaluable points (missing points are skipped)."""

    def __init__(self) -> None:
        # per point: (zone above: 0..3, zone below: 0..3, side: +1 / -1 / 0)
        self.hist: deque[tuple[int, int, int]] = deque(maxlen=8)

    def reset(self) -> None:
        self.hist.clear()

    def push(self, x: int, q: list[float]) -> tuple[list[str], list[str]]:
        l3, l2, l1, med, u1, u2, u3 = q
        up = 3 if x > u3 else 2 if x > u2 else 1 if x > u1 else 0
        down = 3 if x < l3 else 2 if x < l2 else 1 if x < l1 else 0
        side = 1 if x > med else -1 if x < med else 0
        self.hist.append((up, down, side))
        h = list(self.hist)
        out: dict[int, list[str]] = {0: [], 1: []}
        for i, lvl in ((0, up), (1, down)):
            last = [p[i] for p in h]
            if lvl >= 3:
                out[i].append("rule1")
            if lvl >= 2 and sum(v >= 2 for v in last[-3:]) >= 2:
                out[i].append("rule2")
            if lvl >= 1 and sum(v >= 1 for v in last[-5:]) >= 4:
                out[i].append("rule3")
        want = side
        if want != 0 and len(h) == 8 and all(p[2] == want for p in h):
            out[0 if want > 0 else 1].append("rule4")
        return out[0], out[1]


def compute_chart(
    periods: Sequence[date],
    counts: Sequence[int | None],
    exposures: Sequence[float | None] | None = None,
    *,
    kind: str = "u",
    per: float = 10_000,
    params: ChartParams = ChartParams(),
) -> Chart:
    """Judge every period of one cell; ``periods`` strictly increasing, one per day or week.

    Pass every period, including those without sales: the trailing window counts periods, so
    a dropped day makes it reach further back. ``exposures`` are orders (u, p; ``None``, NaN
    or 0 means no sales volume: the point is missing, never divided by); the c chart takes
    none. Raises ``ValueError`` on malformed input.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not _is_number(per) or not per > 0:
        raise ValueError(f"per must be > 0, got {per!r}")
    n = len(periods)
    if len(counts) != n:
        raise ValueError(f"{len(counts)} counts for {n} periods")
    if kind == "c":
        if exposures is not None:
            raise ValueError("a c chart takes no exposures; use a u or p chart with sales volume")
    elif exposures is None:
        raise ValueError(f"a {kind} chart needs exposures (orders per period)")
    elif len(exposures) != n:
        raise ValueError(f"{len(exposures)} exposures for {n} periods")
    for a, b in itertools.pairwise(periods):
        if not b > a:
            raise ValueError(f"periods must be strictly increasing: {b} follows {a}")

    # per point: count, weight (exposure units for u, orders for p, 1 for c), missing reason
    xs: list[int | None] = []
    ws: list[float] = []
    exps: list[float | None] = []
    reasons: list[str | None] = []
    for i in range(n):
        c = counts[i]
        if c is not None and (not _is_int(c) or c < 0):
            raise ValueError(f"counts must be whole numbers >= 0, got {c!r} for {periods[i]}")
        e: float | None = None
        if exposures is not None:
            raw = exposures[i]
            if raw is not None:
                if not _is_number(raw) or raw < 0 or math.isinf(raw):
                    raise ValueError(f"exposure must be >= 0 or missing, got {raw!r}")
                e = None if math.isnan(raw) else float(raw)
        w = 1.0
        reason: str | None = None
        if kind != "c" and not (e and (kind == "u" or round(e) >= 1)):
            reason = NO_SALES_VOLUME  # never divided by: no rate, skipped by every rule
        elif c is None:
            reason = MISSING_COUNT
        elif kind == "u":
            w = float(e or 0.0) / per
        elif kind == "p":
            w = float(round(e or 0.0))
            if c > w:
                raise ValueError(f"p chart: {c} complaints out of {w:g} orders on {periods[i]}")
        xs.append(None if c is None else int(c))
        ws.append(w if reason is None else 0.0)
        exps.append(e)
        reasons.append(reason)

    fixed = _fixed_baseline(kind, periods, xs, ws, reasons, params)
    probs = _probs(params.limit_sigma)
    ooc = [False] * n
    rules = _Rules()
    lam, big_l, k, h = params.ewma_lambda, params.ewma_l, params.cusum_k, params.cusum_h
    ewma, steps, cusum = 0.0, 0, 0.0
    alerting = set(params.alert_rules)
    points: list[ChartPoint] = []
    for i in range(n):
        if fixed is not None:
            total, weight, nb, base = fixed
        else:
            total, weight, nb = 0.0, 0.0, 0
            base = []
            for j in range(max(0, i - params.baseline_window), i):
                x_j = xs[j]
                if reasons[j] is None and not ooc[j] and x_j is not None:
                    total += x_j
                    weight += ws[j]
                    nb += 1
                    base.append(j)
        x = xs[i]
        if reasons[i] is not None or x is None:
            points.append(_blank(periods[i], x, exps[i], None, reasons[i], nb))
            continue
        if nb < params.min_baseline:
            # a new baseline starts a new chart: no run or drift carried across the gap
            rules.reset()
            ewma, steps, cusum = 0.0, 0, 0.0
            points.append(
                _blank(
                    periods[i],
                    x,
                    exps[i],
                    x * _to_rate(kind, ws[i], per),
                    INSUFFICIENT_BASELINE,
                    nb,
                )
            )
            continue
        phi = _dispersion(kind, base, xs, ws) if params.overdispersion else 1.0
        ref = _ref(kind, total, weight, nb, ws[i], phi)
        q = ref.quantiles(probs)
        f = _to_rate(kind, ws[i], per)
        up, down = rules.push(x, q)
        z = ref.z(x)
        steps += 1
        ewma = lam * z + (1.0 - lam) * ewma
        ewma_ucl = big_l * math.sqrt(lam / (2.0 - lam) * (1.0 - (1.0 - lam) ** (2 * steps)))
        if ewma > ewma_ucl:
            up.append("ewma")
        elif ewma < -ewma_ucl:
            down.append("ewma")
        raw_cusum = max(0.0, cusum + z - k)
        if raw_cusum > h:
            up.append("cusum")
        # held at h, neither reset nor left to grow: the alert lasts while the data keep
        # pushing up and ends within a step or two of the shift ending
        cusum = min(raw_cusum, h)
        alert = any(r in alerting for r in up)
        ooc[i] = alert or "rule1" in up or "rule1" in down
        l3, l2, l1, _, u1, u2, u3 = (v * f for v in q)
        points.append(
            ChartPoint(
                period=periods[i],
                count=x,
                exposure=exps[i],
                rate=x * f,
                expected=ref.expected,
                center=ref.expected * f,
                lcl=l3,
                ucl=u3,
                sigma1_lo=l1,
                sigma1_hi=u1,
                sigma2_lo=l2,
                sigma2_hi=u2,
                z=z,
                ewma=ewma,
                ewma_ucl=ewma_ucl,
                cusum=raw_cusum,
                signals=_ordered(up),
                info=_ordered(down),
                alert=alert,
                out_of_control=ooc[i],
                missing_reason=None,
                baseline_n=nb,
            )
        )
    return Chart(kind=kind, per=float(per), points=tuple(points), alert_rules=params.alert_rules)


def _to_rate(kind: str, w: float, per: float) -> float:
    """Factor from a count to the chart's rate: per ``per`` orders (u, p), the count (c)."""
    if kind == "u":
        return 1.0 / w  # w is already orders / per
    if kind == "p":
        return per / w
    return 1.0


def _ordered(names: list[str]) -> tuple[str, ...]:
    return tuple(r for r in RULES if r in names)


def _blank(
    period: date,
    count: int | None,
    exposure: float | None,
    rate: float | None,
    reason: str | None,
    baseline_n: int,
) -> ChartPoint:
    return ChartPoint(
        period=period,
        count=count,
        exposure=exposure,
        rate=rate,
        expected=None,
        center=None,
        lcl=None,
        ucl=None,
        sigma1_lo=None,
        sigma1_hi=None,
        sigma2_lo=None,
        sigma2_hi=None,
        z=None,
        ewma=None,
        ewma_ucl=None,
        cusum=None,
        signals=(),
        info=(),
        alert=False,
        out_of_control=False,
        missing_reason=reason,
        baseline_n=baseline_n,
    )


def _fixed_baseline(
    kind: str,
    periods: Sequence[date],
    xs: list[int | None],
    ws: list[float],
    reasons: list[str | None],
    params: ChartParams,
) -> tuple[float, float, int, list[int]] | None:
    """Sums over the fixed baseline (count total, weight total, periods, their indexes), or
    ``None``.

    Points of the baseline beyond its own 3-sigma limits are dropped and the limits
    recomputed until none is (Phase I trimming), so an incident inside the chosen
    baseline does not widen the limits for everything after it.
    """
    fb = params.fixed_baseline
    if fb is None:
        return None
    a, b = fb
    if isinstance(a, date) and isinstance(b, date):
        idx = [i for i, d in enumerate(periods) if a <= d <= b]
    elif not isinstance(a, date) and not isinstance(b, date):
        idx = list(range(len(periods)))[a:b]
    else:  # refused by ChartParams
        idx = []
    keep = [i for i in idx if reasons[i] is None]
    cnt = [int(xs[i] or 0) for i in range(len(xs))]
    total = weight = 0.0
    for _ in range(_PHASE1_ROUNDS):
        total = float(sum(cnt[i] for i in keep))
        weight = sum(ws[i] for i in keep)
        if len(keep) < params.min_baseline:
            break
        still = []
        for i in keep:
            q = _ref(kind, total, weight, len(keep), ws[i]).quantiles(_probs(params.limit_sigma))
            if q[0] <= cnt[i] <= q[-1]:
                still.append(i)
        if len(still) == len(keep):
            break
        keep = still
    if len(keep) < params.min_baseline:
        return (0.0, 0.0, len(keep), keep)
    return (total, weight, len(keep), keep)


def episodes(chart: Chart, *, max_gap: int = 0) -> list[Episode]:
    """Alert episodes: runs of alerting points, merged across up to ``max_gap`` judged points.

    Points without a rate or limits (missing, insufficient baseline) neither extend nor break
    an episode. ``rules`` are the alerting rules that fired anywhere in the episode.
    """
    if max_gap < 0:
        raise ValueError(f"max_gap must be >= 0, got {max_gap}")
    out: list[Episode] = []
    run: list[ChartPoint] = []
    gap = 0
    alerting = set(chart.alert_rules)

    def close() -> None:
        if not run:
            return
        peak = max(run, key=lambda p: (p.rate or 0.0) / (p.center or 1.0))
        fired = {r for p in run for r in p.signals if r in alerting}
        out.append(
            Episode(
                first_period=run[0].period,
                last_period=run[-1].period,
                peak_period=peak.period,
                peak_count=int(peak.count or 0),
                peak_rate=float(peak.rate or 0.0),
                peak_ratio=float(peak.rate or 0.0) / float(peak.center or 1.0),
                center=float(peak.center or 0.0),
                ucl=peak.ucl,
                rules=_ordered(sorted(fired)),
                n_points=len(run),
            )
        )
        run.clear()

    for p in chart.points:
        if p.missing_reason is not None:
            continue
        if p.alert:
            run.append(p)
            gap = 0
        elif run:
            gap += 1
            if gap > max_gap:
                close()
    close()
    return out


def monday(d: date) -> date:
    """The Monday that starts ``d``'s ISO week."""
    return d - timedelta(days=d.weekday())


def to_iso_weeks(
    periods: Sequence[date],
    counts: Sequence[int | None],
    exposures: Sequence[float | None] | None = None,
) -> WeeklySeries:
    """Sum daily counts and exposures into ISO weeks (Monday start), every week in between.

    A week with no days in the input has count ``None``; a week without any known sales
    volume has exposure ``None`` and one whose volume sums to 0 keeps 0.0 (both stay missing
    on a u or p chart). A day with unknown volume adds nothing to its week's volume. Partial
    weeks at either end are kept; ``days`` says how full each week is.
    """
    if len(counts) != len(periods) or (exposures is not None and len(exposures) != len(periods)):
        raise ValueError("periods, counts and exposures must have the same length")
    if not periods:
        return WeeklySeries((), (), None if exposures is None else (), ())
    cnt: dict[date, int | None] = {}
    exp: dict[date, float | None] = {}
    days: dict[date, int] = {}
    for i, d in enumerate(periods):
        wk = monday(d)
        days[wk] = days.get(wk, 0) + 1
        c = counts[i]
        if c is not None:
            cnt[wk] = (cnt.get(wk) or 0) + int(c)
        else:
            cnt.setdefault(wk, None)
        if exposures is not None:
            e = exposures[i]
            if e is not None and not math.isnan(e):
                exp[wk] = (exp.get(wk) or 0.0) + float(e)
            else:
                exp.setdefault(wk, None)
    first, last = monday(min(periods)), monday(max(periods))
    weeks = [first + timedelta(weeks=j) for j in range((last - first).days // 7 + 1)]
    return WeeklySeries(
        periods=tuple(weeks),
        counts=tuple(cnt.get(w) for w in weeks),
        exposures=None if exposures is None else tuple(exp.get(w) for w in weeks),
        days=tuple(days.get(w, 0) for w in weeks),
    )
