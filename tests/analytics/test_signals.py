"""The simulated world's planted service signals stand out in the diagnosis, and only they do.

Checked against the ground truth the simulator writes: the slow agent, the evening hours whose
contacts go unanswered, and the channel that converts inquiries at half the rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from liuke.analytics.diagnosis import Finding, diagnose
from liuke.analytics.engines import connect_database
from liuke.analytics.funnel import funnel
from liuke.analytics.query import Query
from tests.simulate.helpers import END, SIGNAL_SIZES, Sim, build


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return build(Path(tmp_path_factory.mktemp("signals")) / "world.db", **SIGNAL_SIZES)


@pytest.fixture(scope="module")
def findings(sim: Sim) -> Iterator[list[Finding]]:
    engine = connect_database(sim.db.url)
    start = END - timedelta(days=SIGNAL_SIZES["days"] - 1)
    try:
        yield diagnose(engine, start, END, workspace_id=sim.ws)
    finally:
        engine.backend.disconnect()


def _live(findings: list[Finding], dimension: str, metric: str) -> list[Finding]:
    return [f for f in findings if (f.scope, f.dimension, f.metric) == ("live", dimension, metric)]


def test_the_slow_agent_is_the_one_flagged_for_slow_replies(
    sim: Sim, findings: list[Finding]
) -> None:
    slow = sim.truth["signals"]["slow_agent"]["user_id"]
    for metric in ("average_response_time", "agent_first_response_time"):
        flagged = _live(findings, "agent", metric)
        assert [f.key for f in flagged] == [slow], metric
        assert flagged[0].effect > 0.5  # far slower than the rest, not marginally


def test_the_evening_hours_are_flagged_for_missed_contacts(
    sim: Sim, findings: list[Finding]
) -> None:
    planted = set(sim.truth["signals"]["evening_missed_contacts"]["hours_local"])
    flagged = {f.key for f in _live(findings, "hour", "missed_rate")}
    assert flagged == planted


def test_the_low_converting_channel_is_flagged(sim: Sim, findings: list[Finding]) -> None:
    low = sim.truth["signals"]["low_converting_channel"]["channel_id"]
    flagged = [f.key for f in _live(findings, "channel", "conversion_rate")]
    assert flagged == [low]


def test_the_funnel_shows_where_the_low_channel_loses_customers(sim: Sim) -> None:
    low = sim.truth["signals"]["low_converting_channel"]["channel_id"]
    engine = connect_database(sim.db.url)
    start = END - timedelta(days=SIGNAL_SIZES["days"] - 1)
    try:
        result = funnel(engine, Query(start, END, by="channel"), workspace_id=sim.ws)
    finally:
        engine.backend.disconnect()
    side = next(s for s in result.sides if s.key == low)
    assert side.weakest == "order"
    gaps = sorted((s.gap or 0.0, s.key) for s in result.sides if s.weakest == "order")
    assert gaps[0][1] == low  # the widest order-step gap of all channels
