"""Measure the complaint classifier on the public CFPB sample (prints figures, asserts nothing).

Rows: the complaints with a consumer narrative (1,532 of 6,623). Split: by time, never shuffled
-- sorted by date received (ties by complaint id), the earliest 80% train and the latest 20%
test, as a workspace retraining on past cases and suggesting for new ones would see it.

Tasks on the same split:

* product line (``liuke.complaints.cfpb.PRODUCT_LINES``) from the narrative;
* category (``ISSUE_CATEGORY`` applied to the raw issue) from the narrative; here the cold-start
  lexicon is scored too (an abstention counts as wrong in accuracy).

Each is compared with the majority class of the training part and with a plain TF-IDF word
unigram logistic regression (sklearn defaults). Then: accuracy by confidence band, and the weekly
series of complaint counts (ISO weeks, all rows).

Usage: ``.venv/bin/python bench/complaints_eval.py [--data ../shared/data]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from threadpoolctl import threadpool_limits

from liuke.complaints.cfpb import CfpbComplaint, read_cfpb
from liuke.complaints.classifier import Suggestion, TextClassifier, suggest_category_cold

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = (REPO / ".." / "shared" / "data").resolve()
TRAIN_SHARE = 0.8
BANDS = ((0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.0, 0.5))


def time_split(
    rows: Sequence[CfpbComplaint],
) -> tuple[list[CfpbComplaint], list[CfpbComplaint]]:
    ordered = sorted(rows, key=lambda r: (r.received, int(r.complaint_id)))
    cut = round(len(ordered) * TRAIN_SHARE)
    return ordered[:cut], ordered[cut:]


def scores(truth: Sequence[str], pred: Sequence[str | None]) -> tuple[float, float]:
    p = [x if x is not None else "<none>" for x in pred]
    return accuracy_score(truth, p), f1_score(truth, p, average="macro", zero_division=0)


def line(name: str, truth: Sequence[str], pred: Sequence[str | None], extra: str = "") -> None:
    acc, f1 = scores(truth, pred)
    print(f"  {name:<34} accuracy={acc * 100:6.2f}%  macro-F1={f1 * 100:6.2f}%{extra}")


def per_class(train: Sequence[str], truth: Sequence[str], pred: Sequence[str | None]) -> None:
    print(f"    {'class':<18}{'train':>7}{'test':>7}{'recall':>9}{'precision':>11}")
    train_n = Counter(train)
    for label in sorted(set(train) | set(truth)):
        support = sum(1 for t in truth if t == label)
        hit = sum(1 for t, p in zip(truth, pred, strict=True) if t == label and p == label)
        said = sum(1 for p in pred if p == label)
        recall = f"{hit / support * 100:6.1f}%" if support else "     -"
        precision = f"{hit / said * 100:6.1f}%" if said else "     -"
        print(f"    {label:<18}{train_n[label]:>7}{support:>7}{recall:>9}{precision:>11}")


def bands(truth: Sequence[str], sugg: Sequence[Suggestion]) -> None:
    n = len(truth)
    for lo, hi in BANDS:
        idx = [i for i, s in enumerate(sugg) if lo <= s.confidence < hi]
        right = sum(1 for i in idx if sugg[i].label == truth[i])
        acc = f"{right / len(idx) * 100:6.2f}%" if idx else "     -"
        label = f"[{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}"
        print(
            f"    confidence {label:<11} share={len(idx) / n * 100:6.2f}% ({len(idx):>3})  "
            f"accuracy={acc}"
        )
    for cut in (0.5, 0.7, 0.9):
        idx = [i for i, s in enumerate(sugg) if s.confidence >= cut]
        right = sum(1 for i in idx if sugg[i].label == truth[i])
        acc = f"{right / len(idx) * 100:6.2f}%" if idx else "     -"
        print(
            f"    confidence >= {cut:.1f}     share={len(idx) / n * 100:6.2f}% ({len(idx):>3})  "
            f"accuracy={acc}"
        )


def task(
    name: str,
    train_texts: list[str],
    train_y: list[str],
    test_texts: list[str],
    test_y: list[str],
    seed: int,
    lexicon: bool = False,
) -> None:
    print(f"\n== {name}: {len(train_texts)} train / {len(test_texts)} test")
    majority = Counter(train_y).most_common(1)[0][0]
    line(f"majority class ({majority})", test_y, [majority] * len(test_y))

    plain_vec = TfidfVectorizer()
    plain = LogisticRegression(max_iter=3000, random_state=seed)
    plain.fit(plain_vec.fit_transform(train_texts), train_y)
    line(
        "TF-IDF words + LR (defaults)", test_y, list(plain.predict(plain_vec.transform(test_texts)))
    )

    if lexicon:
        cold = [suggest_category_cold(t) for t in test_texts]
        answered = [i for i, c in enumerate(cold) if c.label is not None]
        right = sum(1 for i in answered if cold[i].label == test_y[i])
        line(
            "cold-start lexicon (no training)",
            test_y,
            [c.label for c in cold],
            f"  answers {len(answered) / len(cold) * 100:.1f}%, "
            f"right on {right / max(len(answered), 1) * 100:.1f}% of those",
        )

    for label, clf in (
        ("TextClassifier (defaults)", TextClassifier(seed=seed)),
        ("TextClassifier, unweighted", TextClassifier(seed=seed, class_weight=None)),
    ):
        started = time.perf_counter()
        clf.fit(train_texts, train_y)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        sugg = clf.predict(test_texts)
        pred_s = time.perf_counter() - started
        pred = [s.label for s in sugg]
        line(label, test_y, pred, f"  (fit {fit_s:.1f} s, predict {pred_s:.2f} s)")
        per_class(train_y, test_y, pred)
        bands(test_y, sugg)


def weekly(rows: Sequence[CfpbComplaint]) -> None:
    counts = Counter(r.received.isocalendar()[:2] for r in rows)
    first = min(r.received for r in rows)
    last = max(r.received for r in rows)
    monday = first - timedelta(days=first.weekday())
    series: list[int] = []
    while monday <= last:
        series.append(counts.get(monday.isocalendar()[:2], 0))
        monday += timedelta(days=7)
    print(f"\n== weekly complaint counts (ISO weeks, all {len(rows)} rows, {first}..{last})")
    print(
        f"  weeks={len(series)} (with a complaint: {len(counts)})  mean={statistics.fmean(series):.2f}"
        f"  median={statistics.median(series):g}  sd={statistics.pstdev(series):.2f}"
        f"  min={min(series)}  max={max(series)}"
    )
    by_year = Counter(r.received.year for r in rows)
    print("  per year: " + ", ".join(f"{y}: {n}" for y, n in sorted(by_year.items())))
    peak = max(counts.items(), key=lambda kv: kv[1])
    start = date.fromisocalendar(peak[0][0], peak[0][1], 1)
    print(f"  peak week {peak[0][0]}-W{peak[0][1]:02d} (from {start}): {peak[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    threadpool_limits(1)  # deterministic and faster on small matrices than threaded BLAS

    rows = read_cfpb(args.data)
    narrated = [r for r in rows if r.narrative]
    train, test = time_split(narrated)
    print(f"CFPB sample: {len(rows)} complaints, {len(narrated)} with a narrative")
    print(
        f"time split: train {len(train)} received {train[0].received}..{train[-1].received}, "
        f"test {len(test)} received {test[0].received}..{test[-1].received}"
    )
    if train[-1].received == test[0].received:
        day = test[0].received
        before = sum(1 for r in train if r.received == day)
        after = sum(1 for r in test if r.received == day)
        print(f"  the cut falls within {day}: {before} of its rows train, {after} test (by id)")
    train_texts = [r.narrative for r in train]
    test_texts = [r.narrative for r in test]
    task(
        "product line from narrative",
        train_texts,
        [r.product_line for r in train],
        test_texts,
        [r.product_line for r in test],
        args.seed,
    )
    task(
        "category from narrative",
        train_texts,
        [r.category for r in train],
        test_texts,
        [r.category for r in test],
        args.seed,
        lexicon=True,
    )
    weekly(rows)


if __name__ == "__main__":
    main()
