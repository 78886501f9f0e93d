"""Churn risk on the database: train on a workspace's churn records, score every customer.

* ``train(s, workspace_id, as_of)`` builds the training table from ``churn_records`` and
  ``features.feature_frame``, measures it (stratified CV ROC-AUC, Brier, calibration), fits
  ``ChurnModel`` on all of it and saves it under ``<model_dir>/churn/ws<id>.joblib`` with the
  report beside it (``ws<id>.json``).
* ``score(s, workspace_id, as_of)`` scores every customer who is not churned and writes
  ``customer_scores.churn_probability``, ``churn_reasons`` (top reasons with Chinese and English
  labels, the customer's value, the contribution in log-odds and the reason group),
  ``model_version``, ``features`` and ``as_of`` in bulk. It never touches the RFM/grade columns
  (``crm/profiles.py`` writes them) and creates the row when it is missing. Churned customers'
  rows get ``churn_probability = None`` so they drop off the risk list.

**Who is a churner, and when is a customer observed** (the leakage question, see
``docs/retention.md``): positives are the churn records with ``churned_at`` in the
``window_days`` before ``as_of``, observed at their ``churned_at`` (events at or before it);
negatives are the customers without a churn record up to ``as_of``, each observed at a moment
drawn from the churners' churn dates (at or after the customer signed up; deterministic for the
seed), so both classes are seen with the same amount of history and the same calendar. Features
that restate the label (days since the last contact or activity) are not in the table.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from liuke.core.config import get_settings
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest, NotFound
from liuke.crm.churn import ChurnModel, FeatureSpec, Reason
from liuke.crm.features import (
    CATEGORY_OF,
    CHURN_SPEC,
    REASON_GROUPS,
    VALUE_LABELS,
    feature_frame,
)
from liuke.crm.models import ChurnRecord, CustomerScore
from liuke.customers.models import Customer

__all__ = [
    "MIN_CHURNED",
    "MIN_RETAINED",
    "TOP_REASONS",
    "WINDOW_DAYS",
    "TrainReport",
    "explain_customer",
    "load_model",
    "model_path",
    "reason_dict",
    "score",
    "spec_for",
    "train",
    "training_table",
]

MIN_CHURNED = 20
"""Fewer churners than this in the window and ``train`` refuses (the CV would be noise)."""
MIN_RETAINED = 20
WINDOW_DAYS = 365
"""Churn records older than this (before ``as_of``) are not learnt from."""
TOP_REASONS = 3
"""Reasons stored per customer."""
BINS = 10
CHUNK = 2000


@dataclass
class TrainReport:
    workspace_id: int
    as_of: str
    model_version: str
    path: str
    customers: int
    churned: int
    retained: int
    churn_rate: float
    cv_folds: int
    cv_auc: float
    cv_auc_sd: float
    cv_auc_per_fold: list[float]
    brier: float
    mean_predicted: float
    observed_rate: float
    ece: float
    reliability: list[dict[str, float]]
    drivers: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    trained_at: str
    elapsed_s: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_path(workspace_id: int, model_dir: Path | None = None) -> Path:
    return (model_dir or get_settings().model_dir) / "churn" / f"ws{workspace_id}.joblib"


def load_model(workspace_id: int, model_dir: Path | None = None) -> ChurnModel:
    """The workspace's trained model; NotFound when ``train`` has not run."""
    path = model_path(workspace_id, model_dir)
    if not path.exists():
        raise NotFound("churn_model", workspace_id)
    return ChurnModel.load(path)


def load_report(workspace_id: int, model_dir: Path | None = None) -> dict[str, Any] | None:
    """The last ``TrainReport`` (as saved beside the model), or None."""
    path = model_path(workspace_id, model_dir).with_suffix(".json")
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# --------------------------------------------------------------------------- training data


def _churned_now(s: Session, workspace_id: int, as_of: datetime) -> pd.DataFrame:
    rows = s.execute(
        select(ChurnRecord.customer_id, ChurnRecord.churned_at, ChurnRecord.won_back_at).where(
            ChurnRecord.workspace_id == workspace_id, ChurnRecord.churned_at <= as_of
        )
    ).all()
    return pd.DataFrame.from_records(
        [tuple(r) for r in rows], columns=["customer_id", "churned_at", "won_back_at"]
    )


def training_table(
    s: Session,
    workspace_id: int,
    as_of: datetime,
    *,
    window_days: int = WINDOW_DAYS,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.Series]:
    """(features, y): churners at their churn date, the others at matched moments (module
    docstring); index = customer id, y = 1 for churned."""
    records = _churned_now(s, workspace_id, as_of)
    since = as_of - timedelta(days=window_days)
    recent = records[records["churned_at"].map(lambda t: t > since)] if len(records) else records
    positives = pd.Series(list(recent["churned_at"]), index=recent["customer_id"], dtype=object)
    excluded = set(records["customer_id"]) - set(positives.index)
    created = dict(
        s.execute(
            select(Customer.id, Customer.created_at).where(
                Customer.workspace_id == workspace_id, Customer.created_at <= as_of
            )
        ).all()
    )
    negatives = sorted(c for c in created if c not in excluded and c not in positives.index)
    dates = np.sort(np.asarray([t.timestamp() for t in positives], dtype=np.float64))
    rng = np.random.default_rng(seed)
    u = rng.random(len(negatives))
    obs: dict[int, datetime] = {}
    for i, cid in enumerate(negatives):
        k = int(np.searchsorted(dates, created[cid].timestamp(), side="left"))
        if k >= len(dates):
            obs[cid] = as_of
        else:
            pick = dates[k + int(u[i] * (len(dates) - k))]
            obs[cid] = datetime.fromtimestamp(float(pick), UTC)
    for cid, t in positives.items():
        obs[int(cid)] = t
    observe = pd.Series(obs, dtype=object)
    frame = feature_frame(s, workspace_id, as_of, observe_at=observe)
    frame = frame.loc[frame.index.isin(observe.index)]
    y = pd.Series(frame.index.isin(positives.index).astype(np.int64), index=frame.index)
    return frame, y.rename("churned")


def _reliability(y: np.ndarray, p: np.ndarray) -> tuple[list[dict[str, float]], float]:
    edges = np.linspace(0.0, 1.0, BINS + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, BINS - 1)
    table, ece = [], 0.0
    for b in range(BINS):
        m = idx == b
        if not m.any():
            continue
        pred, obs = float(p[m].mean()), float(y[m].mean())
        ece += m.mean() * abs(pred - obs)
        table.append(
            {"low": float(edges[b]), "high": float(edges[b + 1]), "n": int(m.sum()),
             "predicted": round(pred, 4), "observed": round(obs, 4)}
        )  # fmt: skip
    return table, float(ece)


def _driver_rows(
    model: ChurnModel, frame: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    drivers = model.global_drivers(frame)
    rows: list[dict[str, Any]] = [
        {
            "feature": d.feature,
            "label_zh": d.label_zh,
            "label_en": d.label_en,
            "group": CATEGORY_OF.get(d.feature, "profile"),
            "mean_abs_contribution": round(d.mean_abs_contribution, 4),
        }
        for d in drivers
    ]
    total = sum(float(r["mean_abs_contribution"]) for r in rows) or 1.0
    by_group: dict[str, float] = {}
    for r in rows:
        g = str(r["group"])
        by_group[g] = by_group.get(g, 0.0) + float(r["mean_abs_contribution"])
    groups = [
        {"group": g, "label_zh": REASON_GROUPS[g][0], "label_en": REASON_GROUPS[g][1],
         "share": round(v / total, 4)}
        for g, v in sorted(by_group.items(), key=lambda kv: -kv[1])
    ]  # fmt: skip
    return rows, groups


def spec_for(frame: pd.DataFrame) -> tuple[FeatureSpec, list[str]]:
    """``CHURN_SPEC`` without the numeric columns that have fewer than two distinct known
    values in ``frame`` (no NPS survey yet, say): they carry nothing and trees cannot bin them."""
    dropped = [c for c in CHURN_SPEC.numeric if frame[c].dropna().nunique() < 2]
    spec = FeatureSpec(
        tuple(c for c in CHURN_SPEC.numeric if c not in dropped),
        CHURN_SPEC.categorical,
        dict(CHURN_SPEC.labels),
    )
    return spec, dropped


def train(
    s: Session,
    workspace_id: int,
    as_of: datetime,
    model_dir: Path | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    window_days: int = WINDOW_DAYS,
) -> TrainReport:
    """Measure (stratified ``folds``-fold CV), fit on everything and save (module docstring).

    Raises ``BadRequest`` when the window holds fewer than ``MIN_CHURNED`` churned or
    ``MIN_RETAINED`` retained customers (run ``labels.sync_churn_records`` first)."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware UTC datetime")
    t0 = time.perf_counter()
    frame, y = training_table(s, workspace_id, as_of, window_days=window_days, seed=seed)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 < MIN_CHURNED or n0 < MIN_RETAINED:
        raise BadRequest(
            detail=f"too few customers to train a churn model: {n1} churned and {n0} retained "
            f"in the {window_days} days before {as_of.date().isoformat()} (need at least "
            f"{MIN_CHURNED} churned and {MIN_RETAINED} retained; sync the churn records first)"
        )
    spec, dropped = spec_for(frame)
    x = frame[list(spec.columns)]
    labels = y.to_numpy()
    folds = max(2, min(folds, n1, n0))
    oof = np.empty(len(y), dtype=np.float64)
    aucs: list[float] = []
    with threadpool_limits(1):
        split = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for tr, te in split.split(np.zeros((len(y), 1)), labels):
            m = ChurnModel(seed=seed).fit(x.iloc[tr], labels[tr], spec)
            oof[te] = m.predict_proba(x.iloc[te])
            aucs.append(float(roc_auc_score(labels[te], oof[te])))
        model = ChurnModel(seed=seed).fit(x, labels, spec)
        drivers, groups = _driver_rows(model, frame)
    table, ece = _reliability(labels, oof)
    path = model_path(workspace_id, model_dir)
    model.save(path)
    report = TrainReport(
        workspace_id=workspace_id,
        as_of=as_of.isoformat(),
        model_version=model.version,
        path=str(path),
        customers=len(y),
        churned=n1,
        retained=n0,
        churn_rate=round(n1 / len(y), 4),
        cv_folds=folds,
        cv_auc=round(float(np.mean(aucs)), 4),
        cv_auc_sd=round(float(np.std(aucs, ddof=1)) if len(aucs) > 1 else 0.0, 4),
        cv_auc_per_fold=[round(a, 4) for a in aucs],
        brier=round(float(brier_score_loss(labels, oof)), 4),
        mean_predicted=round(float(oof.mean()), 4),
        observed_rate=round(float(labels.mean()), 4),
        ece=round(ece, 4),
        reliability=table,
        drivers=drivers,
        groups=groups,
        trained_at=utcnow().isoformat(),
        elapsed_s=round(time.perf_counter() - t0, 2),
        notes=[f"{c}: fewer than two distinct values in training, left out" for c in dropped],
    )
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    tmp.replace(path.with_suffix(".json"))
    return report


# --------------------------------------------------------------------------- scoring


def _json_value(v: str | float | None) -> str | float | None:
    if isinstance(v, float):
        return round(v, 2)
    return v


def reason_dict(r: Reason) -> dict[str, Any]:
    """How a reason is stored in ``customer_scores.churn_reasons`` (and shown)."""
    group = CATEGORY_OF.get(r.feature, "profile")
    value_zh = value_en = r.value
    labels = VALUE_LABELS.get(r.feature, {})
    if isinstance(r.value, str) and r.value in labels:
        value_zh, value_en = labels[r.value]
    return {
        "feature": r.feature,
        "label_zh": r.label_zh,
        "label_en": r.label_en,
        "group": group,
        "group_zh": REASON_GROUPS[group][0],
        "group_en": REASON_GROUPS[group][1],
        "value": _json_value(r.value),
        "value_zh": _json_value(value_zh),
        "value_en": _json_value(value_en),
        "contribution": round(r.contribution, 4),
    }


def _features_json(row: pd.Series) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in CHURN_SPEC.columns:
        v = row[col]
        if isinstance(v, float | np.floating):
            out[col] = None if np.isnan(v) else round(float(v), 2)
        else:
            out[col] = None if v is None else str(v)
    return out


def _churned_ids(s: Session, workspace_id: int, as_of: datetime) -> set[int]:
    rec = _churned_now(s, workspace_id, as_of)
    if rec.empty:
        return set()
    back = rec["won_back_at"].map(lambda t: t is not None and t <= as_of)
    return set(int(c) for c in rec.loc[~back, "customer_id"])


def score(
    s: Session,
    workspace_id: int,
    as_of: datetime,
    model: ChurnModel | None = None,
    model_dir: Path | None = None,
    *,
    top: int = TOP_REASONS,
) -> int:
    """Score every customer who is not churned as of ``as_of``; returns how many were scored.

    Uses ``model`` or the saved one (``load_model``; NotFound when none). Bulk writes: one
    UPDATE per chunk of existing ``customer_scores`` rows, one INSERT per chunk of new ones."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware UTC datetime")
    model = model or load_model(workspace_id, model_dir)
    frame = feature_frame(s, workspace_id, as_of)
    churned = _churned_ids(s, workspace_id, as_of)
    live = frame.loc[~frame.index.isin(churned)]
    x = live[list(CHURN_SPEC.columns)]
    with threadpool_limits(1):
        proba = model.predict_proba(x)
        reasons = model.explain(x, top=top)
    version = model.version
    now = utcnow()
    day = as_of.date()
    existing = dict(
        s.execute(
            select(CustomerScore.customer_id, CustomerScore.id).where(
                CustomerScore.workspace_id == workspace_id
            )
        ).all()
    )
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for (cid, row), p, rs in zip(x.iterrows(), proba, reasons, strict=True):
        values = {
            "churn_probability": round(float(p), 6),
            "churn_reasons": [reason_dict(r) for r in rs],
            "model_version": version,
            "features": _features_json(row),
            "as_of": day,
            "computed_at": now,
        }
        rid = existing.get(int(cid))
        if rid is None:
            inserts.append({"workspace_id": workspace_id, "customer_id": int(cid), **values})
        else:
            updates.append({"id": rid, **values})
    for cid in churned:
        rid = existing.get(cid)
        if rid is not None:
            updates.append(
                {"id": rid, "churn_probability": None, "churn_reasons": [],
                 "model_version": version, "computed_at": now}
            )  # fmt: skip
    for i in range(0, len(updates), CHUNK):
        part = updates[i : i + CHUNK]
        plain = [u for u in part if "features" in u]
        gone = [u for u in part if "features" not in u]
        if plain:
            s.execute(update(CustomerScore), plain)
        if gone:
            s.execute(update(CustomerScore), gone)
    for i in range(0, len(inserts), CHUNK):
        s.execute(insert(CustomerScore), inserts[i : i + CHUNK])
    s.flush()
    return len(x)


def explain_customer(
    s: Session,
    workspace_id: int,
    customer_id: int,
    as_of: datetime,
    model: ChurnModel | None = None,
    model_dir: Path | None = None,
    *,
    top: int = 5,
) -> dict[str, Any]:
    """One customer's probability now, the reasons up and down, and the feature values (for a
    customer page; computes the workspace's feature table, so not for loops)."""
    if (
        s.scalar(
            select(Customer.id).where(
                Customer.workspace_id == workspace_id, Customer.id == customer_id
            )
        )
        is None
    ):
        raise NotFound("customer", customer_id)
    model = model or load_model(workspace_id, model_dir)
    frame = feature_frame(s, workspace_id, as_of)
    if customer_id not in frame.index:
        raise NotFound("customer", customer_id)
    x = frame.loc[[customer_id], list(CHURN_SPEC.columns)]
    with threadpool_limits(1):
        p = float(model.predict_proba(x)[0])
        up = model.explain(x, top=top, direction="up")[0]
        down = model.explain(x, top=top, direction="down")[0]
    return {
        "customer_id": customer_id,
        "as_of": as_of.isoformat(),
        "churn_probability": round(p, 6),
        "model_version": model.version,
        "reasons_up": [reason_dict(r) for r in up],
        "reasons_down": [reason_dict(r) for r in down],
        "features": _features_json(x.iloc[0]),
    }
