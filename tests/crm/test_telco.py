"""The default churn model on the IBM telco sample (skipped when the shared data is absent).

The AUC test runs the documented protocol itself (stratified 5-fold CV, shuffled, seed 0, one
thread), which is deterministic: it scored 0.8507 when written, so the 0.85 goal holds with a
margin of only 0.0007. A change that costs a few ten-thousandths of AUC will fail it, on purpose:
the bench (bench/churn_eval.py) shows whether the goal still holds on seeds 1 and 2.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from liuke.crm.churn import ChurnModel, FeatureSpec
from liuke.crm.telco import (
    ENGINEERED_CATEGORICAL,
    ENGINEERED_NUMERIC,
    RAW_CATEGORICAL,
    RAW_NUMERIC,
    TELCO_LABELS,
    load_telco,
)
from tests.conftest import require_data

GOAL_AUC = 0.85


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread: small fits run faster, and never oversubscribe a busy machine."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def telco() -> tuple[pd.DataFrame, pd.Series, FeatureSpec]:
    return load_telco(require_data("telco_customer_churn_ibm", "Telco-Customer-Churn.csv"))


@pytest.fixture(scope="module")
def fitted(telco: tuple[pd.DataFrame, pd.Series, FeatureSpec]) -> ChurnModel:
    frame, y, spec = telco
    return ChurnModel().fit(frame, y, spec)


def test_loads_every_customer(telco: tuple[pd.DataFrame, pd.Series, FeatureSpec]) -> None:
    frame, y, spec = telco
    assert len(frame) == 7043 and len(y) == 7043
    assert int(y.sum()) == 1869
    assert frame.index.name == "customerID" and frame.index.is_unique
    assert y.index.equals(frame.index)
    assert spec.numeric == RAW_NUMERIC + ENGINEERED_NUMERIC
    assert spec.categorical == RAW_CATEGORICAL + ENGINEERED_CATEGORICAL
    assert set(spec.linear_only) == set(ENGINEERED_NUMERIC + ENGINEERED_CATEGORICAL)
    assert not frame[list(spec.numeric)].isna().any().any()
    assert set(spec.reasons) <= set(TELCO_LABELS)
    # The 11 blank TotalCharges are all new customers: billed nothing yet.
    new = frame[frame["tenure"] == 0]
    assert len(new) == 11 and (new["TotalCharges"] == 0).all()
    assert set(frame["SeniorCitizen"]) == {"No", "Yes"}
    assert spec.label("Contract") == ("合同类型", "contract")
    assert spec.label("TechSupport") == ("技术支持", "tech support")


def test_raw_columns_only(telco: tuple[pd.DataFrame, pd.Series, FeatureSpec]) -> None:
    _, y, _ = telco
    path = require_data("telco_customer_churn_ibm")  # the folder works as well as the file
    frame, y_raw, spec = load_telco(path, engineered=False)
    assert list(frame.columns) == list(RAW_NUMERIC + RAW_CATEGORICAL) == list(spec.columns)
    assert y_raw.equals(y)


def test_cross_validated_auc_reaches_the_goal(
    telco: tuple[pd.DataFrame, pd.Series, FeatureSpec],
) -> None:
    frame, y_series, spec = telco
    y = y_series.to_numpy()
    aucs = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(frame, y):
        model = ChurnModel().fit(frame.iloc[train], y[train], spec)
        aucs.append(roc_auc_score(y[test], model.predict_proba(frame.iloc[test])))
    assert np.mean(aucs) >= GOAL_AUC, aucs


def test_new_fiber_month_to_month_customers_are_explained_by_contract_or_tenure(
    telco: tuple[pd.DataFrame, pd.Series, FeatureSpec], fitted: ChurnModel
) -> None:
    frame, _, _ = telco
    at_risk = frame[
        (frame["Contract"] == "Month-to-month")
        & (frame["tenure"] <= 6)
        & (frame["InternetService"] == "Fiber optic")
        & (frame["TechSupport"] == "No")
    ]
    assert len(at_risk) > 100
    assert fitted.predict_proba(at_risk).mean() > 2 * fitted.churn_rate
    for reasons in fitted.explain(at_risk, top=3):
        features = {r.feature for r in reasons}
        assert features & {"Contract", "tenure"}, reasons
    first = fitted.explain(at_risk.head(1), top=3)[0]
    by_feature = {r.feature: r for r in first}
    if "Contract" in by_feature:
        r = by_feature["Contract"]
        assert (r.label_zh, r.label_en, r.value) == ("合同类型", "contract", "Month-to-month")
    assert all(r.direction == "up" and r.contribution > 0 for r in first)


def test_scores_are_exact_sums_and_calibrated_in_sample(
    telco: tuple[pd.DataFrame, pd.Series, FeatureSpec], fitted: ChurnModel
) -> None:
    frame, y, _ = telco
    assert fitted.explanation_source == "exact"
    table = fitted.contributions(frame)
    np.testing.assert_allclose(
        fitted.log_odds(frame), fitted.base_log_odds + table.sum(axis=1), atol=1e-9
    )
    p = fitted.predict_proba(frame)
    assert abs(p.mean() - y.mean()) < 0.01
    assert np.isfinite(fitted.predict_proba(frame[frame["tenure"] == 0])).all()
