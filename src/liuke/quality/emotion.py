"""Customer emotion: how likely a (mostly Chinese) customer message is negative.

A stacked model, chosen because no single linear text model got past ~94% on the
online_shopping_10_cats reviews while their errors are partly independent:

* one featuriser: TF-IDF of character 1-4-grams plus rjieba word 1-2-grams;
* linear base scorers on it: a linear SVM, an NB-SVM (Wang & Manning 2012) and a multinomial
  NB on binarised features, a "frustratingly easy" domain-adapted SVM (shared weights plus one
  weight block per domain), and the SVM applied to each clause (min/max/first/last), because a
  complaint often hides in one clause ("快递很快，但是坏了");
* a small gradient-boosted tree on those scores plus log length and the domain, which learns
  when to trust which scorer (out-of-fold scores, so it never sees its own training labels).

The domain (e.g. review category) is optional: when it is missing or unknown a linear domain
classifier guesses it and a second meta model, trained on guessed domains, is used instead.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import joblib
import numpy as np
import rjieba
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

__all__ = [
    "VERSION",
    "EmotionModel",
    "Scores",
    "evaluate",
    "load_reviews",
    "train",
]

VERSION = "emotion-stack-1"
MAX_CHARS = 2000
"""Longer messages are cut before featurising: keeps latency bounded, sentiment is early."""
UNKNOWN = ""
"""Domain name used for rows trained without a domain (e.g. waimai reviews)."""

_CLAUSE = re.compile(r"[^，。！？,.!?~～；;、…\s]+[，。！？,.!?~～；;、…\s]*")
_FOLDS = 5

Vector = NDArray[np.float64]


def _tokens(text: str) -> list[str]:
    """rjieba words without whitespace tokens (module level so the model pickles)."""
    return [t for t in rjieba.cut(text) if not t.isspace()]


def _clip(texts: Sequence[str]) -> list[str]:
    return [(t or "")[:MAX_CHARS] for t in texts]


def _clauses(texts: Sequence[str]) -> tuple[list[str], NDArray[np.int64]]:
    """Split each text into clauses (punctuation kept), returning clauses and owner rows."""
    out: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        parts = _CLAUSE.findall(text) or [text]
        out.extend(parts)
        owner.extend([i] * len(parts))
    return out, np.asarray(owner, dtype=np.int64)


def _dot_dense(x: sp.csr_matrix, w: NDArray[np.float32]) -> NDArray[np.float64]:
    """x @ w for a float32 weight table, gathering only the rows x touches.

    ``x @ w`` would upcast the whole table to float64 on every call (tens of ms).
    """
    rows = w[x.indices].astype(np.float64)
    gather = sp.csr_matrix(
        (x.data, np.arange(len(x.indices)), x.indptr), shape=(x.shape[0], len(x.indices))
    )
    return np.asarray(gather @ rows)


def _binary(x: sp.csr_matrix) -> sp.csr_matrix:
    b = x.copy()
    b.data[:] = 1.0
    return b


@dataclass
class _Featuriser:
    """Char 1-4 + word 1-2 TF-IDF; char n-grams need no segmenter, words add meaning."""

    chars: TfidfVectorizer
    words: TfidfVectorizer

    @classmethod
    def fit(cls, texts: Sequence[str]) -> _Featuriser:
        min_df = 2 if len(texts) >= 1000 else 1
        chars = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 4), min_df=min_df, sublinear_tf=True, dtype=np.float64
        )
        words = TfidfVectorizer(
            tokenizer=_tokens,
            token_pattern=None,
            lowercase=True,
            ngram_range=(1, 2),
            min_df=min_df,
            sublinear_tf=True,
            dtype=np.float64,
        )
        # Never fit on an all-empty corpus: sklearn refuses an empty vocabulary.
        corpus = [t for t in texts if t.strip()] or ["好", "差"]
        chars.fit(corpus)
        words.fit(corpus)
        return cls(chars, words)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self.chars.transform(texts), self.words.transform(texts)], format="csr")


@dataclass
class _Linear:
    """All base scorers as plain weight vectors: one sparse product per scorer at inference."""

    svm_w: Vector
    svm_b: float
    nb_r2: Vector  # squared NB log-count ratios, for the NB-SVM row norm
    nb_w: Vector  # NB-SVM weights already multiplied by the ratios
    nb_b: float
    mnb_w: Vector
    mnb_b: float
    da_w: Vector  # shared block of the domain-adapted SVM
    da_dom: NDArray[np.float32]  # features x domains; dense: sparse @ sparse costs ~1 ms a call
    da_b: float

    def scores(self, x: sp.csr_matrix, dom: NDArray[np.int64]) -> NDArray[np.float64]:
        """Columns: svm, nb-svm, mnb, domain-adapted svm."""
        xb = _binary(x)
        norm = np.sqrt(np.asarray(xb @ self.nb_r2).ravel())
        nb = np.asarray(xb @ self.nb_w).ravel() / np.where(norm > 0, norm, 1.0) + self.nb_b
        per_dom = _dot_dense(x, self.da_dom)
        da = np.asarray(x @ self.da_w).ravel() + per_dom[np.arange(x.shape[0]), dom] + self.da_b
        return np.column_stack(
            [
                np.asarray(x @ self.svm_w).ravel() + self.svm_b,
                nb,
                np.asarray(xb @ self.mnb_w).ravel() + self.mnb_b,
                da,
            ]
        )

    def svm(self, x: sp.csr_matrix) -> Vector:
        return np.asarray(x @ self.svm_w).ravel() + self.svm_b


def _domain_design(x: sp.csr_matrix, dom: NDArray[np.int64], n_dom: int) -> sp.csr_matrix:
    """[x, x·1{domain=0}, ..., x·1{domain=n-1}] (Daumé 2007)."""
    blocks = [x]
    for d in range(n_dom):
        blocks.append(sp.diags((dom == d).astype(np.float64)) @ x)
    return sp.hstack(blocks, format="csr")


def _fit_linear(
    x: sp.csr_matrix, y: NDArray[np.int64], dom: NDArray[np.int64], n_dom: int, seed: int
) -> _Linear:
    n_feat = x.shape[1]
    svm = LinearSVC(C=0.3, random_state=seed, max_iter=3000).fit(x, y)
    xb = _binary(x)
    p = np.asarray(xb[y == 1].sum(axis=0)).ravel() + 1.0
    q = np.asarray(xb[y == 0].sum(axis=0)).ravel() + 1.0
    r = np.log((p / p.sum()) / (q / q.sum()))
    xr = xb.multiply(r).tocsr()
    norms = np.sqrt(np.asarray(xr.multiply(xr).sum(axis=1)).ravel())
    xr = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ xr
    nb = LinearSVC(C=1.0, random_state=seed, max_iter=3000).fit(xr, y)
    mnb = MultinomialNB(alpha=0.1).fit(xb, y)
    da = LinearSVC(C=0.2, random_state=seed, max_iter=3000).fit(_domain_design(x, dom, n_dom), y)
    da_coef = da.coef_.ravel()
    return _Linear(
        svm_w=svm.coef_.ravel().copy(),
        svm_b=float(svm.intercept_[0]),
        nb_r2=r * r,
        nb_w=nb.coef_.ravel() * r,
        nb_b=float(nb.intercept_[0]),
        mnb_w=mnb.feature_log_prob_[1] - mnb.feature_log_prob_[0],
        mnb_b=float(mnb.class_log_prior_[1] - mnb.class_log_prior_[0]),
        da_w=da_coef[:n_feat].copy(),
        da_dom=np.ascontiguousarray(da_coef[n_feat:].reshape(n_dom, n_feat).T, dtype=np.float32),
        da_b=float(da.intercept_[0]),
    )


@dataclass
class _DomainGuesser:
    """Linear one-vs-rest domain classifier, used when a message arrives without a domain."""

    weights: NDArray[np.float32] | None  # features x domains; None when only one domain
    bias: Vector

    @classmethod
    def fit(cls, x: sp.csr_matrix, dom: NDArray[np.int64], n_dom: int, seed: int) -> _DomainGuesser:
        if n_dom < 2:
            return cls(None, np.zeros(1))
        clf = LinearSVC(C=0.5, random_state=seed, max_iter=3000).fit(x, dom)
        coef = np.asarray(clf.coef_, dtype=np.float64)
        bias = np.asarray(clf.intercept_, dtype=np.float64)
        if n_dom == 2:  # sklearn keeps one row for binary problems
            coef = np.vstack([-coef, coef])
            bias = np.concatenate([-bias, bias])
        return cls(np.ascontiguousarray(coef.T, dtype=np.float32), bias)

    def guess(self, x: sp.csr_matrix) -> NDArray[np.int64]:
        if self.weights is None:
            return np.zeros(x.shape[0], dtype=np.int64)
        s = _dot_dense(x, self.weights) + self.bias
        return np.asarray(s.argmax(axis=1), dtype=np.int64).ravel()


@dataclass
class _Vectors:
    """Features of whole texts plus of the clauses of multi-clause texts, made in one pass."""

    x: sp.csr_matrix
    length: Vector  # log1p(characters)
    counts: NDArray[np.int64]  # clauses per text
    clause_x: sp.csr_matrix  # one row per clause of a multi-clause text, in text order
    clause_owner: NDArray[np.int64]

    @classmethod
    def make(cls, feat: _Featuriser, texts: Sequence[str]) -> _Vectors:
        n = len(texts)
        clauses, owner = _clauses(texts)
        counts = np.bincount(owner, minlength=n)
        multi = counts[owner] > 1
        extra = [c for c, m in zip(clauses, multi, strict=True) if m]
        both = feat.transform([*texts, *extra])  # one transform call: it has ~1 ms overhead
        length = np.log1p(np.asarray([len(t) for t in texts], dtype=np.float64))
        return cls(both[:n], length, counts, both[n:], owner[multi])

    def rows(self, idx: NDArray[np.int64]) -> _Vectors:
        """The vectors of texts ``idx`` (ascending), renumbered from 0."""
        keep = np.isin(self.clause_owner, idx)
        owner = np.searchsorted(idx, self.clause_owner[keep])
        return _Vectors(self.x[idx], self.length[idx], self.counts[idx], self.clause_x[keep], owner)


def _meta_features(lin: _Linear, v: _Vectors, dom: NDArray[np.int64]) -> NDArray[np.float64]:
    """Base scores, min/max/first/last clause score, clause count, length, domain."""
    base = lin.scores(v.x, dom)
    full = base[:, 0]
    lo, hi, first, last = full.copy(), full.copy(), full.copy(), full.copy()
    if v.clause_x.shape[0]:  # one-clause texts keep their whole-text score everywhere
        s = lin.svm(v.clause_x)
        owners = np.unique(v.clause_owner)
        lo[owners] = np.inf
        hi[owners] = -np.inf
        np.minimum.at(lo, v.clause_owner, s)
        np.maximum.at(hi, v.clause_owner, s)
        last[v.clause_owner] = s
        first[v.clause_owner[::-1]] = s[::-1]
    clause = np.column_stack([lo, hi, first, last, np.log1p(v.counts)])
    return np.column_stack([base, clause, v.length, dom.astype(np.float64)])


class _Meta(Protocol):
    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]: ...


@dataclass
class _SmallMeta:
    """Fixed average of the three SVM margins, for corpora too small to stack.

    With a few dozen rows the out-of-fold scores are anti-correlated with the labels (each fold's
    class balance flips), so a learned meta model would invert the predictions.
    """

    scale: float = 2.0

    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        positive = 1.0 / (1.0 + np.exp(-self.scale * x[:, [0, 1, 3]].mean(axis=1)))
        return np.column_stack([1.0 - positive, positive])


_TREE_MIN_ROWS = 500


def _fit_meta(x: NDArray[np.float64], y: NDArray[np.int64], n_dom: int, seed: int) -> _Meta:
    if len(y) < _TREE_MIN_ROWS:
        return _SmallMeta()
    return _meta(seed, n_dom, len(y)).fit(x, y)  # type: ignore[no-any-return]


def _meta(seed: int, n_dom: int, n_rows: int) -> HistGradientBoostingClassifier:
    """Small trees: the base scores already carry the text; leaves shrink for tiny corpora."""
    n_cols = 4 + 5 + 1 + 1
    return HistGradientBoostingClassifier(
        min_samples_leaf=max(1, min(20, n_rows // 50)),
        max_iter=300,
        learning_rate=0.05,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        categorical_features=[False] * (n_cols - 1) + [n_dom > 1],
        random_state=seed,
    )


@dataclass
class EmotionModel:
    """Trained emotion model; ``negativity`` is the probability a message is negative."""

    featuriser: _Featuriser
    linear: _Linear
    guesser: _DomainGuesser
    meta_known: _Meta
    meta_guessed: _Meta
    domains: list[str]
    trained_on: dict[str, object] = field(default_factory=dict)
    version: str = VERSION

    def _domain_index(self, domains: Sequence[str | None] | None, n: int) -> NDArray[np.int64]:
        """Index per row; -1 (guess it) for None and never-seen domains."""
        if domains is None:
            return np.full(n, -1, dtype=np.int64)
        if len(domains) != n:
            raise ValueError(f"{len(domains)} domains for {n} texts")
        lookup = {d: i for i, d in enumerate(self.domains)}
        return np.asarray([-1 if d is None else lookup.get(d, -1) for d in domains], dtype=np.int64)

    def negativity(
        self, texts: Sequence[str], domains: Sequence[str | None] | None = None
    ) -> list[float]:
        """P(negative) per text; ``None`` or unknown domains are guessed from the text."""
        clipped = _clip(texts)
        n = len(clipped)
        if n == 0:
            return []
        dom = self._domain_index(domains, n)
        v = _Vectors.make(self.featuriser, clipped)
        unknown = dom < 0
        if unknown.any():
            dom[unknown] = self.guesser.guess(v.x[np.flatnonzero(unknown)])
        feats = _meta_features(self.linear, v, dom)
        neg = np.empty(n)
        for mask, meta in ((~unknown, self.meta_known), (unknown, self.meta_guessed)):
            if mask.any():
                neg[mask] = meta.predict_proba(feats[mask])[:, 0]
        return [float(v) for v in neg]

    def save(self, path: Path) -> None:
        """One joblib file (zlib level 3: about a third of the raw size, loads in ~1 s)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)

    @classmethod
    def load(cls, path: Path) -> EmotionModel:
        """Load a file written by ``save``; refuses other objects or other model versions."""
        model = joblib.load(path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} does not hold an EmotionModel")
        if model.version != VERSION:
            raise ValueError(f"{path} holds {model.version}, this code reads {VERSION}")
        return model


def train(
    texts: Sequence[str],
    labels: Sequence[int],
    domains: Sequence[str | None] | None = None,
    seed: int = 0,
    *,
    datasets: Sequence[str] = (),
) -> EmotionModel:
    """Fit the stack; labels are 1 = positive, 0 = negative, domains are optional."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if domains is not None and len(domains) != len(texts):
        raise ValueError(f"{len(domains)} domains for {len(texts)} texts")
    y = np.asarray(labels, dtype=np.int64)
    if set(np.unique(y).tolist()) != {0, 1}:
        raise ValueError("labels must contain both 0 (negative) and 1 (positive)")
    started = time.perf_counter()
    clipped = _clip(texts)
    names = [UNKNOWN if d is None else d for d in (domains or [None] * len(texts))]
    domain_list = sorted(set(names))
    lookup = {d: i for i, d in enumerate(domain_list)}
    dom = np.asarray([lookup[d] for d in names], dtype=np.int64)
    n_dom = len(domain_list)

    feat = _Featuriser.fit(clipped)
    vectors = _Vectors.make(feat, clipped)
    x = vectors.x

    # Out-of-fold meta features, once with true and once with guessed domains.
    n_cols = 11
    known = np.zeros((len(y), n_cols))
    guessed = np.zeros((len(y), n_cols))
    folds = min(_FOLDS, int(np.bincount(y).min()))
    if folds < 2:
        raise ValueError("need at least two examples of each label")
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y)
    for tr, va in splits if len(y) >= _TREE_MIN_ROWS else []:  # tiny corpora: nothing to stack
        va = np.sort(va)
        lin = _fit_linear(x[tr], y[tr], dom[tr], n_dom, seed)
        guess = _DomainGuesser.fit(x[tr], dom[tr], n_dom, seed).guess(x[va])
        held_out = vectors.rows(va)
        known[va] = _meta_features(lin, held_out, dom[va])
        guessed[va] = _meta_features(lin, held_out, guess)

    lin = _fit_linear(x, y, dom, n_dom, seed)
    guesser = _DomainGuesser.fit(x, dom, n_dom, seed)
    meta_known = _fit_meta(known, y, n_dom, seed)
    meta_guessed = _fit_meta(guessed, y, n_dom, seed)
    trained_on: dict[str, object] = {
        "datasets": list(datasets),
        "rows": len(y),
        "positive": int(y.sum()),
        "negative": int(len(y) - y.sum()),
        "domains": dict(Counter(names)),
        "seed": seed,
        "features": int(x.shape[1]),
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    return EmotionModel(feat, lin, guesser, meta_known, meta_guessed, domain_list, trained_on)


def load_reviews(path: Path) -> tuple[list[str], list[int], list[str | None]]:
    """Read ``cat,label,review`` or ``label,review`` CSV, skipping empty reviews."""
    import csv

    texts: list[str] = []
    labels: list[int] = []
    domains: list[str | None] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            review = row.get("review")
            if review is None or not review.strip():
                continue
            texts.append(review)
            labels.append(int(row["label"]))
            domains.append(row.get("cat"))
    return texts, labels, domains


@dataclass(frozen=True)
class Scores:
    """Accuracy and macro-F1 of a negativity model on labelled texts."""

    n: int
    accuracy: float
    macro_f1: float


def evaluate(
    model: EmotionModel,
    texts: Sequence[str],
    labels: Sequence[int],
    domains: Sequence[str | None] | None = None,
) -> Scores:
    """Score with threshold 0.5 on P(negative); macro-F1 treats both classes equally."""
    neg = np.asarray(model.negativity(texts, domains))
    pred = (neg < 0.5).astype(np.int64)
    y = np.asarray(labels, dtype=np.int64)
    f1s: list[float] = []
    for cls in (0, 1):
        tp = float(np.sum((pred == cls) & (y == cls)))
        fp = float(np.sum((pred == cls) & (y != cls)))
        fn = float(np.sum((pred != cls) & (y == cls)))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    accuracy = float(np.mean(pred == y)) if len(y) else math.nan
    return Scores(n=len(y), accuracy=accuracy, macro_f1=float(np.mean(f1s)))
