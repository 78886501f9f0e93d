"""Inspection rules: kinds, the default set a workspace starts with, and their evaluation.

Pure functions over a :class:`Transcript` (no database), so the same code inspects a stored
conversation, an imported export and the benchmark's synthetic ones. Each rule kind reads its
parameters from the workspace's editable rule row; a hit names the message it points at.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liuke.quality import attitude, lexicon
from liuke.quality.customer_emotion import Emotion
from liuke.quality.text import find_any, is_open_question, is_question, normalise, similarity

# Rule parameters that are phrase lists (edited one phrase per line).
LIST_PARAMS = ("phrases", "words", "pings", "triggers", *attitude.CATEGORIES)

# Per channel kind: seconds an agent may take to answer a waiting customer.
DEFAULT_REPLY_SECONDS = {"web": 60, "api": 60, "phone": 30, "email": 8 * 3600}
DEFAULT_SILENCE_SECONDS = {"web": 300, "api": 300, "phone": 60, "email": 48 * 3600}


@dataclass(frozen=True)
class Msg:
    seq: int
    sender: str  # customer | bot | agent | system
    body: str
    at: datetime | None
    user_id: int | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class Transcript:
    messages: Sequence[Msg]
    channel_kind: str = "web"
    status: str = "closed"
    transfer_count: int = 0
    timed: bool = True  # False for exports without real times (JDDC): no timing rules

    @property
    def ended(self) -> bool:
        return self.status in {"resolved", "closed"}


@dataclass(frozen=True)
class RuleSpec:
    """What the engine needs of a rule row (the ORM row or a default)."""

    code: str
    kind: str
    weight: int
    params: dict[str, Any]
    max_hits: int = 3


@dataclass(frozen=True)
class Hit:
    rule: str
    kind: str
    seq: int | None  # the message the hit points at (None: the conversation as a whole)
    evidence: str
    points: int
    agent_id: int | None = None
    category: str | None = None
    span: tuple[int, int] | None = None


@dataclass
class Context:
    t: Transcript
    emotions: dict[int, Emotion]  # customer message seq -> emotion
    muted: Collection[str] = field(default_factory=frozenset)


Check = Callable[[RuleSpec, Context], list[tuple[Msg | None, str, dict[str, Any]]]]
_CHECKS: dict[str, Check] = {}


def _check(kind: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        _CHECKS[kind] = fn
        return fn

    return register


def _agents(t: Transcript) -> list[Msg]:
    return [m for m in t.messages if m.sender == "agent"]


def _phrases(spec: RuleSpec, key: str = "phrases") -> list[str]:
    return [p for p in spec.params.get(key, []) if isinstance(p, str) and p.strip()]


def _snippet(text: str, at: int = 0, width: int = 60) -> str:
    start = max(0, at - 10)
    return text[start : start + width]


@_check("required_greeting")
def _greeting(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    agents = _agents(c.t)
    if not agents or find_any(agents[0].body, _phrases(spec)):
        return []
    return [(agents[0], _snippet(agents[0].body), {})]


@_check("required_closing")
def _closing(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    agents = _agents(c.t)
    if not c.t.ended or not agents:
        return []
    tail = agents[-int(spec.params.get("last_messages", 2)) :]
    if any(find_any(m.body, _phrases(spec)) for m in tail):
        return []
    return [(agents[-1], _snippet(agents[-1].body), {})]


@_check("forbidden_phrase")
def _forbidden(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    phrases = [p for p in _phrases(spec) if normalise(p) not in c.muted]
    for m in _agents(c.t):
        if found := find_any(m.body, phrases):
            phrase, at = found
            out.append((m, phrase, {"span": (at, at + len(phrase))}))
    return out


@_check("attitude")
def _attitude(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    cues = {k: _phrases(spec, k) for k in attitude.CATEGORIES if k in spec.params}
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    for m in _agents(c.t):
        for cue in attitude.detect(m.body, cues or attitude.DEFAULT_CUES, c.muted):
            out.append((m, cue.cue, {"category": cue.category, "span": (cue.start, cue.end)}))
    return out


@_check("one_word_reply")
def _one_word(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    """A bare acknowledgement as the whole reply to an open question (how / what / why...).

    In Chinese chat "嗯嗯" is a normal "yes" to a yes-no question, so only open questions count.
    """
    words = {normalise(w) for w in _phrases(spec, "words")}
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    previous: Msg | None = None
    for m in c.t.messages:
        if m.sender == "agent" and previous is not None and previous.sender == "customer":
            t = normalise(m.body).strip("。.!！~～ ")
            if t in words and is_open_question(previous.body):
                out.append((m, m.body, {}))
        if m.sender in {"agent", "customer"}:
            previous = m
    return out


@_check("repetition")
def _repetition(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    """The same substantive reply sent again (templated pleasantries are meant to repeat)."""
    min_chars = int(spec.params.get("min_chars", 8))
    pleasantries = [*lexicon.GREETINGS, *lexicon.CLOSINGS, *lexicon.HOLDING]
    seen: set[str] = set()
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    for m in _agents(c.t):
        t = normalise(m.body)
        if len(t) < min_chars or find_any(t, pleasantries):
            continue
        if t in seen:
            out.append((m, _snippet(m.body), {}))
        seen.add(t)
    return out


@_check("ignored_question")
def _ignored(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    """The customer asks the same question again after an agent has replied: it was ignored."""
    threshold = float(spec.params.get("similarity", 0.6))
    asked: list[Msg] = []
    answered_since: dict[int, Msg] = {}  # question seq -> the agent reply that followed it
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    for m in c.t.messages:
        if m.sender == "agent":
            for q in asked:
                answered_since.setdefault(q.seq, m)
        elif m.sender == "customer" and is_question(m.body):
            for q in asked:
                reply = answered_since.get(q.seq)
                if reply is not None and similarity(q.body, m.body) >= threshold:
                    out.append((reply, _snippet(q.body), {}))
                    answered_since.pop(q.seq)
                    break
            asked.append(m)
    return out


def _waits(t: Transcript) -> list[tuple[Msg, Msg, float]]:
    """(waiting customer message, the reply that ended the wait, seconds) for agent replies."""
    out: list[tuple[Msg, Msg, float]] = []
    waiting: Msg | None = None
    for m in t.messages:
        if m.sender == "customer" and waiting is None:
            waiting = m
        elif m.sender in {"agent", "bot"} and waiting is not None:
            if m.sender == "agent" and m.at is not None and waiting.at is not None:
                out.append((waiting, m, (m.at - waiting.at).total_seconds()))
            waiting = None
    return out


def _seconds(spec: RuleSpec, t: Transcript, default: dict[str, int]) -> float:
    table = spec.params.get("seconds") or {}
    value = table.get(t.channel_kind, default.get(t.channel_kind, default["web"]))
    return float(value)


@_check("slow_response")
def _slow(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    if not c.t.timed:
        return []
    limit = _seconds(spec, c.t, DEFAULT_REPLY_SECONDS)
    return [(reply, f"{int(s)}s", {"seconds": s}) for _, reply, s in _waits(c.t) if s > limit]


@_check("long_silence")
def _silence(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    """A customer left without any answer for long, or asking whether anyone is there."""
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    if c.t.timed:
        limit = _seconds(spec, c.t, DEFAULT_SILENCE_SECONDS)
        out += [(r, f"{int(s)}s", {"seconds": s}) for _, r, s in _waits(c.t) if s > limit]
    pings = _phrases(spec, "pings")
    msgs = [m for m in c.t.messages if m.sender in {"customer", "agent"}]
    for i, m in enumerate(msgs):
        # "在吗" counts when it follows the customer's own unanswered message, after an agent
        # has joined; as an opener after the agent's last word it is just a new question.
        unanswered = i > 0 and msgs[i - 1].sender == "customer"
        joined = any(p.sender == "agent" for p in msgs[:i])
        short = len(m.body) <= 12
        if m.sender == "customer" and unanswered and joined and short and find_any(m.body, pings):
            out.append((m, m.body, {}))
    return out


@_check("unjustified_transfer")
def _transfer(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    allowed = int(spec.params.get("max_transfers", 1))
    if c.t.transfer_count > allowed:
        out.append((None, f"transfers={c.t.transfer_count}", {}))
    for m in _agents(c.t):
        if found := find_any(m.body, _phrases(spec)):
            out.append((m, found[0], {"span": (found[1], found[1] + len(found[0]))}))
    return out


@_check("unkept_promise")
def _promise(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    """A promise to come back, in a conversation that ended with nothing from the agent after."""
    if not c.t.ended:
        return []
    agents = _agents(c.t)
    if not agents or (found := find_any(agents[-1].body, _phrases(spec))) is None:
        return []
    last = agents[-1]
    if not any(x.seq > last.seq and x.sender == "customer" for x in c.t.messages):
        return []  # the customer did not write again: nothing was left unanswered
    return [(last, found[0], {"span": (found[1], found[1] + len(found[0]))})]


@_check("apology_after_failure")
def _apology(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    """A customer who reports a failure unhappily is owed an apology within two replies."""
    triggers = _phrases(spec, "triggers")
    apologies = _phrases(spec)
    threshold = float(spec.params.get("negativity", 0.9))
    with_trigger = float(spec.params.get("trigger_negativity", 0.6))
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    owed: Msg | None = None
    replies = 0
    for m in c.t.messages:
        if m.sender == "customer" and owed is None:
            neg = e.negativity if (e := c.emotions.get(m.seq)) is not None else 0.5
            reported = find_any(m.body, triggers) is not None and neg >= with_trigger
            if reported or neg >= threshold:
                owed, replies = m, 0
        elif m.sender == "agent" and owed is not None:
            if find_any(m.body, apologies):
                owed = None
                continue
            replies += 1
            if replies >= int(spec.params.get("within_replies", 2)):
                out.append((m, _snippet(owed.body), {}))
                owed = None
    return out


@_check("customer_anger")
def _anger(spec: RuleSpec, c: Context) -> list[tuple[Msg | None, str, dict[str, Any]]]:
    """Anger that rises right after an agent's reply: the reply is what the reviewer reads."""
    level = float(spec.params.get("level", 0.7))
    rise = float(spec.params.get("rise", 0.25))
    out: list[tuple[Msg | None, str, dict[str, Any]]] = []
    calm: float | None = None
    last_agent: Msg | None = None
    for m in c.t.messages:
        if m.sender == "agent":
            last_agent = m
        elif m.sender == "customer" and (e := c.emotions.get(m.seq)) is not None:
            rose = calm is not None and e.anger >= level and e.anger - calm >= rise
            if rose and last_agent is not None:
                # the whole customer message (to 200 chars) is the evidence: reviewed, it is
                # a labelled example for the emotion model
                out.append((last_agent, m.body[:200], {"anger": e.anger}))
                calm = e.anger  # one hit per rise
            calm = e.anger if calm is None else min(calm, e.anger)
    return out


KINDS = tuple(_CHECKS)


def evaluate(specs: Sequence[RuleSpec], ctx: Context) -> list[Hit]:
    hits: list[Hit] = []
    for spec in specs:
        check = _CHECKS.get(spec.kind)
        if check is None:
            continue
        for n, (msg, evidence, extra) in enumerate(check(spec, ctx)):
            hits.append(
                Hit(
                    rule=spec.code,
                    kind=spec.kind,
                    seq=msg.seq if msg else None,
                    evidence=evidence[:200],
                    points=spec.weight if n < spec.max_hits else 0,
                    agent_id=msg.user_id if msg and msg.sender == "agent" else None,
                    category=extra.get("category"),
                    span=extra.get("span"),
                )
            )
    return hits


def default_rules() -> list[tuple[str, str, int, dict[str, Any]]]:
    """(code, kind, weight, params) for a new workspace; each one editable afterwards."""
    return [
        ("greeting", "required_greeting", 5, {"phrases": list(lexicon.GREETINGS)}),
        ("closing", "required_closing", 5, {"phrases": list(lexicon.CLOSINGS)}),
        (
            "apology",
            "apology_after_failure",
            8,
            {"phrases": list(lexicon.APOLOGIES), "triggers": list(lexicon.FAILURE_TRIGGERS)},
        ),
        ("forbidden", "forbidden_phrase", 15, {"phrases": list(lexicon.FORBIDDEN)}),
        ("attitude", "attitude", 10, {k: list(v) for k, v in attitude.DEFAULT_CUES.items()}),
        ("one_word", "one_word_reply", 4, {"words": list(lexicon.ONE_WORD_REPLIES)}),
        ("repetition", "repetition", 4, {"min_chars": 8}),
        ("ignored_question", "ignored_question", 8, {"similarity": 0.6}),
        ("slow_response", "slow_response", 3, {"seconds": dict(DEFAULT_REPLY_SECONDS)}),
        (
            "long_silence",
            "long_silence",
            6,
            {"seconds": dict(DEFAULT_SILENCE_SECONDS), "pings": list(lexicon.PINGS)},
        ),
        (
            "transfer",
            "unjustified_transfer",
            8,
            {"max_transfers": 1, "phrases": list(lexicon.DEFLECTIONS)},
        ),
        ("promise", "unkept_promise", 8, {"phrases": list(lexicon.PROMISES)}),
        ("anger", "customer_anger", 10, {"level": 0.7, "rise": 0.25}),
    ]
