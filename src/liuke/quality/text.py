"""Small text helpers shared by the rules and the models: normalisation, language, questions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_ANALYSED_CHARS = 2000  # longer messages are cut before any model sees them (and say so)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACE = re.compile(r"\s+")
_QUESTION_END = re.compile(
    r"(\?|？|吗|呢|么|怎么办|多少|几天|什么时候|哪里|为什么|如何|可以吗)\W*$"
)
_QUESTION_START = re.compile(
    r"^(how|what|when|where|why|which|who|can|could|is|are|do|does|will|would)\b", re.I
)


def normalise(text: str) -> str:
    """NFKC, lower case, single spaces: full-width and half-width forms compare equal."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def clip(text: str) -> str:
    return text[:MAX_ANALYSED_CHARS]


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def has_letters(text: str) -> bool:
    """Whether there is any word to analyse (emoji-only or punctuation-only text has none)."""
    return has_cjk(text) or _LATIN.search(text) is not None


def is_question(text: str) -> bool:
    t = normalise(text)
    return bool(_QUESTION_END.search(t) or _QUESTION_START.search(t))


_OPEN_QUESTION = re.compile(
    r"怎么|怎样|什么|为什么|为何|多少|几天|几点|几个|哪|如何|\b(how|what|why|when|where|which)\b",
    re.I,
)


def is_open_question(text: str) -> bool:
    """A question that asks for information, not for yes or no ("嗯嗯" answers only the latter)."""
    return is_question(text) and _OPEN_QUESTION.search(normalise(text)) is not None


def find_any(text: str, phrases: Iterable[str]) -> tuple[str, int] | None:
    """The first listed phrase found in ``text`` (normalised) and where, or None."""
    t = normalise(text)
    for p in phrases:
        q = normalise(p)
        if q and (i := t.find(q)) >= 0:
            return p, i
    return None


def bigrams(text: str) -> set[str]:
    t = re.sub(r"[\W_]+", "", normalise(text))
    return {t[i : i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: language-independent and cheap."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)
