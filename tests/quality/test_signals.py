"""The simulated world's planted rude and slow agents rank worst on their own hit types."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liuke.quality import service
from liuke.quality.cli import backfill
from tests.simulate.helpers import SIGNAL_SIZES, Sim, build


@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    path = tmp_path_factory.mktemp("quality") / "world.db"
    sim = build(path, ground_truth_path=path.with_suffix(".json"), **SIGNAL_SIZES)
    assert backfill(sim.db, sim.ws) > 10_000
    yield sim
    sim.db.dispose()


def _worst(sim: Sim, rate: str, key: str) -> list[int]:
    with sim.db.session() as s:
        agents = service.agent_quality(s, sim.ws, min_inspections=50)
    return [a.agent_id for a in sorted(agents, key=lambda a: -getattr(a, rate)(key))]


def test_the_rude_agent_ranks_worst_on_attitude(inspected: Sim) -> None:
    rude = inspected.truth["signals"]["rude_agent"]["user_id"]
    ranking = _worst(inspected, "category_rate", "rude")
    assert ranking[0] == rude
    with inspected.db.session() as s:
        agents = {a.agent_id: a for a in service.agent_quality(s, inspected.ws, min_inspections=50)}
    others = sorted(a.category_rate("rude") for i, a in agents.items() if i != rude)
    # not a photo finish: the planted agent is many times the next worst
    assert agents[rude].category_rate("rude") > 5 * others[-1]
    assert min(agents.values(), key=lambda a: a.mean_score).agent_id == rude


def test_the_slow_agent_ranks_worst_on_slow_responses(inspected: Sim) -> None:
    slow = inspected.truth["signals"]["slow_agent"]["user_id"]
    assert _worst(inspected, "rate", "slow_response")[0] == slow
    assert _worst(inspected, "rate", "long_silence")[0] == slow


def test_the_review_queue_starts_with_the_rude_agents_conversations(inspected: Sim) -> None:
    rude = inspected.truth["signals"]["rude_agent"]["user_id"]
    with inspected.db.session() as s:
        top = list(s.scalars(service.review_queue(inspected.ws).limit(20)))
    assert len(top) == 20
    assert sum(i.agent_id == rude for i in top) >= 10
    assert all(i.queue_reason == "anger" for i in top)


def test_backfill_is_idempotent(inspected: Sim) -> None:
    assert backfill(inspected.db, inspected.ws) == 0


def test_no_alarm_where_nothing_was_planted(inspected: Sim) -> None:
    """Agents other than the planted two stay close together on their quality scores."""
    truth = inspected.truth["signals"]
    planted = {truth["rude_agent"]["user_id"], truth["slow_agent"]["user_id"]}
    with inspected.db.session() as s:
        scores = [
            a.mean_score
            for a in service.agent_quality(s, inspected.ws, min_inspections=50)
            if a.agent_id not in planted
        ]
    assert max(scores) - min(scores) < 8


def test_outcomes_link_hits_to_worse_satisfaction(inspected: Sim) -> None:
    with inspected.db.session() as s:
        by_kind = {o.kind: o for o in service.outcomes(s, inspected.ws)}
    clean, rude = by_kind["none"], by_kind["attitude"]
    assert rude.csat is not None and clean.csat is not None and rude.csat < clean.csat - 1
    assert (rude.complaints or 0) > 10 * (clean.complaints or 0)
