"""The planted signals: their magnitudes, who or what carries them, and the ground-truth file.

Every analysis in liuke is checked against this world: it must find what was planted here and
raise nothing elsewhere. So each signal has exactly one knob in :class:`Planted`, one carrier in
:class:`Targets` (chosen from the seed), and an observed value computed from the generated rows
in :class:`Observed`; the ground truth reports all three.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from liuke.simulate import catalog
from liuke.simulate.text import KNOWLEDGE_GAP_EXAMPLES, RUDE_PHRASES

GROUND_TRUTH_VERSION = 1


@dataclass(frozen=True)
class Planted:
    """The planted magnitudes; everything not named here is noise around flat levels."""

    # 1. complaint spike: one product line's complaint rate (complaints per order) x3 for a week
    spike_multiplier: float = 3.0
    spike_subtype: str = "product_quality"
    # 2. rude agent: share of their replies that carry a rude phrase (others: the tiny baseline)
    rude_reply_share: float = 0.45
    baseline_rude_reply_share: float = 0.003
    rude_complaint_share: float = 0.3  # rude conversations where the customer complains
    # 3. slow agent: first and later reply latency multiplier
    slow_multiplier: float = 4.0
    # 4. evening misses: abandonment of contacts queued straight for an agent, by China hour
    missed_hours: tuple[int, ...] = (22, 23)
    missed_abandon: float = 0.22
    base_abandon: float = 0.04
    # 5. churn after bad service: per-contact probability that the customer never comes back
    churn_base: float = 0.02
    churn_bad: float = 0.06
    long_wait_s: int = 300
    long_wait_email_s: int = 86_400
    # 6. bot knowledge gap: the bot resolves trade-in questions far less often than others
    gap_intent: str = "trade_in"
    gap_bot_resolve: float = 0.08
    # 7. low-converting channel: pre-sales conversion multiplier on one channel
    low_conversion_multiplier: float = 0.5
    base_conversion: float = 0.34
    abandoned_conversion: float = 0.08
    rude_conversion: float = 0.17


PLANTED = Planted()

# Bot resolution rates of the intents it knows (noise-only, flat over time).
BOT_RESOLVE: dict[str, float] = {
    "order_status": 0.75,
    "invoice": 0.70,
    "account": 0.65,
    "pre_sales": 0.55,
    "return_refund": 0.50,
}


@dataclass(frozen=True)
class Targets:
    """Which agent, line, week and channel carry the signals (drawn from the seed)."""

    rude_agent: int  # index into the agent plans
    slow_agent: int
    spike_line: int  # index into catalog.PRODUCT_LINES
    spike_week_start: date  # a Monday; the week is Monday..Sunday in China time
    low_channel: int  # index into catalog.CHANNELS

    @property
    def spike_week_end(self) -> date:
        return self.spike_week_start + timedelta(days=6)


def choose_targets(
    rng: random.Random,
    agent_groups: list[tuple[str, ...]],
    agent_shifts: list[str],
    start: date,
    end: date,
) -> Targets:
    """Pick the carriers: rude and slow agents on busy daytime front-line groups, a full ISO week
    away from the window's edges (so there is a baseline on both sides when the window allows)."""
    pool = [
        i
        for i, (groups, shift) in enumerate(zip(agent_groups, agent_shifts, strict=True))
        if groups[0] in ("presales", "aftersales") and shift in ("morning", "day")
    ]
    if len(pool) < 2:
        pool = [i for i, shift in enumerate(agent_shifts) if shift != "night"]
    if len(pool) < 2:
        raise ValueError("need at least two daytime agents to plant the rude and slow agents")
    rude, slow = rng.sample(pool, 2)
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    mondays = []
    monday = first_monday
    while monday + timedelta(days=6) <= end:
        mondays.append(monday)
        monday += timedelta(days=7)
    if not mondays:
        raise ValueError("the window must hold at least one full Monday-Sunday week (days >= 14)")
    if len(mondays) >= 3:
        mondays = mondays[1:-1]
    week = rng.choice(mondays)
    lines = [i for i, pl in enumerate(catalog.PRODUCT_LINES) if pl.code != "books"]
    spike_line = rng.choice(lines)
    bot_channels = [i for i, c in enumerate(catalog.CHANNELS) if c.bot]
    low_channel = rng.choice(bot_channels)
    return Targets(rude, slow, spike_line, week, low_channel)


@dataclass
class Observed:
    """Counters the engine fills while it writes rows, for the ground truth's observed values."""

    agent_replies: dict[int, int] = field(default_factory=dict)
    agent_rude_replies: dict[int, int] = field(default_factory=dict)
    # seconds from queueing for a human to the first agent reply (chat and phone channels), by
    # the agent who replied first
    first_response: dict[int, list[float]] = field(default_factory=dict)
    hour_contacts: list[int] = field(default_factory=lambda: [0] * 24)
    hour_direct: list[int] = field(default_factory=lambda: [0] * 24)
    hour_abandoned: list[int] = field(default_factory=lambda: [0] * 24)
    bad_contacts: int = 0
    bad_churned: int = 0
    good_contacts: int = 0
    good_churned: int = 0
    bot_attempts: dict[str, int] = field(default_factory=dict)
    bot_handoffs: dict[str, int] = field(default_factory=dict)
    presales: list[int] = field(default_factory=lambda: [0] * len(catalog.CHANNELS))
    converted: list[int] = field(default_factory=lambda: [0] * len(catalog.CHANNELS))
    complaints: dict[tuple[int, int], int] = field(default_factory=dict)  # (line, day) -> n
    product_complaints: dict[tuple[int, int], int] = field(default_factory=dict)  # not attitude
    orders: dict[tuple[int, int], int] = field(default_factory=dict)  # (line, day) -> n
    csat: dict[int, list[int]] = field(default_factory=dict)  # agent id -> scores


def _rate(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def build_ground_truth(
    *,
    seed: int,
    slug: str,
    workspace_id: int,
    start: date,
    end: date,
    planted: Planted,
    targets: Targets,
    obs: Observed,
    agent_ids: list[int],
    agent_names: list[str],
    agent_emails: list[str],
    line_ids: list[int],
    channel_ids: list[int],
) -> dict[str, Any]:
    """The ground-truth document: planted magnitudes, carriers (ids), and observed values."""
    days = (end - start).days + 1
    week_from = (targets.spike_week_start - start).days
    week_days = range(week_from, week_from + 7)

    def line_rates(
        li: int, counts: dict[tuple[int, int], int] = obs.complaints
    ) -> tuple[float | None, float | None]:
        wk_c = sum(counts.get((li, d), 0) for d in week_days)
        wk_o = sum(obs.orders.get((li, d), 0) for d in week_days)
        base_c = sum(counts.get((li, d), 0) for d in range(days) if d not in week_days)
        base_o = sum(obs.orders.get((li, d), 0) for d in range(days) if d not in week_days)
        return _rate(wk_c, wk_o), _rate(base_c, base_o)

    spike_line = catalog.PRODUCT_LINES[targets.spike_line]
    spike_rate, spike_base = line_rates(targets.spike_line)
    product_rate, product_base = line_rates(targets.spike_line, obs.product_complaints)
    other_lines = {}
    for li, pl in enumerate(catalog.PRODUCT_LINES):
        if li != targets.spike_line:
            wk, base = line_rates(li)
            other_lines[pl.code] = {
                "spike_week_rate": wk,
                "baseline_rate": base,
                "ratio": _ratio(wk, base),
            }

    rude_id = agent_ids[targets.rude_agent]
    slow_id = agent_ids[targets.slow_agent]
    others = [a for a in agent_ids if a not in (rude_id,)]
    rude_share = _rate(obs.agent_rude_replies.get(rude_id, 0), obs.agent_replies.get(rude_id, 0))
    other_share = _rate(
        sum(obs.agent_rude_replies.get(a, 0) for a in others),
        sum(obs.agent_replies.get(a, 0) for a in others),
    )

    def mean_csat(ids: list[int]) -> float | None:
        scores = [s for a in ids for s in obs.csat.get(a, [])]
        return round(statistics.fmean(scores), 2) if scores else None

    def frt_mean(a: int) -> float | None:
        v = obs.first_response.get(a)
        return round(statistics.fmean(v), 1) if v else None

    def frt_median(a: int) -> float | None:
        v = obs.first_response.get(a)
        return round(statistics.median(v), 1) if v else None

    other_frt = [m for a in agent_ids if a != slow_id and (m := frt_mean(a)) is not None]
    other_frt_median = [m for a in agent_ids if a != slow_id and (m := frt_median(a)) is not None]

    missed = set(planted.missed_hours)
    ev_c = sum(obs.hour_contacts[h] for h in range(24) if h in missed)
    ev_a = sum(obs.hour_abandoned[h] for h in range(24) if h in missed)
    day_hours = [h for h in range(8, 22)]
    day_c = sum(obs.hour_contacts[h] for h in day_hours)
    day_a = sum(obs.hour_abandoned[h] for h in day_hours)

    bot_rates = {
        intent: _rate(obs.bot_handoffs.get(intent, 0), n)
        for intent, n in sorted(obs.bot_attempts.items())
    }

    low = targets.low_channel
    low_rate = _rate(obs.converted[low], obs.presales[low])
    other_conv = _rate(
        sum(obs.converted[i] for i in range(len(catalog.CHANNELS)) if i != low),
        sum(obs.presales[i] for i in range(len(catalog.CHANNELS)) if i != low),
    )
    per_channel = {
        c.key: _rate(obs.converted[i], obs.presales[i]) for i, c in enumerate(catalog.CHANNELS)
    }
    bad_rate = _rate(obs.bad_churned, obs.bad_contacts)
    good_rate = _rate(obs.good_churned, obs.good_contacts)
    low_spec = catalog.CHANNELS[low]

    return {
        "version": GROUND_TRUTH_VERSION,
        "seed": seed,
        "workspace": {"id": workspace_id, "slug": slug, "timezone": catalog.TIMEZONE},
        "window": {"start": start.isoformat(), "end": end.isoformat(), "days": days},
        "signals": {
            "complaint_spike": {
                "product_line_id": line_ids[targets.spike_line],
                "product_line_code": spike_line.code,
                "product_line_name": spike_line.name,
                "week_start": targets.spike_week_start.isoformat(),
                "week_end": targets.spike_week_end.isoformat(),
                "planted_multiplier": planted.spike_multiplier,
                "extra_complaints_label": f"complaint:{planted.spike_subtype}",
                "measure": "conversations labelled 'complaint' with this product_line_id per "
                "order of the line (daily_sales.orders), by China-time day",
                "observed_spike_week_rate": spike_rate,
                "observed_baseline_rate": spike_base,
                "observed_ratio": _ratio(spike_rate, spike_base),
                "observed_ratio_without_service_attitude": _ratio(product_rate, product_base),
                "note": "the planted x3 applies to product complaints; service-attitude "
                "complaints (flat, partly from the rude agent) dilute the all-complaint ratio",
                "other_lines_in_spike_week": other_lines,
            },
            "rude_agent": {
                "user_id": rude_id,
                "email": agent_emails[targets.rude_agent],
                "name": agent_names[targets.rude_agent],
                "phrases": list(RUDE_PHRASES),
                "planted_rude_reply_share": planted.rude_reply_share,
                "planted_baseline_rude_reply_share": planted.baseline_rude_reply_share,
                "planted_attitude_complaint_share": planted.rude_complaint_share,
                "observed_rude_reply_share": rude_share,
                "observed_others_rude_reply_share": other_share,
                "observed_mean_csat": mean_csat([rude_id]),
                "observed_others_mean_csat": mean_csat(others),
                "attitude_complaint_label": "complaint:service_attitude",
            },
            "slow_agent": {
                "user_id": slow_id,
                "email": agent_emails[targets.slow_agent],
                "name": agent_names[targets.slow_agent],
                "planted_latency_multiplier": planted.slow_multiplier,
                "measure": "agent first response: the first agent message minus the moment the "
                "contact was queued for a human (created_at, or the bot's hand-off message, "
                "meta.handoff), by the agent who answered first; chat and phone channels",
                "observed_mean_first_response_s": frt_mean(slow_id),
                "observed_median_first_response_s": frt_median(slow_id),
                "observed_others_median_of_means_s": round(statistics.median(other_frt), 1)
                if other_frt
                else None,
                "observed_others_median_of_medians_s": round(statistics.median(other_frt_median), 1)
                if other_frt_median
                else None,
            },
            "evening_missed_contacts": {
                "hours_local": list(planted.missed_hours),
                "planted_abandon_probability": planted.missed_abandon,
                "planted_baseline_abandon_probability": planted.base_abandon,
                "applies_to": "contacts queued straight for an agent (not after a bot hand-off), "
                "chat and phone channels",
                "measure": "conversations with status 'abandoned' per conversation created in "
                "those China-time hours (all channels)",
                "observed_abandon_rate": _rate(ev_a, ev_c),
                "observed_daytime_abandon_rate_08_22": _rate(day_a, day_c),
                "observed_ratio": _ratio(_rate(ev_a, ev_c), _rate(day_a, day_c)),
            },
            "churn_after_bad_service": {
                "planted_churn_probability_after_contact": planted.churn_base,
                "planted_churn_probability_after_bad_contact": planted.churn_bad,
                "bad_service_definition": {
                    "rude_agent": "a message in the conversation from the rude agent",
                    "abandoned": "status == 'abandoned'",
                    "long_wait": f"first agent message more than {planted.long_wait_s} s after "
                    f"created_at ({planted.long_wait_email_s} s on email)",
                    "unresolved_complaint": "label 'complaint' and resolved_at is null",
                },
                "churn_record": "customers.attributes['churned_at'] (ISO UTC); the customer has "
                "no conversation or order after it; the contact that triggered it is their last",
                "observed_churn_rate_after_bad_contact": bad_rate,
                "observed_churn_rate_after_other_contact": good_rate,
                "observed_ratio": _ratio(bad_rate, good_rate),
                "observed_bad_contacts": obs.bad_contacts,
                "observed_other_contacts": obs.good_contacts,
            },
            "bot_knowledge_gap": {
                "topic": planted.gap_intent,
                "topic_name": "以旧换新",
                "planted_bot_resolve_probability": planted.gap_bot_resolve,
                "planted_other_bot_resolve_probabilities": dict(BOT_RESOLVE),
                "examples": list(KNOWLEDGE_GAP_EXAMPLES),
                "measure": "conversations whose bot reply was followed by a hand-off "
                "(conversation.meta['bot'] == 'handoff') per bot-answered conversation, by topic",
                "observed_handoff_rate_by_intent": bot_rates,
            },
            "low_converting_channel": {
                "channel_id": channel_ids[low],
                "channel_name": low_spec.name,
                "platform": low_spec.platform,
                "planted_conversion_multiplier": planted.low_conversion_multiplier,
                "planted_base_conversion": planted.base_conversion,
                "measure": "pre-sales conversations (meta intent pre_sales or trade_in) with an "
                "order whose source_conversation_id points at them, per such conversation",
                "observed_conversion": low_rate,
                "observed_other_channels_conversion": other_conv,
                "observed_ratio": _ratio(low_rate, other_conv),
                "observed_by_channel": per_channel,
            },
        },
        "noise_only": [
            "every product line's complaint rate is flat outside the spike week (lines differ in "
            "level only)",
            "agents other than the rude and slow ones share one latency and courtesy model",
            "abandonment is flat across all hours except the planted evening hours",
            "bot resolution rates are flat over time; only the trade-in topic is a gap",
            "channels share one conversion model except the planted one; channels without the "
            "bot (phone, email) convert ~10-15% less because contacts there can be missed or "
            "wait longer, which also makes churn (no purchase) likelier",
            "small product lines (books) have few complaints, so their weekly rates are noisy",
            "volumes follow a weekly pattern and a mild upward trend (+12% over the window), "
            "with no promotions or outages",
        ],
    }
