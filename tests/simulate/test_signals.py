"""Every planted signal is visible in the raw rows with simple queries, and nothing else stands out.

These queries are deliberately naive (what an analyst would type first); the analyses in liuke
must do at least as well. Each test also checks a nearby place where nothing was planted.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from .helpers import Sim, epoch


def _rude_condition(phrases: list[str]) -> str:
    escaped = [p.replace("'", "''") for p in phrases]
    return " OR ".join(f"lower(body) LIKE '%{p}%'" for p in escaped)


def test_rude_agent_uses_rude_phrases_far_more(signal_world: Sim) -> None:
    truth = signal_world.truth["signals"]["rude_agent"]
    rows = signal_world.rows(
        f"""SELECT sender_user_id, count(*), sum(CASE WHEN {_rude_condition(truth["phrases"])}
                   THEN 1 ELSE 0 END)
            FROM messages WHERE workspace_id = :ws AND sender_type = 'agent'
            GROUP BY sender_user_id"""
    )
    rates = {uid: rude / n for uid, n, rude in rows}
    rude_rate = rates.pop(truth["user_id"])
    others = sum(r for uid, n, r in rows if uid != truth["user_id"]) / sum(
        n for uid, n, _ in rows if uid != truth["user_id"]
    )
    assert rude_rate > 5 * others
    assert rude_rate > 0.3
    assert max(rates.values()) < rude_rate / 5  # no second rude agent


def test_rude_agent_gets_low_csat_and_attitude_complaints(signal_world: Sim) -> None:
    rude = signal_world.truth["signals"]["rude_agent"]["user_id"]
    rows = signal_world.rows(
        """SELECT c.assignee_id, avg(json_extract(c.meta, '$.csat')),
                  avg(CASE WHEN l.label IS NULL THEN 0.0 ELSE 1.0 END)
           FROM conversations c
           LEFT JOIN conversation_labels l
             ON l.conversation_id = c.id AND l.label = 'complaint:service_attitude'
           WHERE c.workspace_id = :ws AND c.assignee_id IS NOT NULL
           GROUP BY c.assignee_id"""
    )
    csat = {uid: mean for uid, mean, _ in rows}
    attitude = {uid: share for uid, _, share in rows}
    others_csat = statistics.median(v for uid, v in csat.items() if uid != rude)
    others_attitude = statistics.median(v for uid, v in attitude.items() if uid != rude)
    assert csat[rude] < others_csat - 1.0
    assert attitude[rude] > 5 * others_attitude
    assert min(v for uid, v in csat.items() if uid != rude) > others_csat - 0.5


def _agent_first_responses(sim: Sim) -> dict[int, list[float]]:
    """Seconds from queueing for a human (creation, or the bot's hand-off) to the first agent
    message, by the agent who sent it; chat and phone channels."""
    rows = sim.rows(
        """SELECT m.conversation_id, m.sender_type, m.sender_user_id, m.created_at,
                  json_extract(m.meta, '$.handoff'), c.created_at
           FROM messages m
           JOIN conversations c ON c.id = m.conversation_id
           JOIN channels ch ON ch.id = c.channel_id
           WHERE m.workspace_id = :ws AND ch.kind != 'email' AND c.assignee_id IS NOT NULL
           ORDER BY m.conversation_id, m.seq"""
    )
    out: dict[int, list[float]] = defaultdict(list)
    queued: dict[int, float] = {}
    done: set[int] = set()
    for conv, sender, uid, at, handoff, created in rows:
        if conv in done:
            continue
        queued.setdefault(conv, epoch(created))
        if sender == "bot" and handoff:
            queued[conv] = epoch(at)
        elif sender == "agent":
            out[uid].append(epoch(at) - queued[conv])
            done.add(conv)
    return out


def test_slow_agent_answers_much_later(signal_world: Sim) -> None:
    slow = signal_world.truth["signals"]["slow_agent"]["user_id"]
    means = {uid: statistics.fmean(v) for uid, v in _agent_first_responses(signal_world).items()}
    others = statistics.median(v for uid, v in means.items() if uid != slow)
    assert means[slow] > 2.5 * others
    assert max(v for uid, v in means.items() if uid != slow) < 1.6 * others  # only one slow


def test_late_evening_contacts_are_missed(signal_world: Sim) -> None:
    rows = signal_world.rows(
        """SELECT CAST(strftime('%H', created_at, '+8 hours') AS INTEGER) AS h, count(*),
                  sum(CASE WHEN status = 'abandoned' THEN 1 ELSE 0 END)
           FROM conversations WHERE workspace_id = :ws GROUP BY h"""
    )
    by_hour = {h: (n, a) for h, n, a in rows}

    def rate(hours: range | tuple[int, ...]) -> float:
        n = sum(by_hour.get(h, (0, 0))[0] for h in hours)
        return float(sum(by_hour.get(h, (0, 0))[1] for h in hours) / n)

    daytime = rate(range(8, 22))
    assert rate((22, 23)) > 2 * daytime
    assert rate(range(0, 8)) < 2 * daytime  # the night shift does not miss contacts
    assert rate(range(16, 22)) < 1.5 * daytime  # nor does the evening shift before 22:00


def test_complaint_spike_in_one_line_and_week(signal_world: Sim) -> None:
    spike = signal_world.truth["signals"]["complaint_spike"]
    week_start = date.fromisoformat(spike["week_start"])
    week = {(week_start + timedelta(days=i)).isoformat() for i in range(7)}
    complaints = signal_world.rows(
        """SELECT c.product_line_id, date(c.created_at, '+8 hours'), count(*)
           FROM conversations c
           JOIN conversation_labels l ON l.conversation_id = c.id AND l.label = 'complaint'
           WHERE c.workspace_id = :ws AND c.product_line_id IS NOT NULL
           GROUP BY 1, 2"""
    )
    orders = signal_world.rows(
        "SELECT product_line_id, day, orders FROM daily_sales WHERE workspace_id = :ws"
    )
    totals: dict[tuple[int, bool], list[int]] = defaultdict(lambda: [0, 0])
    for line, day, n in complaints:
        totals[(line, day in week)][0] += n
    for line, day, n in orders:
        totals[(line, day in week)][1] += n

    def expected_and_seen(line: int) -> tuple[float, int]:
        """Complaints expected in the week at the line's rate outside it, and those seen."""
        in_week, outside = totals[(line, True)], totals[(line, False)]
        return in_week[1] * outside[0] / outside[1], in_week[0]

    expected, seen = expected_and_seen(spike["product_line_id"])
    assert seen > 2.0 * expected
    for line in {line for line, _ in totals} - {spike["product_line_id"]}:
        expected, seen = expected_and_seen(line)
        # no other line stands out: under 1.5x where counts are large enough to judge,
        # and never beyond Poisson noise (3.5 sigma) where they are small
        if expected >= 30:
            assert seen < 1.5 * expected, line
        assert seen < expected + 3.5 * expected**0.5, line


def test_low_converting_channel(signal_world: Sim) -> None:
    low = signal_world.truth["signals"]["low_converting_channel"]["channel_id"]
    rows = signal_world.rows(
        """SELECT c.channel_id, count(*),
                  sum(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.source_conversation_id = c.id)
                      THEN 1 ELSE 0 END)
           FROM conversations c
           WHERE c.workspace_id = :ws
             AND json_extract(c.meta, '$.intent') IN ('pre_sales', 'trade_in')
           GROUP BY c.channel_id"""
    )
    by_channel = {ch: (n, conv) for ch, n, conv in rows}
    others = [v for ch, v in by_channel.items() if ch != low]
    others_rate = sum(conv for _, conv in others) / sum(n for n, _ in others)
    assert by_channel[low][1] / by_channel[low][0] < 0.7 * others_rate
    for ch, (n, conv) in by_channel.items():
        if ch != low and n >= 300:
            assert conv / n > 0.75 * others_rate, ch


def test_bot_misses_trade_in_questions(signal_world: Sim) -> None:
    gap = signal_world.truth["signals"]["bot_knowledge_gap"]
    rows = signal_world.rows(
        """SELECT json_extract(meta, '$.intent'), count(*),
                  sum(CASE WHEN json_extract(meta, '$.bot') = 'handoff' THEN 1 ELSE 0 END)
           FROM conversations WHERE workspace_id = :ws AND json_extract(meta, '$.bot') IS NOT NULL
           GROUP BY 1"""
    )
    rates = {intent: h / n for intent, n, h in rows}
    assert rates.pop(gap["topic"]) > 0.8
    assert max(rates.values()) < 0.6
    first = signal_world.rows(
        """SELECT m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id
           WHERE c.workspace_id = :ws AND m.seq = 1
             AND json_extract(c.meta, '$.intent') = 'trade_in' LIMIT 50"""
    )
    assert sum("以旧换新" in b or "旧" in b or "trade" in b for (b,) in first) == len(first)


def _bad_contacts(sim: Sim) -> tuple[dict[int, bool], dict[int, tuple[float, int]]]:
    """Per conversation: bad service by the ground truth's definition; per customer: the time
    and id of their last conversation."""
    truth = sim.truth["signals"]
    rude = truth["rude_agent"]["user_id"]
    rows = sim.rows(
        """SELECT c.id, c.customer_id, c.created_at, c.status, c.resolved_at, ch.kind,
                  (SELECT min(m.created_at) FROM messages m
                    WHERE m.conversation_id = c.id AND m.sender_type = 'agent'),
                  EXISTS (SELECT 1 FROM messages m
                           WHERE m.conversation_id = c.id AND m.sender_user_id = :rude),
                  EXISTS (SELECT 1 FROM conversation_labels l
                           WHERE l.conversation_id = c.id AND l.label = 'complaint')
           FROM conversations c JOIN channels ch ON ch.id = c.channel_id
           WHERE c.workspace_id = :ws AND c.customer_id IS NOT NULL""",
        rude=rude,
    )
    bad: dict[int, bool] = {}
    last: dict[int, tuple[float, int]] = {}
    for cid, cust, created, status, resolved, kind, first_agent, rude_seen, complaint in rows:
        limit = 86_400 if kind == "email" else 300
        long_wait = first_agent is not None and epoch(first_agent) - epoch(created) > limit
        unresolved = bool(complaint) and resolved is None
        bad[cid] = bool(rude_seen) or status == "abandoned" or long_wait or unresolved
        at = epoch(created)
        if cust not in last or last[cust] < (at, cid):
            last[cust] = (at, cid)
    return bad, last


def test_churn_is_higher_after_bad_service(signal_world: Sim) -> None:
    bad, last = _bad_contacts(signal_world)
    churned = [
        cid
        for (cid,) in signal_world.rows(
            """SELECT id FROM customers WHERE workspace_id = :ws
               AND json_extract(attributes, '$.churned_at') IS NOT NULL"""
        )
    ]
    assert churned
    triggers = [bad[last[c][1]] for c in churned if c in last]
    assert len(triggers) == len(churned)  # churn only ever follows a contact
    n_bad = sum(bad.values())
    n_good = len(bad) - n_bad
    hazard_bad = sum(triggers) / n_bad
    hazard_good = (len(triggers) - sum(triggers)) / n_good
    assert hazard_bad > 1.8 * hazard_good
    planted = signal_world.truth["signals"]["churn_after_bad_service"]
    assert abs(hazard_good - planted["planted_churn_probability_after_contact"]) < 0.01


def test_no_activity_after_churn(signal_world: Sim) -> None:
    late = signal_world.rows(
        """SELECT count(*) FROM customers cu
           JOIN conversations c ON c.customer_id = cu.id
           WHERE cu.workspace_id = :ws AND json_extract(cu.attributes, '$.churned_at') IS NOT NULL
             AND julianday(c.last_message_at)
                 > julianday(json_extract(cu.attributes, '$.churned_at'))"""
    )
    late_orders = signal_world.rows(
        """SELECT count(*) FROM customers cu JOIN orders o ON o.customer_id = cu.id
           WHERE cu.workspace_id = :ws AND json_extract(cu.attributes, '$.churned_at') IS NOT NULL
             AND julianday(o.ordered_at)
                 >= julianday(json_extract(cu.attributes, '$.churned_at'))"""
    )
    assert late[0][0] == 0
    assert late_orders[0][0] == 0


def test_ground_truth_observed_values_match_the_rows(signal_world: Sim) -> None:
    truth: dict[str, Any] = signal_world.truth
    spike = truth["signals"]["complaint_spike"]
    assert spike["observed_ratio"] > 2
    assert truth["counts"]["conversations"] == signal_world.scalar(
        "SELECT count(*) FROM conversations WHERE workspace_id = :ws"
    )
    low = truth["signals"]["low_converting_channel"]
    assert low["observed_ratio"] < 0.7
    assert signal_world.path.with_suffix(".json").exists()
