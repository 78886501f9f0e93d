"""The simulated quarter: the planted complaint spike is found in its first week, escalated to
the line's owners with evidence, and the charts raise at most one false alarm per dimension."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from liuke.complaints import analysis, recovery, warning
from liuke.complaints.grid import DIMENSIONS
from liuke.complaints.models import Case, ComplaintAlert
from liuke.conversations.models import ConversationLabel
from liuke.simulate.casework import SUBTYPE_CATEGORY, Casework, work_cases
from tests.simulate.helpers import END, SIGNAL_SIZES, Sim, build

QUARTER = {**SIGNAL_SIZES, "days": 91, "conversations": 36_000}


@pytest.fixture(scope="module")
def quarter(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[tuple[Sim, Casework]]:
    base = Path(tmp_path_factory.mktemp("complaints"))
    monkeypatch_module.setenv("LIUKE_MODEL_DIR", str(base / "models"))
    from liuke.core.config import get_settings

    get_settings.cache_clear()
    sim = build(base / "world.db", **QUARTER)
    work = work_cases(sim.db, sim.ws, END)
    yield sim, work
    sim.db.dispose()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _alerts(sim: Sim) -> list[ComplaintAlert]:
    with sim.db.session() as s:
        rows = s.scalars(select(ComplaintAlert).where(ComplaintAlert.workspace_id == sim.ws))
        return list(rows)


def _spike(sim: Sim) -> tuple[int, date, date]:
    spike = sim.truth["signals"]["complaint_spike"]
    return (
        int(spike["product_line_id"]),
        date.fromisoformat(spike["week_start"]),
        date.fromisoformat(spike["week_end"]),
    )


def test_planted_spike_is_escalated_within_its_first_week(
    quarter: tuple[Sim, Casework],
) -> None:
    sim, _ = quarter
    line, week_start, week_end = _spike(sim)
    hits = [
        a
        for a in _alerts(sim)
        if a.dimension == "product_line"
        and a.cell.get("product_line_id") == line
        and a.first_period <= week_end
        and a.last_period >= week_start
    ]
    assert hits, "the spike line's chart raised no alert in the spike week"
    first = min(hits, key=lambda a: a.first_period)
    assert week_start <= first.first_period <= week_end  # within its first week
    # the product-quality cell of the line, where the extra complaints are, within two days
    cell = [
        a
        for a in _alerts(sim)
        if a.dimension == "cell"
        and a.cell.get("product_line_id") == line
        and a.cell.get("category") == "product_quality"
        and week_start <= a.first_period <= week_start + timedelta(days=2)
    ]
    assert cell and cell[0].department == first.department
    assert first.status == "escalated" and first.escalated_at is not None
    department = sim.scalar("select owner_department from product_lines where id = :id", id=line)
    assert first.department == department  # the line's own team, not the service desk
    ev = first.evidence
    assert ev["observed"] > 2 * ev["expected"]
    assert ev["sample_case_ids"] and ev["points"]
    with sim.db.session() as s:
        lines = set(
            s.scalars(select(Case.product_line_id).where(Case.id.in_(ev["sample_case_ids"])))
        )
    assert lines == {line}
    assert ev["top_subcategories"][0][0] == "product_quality"


def test_at_most_one_false_alarm_per_dimension_in_the_quarter(
    quarter: tuple[Sim, Casework],
) -> None:
    sim, _ = quarter
    _, week_start, week_end = _spike(sim)
    false = {dim: 0 for dim in DIMENSIONS}
    for a in _alerts(sim):
        # echoes of the spike in other dimensions (its channel, its category) are not false
        if a.first_period <= week_end + timedelta(days=1) and a.last_period >= week_start:
            continue
        false[a.dimension] += 1
    assert all(n <= 1 for n in false.values()), false


def test_every_case_has_an_owner_and_resolved_complaints_a_recovery(
    quarter: tuple[Sim, Casework],
) -> None:
    sim, work = quarter
    assert work.cases > 1000 and work.recoveries > 500
    assert (
        sim.scalar("select count(*) from cases where workspace_id = :ws and owner_id is null") == 0
    )
    with sim.db.session() as s:
        missing = recovery.cases_without_recovery(s, sim.ws, limit=10_000)
    resolved = sim.scalar(
        "select count(*) from cases where workspace_id = :ws and kind = 'complaint'"
        " and status in ('resolved', 'closed')"
    )
    assert resolved > 500 and missing == []


def test_the_classifier_learns_the_shops_categories(quarter: tuple[Sim, Casework]) -> None:
    """Cases of the last two days carry only the retrained classifier's suggestion."""
    sim, work = quarter
    assert work.training_examples > 1000
    with sim.db.session() as s:
        truth = {
            int(c): SUBTYPE_CATEGORY[label.split(":", 1)[1]]
            for c, label in s.execute(
                select(ConversationLabel.conversation_id, ConversationLabel.label).where(
                    ConversationLabel.workspace_id == sim.ws,
                    ConversationLabel.label.like("complaint:%"),
                )
            )
        }
        pending = list(
            s.execute(
                select(Case.conversation_id, Case.category).where(
                    Case.workspace_id == sim.ws,
                    Case.category_confirmed.is_(False),
                    Case.conversation_id.is_not(None),
                )
            )
        )
    judged = [(truth[c], cat) for c, cat in pending if c in truth]
    assert len(judged) > 50
    accuracy = sum(t == p for t, p in judged) / len(judged)
    assert accuracy >= 0.85, accuracy


def test_pareto_and_warning_point_at_the_spike(quarter: tuple[Sim, Casework]) -> None:
    sim, _ = quarter
    line, week_start, week_end = _spike(sim)
    with sim.db.session() as s:
        p = analysis.pareto(s, sim.ws, week_start, week_end, "cell")
        top = p.items[0]
        assert (top.category, top.product_line_id) == ("product_quality", line)
        assert top.vital_few
        w = warning.build(s, sim.ws, week_start + timedelta(days=1))
        assert any(a.cell.get("product_line_id") == line for a in w.new_alerts)
        assert w.hot_spots[0].product_line_id == line
        assert w.complaints > w.complaints_mean
