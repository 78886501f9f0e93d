"""Measure the customer-emotion model on the shared review data (prints figures, asserts nothing).

Split: stratified 80/20, ``train_test_split(..., test_size=0.2, stratify=labels, random_state=0)``
over the non-empty rows in file order. Configurations:

* online_shopping_10_cats alone, scored with its ``cat`` domain and without any domain;
* waimai_10k alone;
* one model trained on both train splits, scored on each test split.

Usage: ``.venv/bin/python bench/emotion_eval.py --data ../shared/data [--only shopping]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import TypeVar

from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from liuke.quality.emotion import EmotionModel, evaluate, load_reviews, train

T = TypeVar("T")
Split = tuple[list[str], list[int], list[str | None]]

SHOPPING = "online_shopping_10_cats/online_shopping_10_cats.csv"
WAIMAI = "waimai_10k/waimai_10k.csv"


def split(path: Path, seed: int) -> tuple[Split, Split]:
    texts, labels, domains = load_reviews(path)
    train_ix, test_ix = train_test_split(
        list(range(len(texts))), test_size=0.2, stratify=labels, random_state=seed
    )

    def pick(ix: list[int]) -> Split:
        return [texts[i] for i in ix], [labels[i] for i in ix], [domains[i] for i in ix]

    return pick(train_ix), pick(test_ix)


def report(name: str, model: EmotionModel, data: Split, with_domain: bool) -> None:
    texts, labels, domains = data
    started = time.perf_counter()
    s = evaluate(model, texts, labels, domains if with_domain else None)
    rate = len(texts) / (time.perf_counter() - started)
    print(
        f"  {name:<44} n={s.n:>6}  accuracy={s.accuracy * 100:7.3f}% "
        f"({round(s.accuracy * s.n)} right)  "
        f"macro-F1={s.macro_f1 * 100:7.3f}%  ({rate:,.0f} msg/s batch)"
    )


def fit(name: str, parts: list[Split], names: list[str], seed: int) -> EmotionModel:
    texts = [t for p in parts for t in p[0]]
    labels = [y for p in parts for y in p[1]]
    domains = [d for p in parts for d in p[2]]
    started = time.perf_counter()
    model = train(texts, labels, domains, seed=seed, datasets=names)
    print(f"{name}: trained on {len(texts)} rows in {time.perf_counter() - started:.1f} s")
    return model


def latency(model: EmotionModel, texts: list[str], n: int) -> None:
    """Single-message latency, one message per call, after a short warm-up."""
    sample = texts[:n]
    for t in sample[:50]:
        model.negativity([t])
    times: list[float] = []
    for t in sample:
        started = time.perf_counter()
        model.negativity([t])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(
        f"  single message latency over {len(times)} calls: "
        f"p50={statistics.median(times):.2f} ms  p99={p99:.2f} ms  max={times[-1]:.2f} ms"
    )


def size_and_load(model: EmotionModel) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "emotion.joblib"
        started = time.perf_counter()
        model.save(path)
        saved = time.perf_counter() - started
        started = time.perf_counter()
        EmotionModel.load(path)
        loaded = time.perf_counter() - started
        mb = path.stat().st_size / 1e6
    print(f"  model file {mb:.1f} MB (save {saved:.1f} s, load {loaded:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["shopping", "waimai", "combined"], action="append")
    parser.add_argument("--latency-n", type=int, default=1000)
    parser.add_argument(
        "--all-cores", action="store_true", help="do not pin to one core for scoring"
    )
    args = parser.parse_args()
    only = set(args.only or ["shopping", "waimai", "combined"])

    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print(f"pinned to CPU {min(os.sched_getaffinity(0))}; BLAS/OpenMP limited to 1 thread")
    shop_train, shop_test = split(args.data / SHOPPING, args.seed)
    wm_train, wm_test = split(args.data / WAIMAI, args.seed)

    with threadpool_limits(limits=1):
        if "shopping" in only:
            model = fit(
                "online_shopping_10_cats", [shop_train], ["online_shopping_10_cats"], args.seed
            )
            report("online_shopping test, with cat domain", model, shop_test, True)
            report("online_shopping test, without domain", model, shop_test, False)
            report("waimai test (shopping model, no domain)", model, wm_test, False)
            latency(model, wm_test[0], args.latency_n)
            size_and_load(model)
        if "waimai" in only:
            model = fit("waimai_10k", [wm_train], ["waimai_10k"], args.seed)
            report("waimai test", model, wm_test, False)
        if "combined" in only:
            model = fit(
                "combined",
                [shop_train, wm_train],
                ["online_shopping_10_cats", "waimai_10k"],
                args.seed,
            )
            report("online_shopping test, with cat domain", model, shop_test, True)
            report("online_shopping test, without domain", model, shop_test, False)
            report("waimai test (no domain given)", model, wm_test, False)
            latency(model, shop_test[0], args.latency_n)
            size_and_load(model)


if __name__ == "__main__":
    main()
