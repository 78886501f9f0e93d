"""Churn risk per customer: calibrated probabilities and the reasons behind each score.

A retention agent acts on two things: how likely a customer is to leave (a probability that
means what it says, so "30 %" can be compared across customers and summed into an expected
number of leavers) and why (so the call is about the customer's actual problem). Hence:

* ``ChurnModel`` scores a feature table (``FeatureSpec``: numeric and categorical columns) with
  one of ``LEARNERS``. The default, ``"logistic+additive"``, averages in log-odds space a
  logistic regression (one-hot categories, standardised numbers) and a boosted *additive* model
  (``HistGradientBoostingClassifier`` with depth-1 trees, so every tree reads one feature).
  Both parts are additive in log-odds, so the blend is too, and every score splits *exactly* into
  per-feature contributions: ``log_odds = base_log_odds + sum(contributions)``. It was chosen by
  measurement (``bench/churn_eval.py``, IBM telco data, stratified 5-fold CV on seeds 0, 1, 2):
  mean ROC-AUC 0.8507 / 0.8505 / 0.8500, the only candidate at >= 0.85 on every seed, against
  0.8495 / 0.8485 / 0.8490 for logistic regression with engineered features and 0.8493 /
  0.8494 / 0.8495 for the blend with unconstrained boosting. The margins are far below the
  fold-to-fold sd (about 0.01), so the honest reading is "as good as the best, and exactly
  explainable"; that, not the fourth decimal, is why it is the default.
* Probabilities are calibrated by Platt scaling fitted on *out-of-fold* scores (an internal
  stratified ``calibration_folds``-fold CV on the training data only); the components are then
  refitted on all of it. Platt rather than isotonic because it is a monotone affine map of the
  log-odds: ranking (AUC) is untouched, no ties are created, and the exact decomposition
  survives (contributions are scaled by the Platt slope). On the telco data the fitted slope is
  1.01 (the blend of two log-loss fits is already close to calibrated; Brier 0.1328 with or
  without it), so there it is insurance, bought with 5 extra fits; on other feature tables,
  other settings or other learners it need not be. The bench prints Brier and a reliability
  table.
* ``FeatureSpec.linear_only`` columns (engineered transforms and interactions) are read by the
  logistic part only; the trees read the rest.
* ``explain`` gives each customer's top reasons that push risk up (or down): a contribution is
  the feature's log-odds effect for this customer minus its mean effect over the training
  customers, i.e. relative to the average customer. ``FeatureSpec.groups`` merges transforms of
  one concept (tenure, log tenure, tenure band) into one reason, so collinear transforms never
  show up as opposing reasons. For learners with a non-additive part (``"boosting"``,
  ``"logistic+boosting"``) the explanation covers only the additive component (or, for
  ``"boosting"`` alone, a logistic surrogate fitted for that purpose); ``explanation_source``
  says which.

Bad input, by design: unknown categories at predict time count as "none of the known
categories" (all one-hot indicators off; missing for the boosted part), so they score like a
missing value of a column that had none in training; NaN, infinite or
non-numeric values in numeric columns are missing (median-imputed in the logistic part, plus a
missing indicator for columns that had gaps in training; native missing-value branches in the
boosted part); a zero-row frame gives an
empty result; ``fit`` raises ``ValueError`` on a single class or fewer than ``MIN_PER_CLASS``
examples of either class, and ``predict_proba``/``explain`` raise ``ValueError`` when spec
columns are absent (extra columns are ignored).

Model files are pickles: load only files this code wrote (``load`` checks the format, but
unpickling itself runs code).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

__all__ = [
    "ADDITIVE_PARAMS",
    "BOOSTING_PARAMS",
    "DEFAULT_LEARNER",
    "FORMAT",
    "LEARNERS",
    "MIN_PER_CLASS",
    "ChurnModel",
    "Driver",
    "FeatureSpec",
    "Reason",
]

Learner = Literal["logistic", "additive", "boosting", "logistic+additive", "logistic+boosting"]
LEARNERS: tuple[Learner, ...] = get_args(Learner)
DEFAULT_LEARNER: Learner = "logistic+additive"
Calibration = Literal["sigmoid", "none"]
Direction = Literal["up", "down"]
ExplanationSource = Literal["exact", "additive component", "logistic surrogate"]

FORMAT = "liuke-churn-model-1"
"""Written into every saved model; ``load`` refuses files of another format."""
MIN_PER_CLASS = 5
"""``fit`` refuses fewer churners (or stayers) than this: below it the calibration is noise."""
MISSING = "<missing>"
"""Category text that stands for a missing categorical value."""
MAX_CATEGORIES = 250
"""Per categorical column for the boosted part (native categories need < 255 bins)."""
EPS = 1e-9
SHAPE_CHUNK = 4096
"""Rows per batch when probing the additive trees (probe rows <= chunk x columns)."""

ADDITIVE_PARAMS: dict[str, Any] = {
    "max_depth": 1,
    "learning_rate": 0.1,
    "max_iter": 250,
    "min_samples_leaf": 50,
    "l2_regularization": 1.0,
}
"""Boosted stumps. Fixed small grid chosen on CV seed 0, confirmed on seeds 1 and 2 (bench)."""
BOOSTING_PARAMS: dict[str, Any] = {
    "max_leaf_nodes": 15,
    "learning_rate": 0.05,
    "max_iter": 200,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}
"""Unconstrained (interacting) trees, the comparison candidate."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns the model reads, and how to name them to people.

    ``labels`` maps a column (or group key) to its (Chinese, English) label; unlabelled keys
    show their column name. ``groups`` maps a column to the reason it is reported under (a
    column of the spec, whose value is shown); by default each column is its own reason.
    ``linear_only`` columns are read by the logistic part only: engineered transforms and
    interactions exist to give a linear model shapes it cannot learn, while trees learn their
    own shapes from the raw columns.
    """

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    linear_only: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "numeric", tuple(self.numeric))
        object.__setattr__(self, "categorical", tuple(self.categorical))
        object.__setattr__(self, "linear_only", tuple(self.linear_only))
        cols = self.columns
        if not cols:
            raise ValueError("FeatureSpec needs at least one column")
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            raise ValueError(f"columns listed twice: {dup}")
        stray = sorted(set(self.groups) - set(cols))
        if stray:
            raise ValueError(f"groups name columns not in the spec: {stray}")
        keys = sorted(set(self.groups.values()) - set(cols))
        if keys:
            raise ValueError(f"group keys must be spec columns (their value is shown): {keys}")
        extra = sorted(set(self.linear_only) - set(cols))
        if extra:
            raise ValueError(f"linear_only names columns not in the spec: {extra}")
        if set(self.linear_only) >= set(cols):
            raise ValueError("linear_only cannot cover every column (the trees need some)")

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def group(self, column: str) -> str:
        return self.groups.get(column, column)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Reason keys in column order (each group once)."""
        return tuple(dict.fromkeys(self.group(c) for c in self.columns))

    def label(self, key: str) -> tuple[str, str]:
        return self.labels.get(key, (key, key))

    def selection(self, linear: bool) -> _Columns:
        """Positions (in ``numeric`` and ``categorical``) that a model part reads."""
        skip = set() if linear else set(self.linear_only)
        return _Columns(
            np.asarray([j for j, c in enumerate(self.numeric) if c not in skip], dtype=np.int64),
            np.asarray(
                [j for j, c in enumerate(self.categorical) if c not in skip], dtype=np.int64
            ),
            len(self.numeric),
            len(self.categorical),
        )


@dataclass(frozen=True)
class Reason:
    """One reason for a customer's score: ``contribution`` is in log-odds of churn, relative to
    the average training customer; ``value`` is this customer's value of ``feature`` (None when
    missing)."""

    feature: str
    label_zh: str
    label_en: str
    value: str | float | None
    contribution: float
    direction: Direction


@dataclass(frozen=True)
class Driver:
    """A global driver: mean absolute contribution (log-odds) over a population."""

    feature: str
    label_zh: str
    label_en: str
    mean_abs_contribution: float


# --------------------------------------------------------------------------- input preparation


@dataclass(frozen=True)
class _Columns:
    """The spec columns one model part reads; contributions are reported on all of them."""

    numeric: IntArray
    categorical: IntArray
    n_numeric: int
    n_categorical: int

    @property
    def positions(self) -> IntArray:
        """Where the part's columns sit among ``spec.columns`` (numeric first)."""
        return np.concatenate([self.numeric, self.n_numeric + self.categorical])

    @property
    def width(self) -> int:
        return self.n_numeric + self.n_categorical

    def spread(self, part: FloatArray) -> FloatArray:
        """(n, own columns) -> (n, all spec columns), zeros where the part reads nothing."""
        out = np.zeros((part.shape[0], self.width), dtype=np.float64)
        out[:, self.positions] = part
        return out


@dataclass(frozen=True)
class _Data:
    numeric: FloatArray  # (n, p_num); NaN = missing
    categorical: NDArray[np.object_]  # (n, p_cat) of str; MISSING = missing

    @property
    def n(self) -> int:
        return int(self.numeric.shape[0])

    def take(self, idx: IntArray) -> _Data:
        return _Data(self.numeric[idx], self.categorical[idx])

    def select(self, cols: _Columns) -> _Data:
        return _Data(self.numeric[:, cols.numeric], self.categorical[:, cols.categorical])


def _category_text(v: object) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))  # 1.0 and 1 are the same category (ints turn float beside a NaN)
    return str(v)


def _prepare(frame: pd.DataFrame, spec: FeatureSpec) -> _Data:
    absent = [c for c in spec.columns if c not in frame.columns]
    if absent:
        raise ValueError(f"frame lacks spec columns: {absent}")
    n = len(frame)
    num = np.empty((n, len(spec.numeric)), dtype=np.float64)
    for j, c in enumerate(spec.numeric):
        col = pd.to_numeric(frame[c], errors="coerce").astype("Float64")
        num[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    num[~np.isfinite(num)] = np.nan
    cat = np.empty((n, len(spec.categorical)), dtype=object)
    for j, c in enumerate(spec.categorical):
        codes, uniques = pd.factorize(frame[c], use_na_sentinel=True)  # NaN/None/NA -> -1
        texts = np.asarray([*(_category_text(u) for u in uniques), MISSING], dtype=object)
        cat[:, j] = texts[codes]
    return _Data(num, cat)


def _labels(y: ArrayLike, n: int) -> IntArray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"need one label per row: {n} rows, labels of shape {arr.shape}")
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError("labels must be 0/1 (1 = churned) or bool")
    values = arr.astype(np.float64)
    if not np.all(np.isin(values, (0.0, 1.0))):
        raise ValueError("labels must be 0/1 (1 = churned) or bool, without missing values")
    return values.astype(np.int64)


# --------------------------------------------------------------------------- components


class _Component:
    """One scorer in log-odds over some spec columns. Additive ones split a score per column.

    Subclasses implement ``_fit``, ``_logit`` and ``_contributions`` on their own columns.
    """

    additive: bool = False
    centre: float = 0.0
    """Mean training logit: ``logit = centre + contributions.sum(axis=1)`` when additive."""

    def __init__(self, cols: _Columns, seed: int) -> None:
        self.cols = cols
        self.seed = seed
        self.n_numeric = len(cols.numeric)
        self.n_categorical = len(cols.categorical)

    def fit(self, data: _Data, y: IntArray) -> _Component:
        own = data.select(self.cols)
        self._fit(own, y)
        self.centre = float(self._logit(own).mean())
        return self

    def logit(self, data: _Data) -> FloatArray:
        return self._logit(data.select(self.cols))

    def contributions(self, data: _Data) -> FloatArray:
        """(n, all spec columns): each column's effect minus its training mean."""
        return self.cols.spread(self._contributions(data.select(self.cols)))

    def _fit(self, data: _Data, y: IntArray) -> None:
        raise NotImplementedError

    def _logit(self, data: _Data) -> FloatArray:
        raise NotImplementedError

    def _contributions(self, data: _Data) -> FloatArray:
        raise NotImplementedError


class _Logistic(_Component):
    """Logistic regression on standardised numbers (+ missing indicators) and one-hot categories."""

    additive = True

    def __init__(self, cols: _Columns, seed: int, C: float) -> None:
        super().__init__(cols, seed)
        self.C = C

    def _numeric_block(self, num: FloatArray) -> FloatArray:
        missing = np.isnan(num)
        filled = np.where(missing, self._median, num)
        z = (filled - self._mean) / self._std
        return np.hstack([z, missing[:, self._indicator].astype(np.float64)])

    def _design(self, data: _Data) -> sp.csr_matrix:
        blocks: list[Any] = []
        if self.n_numeric:
            blocks.append(sp.csr_matrix(self._numeric_block(data.numeric)))
        if self._onehot is not None:
            blocks.append(sp.csr_matrix(self._onehot.transform(data.categorical)))
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def _fit(self, data: _Data, y: IntArray) -> None:
        num = data.numeric
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: median 0 below
            median = np.nanmedian(num, axis=0) if num.shape[1] else np.empty(0)
        self._median = np.where(np.isnan(median), 0.0, median)
        self._indicator = np.flatnonzero(np.isnan(num).any(axis=0))
        filled = np.where(np.isnan(num), self._median, num)
        self._mean = filled.mean(axis=0) if num.shape[0] else np.zeros(num.shape[1])
        std = filled.std(axis=0)
        self._std = np.where(std > 0, std, 1.0)
        self._onehot: OneHotEncoder | None = None
        if self.n_categorical:
            self._onehot = OneHotEncoder(handle_unknown="ignore", dtype=np.float64)
            self._onehot.fit(data.categorical)
        design = self._design(data)
        owner = list(range(self.n_numeric)) + [int(j) for j in self._indicator]
        if self._onehot is not None:
            for k, cats in enumerate(self._onehot.categories_):
                owner += [self.n_numeric + k] * len(cats)
        self._model = LogisticRegression(C=self.C, max_iter=5000, random_state=self.seed)
        self._model.fit(design, y)
        coef = self._model.coef_.ravel()
        n_cols = self.n_numeric + self.n_categorical
        self._weights = sp.csc_matrix(
            (coef, (np.arange(len(owner)), np.asarray(owner))), shape=(len(owner), n_cols)
        )
        raw = np.asarray((design @ self._weights).toarray())
        self._offset = raw.mean(axis=0)

    def _logit(self, data: _Data) -> FloatArray:
        return np.asarray(self._model.decision_function(self._design(data)), dtype=np.float64)

    def _contributions(self, data: _Data) -> FloatArray:
        raw = np.asarray((self._design(data) @ self._weights).toarray())
        return np.asarray(raw - self._offset, dtype=np.float64)


class _Boosted(_Component):
    """Gradient-boosted trees with native categories and missing values.

    ``additive=True`` uses depth-1 trees (stumps): each tree reads one column, so the score is a
    sum of per-column shape functions f_j. Contributions come from the public API only:
    f_j(v) - f_j(r_j) = score(r with column j set to v) - score(r) for a fixed reference row r.
    """

    def __init__(
        self, cols: _Columns, seed: int, additive: bool, overrides: dict[str, Any]
    ) -> None:
        super().__init__(cols, seed)
        self.additive = additive
        self.overrides = overrides

    def _matrix(self, data: _Data) -> FloatArray:
        if self._ordinal is None:
            return data.numeric
        codes = np.asarray(self._ordinal.transform(data.categorical), dtype=np.float64)
        return np.hstack([data.numeric, codes])

    def _fit(self, data: _Data, y: IntArray) -> None:
        self._ordinal: OrdinalEncoder | None = None
        if self.n_categorical:
            self._ordinal = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                max_categories=MAX_CATEGORIES,
                dtype=np.float64,
            )
            self._ordinal.fit(data.categorical)
        x = self._matrix(data)
        mask = [False] * self.n_numeric + [True] * self.n_categorical
        params = {**(ADDITIVE_PARAMS if self.additive else BOOSTING_PARAMS), **self.overrides}
        self._model = HistGradientBoostingClassifier(
            **params,
            categorical_features=mask if self.n_categorical else None,
            early_stopping=False,
            random_state=self.seed,
        )
        self._model.fit(x, y)
        if self.additive:
            self._reference = x[0].copy()
            self._offset = self._shape(x).mean(axis=0)

    def _score(self, x: FloatArray) -> FloatArray:
        return np.asarray(self._model.decision_function(x), dtype=np.float64)

    def _logit(self, data: _Data) -> FloatArray:
        return self._score(self._matrix(data))

    def _shape(self, x: FloatArray) -> FloatArray:
        """f_j(x_ij) - f_j(r_j) for every row and column (in row chunks to bound memory)."""
        if x.shape[0] <= SHAPE_CHUNK:
            return self._shape_chunk(x)
        parts = [self._shape_chunk(x[i : i + SHAPE_CHUNK]) for i in range(0, len(x), SHAPE_CHUNK)]
        return np.vstack(parts)

    def _shape_chunk(self, x: FloatArray) -> FloatArray:
        """Probes one row per distinct value of each column: the reference row with that value."""
        ref = self._reference
        probes: list[FloatArray] = []
        codes: list[IntArray] = []
        for j in range(x.shape[1]):
            code, uniques = pd.factorize(x[:, j], use_na_sentinel=False)
            probe = np.tile(ref, (len(uniques), 1))
            probe[:, j] = uniques
            probes.append(probe)
            codes.append(np.asarray(code, dtype=np.int64))
        values = self._score(np.vstack(probes)) - self._score(ref[None, :])[0]
        out = np.empty(x.shape, dtype=np.float64)
        start = 0
        for j, (code, probe) in enumerate(zip(codes, probes, strict=True)):
            out[:, j] = values[start : start + len(probe)][code]
            start += len(probe)
        return out

    def _contributions(self, data: _Data) -> FloatArray:
        if not self.additive:
            raise TypeError("unconstrained boosting is not additive")
        return np.asarray(self._shape(self._matrix(data)) - self._offset, dtype=np.float64)


def _platt(scores: FloatArray, y: IntArray) -> tuple[float, float]:
    """Slope and intercept of p = sigmoid(a * score + b), by maximum likelihood.

    Platt's smoothed targets ((N+ + 1) / (N+ + 2) and 1 / (N- + 2)) keep the fit finite when
    the out-of-fold scores separate the classes perfectly.
    """
    n1 = float(y.sum())
    n0 = float(len(y)) - n1
    target = np.where(y == 1, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))

    def loss(params: FloatArray) -> tuple[float, FloatArray]:
        z = params[0] * scores + params[1]
        gap = expit(z) - target
        value = float(np.sum(np.logaddexp(0.0, z) - target * z))
        return value, np.array([float(gap @ scores), float(gap.sum())])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    a, b = float(result.x[0]), float(result.x[1])
    if a <= 0:  # out-of-fold scores rank backwards or not at all: say "base rate"
        return 0.0, float(np.log(n1 / n0))
    return a, b


# --------------------------------------------------------------------------- the model


class ChurnModel:
    """Calibrated churn probability with per-customer reasons (see the module docstring).

    ``C`` is the logistic part's inverse regularisation, ``blend_weight`` the logistic share of
    a blend's log-odds, ``calibration_folds`` the internal CV folds for Platt scaling,
    ``tree_params`` overrides of ``ADDITIVE_PARAMS``/``BOOSTING_PARAMS`` (the depth of the
    additive part stays 1, or it would not be additive).
    """

    def __init__(
        self,
        learner: Learner = DEFAULT_LEARNER,
        *,
        C: float = 1.0,
        blend_weight: float = 0.5,
        calibration: Calibration = "sigmoid",
        calibration_folds: int = 5,
        tree_params: dict[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        if learner not in LEARNERS:
            raise ValueError(f"learner must be one of {LEARNERS}, got {learner!r}")
        if calibration not in get_args(Calibration):
            raise ValueError(f"calibration must be 'sigmoid' or 'none', got {calibration!r}")
        if not 0.0 < blend_weight < 1.0:
            raise ValueError("blend_weight must be strictly between 0 and 1")
        if calibration_folds < 2:
            raise ValueError("calibration_folds must be at least 2")
        if not C > 0:
            raise ValueError("C must be positive")
        tree_params = dict(tree_params or {})
        fixed = {"max_depth", "categorical_features", "early_stopping", "random_state"}
        if "additive" in learner and fixed & set(tree_params):
            raise ValueError(f"tree_params cannot set {sorted(fixed & set(tree_params))}")
        self.learner: Learner = learner
        self.C = C
        self.blend_weight = blend_weight
        self.calibration: Calibration = calibration
        self.calibration_folds = calibration_folds
        self.tree_params = tree_params
        self.seed = seed
        self.spec: FeatureSpec | None = None
        self.n_train = 0
        self.churn_rate = float("nan")
        self.trained_at: datetime | None = None
        self.sklearn_version = sklearn.__version__
        self.explanation_source: ExplanationSource = "exact"
        self.slope = 1.0
        self.intercept = 0.0
        self._version = ""
        self._components: list[tuple[_Component, float]] = []
        self._explainers: list[tuple[_Component, float]] = []
        self._surrogate = False

    # ---------------------------------------------------------------- fitting

    @property
    def params(self) -> dict[str, Any]:
        return {
            "learner": self.learner,
            "C": self.C,
            "blend_weight": self.blend_weight,
            "calibration": self.calibration,
            "calibration_folds": self.calibration_folds,
            "tree_params": self.tree_params,
            "seed": self.seed,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"ChurnModel({args})"

    @property
    def fitted(self) -> bool:
        return bool(self._components)

    @property
    def version(self) -> str:
        """``churn-<learner>-<hash>``: the same data, spec and settings give the same version."""
        if not self.fitted:
            raise RuntimeError("ChurnModel is not fitted")
        return self._version

    def _new_components(self, spec: FeatureSpec) -> list[tuple[_Component, float]]:
        linear, trees, s = spec.selection(linear=True), spec.selection(linear=False), self.seed
        parts: list[_Component] = []
        if self.learner.startswith("logistic"):
            parts.append(_Logistic(linear, s, self.C))
        if self.learner.endswith("additive"):
            parts.append(_Boosted(trees, s, True, dict(self.tree_params)))
        if self.learner.endswith("boosting"):
            parts.append(_Boosted(trees, s, False, dict(self.tree_params)))
        if len(parts) == 1:
            return [(parts[0], 1.0)]
        return [(parts[0], self.blend_weight), (parts[1], 1.0 - self.blend_weight)]

    def _fit_components(
        self, spec: FeatureSpec, data: _Data, y: IntArray
    ) -> list[tuple[_Component, float]]:
        return [(c.fit(data, y), w) for c, w in self._new_components(spec)]

    @staticmethod
    def _raw(components: list[tuple[_Component, float]], data: _Data) -> FloatArray:
        return np.asarray(sum(w * c.logit(data) for c, w in components), dtype=np.float64)

    def fit(self, frame: pd.DataFrame, y: ArrayLike, spec: FeatureSpec) -> ChurnModel:
        """Fit on ``frame`` (one row per customer) and labels ``y`` (1 = churned)."""
        labels = _labels(y, len(frame))
        if len(frame) == 0:
            raise ValueError("cannot fit a churn model on zero rows")
        data = _prepare(frame, spec)
        counts = np.bincount(labels, minlength=2)
        if counts.min() == 0:
            only = "churned" if counts[1] else "stayed"
            raise ValueError(
                f"training labels hold a single class (every customer {only}); "
                "a churn model needs both churners and non-churners"
            )
        if counts.min() < MIN_PER_CLASS:
            raise ValueError(
                f"need at least {MIN_PER_CLASS} churners and {MIN_PER_CLASS} non-churners, "
                f"got {counts[1]} and {counts[0]}"
            )
        a, b = 1.0, 0.0
        if self.calibration == "sigmoid":
            folds = min(self.calibration_folds, int(counts.min()))
            oof = np.empty(data.n, dtype=np.float64)
            split = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
            for train, held in split.split(np.zeros((data.n, 1)), labels):
                part = self._fit_components(spec, data.take(train), labels[train])
                oof[held] = self._raw(part, data.take(held))
            a, b = _platt(oof, labels)
        self._components = self._fit_components(spec, data, labels)
        self.slope, self.intercept = a, b
        additive = [(c, w) for c, w in self._components if c.additive]
        if len(additive) == len(self._components):
            self.explanation_source, self._explainers, self._surrogate = "exact", additive, False
        elif additive:
            self.explanation_source = "additive component"
            self._explainers, self._surrogate = additive, False
        else:
            surrogate = _Logistic(spec.selection(linear=True), self.seed, self.C)
            self.explanation_source = "logistic surrogate"
            self._explainers, self._surrogate = [(surrogate.fit(data, labels), 1.0)], True
        self.spec = spec
        self.n_train = data.n
        self.churn_rate = float(labels.mean())
        self.trained_at = datetime.now(UTC)
        self.sklearn_version = sklearn.__version__
        self._version = self._fingerprint(spec, data, labels)
        return self

    def _fingerprint(self, spec: FeatureSpec, data: _Data, labels: IntArray) -> str:
        h = hashlib.sha256()
        meta = {
            "format": FORMAT,
            "params": self.params,
            "numeric": spec.numeric,
            "categorical": spec.categorical,
            "groups": spec.groups,
            "linear_only": spec.linear_only,
            "sklearn": sklearn.__version__,
        }
        h.update(json.dumps(meta, sort_keys=True).encode())
        h.update(np.ascontiguousarray(data.numeric).tobytes())
        h.update("\x1f".join(data.categorical.ravel().tolist()).encode("utf-8", "replace"))
        h.update(labels.tobytes())
        return f"churn-{self.learner}-{h.hexdigest()[:12]}"

    # ---------------------------------------------------------------- scoring

    def _data(self, frame: pd.DataFrame) -> tuple[FeatureSpec, _Data]:
        if not self.fitted or self.spec is None:
            raise RuntimeError("ChurnModel is not fitted")
        return self.spec, _prepare(frame, self.spec)

    def log_odds(self, frame: pd.DataFrame) -> FloatArray:
        """Calibrated log-odds of churn per row (empty for a zero-row frame)."""
        _, data = self._data(frame)
        if data.n == 0:
            return np.empty(0, dtype=np.float64)
        return self.slope * self._raw(self._components, data) + self.intercept

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        """Calibrated probability of churn per row, shape (n,)."""
        return np.asarray(expit(self.log_odds(frame)), dtype=np.float64)

    @property
    def base_log_odds(self) -> float:
        """Log-odds of the average training customer: with ``explanation_source == "exact"``,
        ``log_odds(frame) == base_log_odds + contributions(frame).sum(axis=1)``."""
        if not self.fitted:
            raise RuntimeError("ChurnModel is not fitted")
        if self._surrogate:
            return sum(w * c.centre for c, w in self._explainers)
        return self.slope * sum(w * c.centre for c, w in self._explainers) + self.intercept

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-customer log-odds contribution of each reason (columns: ``spec.reasons``)."""
        spec, data = self._data(frame)
        table = self._contribution_table(spec, data)
        return pd.DataFrame(table, index=frame.index, columns=list(spec.reasons))

    def _contribution_table(self, spec: FeatureSpec, data: _Data) -> FloatArray:
        keys = spec.reasons
        if data.n == 0:
            return np.empty((0, len(keys)), dtype=np.float64)
        scale = 1.0 if self._surrogate else self.slope
        per_column = scale * sum(w * c.contributions(data) for c, w in self._explainers)
        grouping = np.zeros((len(spec.columns), len(keys)))
        for j, col in enumerate(spec.columns):
            grouping[j, keys.index(spec.group(col))] = 1.0
        return np.asarray(per_column @ grouping, dtype=np.float64)

    def explain(
        self, frame: pd.DataFrame, top: int = 3, direction: Direction = "up"
    ) -> list[list[Reason]]:
        """Each row's ``top`` strongest reasons pushing churn risk up (or down), strongest first.

        Only reasons with a contribution of that sign are listed, so a customer whose every
        feature is safer than average gets an empty list for ``"up"``.
        """
        if top < 1:
            raise ValueError("top must be at least 1")
        if direction not in ("up", "down"):
            raise ValueError("direction must be 'up' or 'down'")
        spec, data = self._data(frame)
        if data.n == 0:
            return []
        table = self._contribution_table(spec, data)
        sign = 1.0 if direction == "up" else -1.0
        keys = spec.reasons
        labels = [spec.label(key) for key in keys]
        values = [self._values(spec, data, key) for key in keys]
        order = np.argsort(-sign * table, axis=1, kind="stable")[:, :top]
        out: list[list[Reason]] = []
        for i, row in enumerate(table):
            reasons: list[Reason] = []
            for k in order[i]:
                if sign * row[k] <= EPS:
                    break
                zh, en = labels[k]
                reasons.append(Reason(keys[k], zh, en, values[k][i], float(row[k]), direction))
            out.append(reasons)
        return out

    @staticmethod
    def _values(spec: FeatureSpec, data: _Data, key: str) -> list[str | float | None]:
        if key in spec.numeric:
            col = data.numeric[:, spec.numeric.index(key)]
            return [None if np.isnan(v) else float(v) for v in col]
        cats = data.categorical[:, spec.categorical.index(key)]
        return [None if v == MISSING else str(v) for v in cats]

    def global_drivers(self, frame: pd.DataFrame, top: int | None = None) -> list[Driver]:
        """Reasons ranked by mean absolute contribution over ``frame`` (e.g. the training set)."""
        spec, _ = self._data(frame)
        table = self.contributions(frame)
        if table.empty:
            return []
        strength = table.abs().mean(axis=0).sort_values(ascending=False, kind="stable")
        drivers = [Driver(str(k), *spec.label(str(k)), float(v)) for k, v in strength.items()]
        return drivers[:top] if top is not None else drivers

    # ---------------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (temp file in the same folder, then ``os.replace``)."""
        if not self.fitted:
            raise RuntimeError("refusing to save an unfitted ChurnModel")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                payload = {"format": FORMAT, "sklearn": sklearn.__version__, "model": self}
                joblib.dump(payload, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ChurnModel:
        """Read a file written by ``save``; ValueError on any other format."""
        payload = joblib.load(Path(path))
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ValueError(f"{path} is not a churn model of format {FORMAT}")
        model = payload.get("model")
        if not isinstance(model, cls) or not model.fitted:
            raise ValueError(f"{path} does not hold a fitted ChurnModel")
        if payload.get("sklearn") != sklearn.__version__:
            warnings.warn(
                f"{path} was written with scikit-learn {payload.get('sklearn')}, "
                f"running {sklearn.__version__}: retrain if scores look off",
                UserWarning,
                stacklevel=2,
            )
        return model
