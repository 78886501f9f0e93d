"""Calibration of the complaint control charts (``liuke.complaints.charts``) by simulation.

Prints figures; asserts nothing about timings.

    .venv/bin/python bench/control_charts.py                 # default figures (~1-2 min)
    .venv/bin/python bench/control_charts.py --quarters 400 --reps 600 --seed 7

A cell's daily orders follow a weekly pattern (weekends busier) with +/-10 % day-to-day noise;
complaints are Poisson with a constant rate, scaled so that a mean day has 2, 5, 20 or 60
expected complaints. Every figure runs the real :func:`compute_chart` with the default
:class:`ChartParams` (u chart, trailing 28-day baseline), so the baseline's own estimation
error is part of what is measured.

* **False alarms**: episodes (runs of alerting days, :func:`episodes`) per cell per 90 in-control
  days, after a 28-day warm-up. Per rule: episodes of the days where that rule fired upward
  (whether or not it alerts by default), and for a few candidate alert sets, all from the same
  runs (the default set decides which days leave the baseline, so alternatives are close, not
  exact). A dimension of 6 cells must stay at <= 1 false episode per quarter: <= ~0.17 per cell.
  The last block repeats the default set with 10 % extra-Poisson day-to-day variation (real
  complaint counts are often over-dispersed), to show how much that costs.
* **Detection delay**: after 56 in-control days the rate jumps x3 for 7 days, or x1.5 for good;
  the day of the shift (1 = its first day) on which the default set first alerts.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from liuke.complaints.charts import RULES, Chart, ChartParams, compute_chart

LEVELS = (2.0, 5.0, 20.0, 60.0)
WEEKLY = np.array([0.9, 0.85, 0.85, 0.9, 1.0, 1.3, 1.2])  # Monday .. Sunday
ORDERS = 20_000.0  # mean orders per day; the rate is what matters, not the volume
START = date(2024, 1, 1)  # a Monday
WARMUP = 28
CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("rule1",),
    ("rule1", "rule2"),
    ("rule1", "ewma"),
    ("rule1", "cusum"),
    ("rule1", "rule2", "ewma"),
    ("rule1", "rule2", "cusum"),
    ("rule1", "rule2", "rule3", "rule4"),
)


def _series(
    rng: np.random.Generator, level: float, n: int, mult: np.ndarray | None = None, od: float = 0.0
) -> tuple[list[date], list[int], list[float]]:
    """``n`` days of orders and Poisson complaints; ``mult`` scales the rate day by day."""
    pattern = WEEKLY[np.arange(n) % 7] / WEEKLY.mean()
    orders = np.round(ORDERS * pattern * rng.uniform(0.9, 1.1, n))
    mu = level * orders / ORDERS
    if mult is not None:
        mu = mu * mult
    if od > 0:  # gamma day effect with coefficient of variation ``od``
        mu = mu * rng.gamma(1.0 / od**2, od**2, n)
    counts = rng.poisson(mu)
    periods = [START + timedelta(days=i) for i in range(n)]
    return periods, [int(c) for c in counts], [float(o) for o in orders]


def _episode_starts(flags: Sequence[bool | None]) -> list[int]:
    """Indexes where a run of True starts; ``None`` (no rate or no limits) is transparent."""
    starts, inside = [], False
    for i, f in enumerate(flags):
        if f is None:
            continue
        if f and not inside:
            starts.append(i)
        inside = bool(f)
    return starts


def _flags(chart: Chart, rules: Sequence[str]) -> list[bool | None]:
    want = set(rules)
    return [
        None if p.missing_reason is not None else any(r in want for r in p.signals)
        for p in chart.points
    ]


def false_alarms(
    rng: np.random.Generator,
    level: float,
    quarters: int,
    params: ChartParams,
    od: float = 0.0,
) -> dict[str, tuple[float, float]]:
    """Mean (and standard error) false episodes per 90 days: per rule, candidate, default."""
    chunk = 25  # quarters per simulated series (one long series = many quarters, same thing)
    per_q: dict[str, list[int]] = {}
    done = 0
    while done < quarters:
        q = min(chunk, quarters - done)
        periods, counts, orders = _series(rng, level, WARMUP + 90 * q, od=od)
        chart = compute_chart(periods, counts, orders, params=params)
        keys: list[tuple[str, Sequence[str]]] = [(r, (r,)) for r in RULES]
        keys += [("+".join(c), c) for c in CANDIDATES]
        keys.append(("default", chart.alert_rules))
        for name, rules in keys:
            starts = _episode_starts(_flags(chart, rules))
            for j in range(q):  # per quarter, for the standard error
                lo = WARMUP + 90 * j
                per_q.setdefault(name, []).append(sum(lo <= s < lo + 90 for s in starts))
        done += q
    out = {}
    for name, ns in per_q.items():
        m = statistics.fmean(ns)
        se = statistics.stdev(ns) / len(ns) ** 0.5 if len(ns) > 1 else float("nan")
        out[name] = (m, se)
    return out


def detection(
    rng: np.random.Generator,
    level: float,
    factor: float,
    days: int,
    reps: int,
    params: ChartParams,
) -> list[int | None]:
    """Day of the shift (1-based) of the first alert, ``None`` when not within ``days``."""
    warm = 56
    mult = np.ones(warm + days)
    mult[warm:] = factor
    out: list[int | None] = []
    for _ in range(reps):
        periods, counts, orders = _series(rng, level, warm + days, mult)
        chart = compute_chart(periods, counts, orders, params=params)
        hit = next((i - warm + 1 for i, p in enumerate(chart.points[warm:], warm) if p.alert), None)
        out.append(hit)
    return out


def _share(delays: list[int | None], by: int) -> float:
    return sum(1 for d in delays if d is not None and d <= by) / len(delays)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quarters", type=int, default=400, help="in-control quarters per level")
    ap.add_argument("--reps", type=int, default=300, help="shift replications per level")
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument(
        "--settings",
        default="{}",
        help="chart settings as JSON, as a workspace stores them, e.g. '{\"cusum_h\": 7}'",
    )
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    p = ChartParams.from_settings(json.loads(args.settings))
    print(
        f"defaults: alert_rules={'+'.join(p.alert_rules)}, window={p.baseline_window}, "
        f"min_baseline={p.min_baseline}, ewma lambda={p.ewma_lambda} L={p.ewma_l}, "
        f"cusum k={p.cusum_k} h={p.cusum_h}"
    )
    print(
        f"\nfalse-alarm episodes per cell per 90 in-control days ({args.quarters} quarters/level)"
    )
    results = {lv: false_alarms(rng, lv, args.quarters, p) for lv in LEVELS}
    names = list(results[LEVELS[0]])
    print(f"{'rule / set':<26}" + "".join(f"{f'mu={lv:g}':>16}" for lv in LEVELS))
    for name in names:
        cells = "".join(
            f"{results[lv][name][0]:>9.3f} ±{results[lv][name][1]:.3f}" for lv in LEVELS
        )
        print(f"{name:<26}{cells}")
    six = "".join(f"{6 * results[lv]['default'][0]:>16.2f}" for lv in LEVELS)
    print(f"{'default x 6 cells':<26}{six}   (per dimension per quarter)")

    print("\nsame, default set, 10 % extra-Poisson day-to-day variation (over-dispersed counts)")
    od = {lv: false_alarms(rng, lv, args.quarters // 2, p, od=0.1)["default"] for lv in LEVELS}
    cells = "".join(f"{od[lv][0]:>9.3f} ±{od[lv][1]:.3f}" for lv in LEVELS)
    print(f"{'default, od=0.1':<26}{cells}")

    print(f"\ndetection: day of the shift of the first alert ({args.reps} replications)")
    head = f"{'day1':>7}{'<=2':>7}{'<=7':>7}{'<=14':>7}{'median*':>8}{'missed':>8}"
    print(f"{'shift':<22}{'mu':>5}{head}")
    for factor, days, label in ((3.0, 7, "x3 for 7 days"), (1.5, 28, "x1.5 sustained (28 d)")):
        for lv in LEVELS:
            d = detection(rng, lv, factor, days, args.reps, p)
            hits = [x for x in d if x is not None]
            med = f"{statistics.median(hits):g}" if hits else "-"
            missed = 1 - len(hits) / len(d)
            print(
                f"{label:<22}{lv:>5g}{_share(d, 1):>7.0%}{_share(d, 2):>7.0%}"
                f"{_share(d, 7):>7.0%}{_share(d, 14):>7.0%}{med:>8}{missed:>8.0%}"
            )
    print("* median day among the detected; missed: no alert within the shift window")


if __name__ == "__main__":
    main()
