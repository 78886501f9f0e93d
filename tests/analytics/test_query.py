"""Every catalogue metric against a hand-computed expectation (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from liuke.analytics.catalogue import BY_NAME, METRICS
from liuke.analytics.engines import connect_database
from liuke.analytics.facts import Targets
from liuke.analytics.query import Query, run
from liuke.core.db import Database
from liuke.core.errors import BadRequest
from tests.analytics.fixture import END, START, Fixture, build

# See fixture.py for the conversations; the arithmetic is spelled out where it is not obvious.
EXPECTED: dict[str, float | None] = {
    "contacts": 6,
    "receptions": 5,  # all but the abandoned conversation 3
    "missed_receptions": 1,
    "missed_rate": 1 / 6,
    "after_hours_contacts": 0,  # default business hours: all day
    "reply_rate": 5 / 6,
    # timed first responses: 2 (bot), 20, 3600 (email), 3 (bot); conversation 6 is untimed
    "first_response_time": (2 + 20 + 3600 + 3) / 4,
    "first_response_time_median": 3,  # nearest rank: ceil(0.5 * 4) = 2nd of [2, 3, 20, 3600]
    "first_response_time_p90": 3600,
    # conversation 1: 30 s from the bot's hand-off; 2: 20 s; 4: 3600 s
    "agent_first_response_time": (30 + 20 + 3600) / 3,
    # replies: conv 1 waits 2, 1, 35 (the agent after the hand-off is not a reply to the
    # customer, and the wait of the last run starts at its first message); conv 2: 20;
    # conv 4: 3600, 600; conv 5: 3
    "average_response_time": (2 + 1 + 35 + 20 + 3600 + 600 + 3) / 7,
    "resolutions": 5,
    "resolution_time": (300 + 600 + 7200 + 60) / 4,
    "resolution_time_median": 300,
    "transfers_per_conversation": 1 / 5,
    "one_touch_resolution_rate": 4 / 5,
    "bot_answer_rate": 1 / 2,  # conv 5 closed by the bot alone; conv 1 handed off
    "bot_handoff_rate": 1 / 2,
    # inquiries: conv 1 and 4 (pre-sales) and 3 (no intent) by known customers; the order
    # feed links one order to conv 1, so links are used and the organic order is not credited
    "conversion_rate": 1 / 3,
    "converted_orders": 1,
    "conversion_value": 100.0,
    "sla_first_response": 2 / 4,  # 2 s and 3 s are within 5 s
    "sla_average_response": 3 / 4,  # conv 4 averages 2100 s
}


@pytest.fixture
def fx(db: Database) -> Fixture:
    return build(db)


def _run(db: Database, fx: Fixture, targets: Targets | None = None, **kw: object) -> object:
    engine = connect_database(db.url)
    try:
        return run(
            engine,
            Query(START, END, **kw),  # type: ignore[arg-type]
            workspace_id=fx.workspace_id,
            targets=targets,
        )
    finally:
        engine.backend.disconnect()


def test_every_metric_has_a_hand_computed_expectation() -> None:
    assert set(EXPECTED) == set(BY_NAME)


def test_each_metric_matches_the_hand_computed_value(db: Database, fx: Fixture) -> None:
    result = _run(db, fx, metrics=tuple(BY_NAME))
    got = result.total.values  # type: ignore[attr-defined]
    for name, want in EXPECTED.items():
        assert got[name] == pytest.approx(want, abs=1e-6), name


def test_breakdowns_split_the_total(db: Database, fx: Fixture) -> None:
    by_channel = _run(db, fx, metrics=("contacts", "missed_receptions"), by="channel")
    rows = {r.label: r.values for r in by_channel.rows}  # type: ignore[attr-defined]
    assert rows == {
        "网页咨询": {"contacts": 5, "missed_receptions": 1},
        "邮件": {"contacts": 1, "missed_receptions": 0},
    }
    by_agent = _run(db, fx, metrics=("contacts", "average_response_time"), by="agent")
    agents = {r.label: r.values for r in by_agent.rows}  # type: ignore[attr-defined]
    assert agents["客服甲"]["contacts"] == 2
    assert agents["客服甲"]["average_response_time"] == pytest.approx((38 + 4200) / 5)
    assert agents["客服乙"]["average_response_time"] == 20  # conversation 6 is untimed
    assert agents["Unassigned"]["contacts"] == 2
    by_day = _run(db, fx, metrics=("contacts",), by="day")
    days = [(r.label, r.values["contacts"]) for r in by_day.rows]  # type: ignore[attr-defined]
    assert days == [("2026-11-02", 2), ("2026-11-03", 4)]
    by_hour = _run(db, fx, metrics=("contacts",), by="hour")
    hours = {r.key: r.values["contacts"] for r in by_hour.rows}  # type: ignore[attr-defined]
    assert len(hours) == 24 and hours[23] == 1 and hours[10] == 1 and hours[0] == 0
    by_tier = _run(db, fx, metrics=("contacts",), by="tier")
    tiers = {r.key: r.values["contacts"] for r in by_tier.rows}  # type: ignore[attr-defined]
    assert tiers == {"ordinary": 4, "key_account": 1, "none": 1}


def test_filters_keep_only_matching_conversations(db: Database, fx: Fixture) -> None:
    only_email = _run(
        db,
        fx,
        metrics=("contacts", "first_response_time"),
        filters=(("channel", (str(fx.email),)),),
    )
    assert only_email.total.values == {"contacts": 1, "first_response_time": 3600}  # type: ignore[attr-defined]
    key = _run(db, fx, metrics=("contacts",), filters=(("tier", ("key_account",)),))
    assert key.total.values["contacts"] == 1  # type: ignore[attr-defined]


def test_window_attribution_credits_the_latest_inquiry(db: Database) -> None:
    fx = build(db)
    result = _run(
        db,
        fx,
        Targets(attribution="window"),
        metrics=("conversion_rate", "converted_orders", "conversion_value"),
    )
    # order 1 -> conv 1, the organic 50.00 -> conv 4 (30 min before), the after-sales
    # customer's order -> nobody, the refund -> nobody
    assert result.total.values == {  # type: ignore[attr-defined]
        "conversion_rate": pytest.approx(2 / 3, abs=1e-6),
        "converted_orders": 2,
        "conversion_value": 150.0,
    }


def test_period_over_period(db: Database, fx: Fixture) -> None:
    result = _run(db, fx, metrics=("contacts", "first_response_time"))
    prev = result.previous.values  # type: ignore[attr-defined]
    assert prev == {"contacts": 1, "first_response_time": 10}
    change = result.vs_previous["contacts"]  # type: ignore[attr-defined]
    assert (change.delta, change.rate) == (5, 5.0)
    assert result.last_year.values["contacts"] == 0  # type: ignore[attr-defined]
    assert (
        result.vs_last_year["contacts"].verdict == "n/a"
        or result.vs_last_year[  # type: ignore[attr-defined]
            "contacts"
        ].rate
        is None
    )


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"metrics": ("nope",)}, "unknown metric nope"),
        ({"by": "weather"}, "unknown breakdown weather"),
        ({"filters": (("agent", ("abc",)),)}, "numeric ids"),
        ({"metrics": ()}, "at least one metric"),
    ],
)
def test_bad_queries_are_refused_clearly(kw: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        Query(START, END, **kw).validate()  # type: ignore[arg-type]


def test_inverted_and_huge_ranges_are_refused() -> None:
    with pytest.raises(BadRequest, match="before it starts"):
        Query(END, START).validate()
    with pytest.raises(BadRequest, match="at most"):
        Query(date(2000, 1, 1), date(2026, 1, 1)).validate()


def test_an_empty_workspace_gives_zeros_and_no_rates(db: Database, make_workspace) -> None:  # type: ignore[no-untyped-def]
    ws = make_workspace()
    engine = connect_database(db.url)
    try:
        result = run(engine, Query(START, END, tuple(BY_NAME), by="agent"), workspace_id=ws.id)
    finally:
        engine.backend.disconnect()
    assert result.rows == []
    for m in METRICS:
        value = result.total.values[m.name]
        assert value == 0 if m.kind in ("count", "sum") else value is None, m.name


def test_docs_define_every_metric() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()
    missing = [m.name for m in METRICS if f"`{m.name}`" not in doc]
    assert missing == [], "docs/metrics.md must define these metrics"
