"""Suggest a complaint's category and product line from its text (Chinese and English).

Agents confirm or correct every suggestion and the corrections retrain the model, so the aim is a
model that is cheap to refit on a few hundred confirmed cases and says how sure it is:

* ``TextClassifier``: one label head. TF-IDF of word 1-2-grams (rjieba words for Chinese,
  whitespace words for English: rjieba passes Latin words through whole) plus character 1-3-grams
  within word boundaries (no segmenter needed, robust to typos and mixed scripts), then a
  multinomial logistic regression, because it gives probabilities an agent can read as
  confidence and refits in seconds (about 3.5 s on 1,226 long CFPB narratives, one core; well
  under a second on a few hundred short cases).
* ``suggest_category_cold``: a small bilingual keyword lexicon for a new workspace with no
  confirmed cases, with modest confidence (never above ``LEXICON_MAX_CONFIDENCE``).
* ``CaseClassifier``: the category head and the product-line head together, saved as one joblib
  file. The category head uses the lexicon until the workspace has ``COLD_START_MIN_EXAMPLES``
  confirmed categories in at least two classes; the product-line head (workspace-specific codes,
  so no lexicon) exists once ``MIN_TRAIN_EXAMPLES`` cases carry a product line.

Edge cases, by design: text with no letters (empty, whitespace, emoji, digits) gets an abstaining
``Suggestion`` (label None, confidence 0); text is cut to ``liuke.quality.text.MAX_ANALYSED_CHARS``
characters; lone surrogates and control characters are replaced, never crash the segmenter.
``TextClassifier.fit`` raises ``ValueError`` below ``MIN_TRAIN_EXAMPLES`` labelled texts (a
model on fewer is noise); with a single class it predicts that class with confidence equal to its
share of the training labels (1.0) and says so with ``source="single_class"``.

Model files are pickles: load only files this code wrote (``CaseClassifier.load`` checks type and
format version, but unpickling itself runs code).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import joblib
import numpy as np
import rjieba
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from liuke.quality.text import clip, has_letters, normalise

__all__ = [
    "CATEGORIES",
    "COLD_START_MIN_EXAMPLES",
    "FORMAT",
    "LEXICON",
    "LEXICON_MAX_CONFIDENCE",
    "MIN_TRAIN_EXAMPLES",
    "CaseClassifier",
    "Example",
    "Source",
    "Suggestion",
    "TextClassifier",
    "suggest_category_cold",
]

CATEGORIES = ("product_quality", "service_policy", "work_quality", "other")
"""Same values as ``liuke.complaints.models.CATEGORIES`` (kept here so no database import)."""

MIN_TRAIN_EXAMPLES = 10
"""Fewer labelled texts than this and ``TextClassifier.fit`` refuses (raises ValueError)."""
COLD_START_MIN_EXAMPLES = 30
"""Confirmed categories (in >= 2 classes) before the learned category head replaces the lexicon."""
LEXICON_MAX_CONFIDENCE = 0.6
"""The lexicon only guesses: its confidence stays below what a trained model usually reports."""
FORMAT = "liuke-case-classifier-1"
"""Written into every saved model; ``load`` refuses files of another format."""
TOP_K = 3

Source = Literal["model", "single_class", "lexicon", "none"]
"""Where a suggestion came from: "none" means it abstained (no letters, or no lexicon hit)."""


@dataclass(frozen=True)
class Suggestion:
    """A label suggestion for an agent to confirm or correct.

    ``alternatives`` holds the top three (label, probability) pairs, best first, so the chosen
    label is also the first pair; it is empty when the suggestion abstains (label None).
    """

    label: str | None
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()
    source: Source = "model"

    @classmethod
    def abstain(cls, alternatives: tuple[tuple[str, float], ...] = ()) -> Suggestion:
        return cls(None, 0.0, alternatives, "none")


# --------------------------------------------------------------------------- text preparation

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w")


def prepare(text: str) -> str:
    """Clip, drop what would crash the segmenter (lone surrogates), NFKC + lower case."""
    cut = clip(text if isinstance(text, str) else str(text))
    safe = cut.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
    return normalise(_CONTROL.sub(" ", safe))


def analysable(prepared: str) -> bool:
    """Whether there is any word to classify (emoji-only, digits-only text has none)."""
    return has_letters(prepared)


def _tokens(text: str) -> list[str]:
    """rjieba words that contain a word character (module level so the model pickles)."""
    return [t for t in rjieba.cut(text) if _WORD.search(t)]


# --------------------------------------------------------------------------- one label head


@dataclass
class TextClassifier:
    """One label head: word + character TF-IDF and a multinomial logistic regression.

    Defaults (C=3, balanced class weights, char_wb 1-3-grams) were picked on a time-based
    validation split inside the CFPB training part (never the test part): balanced weights
    raised macro-F1 by ~10 points at equal accuracy, because complaint classes are skewed and
    an agent needs the small product lines suggested too.
    """

    C: float = 3.0
    class_weight: Literal["balanced"] | None = "balanced"
    char_ngrams: tuple[int, int] = (1, 3)
    char_analyzer: Literal["char", "char_wb"] = "char_wb"
    seed: int = 0
    labels_: tuple[str, ...] = ()
    n_examples: int = 0
    _words: TfidfVectorizer | None = field(default=None, repr=False)
    _chars: TfidfVectorizer | None = field(default=None, repr=False)
    _model: LogisticRegression | None = field(default=None, repr=False)
    _single: tuple[str, float] | None = field(default=None, repr=False)

    @property
    def fitted(self) -> bool:
        return self._single is not None or self._model is not None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
        """Fit on labelled texts; raises ValueError if fewer than ``MIN_TRAIN_EXAMPLES``."""
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if len(texts) < MIN_TRAIN_EXAMPLES:
            raise ValueError(
                f"need at least {MIN_TRAIN_EXAMPLES} labelled texts to train, got {len(texts)}"
            )
        prepared = [prepare(t) for t in texts]
        counts = Counter(labels)
        self.labels_ = tuple(sorted(counts))
        self.n_examples = len(texts)
        if len(counts) == 1:
            ((label, n),) = counts.items()
            self._single = (label, n / len(labels))
            self._words = self._chars = self._model = None
            return self
        self._single = None
        min_df = 2 if len(texts) >= 1000 else 1
        self._words = TfidfVectorizer(
            tokenizer=_tokens,
            token_pattern=None,
            lowercase=False,  # prepare() already lower-cased
            ngram_range=(1, 2),
            min_df=min_df,
            sublinear_tf=True,
            dtype=np.float64,
        )
        self._chars = TfidfVectorizer(
            analyzer=self.char_analyzer,
            lowercase=False,
            ngram_range=self.char_ngrams,
            min_df=min_df,
            sublinear_tf=True,
            dtype=np.float64,
        )
        if not any(analysable(t) for t in prepared):
            raise ValueError("no training text has any letters to learn from")
        x = sp.hstack(
            [self._words.fit_transform(prepared), self._chars.fit_transform(prepared)],
            format="csr",
        )
        self._model = LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=3000, random_state=self.seed
        )
        self._model.fit(x, np.asarray(labels, dtype=object))
        return self

    def _features(self, prepared: Sequence[str]) -> sp.csr_matrix:
        assert self._words is not None and self._chars is not None
        return sp.hstack(
            [self._words.transform(prepared), self._chars.transform(prepared)], format="csr"
        )

    def probabilities(self, texts: Sequence[str]) -> tuple[tuple[str, ...], NDArray[np.float64]]:
        """Class names and a (texts x classes) probability table (rows of zeros: no letters)."""
        if not self.fitted:
            raise RuntimeError("TextClassifier is not fitted")
        prepared = [prepare(t) for t in texts]
        ok = np.asarray([analysable(t) for t in prepared], dtype=bool)
        if self._single is not None:
            label, share = self._single
            table = np.where(ok, share, 0.0).reshape(-1, 1)
            return (label,), table
        assert self._model is not None
        classes = tuple(str(c) for c in self._model.classes_)
        table = np.zeros((len(prepared), len(classes)))
        idx = np.flatnonzero(ok)
        if idx.size:
            table[idx] = self._model.predict_proba(self._features([prepared[i] for i in idx]))
        return classes, table

    def predict(self, texts: Sequence[str]) -> list[Suggestion]:
        """One suggestion per text; abstains (label None, confidence 0) on text without letters."""
        classes, table = self.probabilities(texts)
        source: Source = "single_class" if self._single is not None else "model"
        out: list[Suggestion] = []
        for row in table:
            if not row.any():
                out.append(Suggestion.abstain())
                continue
            order = np.argsort(-row, kind="stable")[:TOP_K]
            top = tuple((classes[i], float(row[i])) for i in order)
            out.append(Suggestion(top[0][0], top[0][1], top, source))
        return out

    def predict_one(self, text: str) -> Suggestion:
        return self.predict([text])[0]


# --------------------------------------------------------------------------- cold start

# term -> weight. Generic words (客服, agent, 费用) weigh half: they appear in many complaints.
LEXICON: dict[str, dict[str, float]] = {
    "product_quality": {
        **dict.fromkeys(
            (
                "质量", "坏了", "坏掉", "破损", "损坏", "故障", "瑕疵", "次品", "残次", "假货",
                "不能用", "用不了", "没法用", "失灵", "死机", "漏水", "漏电", "裂了", "开裂",
                "碎了", "异味", "褪色", "掉色", "起球", "做工", "开不了机", "不工作", "有毛病",
                "defect", "defective", "broken", "broke", "damaged", "faulty", "malfunction",
                "cracked", "leaking", "leaks", "quality", "stopped working", "not working",
                "doesn't work", "does not work", "won't turn on", "inaccurate",
                "incorrect information",
            ),
            1.0,
        ),
        **dict.fromkeys(("问题", "product", "item"), 0.25),
    },
    "service_policy": {
        **dict.fromkeys(
            (
                "退款", "退货", "退钱", "换货", "运费", "邮费", "价格", "价钱", "涨价", "差价",
                "政策", "规定", "手续费", "收费", "扣费", "利息", "违约金", "押金", "条款",
                "保价", "无理由", "保修期", "优惠券", "会员费", "不给退", "不能退",
                "refund", "return policy", "return", "fee", "fees", "charged", "price",
                "pricing", "policy", "terms", "interest", "overdraft", "penalty", "warranty",
                "shipping cost", "late fee",
            ),
            1.0,
        ),
        **dict.fromkeys(("费用", "charge", "cost"), 0.5),
    },
    "work_quality": {
        **dict.fromkeys(
            (
                "态度", "不耐烦", "骂", "敷衍", "推诿", "踢皮球", "不理人", "不回复", "没人回",
                "挂电话", "挂断", "搞错", "发错", "弄错", "填错", "漏发", "服务差", "恶劣",
                "凶", "吼", "嘲讽", "歧视", "拖延", "不专业", "答非所问",
                "rude", "attitude", "impatient", "unprofessional", "hung up", "hang up",
                "yelled", "shouted", "ignored", "no response", "never called back",
                "wrong item", "mistake", "misinformed", "lied", "harass", "harassment",
                "harassing", "abusive", "threatened", "threatening", "disrespectful",
            ),
            1.0,
        ),
        **dict.fromkeys(
            ("客服", "服务", "店员", "工作人员", "agent", "representative", "staff"), 0.5
        ),
    },
    "other": dict.fromkeys(
        (
            "诈骗", "骗子", "盗刷", "被盗", "冒用", "盗用", "钓鱼",
            "fraud", "scam", "identity theft", "stolen identity", "phishing",
        ),
        1.0,
    ),
}  # fmt: skip
"""Cold-start keywords per category. English terms match whole words (plus s/es/ed/ing)."""


def _term_pattern(term: str) -> re.Pattern[str]:
    t = normalise(term)
    if re.fullmatch(r"[a-z' ]+", t):
        return re.compile(r"\b" + re.escape(t) + r"(?:s|es|ed|ing)?\b")
    return re.compile(re.escape(t))


_LEXICON_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = tuple(
    (category, _term_pattern(term), weight)
    for category, terms in LEXICON.items()
    for term, weight in terms.items()
)


def lexicon_scores(text: str) -> dict[str, float]:
    """Summed keyword weights per category (each term counted once per text)."""
    t = prepare(text)
    scores = dict.fromkeys(CATEGORIES, 0.0)
    for category, pattern, weight in _LEXICON_PATTERNS:
        if pattern.search(t):
            scores[category] += weight
    return scores


def suggest_category_cold(text: str) -> Suggestion:
    """The lexicon's guess: confidence grows with hits and their agreement, capped at 0.6.

    Abstains (label None) when the best category has less than one strong hit (weight 1) or
    ties with the second. ``alternatives`` are each category's share of the matched weight.
    """
    scores = lexicon_scores(text)
    total = sum(scores.values())
    ranked = sorted(
        ((c, s) for c, s in scores.items() if s > 0),
        key=lambda cs: (-cs[1], CATEGORIES.index(cs[0])),
    )
    if not ranked:
        return Suggestion.abstain()
    alternatives = tuple((c, round(s / total, 4)) for c, s in ranked[:TOP_K])
    best, top = ranked[0]
    if top < 1.0 or (len(ranked) > 1 and ranked[1][1] == top):
        return Suggestion.abstain(alternatives)
    agreement = top / total
    strength = 1.0 - 0.5**top  # 1 hit -> 0.5, 2 -> 0.75, 3 -> 0.875
    confidence = round(LEXICON_MAX_CONFIDENCE * agreement * strength, 4)
    return Suggestion(best, confidence, alternatives, "lexicon")


# --------------------------------------------------------------------------- both heads


@dataclass(frozen=True)
class Example:
    """A confirmed case: either label may be missing (not yet confirmed or not applicable)."""

    text: str
    category: str | None = None
    product_line: str | None = None


def _labelled(examples: Iterable[Example], attr: str) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for e in examples:
        label = getattr(e, attr)
        if label is not None and label != "":
            texts.append(e.text)
            labels.append(str(label))
    return texts, labels


def _fit_or_none(texts: list[str], labels: list[str], seed: int) -> TextClassifier | None:
    """A fitted head, or None when no text has letters (e.g. only emoji were confirmed)."""
    if not any(analysable(prepare(t)) for t in texts):
        return None
    return TextClassifier(seed=seed).fit(texts, labels)


@dataclass
class CaseClassifier:
    """The category head (learned or lexicon) and the product-line head (learned or absent)."""

    category_head: TextClassifier | None = None
    product_line_head: TextClassifier | None = None
    n_examples: int = 0
    trained_at: datetime | None = None
    format: str = FORMAT

    @property
    def version(self) -> str:
        """Short enough for ``cases.classifier_version`` (64): when trained and on how many."""
        if self.trained_at is None:
            return "lexicon-untrained"
        stamp = self.trained_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        kind = "model" if self.category_head is not None else "lexicon"
        return f"{stamp}-n{self.n_examples}-{kind}"

    @property
    def category_source(self) -> Literal["model", "lexicon"]:
        return "model" if self.category_head is not None else "lexicon"

    def train(self, examples: Sequence[Example], seed: int = 0) -> CaseClassifier:
        """(Re)fit both heads from confirmed cases; never raises for too few examples.

        Too few categories (< ``COLD_START_MIN_EXAMPLES`` or one class) keep the lexicon; too few
        product lines (< ``MIN_TRAIN_EXAMPLES``) leave the product-line head out.
        """
        for e in examples:
            if e.category is not None and e.category not in CATEGORIES:
                raise ValueError(f"unknown category {e.category!r}; expected one of {CATEGORIES}")
        texts, labels = _labelled(examples, "category")
        self.category_head = None
        if len(texts) >= COLD_START_MIN_EXAMPLES and len(set(labels)) >= 2:
            self.category_head = _fit_or_none(texts, labels, seed)
        texts, labels = _labelled(examples, "product_line")
        self.product_line_head = None
        if len(texts) >= MIN_TRAIN_EXAMPLES:
            self.product_line_head = _fit_or_none(texts, labels, seed)
        self.n_examples = len(examples)
        self.trained_at = datetime.now(UTC)
        return self

    def suggest_many(self, texts: Sequence[str]) -> list[tuple[Suggestion, Suggestion | None]]:
        """Batch ``suggest``: one vectorisation per head."""
        if self.category_head is not None:
            categories = self.category_head.predict(texts)
        else:
            categories = [suggest_category_cold(t) for t in texts]
        if self.product_line_head is None:
            return [(c, None) for c in categories]
        lines = self.product_line_head.predict(texts)
        return list(zip(categories, lines, strict=True))

    def suggest(self, text: str) -> tuple[Suggestion, Suggestion | None]:
        """(category suggestion, product-line suggestion or None when there is no such head)."""
        return self.suggest_many([text])[0]

    def save(self, path: Path) -> None:
        """Write atomically (temp file in the same folder, then ``os.replace``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                joblib.dump(self, f, compress=3)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> CaseClassifier:
        """Read a file written by ``save``; refuses other objects and other formats."""
        model = joblib.load(path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} does not hold a CaseClassifier")
        if model.format != FORMAT:
            raise ValueError(f"{path} holds format {model.format!r}, this code reads {FORMAT!r}")
        return model
