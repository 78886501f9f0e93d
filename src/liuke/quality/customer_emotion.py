"""Customer emotion per message: negativity and anger, in Chinese and English, offline.

Chinese text goes to the trained :class:`~liuke.quality.emotion.EmotionModel` (measured in
docs/quality.md), scaled by the subjectivity filter so plain questions are not read as
complaints (:mod:`liuke.quality.subjectivity`); English text to VADER, whose lexicon ships inside the ``vaderSentiment``
package and suits short social-media style messages. Anger is negativity raised by explicit
anger cues (complaint threats, insults, repeated punctuation), because a politely negative
message ("the colour is a bit off") is not an escalation risk and "我要投诉" always is.
When no trained Chinese model is installed, a small lexicon stands in and says so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from liuke.quality import lexicon
from liuke.quality.subjectivity import MODEL_FILE as SUBJECTIVITY_FILE
from liuke.quality.subjectivity import SubjectivityModel
from liuke.quality.text import clip, find_any, has_cjk, has_letters

log = logging.getLogger(__name__)

MODEL_FILE = "emotion.joblib"
SHORT_CHARS = 5  # messages shorter than this have their negativity damped in proportion
_INTENSIFIER = re.compile(r"[!！]{2,}|[?？]{2,}|[!！][?？]|[?？][!！]")


class NegativityModel(Protocol):
    version: str

    def negativity(
        self, texts: Sequence[str], domains: Sequence[str | None] | None = None
    ) -> list[float]: ...


@dataclass(frozen=True)
class Emotion:
    negativity: float  # 0 = clearly positive, 1 = clearly negative; 0.5 when nothing to read
    anger: float  # 0..1, escalation risk of this one message
    cue: str | None = None  # the anger phrase that raised it, for the reviewer


class LexiconNegativity:
    """Fallback for Chinese when no trained model file exists (lower accuracy; see docs)."""

    version = "lexicon-1"
    NEGATIVE = (
        "差",
        "不好",
        "失望",
        "坏",
        "慢",
        "垃圾",
        "投诉",
        "退",
        "问题",
        "不行",
        "没用",
        "骗",
        "烂",
        "后悔",
        "生气",
        "过分",
        "不满",
        "太贵",
        "破",
        "假",
    )
    POSITIVE = ("好", "满意", "不错", "喜欢", "谢谢", "快", "棒", "赞", "推荐", "感谢", "方便")

    def negativity(
        self, texts: Sequence[str], domains: Sequence[str | None] | None = None
    ) -> list[float]:
        out = []
        for t in texts:
            neg = sum(t.count(w) for w in self.NEGATIVE)
            pos = sum(t.count(w) for w in self.POSITIVE) - t.count("不好")
            out.append(0.5 if neg == pos == 0 else (neg + 0.5) / (neg + max(pos, 0) + 1.0))
        return out


class ChatNegativity:
    """The review-trained emotion model, its confidence scaled by subjectivity.

    ``0.5 + (p - 0.5) * subjective``: an opinion keeps the model's verdict, a plain question
    (or a one-word answer) moves towards 0.5, "nothing to read"; the side of 0.5, and so the
    accuracy on reviews, is unchanged.
    """

    def __init__(self, emotion: NegativityModel, subjectivity: SubjectivityModel) -> None:
        self.emotion = emotion
        self.subjectivity = subjectivity
        self.version = f"{emotion.version}+{subjectivity.version}"

    def negativity(
        self, texts: Sequence[str], domains: Sequence[str | None] | None = None
    ) -> list[float]:
        raw = self.emotion.negativity(texts, domains)
        subj = self.subjectivity.subjective(texts)
        return [0.5 + (p - 0.5) * q * _enough(t) for p, q, t in zip(raw, subj, texts, strict=True)]


def _enough(text: str) -> float:
    """How much text there is to judge: "没有" / "是" answer a question, they carry no mood."""
    return min(1.0, len(text.strip()) / SHORT_CHARS)


@lru_cache(maxsize=4)
def load_negativity_model(model_dir: Path) -> NegativityModel:
    """The trained models from ``model_dir`` (``liuke quality train-emotion`` writes them)."""
    path = model_dir / MODEL_FILE
    if path.exists():
        from liuke.quality.emotion import EmotionModel

        model: NegativityModel = EmotionModel.load(path)
        subj = model_dir / SUBJECTIVITY_FILE
        if subj.exists():
            return ChatNegativity(model, SubjectivityModel.load(subj))
        log.warning("no subjectivity model at %s: plain questions may score as negative", subj)
        return model
    log.warning(
        "no trained emotion model at %s: using the lexicon fallback "
        "(run `liuke quality train-emotion` for the measured model)",
        path,
    )
    return LexiconNegativity()


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


class CustomerEmotion:
    """Scores customer messages in batches (one model call per batch, for throughput)."""

    def __init__(self, chinese: NegativityModel) -> None:
        self.chinese = chinese

    @property
    def version(self) -> str:
        return f"{self.chinese.version}+vader"

    def score(self, texts: Sequence[str]) -> list[Emotion]:
        clipped = [clip(t) for t in texts]
        zh_idx = [i for i, t in enumerate(clipped) if has_cjk(t)]
        neg: dict[int, float] = {}
        if zh_idx:
            values = self.chinese.negativity([clipped[i] for i in zh_idx])
            neg.update(zip(zh_idx, values, strict=True))
        out = []
        for i, t in enumerate(clipped):
            if i in neg:
                n = neg[i]
            elif has_letters(t):
                n = (1.0 - _vader().polarity_scores(t)["compound"]) / 2.0
            else:
                n = 0.5  # emoji or punctuation only: nothing to read
            out.append(_with_anger(t, n))
        return out


def _with_anger(text: str, negativity: float) -> Emotion:
    found = find_any(text, lexicon.ANGER)
    anger = negativity * 0.75
    if found is not None:
        anger = max(anger, 0.6 + 0.4 * negativity)
    if _INTENSIFIER.search(text) and negativity > 0.5:
        anger = min(1.0, anger + 0.1)
    return Emotion(round(negativity, 4), round(min(1.0, anger), 4), found[0] if found else None)


def rising(angers: Sequence[float], *, level: float = 0.7, rise: float = 0.25) -> bool:
    """Rising anger: the latest message is angry and clearly angrier than the calmest before it."""
    if len(angers) < 2:
        return False
    return angers[-1] >= level and angers[-1] - min(angers[:-1]) >= rise
