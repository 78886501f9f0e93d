"""Subjectivity: does a customer message express an opinion at all, or just ask or state?

The emotion model learns from product reviews, where every text is either praise or blame. A
customer-service chat is mostly neither ("我买的那个手机", "发票怎么开"), and a review model
calls such plain questions negative with high confidence. Classic sentiment pipelines put a
subjectivity filter first (Pang & Lee 2004); this is that filter: a character n-gram logistic
regression that separates opinions (the review sets) from service questions (bank and
assistant query sets), used to pull the negativity of objective messages towards "unknown".
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from liuke.quality.text import clip

MODEL_FILE = "subjectivity.joblib"
VERSION = "subjectivity-1"


class SubjectivityModel:
    def __init__(self, vectoriser: TfidfVectorizer, classifier: LogisticRegression) -> None:
        self.vectoriser = vectoriser
        self.classifier = classifier
        self.version = VERSION

    def subjective(self, texts: Sequence[str]) -> list[float]:
        """Probability that each text expresses an opinion (1) rather than asks/states (0)."""
        if not texts:
            return []
        x = self.vectoriser.transform([clip(t) for t in texts])
        return [float(p) for p in self.classifier.predict_proba(x)[:, 1]]

    def save(self, path: Path) -> None:
        joblib.dump({"version": self.version, "vec": self.vectoriser, "clf": self.classifier}, path)

    @classmethod
    def load(cls, path: Path) -> SubjectivityModel:
        data = joblib.load(path)
        return cls(data["vec"], data["clf"])


def train_subjectivity(
    subjective: Sequence[str], objective: Sequence[str], seed: int = 0
) -> SubjectivityModel:
    texts = [clip(t) for t in [*subjective, *objective]]
    labels = np.array([1] * len(subjective) + [0] * len(objective))
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced", random_state=seed)
    clf.fit(x, labels)
    return SubjectivityModel(vec, clf)


def load_objective(data: Path, limit: int | None = None, seed: int = 0) -> list[str]:
    """Customer questions from the shared query sets: SMP ECDT, BQ and ATEC (deduplicated)."""
    found: set[str] = set()
    for name in ("2019train.json", "2020train.json"):
        path = data / "smp2019_2020_ecdt_intent" / name
        if path.exists():
            found.update(row["text"] for row in json.loads(path.read_text(encoding="utf-8")))
    for name in ("dev.csv", "test.csv"):
        path = data / "bq_corpus" / name
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    found.update((row["sentence1"], row["sentence2"]))
    path = data / "atec_afqmc" / "atec_nlp_sim_train.csv"
    if path.exists():
        with path.open(encoding="utf-8", newline="") as f:
            for fields in csv.reader(f, delimiter="\t"):
                if len(fields) >= 3:
                    found.update(fields[1:3])
    out = sorted({t.strip() for t in found} - {""})
    if limit is not None and len(out) > limit:
        out = random.Random(seed).sample(out, limit)
    return out
