"""Agent attitude per message: rude, impatient, perfunctory.

There is no public labelled corpus of agent attitude, so the detector is a cue model whose cue
lists live in the workspace's editable rule, and whose precision is learned from supervisors'
verdicts: a cue that reviewers keep overturning is muted for that workspace
(:func:`liuke.quality.service.cue_precision`). Perfunctory cues need context ("不知道您的订单号
是多少" asks politely; "不知道。" brushes off), so they count only in short replies that offer no
help.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from liuke.quality import lexicon
from liuke.quality.text import is_question, normalise

CATEGORIES = ("rude", "impatient", "perfunctory")
DEFAULT_CUES: dict[str, tuple[str, ...]] = {
    "rude": lexicon.RUDE,
    "impatient": lexicon.IMPATIENT,
    "perfunctory": lexicon.PERFUNCTORY,
}
# A reply that offers help, an alternative or a reason is not a brush-off.
_HELP_OFFERS = (
    "帮您",
    "为您",
    "给您",
    "您看",
    "建议",
    "可以",
    "只能",
    "需要",
    "因为",
    "请您",
    "help you",
    "let me",
    "i can",
    "i will",
    "you can",
    "because",
)
_POLITE_FOLLOWERS = ("您", "你的", "是否", "能否", "whether", "if you")
PERFUNCTORY_MAX_CHARS = 30


@dataclass(frozen=True)
class AttitudeCue:
    category: str
    cue: str
    start: int
    end: int


def detect(
    text: str,
    cues: Mapping[str, Sequence[str]] = DEFAULT_CUES,
    muted: Collection[str] = (),
) -> list[AttitudeCue]:
    """Every attitude cue in one agent message, at most one per category."""
    t = normalise(text)
    found: list[AttitudeCue] = []
    for category in CATEGORIES:
        for cue in cues.get(category, ()):
            q = normalise(cue)
            if not q or q in muted:
                continue
            i = t.find(q)
            if i < 0:
                continue
            if category == "perfunctory" and not _brush_off(t, i + len(q)):
                continue
            found.append(AttitudeCue(category, cue, i, i + len(q)))
            break
    return found


def _brush_off(t: str, after: int) -> bool:
    """A perfunctory cue counts when the reply is short, offers no help and is not a question."""
    if is_question(t):  # "主机也不行吗" asks, it does not refuse
        return False
    rest = t[after : after + 3]
    if any(rest.startswith(p) for p in _POLITE_FOLLOWERS):
        return False
    if any(h in t for h in _HELP_OFFERS):
        return False
    return len(t) <= PERFUNCTORY_MAX_CHARS
