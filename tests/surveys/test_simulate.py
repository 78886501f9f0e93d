"""The simulated world's surveys: consistent with the conversations, deterministic for a seed,
and the IPA finds the planted gap (speed) and nothing it was not given."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from liuke.conversations.models import Conversation
from liuke.simulate.surveys import PLANTED_IPA, SurveysWritten, write_surveys
from liuke.surveys import service
from liuke.surveys.models import SurveyInvitation, SurveyResponse
from tests.simulate.helpers import END, SIGNAL_SIZES, Sim, build

START = date(2026, 10, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sim, SurveysWritten]]:
    path = tmp_path_factory.mktemp("surveys") / "world.db"
    sim = build(path, neighbour=True, **SIGNAL_SIZES)
    with sim.db.session() as s:
        written = write_surveys(s, sim.ws, seed=7)
    yield sim, written
    sim.db.dispose()


def _answers(sim: Sim) -> list[tuple[Any, ...]]:
    with sim.db.session() as s:
        rows = s.execute(
            select(
                SurveyResponse.kind,
                SurveyResponse.conversation_id,
                SurveyResponse.customer_id,
                SurveyResponse.score,
                SurveyResponse.answers,
            ).where(SurveyResponse.workspace_id == sim.ws)
        ).all()
    return sorted(((*r[:4], sorted(r[4].items())) for r in rows), key=repr)


def test_every_answer_matches_its_conversation(world: tuple[Sim, SurveysWritten]) -> None:
    sim, written = world
    assert not written.skipped and written.responses > 3000
    with sim.db.session() as s:
        convs = {
            c.id: c
            for c in s.scalars(select(Conversation).where(Conversation.workspace_id == sim.ws))
        }
        csat = list(
            s.scalars(
                select(SurveyResponse).where(
                    SurveyResponse.workspace_id == sim.ws, SurveyResponse.kind == "csat"
                )
            )
        )
        invited = s.execute(
            select(SurveyInvitation.conversation_id, SurveyInvitation.status).where(
                SurveyInvitation.workspace_id == sim.ws, SurveyInvitation.kind == "csat"
            )
        ).all()
    surveyed = {cid for cid, c in convs.items() if isinstance(c.meta.get("csat"), int)}
    assert {r.conversation_id for r in csat} == surveyed
    for r in csat:
        assert r.conversation_id is not None
        c = convs[r.conversation_id]
        assert r.score == c.meta["csat"] and r.agent_id == c.assignee_id
        assert r.customer_id == c.customer_id
    ended = {cid for cid, c in convs.items() if c.status in ("resolved", "closed")}
    assert {cid for cid, _ in invited} == ended
    rate = sum(st == "answered" for _, st in invited) / len(invited)
    assert 0.25 < rate < 0.45  # realistic: a third answer


def test_the_ipa_finds_the_planted_gap(world: tuple[Sim, SurveysWritten]) -> None:
    sim, _ = world
    with sim.db.session() as s:
        rep = service.ipa_report(s, sim.ws, START, END)
        res = service.results(s, sim.ws, START, END)
        rates = service.response_rates(s, sim.ws, START, END)
    assert rep.derived is not None
    by = {a.attribute: a for a in rep.derived.attributes}
    assert [a for a, r in by.items() if r.gap] == PLANTED_IPA["gap"]
    assert sorted(a for a, r in by.items() if r.important) == sorted(PLANTED_IPA["important"])
    assert by["speed"].quadrant == "concentrate" and by["speed"].share_satisfied <= 0.85
    assert by["attitude"].quadrant == "keep_up" and by["attitude"].share_satisfied > 0.85
    assert not by["expertise"].important and not by["resolution"].important
    # the rude agent's customers are the least satisfied
    rude = sim.truth["signals"]["rude_agent"]["user_id"]
    worst = min(
        (a for a, sc in res.by_agent.items() if a is not None and sc.csat_n >= 20),
        key=lambda a: res.by_agent[a].csat_mean or 5,
    )
    assert worst == rude
    assert res.overall.nps is not None and res.overall.ces_mean is not None
    assert rates.by_kind["nps"].sent > 0 and rates.by_channel["widget"].rate is not None


def test_deterministic_and_written_once(world: tuple[Sim, SurveysWritten], tmp_path: Path) -> None:
    sim, written = world
    again = build(tmp_path / "again.db", neighbour=True, **SIGNAL_SIZES)
    with again.db.session() as s:
        second = write_surveys(s, again.ws, seed=7)
    assert (second.invitations, second.responses, second.by_kind) == (
        written.invitations,
        written.responses,
        written.by_kind,
    )
    assert _answers(again) == _answers(sim)
    with again.db.session() as s:
        assert write_surveys(s, again.ws, seed=7).skipped
    again.db.dispose()
