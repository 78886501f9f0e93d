"""The churn model on synthetic customers whose churn depends on known features.

Planted effects: long waits and unresolved complaints raise churn, tenure lowers it (strong);
transfers, a low survey score and the basic plan raise it a little (weak); region and recent
orders do nothing. Survey answers are missing for 30 % of customers, as in real surveys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from liuke.crm import churn
from liuke.crm.churn import (
    FORMAT,
    LEARNERS,
    MIN_PER_CLASS,
    ChurnModel,
    FeatureSpec,
    Reason,
)

STRONG = {"wait_minutes", "unresolved_complaints", "tenure_months"}
WEAK = {"transfers", "survey_score", "plan"}
NOISE = {"region", "orders_90d"}

SPEC = FeatureSpec(
    numeric=(
        "wait_minutes",
        "unresolved_complaints",
        "tenure_months",
        "transfers",
        "survey_score",
        "orders_90d",
    ),
    categorical=("plan", "region"),
    labels={
        "wait_minutes": ("平均等待时长(分钟)", "average wait in minutes"),
        "unresolved_complaints": ("未解决投诉数", "unresolved complaints"),
        "tenure_months": ("在网时长(月)", "tenure in months"),
        "transfers": ("转接次数", "transfers"),
        "survey_score": ("满意度评分", "survey score"),
        "plan": ("套餐", "plan"),
        "region": ("地区", "region"),
    },
)


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features, labels and the true churn probability of ``n`` synthetic customers."""
    rng = np.random.default_rng(seed)
    wait = rng.lognormal(mean=1.5, sigma=0.6, size=n)
    unresolved = rng.poisson(0.4, n).astype(float)
    tenure = rng.integers(1, 73, n).astype(float)
    transfers = rng.poisson(0.8, n).astype(float)
    survey = rng.integers(1, 6, n).astype(float)
    survey[rng.random(n) < 0.3] = np.nan
    plan = rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2])
    region = rng.choice(["north", "south", "east", "west"], n)
    orders = rng.poisson(3, n).astype(float)
    logit = (
        -1.3
        + 1.4 * (np.log(wait) - 1.5) / 0.6
        + 1.2 * unresolved
        - 0.045 * (tenure - 36)
        + 0.25 * transfers
        + 0.3 * (plan == "basic")
        - 0.2 * np.nan_to_num(survey - 3, nan=0.0)
    )
    p = expit(logit)
    y = (rng.random(n) < p).astype(int)
    frame = pd.DataFrame(
        {
            "wait_minutes": wait,
            "unresolved_complaints": unresolved,
            "tenure_months": tenure,
            "transfers": transfers,
            "survey_score": survey,
            "orders_90d": orders,
            "plan": plan,
            "region": region,
        },
        index=pd.Index([f"c{seed}-{i}" for i in range(n)], name="customer"),
    )
    return frame, y, p


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread: small fits run faster, and never oversubscribe a busy machine."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def train() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return synthetic(5000, seed=1)


@pytest.fixture(scope="module")
def test_set() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return synthetic(3000, seed=2)


@pytest.fixture(scope="module")
def model(train: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> ChurnModel:
    frame, y, _ = train
    return ChurnModel().fit(frame, y, SPEC)


def test_ranks_customers_well(model: ChurnModel, test_set: tuple) -> None:
    frame, y, p_true = test_set
    auc = roc_auc_score(y, model.predict_proba(frame))
    oracle = roc_auc_score(y, p_true)
    assert auc > 0.8
    assert auc > oracle - 0.02, (auc, oracle)


def test_highest_risk_customers_are_explained_by_planted_features(
    model: ChurnModel, test_set: tuple
) -> None:
    frame, _, _ = test_set
    risk = model.predict_proba(frame)
    riskiest = frame.iloc[np.argsort(-risk)[:30]]
    explanations = model.explain(riskiest, top=3)
    assert len(explanations) == 30
    for reasons in explanations:
        assert reasons, "a high-risk customer must have reasons"
        assert reasons[0].feature in STRONG
        assert {r.feature for r in reasons} <= STRONG | WEAK
        contributions = [r.contribution for r in reasons]
        assert contributions == sorted(contributions, reverse=True)
        for r in reasons:
            assert r.direction == "up" and r.contribution > 0
            assert isinstance(r.value, str if r.feature == "plan" else float)
            if r.feature == "wait_minutes":
                assert r.value > frame["wait_minutes"].median()
            elif r.feature == "unresolved_complaints":
                assert r.value >= 1
            elif r.feature == "tenure_months":
                assert r.value < frame["tenure_months"].mean()
    first = explanations[0][0]
    assert (first.label_zh, first.label_en) == SPEC.labels[first.feature]


def test_global_drivers_and_protective_reasons(model: ChurnModel, test_set: tuple) -> None:
    frame, _, _ = test_set
    drivers = model.global_drivers(frame)
    assert {d.feature for d in drivers[:3]} == STRONG
    strength = {d.feature: d.mean_abs_contribution for d in drivers}
    assert max(strength[f] for f in NOISE) < 0.5 * min(strength[f] for f in STRONG)
    # Long-tenure customers without waits or complaints: tenure protects them.
    loyal = frame[
        (frame["tenure_months"] > 66)
        & (frame["unresolved_complaints"] == 0)
        & (frame["wait_minutes"] < 3)
    ]
    assert len(loyal) > 0
    for reasons in model.explain(loyal, top=2, direction="down"):
        assert reasons and all(r.direction == "down" and r.contribution < 0 for r in reasons)
        assert "tenure_months" in {r.feature for r in reasons}


def test_contributions_add_up_exactly(model: ChurnModel, test_set: tuple) -> None:
    frame, _, _ = test_set
    assert model.explanation_source == "exact"
    table = model.contributions(frame)
    assert list(table.columns) == list(SPEC.columns)
    assert table.index.equals(frame.index)
    rebuilt = model.base_log_odds + table.sum(axis=1).to_numpy()
    np.testing.assert_allclose(model.log_odds(frame), rebuilt, atol=1e-9)
    np.testing.assert_allclose(model.predict_proba(frame), expit(rebuilt), atol=1e-9)


def test_probabilities_are_calibrated(model: ChurnModel, test_set: tuple) -> None:
    frame, y, p_true = test_set
    p = model.predict_proba(frame)
    assert p.shape == (len(frame),)
    assert np.all((p > 0) & (p < 1))
    assert abs(p.mean() - y.mean()) < 0.02
    assert abs(p.mean() - p_true.mean()) < 0.02


def test_reliability_on_a_large_set() -> None:
    """Every well-filled bin within 5 points of the observed rate, and close to the truth.

    The logistic part is linear in the wait while the truth is linear in its log, so mid-range
    bins run about 2-3 points low here; Platt scaling cannot fix a local bend, only a global one.
    """
    frame, y, _ = synthetic(12000, seed=3)
    check, y_check, p_true = synthetic(20000, seed=4)
    p = ChurnModel().fit(frame, y, SPEC).predict_proba(check)
    bins = np.clip((p * 10).astype(int), 0, 9)
    for b in range(10):
        mask = bins == b
        if mask.sum() < 300:
            continue
        gap = abs(p[mask].mean() - y_check[mask].mean())
        assert gap < 0.05, (b, int(mask.sum()), p[mask].mean(), y_check[mask].mean())
    assert np.mean(np.abs(p - p_true)) < 0.04


def test_unknown_categories_score_like_missing_ones(model: ChurnModel, test_set: tuple) -> None:
    frame, _, _ = test_set
    rows = frame.head(5).copy()
    unknown = rows.assign(plan="platinum", region="atlantis")
    missing = rows.assign(plan=None, region=np.nan)
    p_unknown = model.predict_proba(unknown)
    assert np.all(np.isfinite(p_unknown))
    np.testing.assert_allclose(p_unknown, model.predict_proba(missing))
    values = {r.feature: r.value for rs in model.explain(unknown, top=8) for r in rs}
    assert values.get("plan", "platinum") == "platinum"


def test_missing_and_garbage_numbers_are_missing(model: ChurnModel, test_set: tuple) -> None:
    frame, _, _ = test_set
    rows = frame.head(4).copy()
    nan = rows.assign(wait_minutes=np.nan, survey_score=np.nan)
    garbage = rows.astype({"wait_minutes": object, "survey_score": object}).assign(
        wait_minutes=["n/a", None, np.inf, ""], survey_score=[None, "x", -np.inf, np.nan]
    )
    p_nan = model.predict_proba(nan)
    assert np.all(np.isfinite(p_nan))
    np.testing.assert_allclose(model.predict_proba(garbage), p_nan)
    waits = [r.value for rs in model.explain(nan, top=8) for r in rs if r.feature == "wait_minutes"]
    assert all(v is None for v in waits)


def test_extra_columns_are_ignored_and_absent_ones_refused(
    model: ChurnModel, test_set: tuple
) -> None:
    frame, _, _ = test_set
    rows = frame.head(3)
    np.testing.assert_allclose(
        model.predict_proba(rows.assign(unrelated=1.0)), model.predict_proba(rows)
    )
    with pytest.raises(ValueError, match="lacks spec columns"):
        model.predict_proba(rows.drop(columns=["tenure_months"]))


def test_zero_rows(model: ChurnModel, test_set: tuple) -> None:
    frame, _, _ = test_set
    empty = frame.iloc[:0]
    assert model.predict_proba(empty).shape == (0,)
    assert model.log_odds(empty).shape == (0,)
    assert model.explain(empty) == []
    assert model.contributions(empty).shape == (0, len(SPEC.columns))
    assert model.global_drivers(empty) == []
    with pytest.raises(ValueError, match="zero rows"):
        ChurnModel().fit(empty, np.zeros(0, dtype=int), SPEC)


def test_bad_training_labels_are_refused(train: tuple) -> None:
    frame, y, _ = train
    head = frame.head(200)
    with pytest.raises(ValueError, match="single class"):
        ChurnModel().fit(head, np.zeros(200, dtype=int), SPEC)
    with pytest.raises(ValueError, match="single class"):
        ChurnModel().fit(head, np.ones(200, dtype=bool), SPEC)
    few = np.zeros(200, dtype=int)
    few[: MIN_PER_CLASS - 1] = 1
    with pytest.raises(ValueError, match=f"at least {MIN_PER_CLASS}"):
        ChurnModel().fit(head, few, SPEC)
    with pytest.raises(ValueError, match="one label per row"):
        ChurnModel().fit(head, y[:10], SPEC)
    with pytest.raises(ValueError, match="0/1"):
        ChurnModel().fit(head, np.where(y[:200] == 1, "Yes", "No"), SPEC)
    with pytest.raises(ValueError, match="0/1"):
        ChurnModel().fit(head, np.where(y[:200] == 1, 2, 0), SPEC)
    with pytest.raises(RuntimeError, match="not fitted"):
        ChurnModel().predict_proba(head)


def test_feature_spec_is_validated() -> None:
    with pytest.raises(ValueError, match="at least one"):
        FeatureSpec((), ())
    with pytest.raises(ValueError, match="twice"):
        FeatureSpec(("a",), ("a",))
    with pytest.raises(ValueError, match="not in the spec"):
        FeatureSpec(("a",), ("b",), groups={"c": "a"})
    with pytest.raises(ValueError, match="group keys"):
        FeatureSpec(("a",), ("b",), groups={"a": "z"})
    with pytest.raises(ValueError, match="linear_only cannot cover"):
        FeatureSpec(("a",), ("b",), linear_only=("a", "b"))
    spec = FeatureSpec(["a", "a2"], ["b"], {"a": ("甲", "A")}, {"a2": "a"})  # type: ignore[arg-type]
    assert spec.numeric == ("a", "a2") and spec.reasons == ("a", "b")
    assert spec.label("b") == ("b", "b")


def test_groups_merge_transforms_into_one_reason(train: tuple) -> None:
    frame, y, _ = train
    frame = frame.assign(log_wait=np.log(frame["wait_minutes"]))
    spec = FeatureSpec(
        (*SPEC.numeric, "log_wait"),
        SPEC.categorical,
        SPEC.labels,
        groups={"log_wait": "wait_minutes"},
        linear_only=("log_wait",),
    )
    m = ChurnModel(calibration_folds=2).fit(frame.head(2500), y[:2500], spec)
    table = m.contributions(frame.tail(500))
    assert "log_wait" not in table.columns and "wait_minutes" in table.columns
    np.testing.assert_allclose(
        m.log_odds(frame.tail(500)), m.base_log_odds + table.sum(axis=1), atol=1e-9
    )


@pytest.mark.parametrize("learner", [x for x in LEARNERS if x != "logistic+additive"])
def test_other_learners(learner: str, train: tuple, test_set: tuple) -> None:
    frame, y, _ = train
    check, y_check, _ = test_set
    m = ChurnModel(learner, calibration_folds=2).fit(frame.head(2500), y[:2500], SPEC)  # type: ignore[arg-type]
    assert roc_auc_score(y_check, m.predict_proba(check)) > 0.78
    expected = {
        "logistic": "exact",
        "additive": "exact",
        "boosting": "logistic surrogate",
        "logistic+boosting": "additive component",
    }[learner]
    assert m.explanation_source == expected
    assert all(len(r) <= 3 for r in m.explain(check.head(20)))
    if expected == "exact":
        table = m.contributions(check)
        np.testing.assert_allclose(
            m.log_odds(check), m.base_log_odds + table.sum(axis=1), atol=1e-9
        )


def test_version_identifies_data_and_settings(train: tuple, model: ChurnModel) -> None:
    frame, y, _ = train
    assert model.version.startswith("churn-logistic+additive-")
    frame, y = frame.head(1000), y[:1000]
    first = ChurnModel(calibration_folds=2).fit(frame, y, SPEC)
    again = ChurnModel(calibration_folds=2).fit(frame, y, SPEC)
    assert again.version == first.version != model.version
    np.testing.assert_array_equal(again.predict_proba(frame), first.predict_proba(frame))
    flipped = y.copy()
    flipped[0] = 1 - flipped[0]
    assert ChurnModel(calibration="none").fit(frame, y, SPEC).version != first.version
    assert ChurnModel(calibration_folds=2).fit(frame, flipped, SPEC).version != first.version
    with pytest.raises(RuntimeError, match="not fitted"):
        _ = ChurnModel().version


def test_save_load_round_trip(model: ChurnModel, test_set: tuple, tmp_path: Path) -> None:
    frame, _, _ = test_set
    path = model.save(tmp_path / "models" / "churn.joblib")
    assert os.listdir(path.parent) == ["churn.joblib"]  # the temp file was renamed, not left
    loaded = ChurnModel.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))
    assert loaded.explain(frame.head(50)) == model.explain(frame.head(50))
    assert loaded.version == model.version and loaded.spec == model.spec
    model.save(path)  # overwriting is atomic too
    assert os.listdir(path.parent) == ["churn.joblib"]


def test_load_refuses_other_files(tmp_path: Path) -> None:
    joblib.dump({"format": "something-else", "model": None}, tmp_path / "a.joblib")
    with pytest.raises(ValueError, match=FORMAT):
        ChurnModel.load(tmp_path / "a.joblib")
    joblib.dump({"format": FORMAT, "model": "not a model"}, tmp_path / "b.joblib")
    with pytest.raises(ValueError, match="fitted ChurnModel"):
        ChurnModel.load(tmp_path / "b.joblib")
    joblib.dump([1, 2, 3], tmp_path / "c.joblib")
    with pytest.raises(ValueError):
        ChurnModel.load(tmp_path / "c.joblib")
    with pytest.raises(RuntimeError, match="unfitted"):
        ChurnModel().save(tmp_path / "d.joblib")


def test_reason_is_a_plain_record() -> None:
    r = Reason("tenure", "在网时长", "tenure", 2.0, 0.5, "up")
    assert r == Reason("tenure", "在网时长", "tenure", 2.0, 0.5, "up")


def test_contributions_do_not_depend_on_chunking(
    model: ChurnModel, test_set: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, _, _ = test_set
    whole = model.contributions(frame)
    monkeypatch.setattr(churn, "SHAPE_CHUNK", 128)
    pd.testing.assert_frame_equal(model.contributions(frame), whole, atol=1e-12, rtol=0)


def test_perfectly_separable_labels_stay_finite(train: tuple) -> None:
    frame, _, _ = train
    frame = frame.head(600)
    y = (frame["unresolved_complaints"] > 0).to_numpy().astype(int)
    m = ChurnModel().fit(frame, y, SPEC)
    p = m.predict_proba(frame)
    assert np.all(np.isfinite(p)) and np.isfinite(m.slope)
    assert roc_auc_score(y, p) > 0.99
