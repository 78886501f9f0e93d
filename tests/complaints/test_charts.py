"""Control charts for complaint rates: hand-checkable cases and a seeded false-alarm check."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from scipy import stats

from liuke.complaints.charts import (
    INSUFFICIENT_BASELINE,
    NO_SALES_VOLUME,
    RULES,
    Chart,
    ChartParams,
    compute_chart,
    episodes,
    monday,
    to_iso_weeks,
)

D0 = date(2024, 1, 1)  # a Monday
ORDERS = 20_000.0  # 2 exposure units of 10,000 orders: 20 complaints a day = 10 per 10k
QS = [0.00135, 0.02275, 0.158655, 0.5, 1 - 0.158655, 1 - 0.02275, 0.99865]
# Poisson(20) lines, in counts: lcl, 2s lo, 1s lo, median, 1s hi, 2s hi, ucl
L3, L2, L1, MED, U1, U2, U3 = (int(v) for v in stats.poisson.ppf(QS, 20))
ALL = ChartParams(alert_rules=RULES)


def days(n: int) -> list[date]:
    return [D0 + timedelta(days=i) for i in range(n)]


def flat(n: int, then: list[int], params: ChartParams = ALL) -> Chart:
    """``n`` days of exactly 20 complaints on 20,000 orders, then ``then``."""
    counts = [20] * n + then
    return compute_chart(days(len(counts)), counts, [ORDERS] * len(counts), params=params)


def fixed28() -> ChartParams:
    """Limits from the first 28 days (all rules computed and alerting)."""
    return ChartParams(fixed_baseline=(0, 28), alert_rules=RULES)


def test_poisson_lines_are_what_the_test_assumes() -> None:
    assert (L3, L2, L1, MED, U1, U2, U3) == (8, 12, 16, 20, 24, 29, 35)


def test_spike_fires_rule1_and_consecutive_days_make_one_episode() -> None:
    chart = flat(30, [60, 70, 20, 20, 20], params=ChartParams(alert_rules=("rule1",)))
    p30, p31, p32 = chart.points[30:33]
    assert p30.center == pytest.approx(10.0)
    assert p30.ucl == pytest.approx(U3 / 2)  # exact Poisson quantile, per 10,000 orders
    assert p30.rate == pytest.approx(30.0)
    assert "rule1" in p30.signals and p30.alert and p30.out_of_control
    # the spike stays out of the next day's baseline: limits unchanged, one period fewer
    assert p31.center == pytest.approx(10.0) and p31.baseline_n == 27
    assert "rule1" in p31.signals
    assert not p32.alert
    [ep] = episodes(chart)
    assert (ep.first_period, ep.last_period, ep.peak_period) == (
        days(31)[30],
        p31.period,
        p31.period,
    )
    assert ep.peak_count == 70 and ep.peak_rate == pytest.approx(35.0)
    assert ep.peak_ratio == pytest.approx(3.5) and ep.rules == ("rule1",) and ep.n_points == 2
    assert chart.episodes() == episodes(chart)


def test_a_drop_is_information_not_an_alert() -> None:
    chart = flat(30, [2, 20])
    p = chart.points[30]
    assert "rule1" in p.info and p.signals == () and not p.alert
    assert p.out_of_control  # a 3-sigma low day would deflate later limits: kept out too
    assert chart.points[31].baseline_n == 27
    assert episodes(chart) == []


def test_zero_or_missing_exposure_is_a_missing_point_that_runs_skip() -> None:
    counts = [20] * 28 + [21] * 4 + [5, 7, 3] + [21] * 4
    orders: list[float | None] = [ORDERS] * len(counts)
    orders[32], orders[33], orders[34] = 0.0, None, math.nan
    chart = compute_chart(days(len(counts)), counts, orders, params=fixed28())
    for p in chart.points[32:35]:
        assert p.missing_reason == NO_SALES_VOLUME
        assert p.rate is None and p.ucl is None and p.signals == () and not p.alert
    # eight judged days just above the median, with the missing days in the middle: rule 4
    assert [("rule4" in p.signals) for p in chart.points[28:]] == [False] * 10 + [True]


def test_insufficient_baseline_has_no_limits_and_says_why() -> None:
    chart = flat(20, [], params=ChartParams())
    for i, p in enumerate(chart.points[:14]):
        assert p.missing_reason == INSUFFICIENT_BASELINE and p.baseline_n == i
        assert p.ucl is None and p.center is None and p.rate == pytest.approx(10.0)
    assert chart.points[14].missing_reason is None and chart.points[14].baseline_n == 14
    assert chart.points[14].ucl == pytest.approx(U3 / 2)


def test_missing_days_shrink_the_trailing_baseline() -> None:
    orders: list[float | None] = [ORDERS] * 40
    for i in range(20, 35):
        orders[i] = 0.0
    chart = compute_chart(days(40), [20] * 40, orders)
    p = chart.points[39]  # window 11..38 has 13 days with sales
    assert p.missing_reason == INSUFFICIENT_BASELINE and p.baseline_n == 13


def test_c_chart_counts_without_exposure() -> None:
    counts: list[int | None] = [20] * 28
    counts += [None, 40, 20]
    chart = compute_chart(days(31), counts, kind="c")
    assert chart.points[28].missing_reason == "missing_count"
    p = chart.points[29]
    assert p.center == pytest.approx(20.0) and p.ucl == U3 and p.rate == 40
    assert "rule1" in p.signals and p.alert
    with pytest.raises(ValueError, match="no exposures"):
        compute_chart(days(3), [1, 2, 3], [1.0, 1.0, 1.0], kind="c")


def test_p_chart_is_binomial_out_of_orders() -> None:
    counts = [10] * 28 + [25, 10]
    chart = compute_chart(days(30), counts, [1000.0] * 30, kind="p")
    p = chart.points[28]
    ucl = stats.binom.ppf(0.99865, 1000, 0.01)
    assert p.center == pytest.approx(100.0)  # 1 % = 100 per 10,000 orders
    assert p.ucl == pytest.approx(ucl * 10) and p.rate == pytest.approx(250.0)
    assert "rule1" in p.signals
    with pytest.raises(ValueError, match="out of"):
        compute_chart(days(2), [5, 2000], [1000.0, 1000.0], kind="p")
    with pytest.raises(ValueError, match="needs exposures"):
        compute_chart(days(2), [5, 2], kind="p")
    tiny = compute_chart(days(1), [0], [0.3], kind="p").points[0]  # rounds to no orders
    assert tiny.missing_reason == NO_SALES_VOLUME and tiny.rate is None


def test_fixed_baseline_by_dates_or_indexes_trims_its_own_outliers() -> None:
    counts = [20] * 28 + [30] * 40
    counts[10] = 80  # an incident inside the baseline: dropped before the limits are set
    n = len(counts)
    by_date = ChartParams(fixed_baseline=(D0, D0 + timedelta(days=27)))
    by_index = ChartParams(fixed_baseline=(0, 28))
    a = compute_chart(days(n), counts, [ORDERS] * n, params=by_date)
    b = compute_chart(days(n), counts, [ORDERS] * n, params=by_index)
    assert a == b
    for p in a.points:
        assert p.center == pytest.approx(10.0) and p.baseline_n == 27
    assert "rule1" in a.points[10].signals
    assert a.points[-1].alert  # a trailing baseline would have absorbed the shift by now
    short = ChartParams(fixed_baseline=(0, 10))
    assert all(
        p.missing_reason == INSUFFICIENT_BASELINE
        for p in compute_chart(days(n), counts, [ORDERS] * n, params=short).points
    )


def test_ewma_and_cusum_catch_a_sustained_x1_5_shift_that_rule1_misses() -> None:
    chart = flat(28, [30] * 14, params=fixed28())
    after = chart.points[28:]
    assert all("rule1" not in p.signals for p in after)  # 30 < UCL 35 every day
    first = {r: next(i for i, p in enumerate(after) if r in p.signals) for r in ("ewma", "cusum")}
    assert first["ewma"] <= 3 and first["cusum"] <= 6
    # once over h the CUSUM is held there: it keeps alerting while the shift lasts ...
    assert all("cusum" in p.signals for p in after[first["cusum"] :])
    # ... and stops within a day once it ends
    back = flat(28, [30] * 14 + [20] * 3, params=fixed28()).points[42:]
    assert "cusum" not in back[1].signals and "cusum" not in back[2].signals


def test_default_params_alert_on_a_sustained_x1_5_shift_within_a_week() -> None:
    chart = flat(28, [30] * 14, params=ChartParams())
    first = next(i for i, p in enumerate(chart.points[28:]) if p.alert)
    assert first < 7
    [ep] = episodes(chart)
    assert ep.first_period == chart.points[28 + first].period


def test_a_lasting_shift_is_one_episode_then_becomes_the_new_baseline() -> None:
    chart = flat(28, [30] * 80, params=ChartParams())
    [ep] = episodes(chart)
    assert ep.rules == ("cusum",) and 10 <= ep.n_points <= 16
    # its alerting days stay out of the window until too few are left: no limits for a while,
    # then limits from the new level, which no longer alerts
    gap = [p for p in chart.points[28:] if p.missing_reason == INSUFFICIENT_BASELINE]
    assert gap and gap[0].period > ep.last_period
    last = chart.points[-1]
    assert last.center == pytest.approx(15.0) and not last.alert


def test_rule2_two_of_three_beyond_2_sigma() -> None:
    beyond = U2 + 1
    assert beyond <= U3
    chart = flat(28, [beyond, MED, beyond, MED], params=fixed28())
    fired = ["rule2" in p.signals for p in chart.points[28:]]
    assert fired == [False, False, True, False]
    assert all("rule1" not in p.signals for p in chart.points[28:])
    low = flat(28, [L2 - 1, MED, L2 - 1], params=fixed28()).points[30]
    assert "rule2" in low.info and "rule2" not in low.signals


def test_rule3_four_of_five_beyond_1_sigma() -> None:
    chart = flat(28, [U1 + 1] * 4, params=fixed28())
    assert U1 + 1 <= U2
    assert ["rule3" in p.signals for p in chart.points[28:]] == [False, False, False, True]
    assert all("rule2" not in p.signals for p in chart.points[28:])


def test_rule4_eight_in_a_row_on_one_side() -> None:
    chart = flat(28, [MED + 1] * 8, params=fixed28())
    assert ["rule4" in p.signals for p in chart.points[28:]] == [False] * 7 + [True]
    # a point on the median breaks the run
    broken = flat(28, [MED + 1] * 4 + [MED] + [MED + 1] * 4, params=fixed28())
    assert all("rule4" not in p.signals for p in broken.points)
    low = flat(28, [MED - 1] * 8, params=fixed28()).points[-1]
    assert "rule4" in low.info and not low.alert


def test_only_alert_rules_alert() -> None:
    chart = flat(28, [MED + 1] * 8, params=ChartParams(fixed_baseline=(0, 28)))
    last = chart.points[-1]
    assert "rule4" in last.signals and "rule4" not in chart.alert_rules and not last.alert
    assert episodes(chart) == []


def test_episodes_merge_across_missing_points_and_max_gap() -> None:
    counts = [20] * 28 + [60, 20, 60, 20]
    orders: list[float | None] = [ORDERS] * len(counts)
    orders[29] = 0.0  # missing: transparent
    chart = compute_chart(
        days(len(counts)), counts, orders, params=ChartParams(alert_rules=("rule1",))
    )
    assert len(episodes(chart)) == 1
    orders[29] = ORDERS
    chart = compute_chart(
        days(len(counts)), counts, orders, params=ChartParams(alert_rules=("rule1",))
    )
    assert len(episodes(chart)) == 2 and len(episodes(chart, max_gap=1)) == 1


def test_weekly_aggregation() -> None:
    start = date(2024, 1, 3)  # a Wednesday
    periods = [start + timedelta(days=i) for i in range(5)]  # Wed..Sun of week 1
    periods += [date(2024, 1, 15) + timedelta(days=i) for i in range(7)]  # week 3 (week 2 gap)
    periods += [date(2024, 1, 22) + timedelta(days=i) for i in range(2)]  # week 4: no volume
    counts = [1] * len(periods)
    orders: list[float | None] = [100.0] * 5 + [200.0, None, 0.0, 0.0, 0.0, 0.0, 0.0] + [0.0, 0.0]
    w = to_iso_weeks(periods, counts, orders)
    assert w.periods == (date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15), date(2024, 1, 22))
    assert w.counts == (5, None, 7, 2)
    assert w.exposures == (500.0, None, 200.0, 0.0)
    assert w.days == (5, 0, 7, 2)
    assert monday(date(2024, 1, 7)) == date(2024, 1, 1)
    assert to_iso_weeks(periods, counts).exposures is None
    chart = compute_chart(w.periods, w.counts, w.exposures, params=ChartParams.weekly())
    assert [p.missing_reason for p in chart.points] == [
        INSUFFICIENT_BASELINE,
        NO_SALES_VOLUME,
        INSUFFICIENT_BASELINE,
        NO_SALES_VOLUME,
    ]


def test_from_settings_parses_json_and_refuses_bad_values() -> None:
    p = ChartParams.from_settings(
        {
            "alert_rules": ["rule1", "ewma", "rule1"],
            "fixed_baseline": ["2024-01-01", "2024-01-28"],
            "ewma_lambda": 0.3,
            "baseline_window": 56,
            "min_baseline": 20.0,
        }
    )
    assert p.alert_rules == ("rule1", "ewma")
    assert p.fixed_baseline == (date(2024, 1, 1), date(2024, 1, 28))
    assert (p.ewma_lambda, p.baseline_window, p.min_baseline) == (0.3, 56, 20)
    assert ChartParams.from_settings(None) == ChartParams() == ChartParams.from_settings({})
    assert ChartParams.from_settings({"fixed_baseline": [0, 28]}).fixed_baseline == (0, 28)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"alert_rule": ["rule1"]}, "unknown chart setting"),
        ({"alert_rules": ["rule1", "rule9"]}, "unknown alert rule.*rule9"),
        ({"alert_rules": "rule1"}, "list of rule names"),
        ({"ewma_lambda": 0}, r"ewma_lambda must be in \(0, 1\]"),
        ({"ewma_lambda": 1.5}, "ewma_lambda"),
        ({"ewma_lambda": "0.2"}, "ewma_lambda must be a number"),
        ({"baseline_window": -28}, "baseline_window must be a whole number >= 1"),
        ({"baseline_window": True}, "baseline_window"),
        ({"baseline_window": 10}, "min_baseline .* cannot exceed baseline_window"),
        ({"min_baseline": 2.5}, "min_baseline must be a whole number"),
        ({"ewma_l": 0}, "ewma_l must be > 0"),
        ({"cusum_k": -1}, "cusum_k must be >= 0"),
        ({"cusum_h": 0}, "cusum_h must be > 0"),
        ({"cusum_h": math.inf}, "cusum_h must be a finite number"),
        ({"fixed_baseline": ["2024-02-01", "2024-01-01"]}, "starts after it ends"),
        ({"fixed_baseline": ["2024-13-01", "2024-01-01"]}, "not an ISO date"),
        ({"fixed_baseline": "2024-01-01"}, r"\[start, end\]"),
        ({"fixed_baseline": [5, 2]}, "0 <= start < stop"),
    ]
    for settings, message in bad:
        with pytest.raises(ValueError, match=message):
            ChartParams.from_settings(settings)
    with pytest.raises(ValueError, match="must be an object"):
        ChartParams.from_settings([("ewma_l", 3)])  # type: ignore[arg-type]


def test_params_are_validated_when_built_directly_too() -> None:
    with pytest.raises(ValueError, match="unknown alert rule"):
        ChartParams(alert_rules=("rule5",))
    with pytest.raises(ValueError, match="two dates or two indexes"):
        ChartParams(fixed_baseline=(D0, 5))  # type: ignore[arg-type]
    assert ChartParams.weekly().min_baseline == 8
    assert ChartParams(alert_rules=["rule1"]).alert_rules == ("rule1",)  # type: ignore[arg-type]


def test_malformed_input_is_refused() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        compute_chart([D0, D0], [1, 1], [1.0, 1.0])
    with pytest.raises(ValueError, match="counts for"):
        compute_chart(days(2), [1], [1.0, 1.0])
    with pytest.raises(ValueError, match="whole numbers >= 0"):
        compute_chart(days(2), [1, -1], [1.0, 1.0])
    with pytest.raises(ValueError, match="exposure must be >= 0"):
        compute_chart(days(2), [1, 1], [1.0, -1.0])
    with pytest.raises(ValueError, match="kind"):
        compute_chart(days(2), [1, 1], [1.0, 1.0], kind="x")


def _in_control(rng: np.random.Generator, level: float, n: int) -> tuple[list[int], list[float]]:
    weekly = np.array([0.9, 0.85, 0.85, 0.9, 1.0, 1.3, 1.2])
    pattern = weekly[np.arange(n) % 7] / weekly.mean()
    orders = np.round(ORDERS * pattern * rng.uniform(0.9, 1.1, n))
    counts = rng.poisson(level * orders / ORDERS)
    return [int(c) for c in counts], [float(o) for o in orders]


def test_in_control_false_alarm_episodes_stay_low() -> None:
    """Default params, Poisson complaints on a weekly order pattern, 2-60 a day, 3 seeds each.

    144 simulated quarters (~13,000 judged days): the pooled mean is good to about +/-0.03.
    """
    warmup, quarters = 28, 12
    per_level: dict[float, float] = {}
    for level in (2.0, 5.0, 20.0, 60.0):
        found = 0
        for seed in (11, 22, 33):
            rng = np.random.default_rng(seed)
            counts, orders = _in_control(rng, level, warmup + 90 * quarters)
            chart = compute_chart(days(len(counts)), counts, orders)
            first_judged = D0 + timedelta(days=warmup)
            found += sum(ep.first_period >= first_judged for ep in episodes(chart))
        per_level[level] = found / (3 * quarters)
    assert sum(per_level.values()) / len(per_level) <= 0.3, per_level
    assert max(per_level.values()) <= 0.5, per_level
