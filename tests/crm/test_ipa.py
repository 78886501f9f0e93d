"""Importance-performance analysis: planted weights, quadrants, the 85 % gap, exclusions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from liuke.crm.ipa import QUADRANTS, ipa

WEIGHTS = np.array([0.5, 0.3, 0.2])
NOISE = 0.3


def synthetic(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Independent attributes (sd 1) and overall = WEIGHTS . x + noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 1.0, (n, 3))
    y = x @ WEIGHTS + rng.normal(0.0, NOISE, n)
    return x, y


def rows(
    x: np.ndarray, y: np.ndarray, names: tuple[str, ...] = ("a", "b", "c")
) -> list[dict[str, float | None]]:
    return [
        {**{name: float(v) for name, v in zip(names, xi, strict=True)}, "overall": float(yi)}
        for xi, yi in zip(x, y, strict=True)
    ]


def test_derived_importance_recovers_planted_weights() -> None:
    x, y = synthetic(3000)
    result = ipa(rows(x, y), ["a", "b", "c"], "overall")
    assert result.method == "regression"
    assert (result.responses, result.complete) == (3000, 3000)
    # standardised coefficient = weight * sd(x) / sd(y)
    expected = WEIGHTS / math.sqrt(float(WEIGHTS @ WEIGHTS) + NOISE**2)
    got = np.array([r.importance for r in result.attributes])
    assert got == pytest.approx(expected, abs=0.03)
    assert result.r_squared == pytest.approx(
        1 - NOISE**2 / (WEIGHTS @ WEIGHTS + NOISE**2), abs=0.03
    )
    assert result.ridge_alpha is None
    # importance above the median: only "a" of three
    assert [r.important for r in result.attributes] == [True, False, False]


def test_derived_importance_on_rounded_1_to_5_scores_keeps_the_order() -> None:
    x, y = synthetic(1500, seed=11)

    def clip(v: np.ndarray) -> np.ndarray:
        return np.asarray(np.clip(np.rint(v), 1, 5), dtype=np.float64)

    result = ipa(rows(clip(x), clip(y)), ["a", "b", "c"], "overall")
    a, b, c = (r.importance for r in result.attributes)
    assert a > b > c > 0


def test_collinear_attributes_use_ridge() -> None:
    x, y = synthetic(2000, seed=3)
    twin = x[:, 1] + np.random.default_rng(4).normal(0, 0.02, len(y))
    data = np.column_stack([x[:, 0], x[:, 1], twin, x[:, 2]])
    result = ipa(rows(data, y, ("a", "b", "b2", "c")), ["a", "b", "b2", "c"], "overall")
    assert result.method == "ridge"
    assert result.ridge_alpha is not None and result.ridge_alpha > 0
    imp = {r.attribute: r.importance for r in result.attributes}
    assert all(math.isfinite(v) for v in imp.values())
    alone = ipa(rows(x, y), ["a", "b", "c"], "overall").attributes[1].importance
    assert imp["b"] > 0 and imp["b2"] > 0
    assert imp["b"] + imp["b2"] == pytest.approx(alone, abs=0.05)  # the credit is shared


def test_too_few_responses_for_a_regression_reports_correlations() -> None:
    x, y = synthetic(4, seed=5)  # 4 responses, 3 attributes: n <= p + 1
    result = ipa(rows(x, y), ["a", "b", "c"], "overall")
    assert result.method == "correlation"
    assert result.r_squared is None
    for j, r in enumerate(result.attributes):
        assert r.importance == pytest.approx(np.corrcoef(x[:, j], y)[0, 1])
        assert r.correlation == pytest.approx(r.importance)


def survey() -> list[dict[str, float | None]]:
    """20 responses with hand-picked performance per attribute."""
    speed = [5] * 4 + [4] * 4 + [3] * 8 + [1] * 4  # mean 3.2, 8/20 satisfied
    courtesy = [5] * 17 + [1] * 3  # mean 4.4, 17/20 = 85 % satisfied
    price = [3] * 20  # mean 3.0, none satisfied
    packaging = [5] * 12 + [4] * 8  # mean 4.6, all satisfied
    return [
        {"speed": s, "courtesy": c, "price": p, "packaging": k}
        for s, c, p, k in zip(speed, courtesy, price, packaging, strict=True)
    ]


STATED = {"speed": 4.5, "courtesy": 4.0, "price": 3.0, "packaging": 2.5}
NAMES = ["speed", "courtesy", "price", "packaging"]


def test_quadrants_and_chart_from_stated_importance() -> None:
    result = ipa(survey(), NAMES, "overall", stated_importance=STATED)
    assert result.method == "stated"
    assert result.performance_cross == pytest.approx(3.8)  # (3.2 + 4.4 + 3.0 + 4.6) / 4
    assert result.importance_cross == pytest.approx(3.5)
    assert result.median_importance == pytest.approx(3.5)
    by = {r.attribute: r for r in result.attributes}
    assert [r.attribute for r in result.attributes] == NAMES
    assert (by["speed"].mean, by["speed"].share_satisfied, by["speed"].answers) == (3.2, 0.4, 20)
    assert by["courtesy"].mean == pytest.approx(4.4)
    assert {a: r.quadrant for a, r in by.items()} == {
        "speed": "concentrate",
        "courtesy": "keep_up",
        "price": "low_priority",
        "packaging": "overkill",
    }
    assert [by[a].quadrant_zh for a in NAMES] == [
        "重点改进区",
        "继续保持区",
        "次要改进区",
        "过度投入区",
    ]
    assert by["packaging"].quadrant_en == "Possible overkill"
    assert by["speed"].correlation is None  # no overall answers
    chart = result.chart
    assert chart is not None
    assert (chart.x_cross, chart.y_cross) == (result.performance_cross, result.importance_cross)
    assert chart.x_range == pytest.approx((3.0, 4.6))
    assert chart.y_range == (2.5, 4.5)
    assert [(p.attribute, p.y, p.quadrant) for p in chart.points] == [
        ("speed", 4.5, "concentrate"),
        ("courtesy", 4.0, "keep_up"),
        ("price", 3.0, "low_priority"),
        ("packaging", 2.5, "overkill"),
    ]
    assert set(QUADRANTS) == {"concentrate", "keep_up", "low_priority", "overkill"}


def test_gap_flag_at_85_percent() -> None:
    result = ipa(survey(), NAMES, "overall", stated_importance=STATED)
    gaps = {r.attribute: r.gap for r in result.attributes}
    # courtesy is important and exactly 85 % satisfied: a gap; price is far below but unimportant
    assert gaps == {"speed": True, "courtesy": True, "price": False, "packaging": False}
    assert result.attributes[1].share_satisfied == 0.85
    lower = ipa(survey(), NAMES, "overall", stated_importance=STATED, target=0.8)
    assert [r.attribute for r in lower.attributes if r.gap] == ["speed"]
    better = survey()
    better[17]["courtesy"] = 4  # 18/20 = 90 %
    assert not ipa(better, NAMES, "overall", stated_importance=STATED).attributes[1].gap
    # a stricter threshold for "satisfied": only 5s count, so speed drops to 4/20
    strict = ipa(survey(), NAMES, "overall", stated_importance=STATED, satisfied_at=5)
    assert strict.attributes[0].share_satisfied == 0.2
    assert strict.attributes[3].share_satisfied == 0.6


def test_unusable_attributes_are_excluded_with_a_reason() -> None:
    data = survey()
    for i, r in enumerate(data):
        r["wifi"] = None
        r["parking"] = 4.0 if i < 2 else float("nan")
    names = ["wifi", *NAMES, "parking"]
    stated = {k: v for k, v in STATED.items() if k != "price"}
    result = ipa(data, names, "overall", stated_importance=stated)
    assert [(e.attribute, e.code) for e in result.excluded] == [
        ("wifi", "no_answers"),
        ("price", "no_stated_importance"),
        ("parking", "too_few_answers"),
    ]
    assert result.excluded[0].reason_zh == "没有任何回答"
    assert [r.attribute for r in result.attributes] == ["speed", "courtesy", "packaging"]


def test_derived_mode_excludes_a_constant_attribute_and_counts_complete_rows() -> None:
    x, y = synthetic(60, seed=9)
    data = rows(x, y)
    for r in data:
        r["flat"] = 4.0
    data[0]["a"] = None  # one response skips an attribute
    data[1]["overall"] = float("nan")  # one skips overall
    result = ipa(data, ["a", "b", "flat", "c"], "overall")
    assert [(e.attribute, e.code) for e in result.excluded] == [("flat", "no_variation")]
    assert [r.attribute for r in result.attributes] == ["a", "b", "c"]
    assert result.complete == 58
    assert result.attributes[0].answers == 59  # performance uses every answer


def test_refusals() -> None:
    x, y = synthetic(10)
    data = rows(x, y)
    for r in data[2:]:
        r["overall"] = None
    with pytest.raises(ValueError, match="at least 3 complete responses"):
        ipa(data, ["a", "b", "c"], "overall")
    same = rows(x, np.full(10, 4.0))
    with pytest.raises(ValueError, match="overall"):
        ipa(same, ["a", "b", "c"], "overall")
    with pytest.raises(ValueError):
        ipa(rows(x, y), [], "overall")
    with pytest.raises(ValueError):
        ipa(rows(x, y), ["a", "a"], "overall")
    with pytest.raises(ValueError):
        ipa(rows(x, y), ["a", "overall"], "overall")
    with pytest.raises(ValueError):
        ipa(rows(x, y), ["a"], "overall", target=1.5)


def test_nothing_analysable_is_an_empty_result_not_a_crash() -> None:
    result = ipa([{"a": None, "overall": 3.0}] * 5, ["a"], "overall")
    assert result.attributes == []
    assert [e.code for e in result.excluded] == ["no_answers"]
    assert result.chart is None and result.performance_cross is None
