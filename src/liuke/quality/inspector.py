"""One conversation in, a score with its hits and the customer's emotion trajectory out.

Pure and batchable: :func:`inspect_many` scores the customer messages of many conversations in
one model call, which is what makes inspecting every closed conversation affordable.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from liuke.quality.customer_emotion import CustomerEmotion, Emotion, rising
from liuke.quality.rules import Context, Hit, RuleSpec, Transcript, evaluate
from liuke.quality.text import MAX_ANALYSED_CHARS

FULL_SCORE = 100


@dataclass
class Result:
    score: int
    hits: list[Hit]
    emotions: dict[int, Emotion]  # customer message seq -> emotion
    escalation: bool  # anger rose to the end of the conversation
    reasons: list[str] = field(default_factory=list)  # why a score is partial or trivially full

    @property
    def max_anger(self) -> float:
        return max((e.anger for e in self.emotions.values()), default=0.0)

    @property
    def trajectory(self) -> list[tuple[int, float]]:
        return sorted((seq, e.anger) for seq, e in self.emotions.items())


def inspect_many(
    transcripts: Sequence[Transcript],
    specs: Sequence[RuleSpec],
    emotion: CustomerEmotion,
    muted: Collection[str] = (),
) -> list[Result]:
    customer = [
        (i, m.seq, m.body)
        for i, t in enumerate(transcripts)
        for m in t.messages
        if m.sender == "customer"
    ]
    scored = emotion.score([body for _, _, body in customer])
    per: list[dict[int, Emotion]] = [{} for _ in transcripts]
    for (i, seq, _), e in zip(customer, scored, strict=True):
        per[i][seq] = e
    return [_one(t, specs, per[i], muted) for i, t in enumerate(transcripts)]


def _one(
    t: Transcript, specs: Sequence[RuleSpec], emotions: dict[int, Emotion], muted: Collection[str]
) -> Result:
    reasons = []
    if not t.messages:
        return Result(FULL_SCORE, [], {}, False, ["empty"])
    if not any(m.sender == "agent" for m in t.messages):
        reasons.append("no_agent_messages")
    if not t.timed:
        reasons.append("no_timestamps")
    if any(len(m.body) > MAX_ANALYSED_CHARS for m in t.messages):
        reasons.append("truncated")
    hits = evaluate(specs, Context(t, emotions, frozenset(muted)))
    score = max(0, FULL_SCORE - sum(h.points for h in hits))
    angers = [e.anger for _, e in sorted(emotions.items())]
    return Result(score, hits, emotions, rising(angers), reasons)
