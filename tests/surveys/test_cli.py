"""``liuke surveys``: results, the IPA and the periodic NPS invitations from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from liuke.cli import app
from liuke.core.db import Database
from liuke.surveys import service
from tests.conftest import WorkspaceCtx

from .helpers import conversation, customer

runner = CliRunner()


def run(*args: str) -> str:
    r = runner.invoke(app, ["surveys", *args])
    assert r.exit_code == 0, r.output
    return " ".join(r.output.split())


def test_results_ipa_and_periodic(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    rows = [(5, 5, 4), (4, 3, 5), (2, 1, 4), (1, 2, 3), (4, 4, 5), (3, 2, 4)]
    for overall, speed, attitude in rows:
        conv = conversation(db, ws, customer_id=customer(db, ws), status="resolved")
        with db.session() as s:
            inv, _ = service.invite(s, ws, kind="csat", channel="link", conversation_id=conv)
            service.answer(s, inv.token, {"overall": overall, "speed": speed, "attitude": attitude})
    args = ("--workspace", workspace.slug, "--database-url", db.url)
    out = run("results", *args)
    assert "CSAT 50.0% satisfied (score 4-5), mean 3.17, 6 responses" in out
    assert "response rate 100.0% (6 answered of 6 delivered; 0 failed)" in out
    out = run("ipa", *args)
    assert "6 CSAT responses" in out and "speed" in out and "attitude" in out
    assert "invited 6 customers to the NPS survey" in run("send-periodic", *args)
    assert "invited 0 customers" in run("send-periodic", *args)
    bad = runner.invoke(
        app, ["surveys", "results", "--workspace", "nope", "--database-url", db.url]
    )
    assert bad.exit_code == 2


def test_simulate_writes_a_small_worlds_surveys_once(tmp_path: Path) -> None:
    from tests.simulate.helpers import build

    sim = build(tmp_path / "w.db", days=14, customers=200, conversations=800, agents=8, seed=3)
    args = ("--workspace", sim.result.slug, "--database-url", sim.db.url, "--seed", "3")
    out = run("simulate", *args)
    assert "wrote" in out and "csat:" in out
    assert "already written" in run("simulate", *args)
    sim.db.dispose()
