"""``liuke retention``: the nightly job, training and the risk list from the command line, and
clear errors for bad input (the database keeps nothing half-done)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from liuke.cli import app
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.crm.models import CustomerScore
from liuke.simulate import simulate_world
from tests.conftest import WorkspaceCtx
from tests.simulate.helpers import END

runner = CliRunner()


def _cli(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, ["retention", *args])
    return r.exit_code, " ".join(r.output.split())


@pytest.fixture
def own_model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A model folder of its own: the other backend's shop may have the same workspace id."""
    monkeypatch.setenv("LIUKE_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield tmp_path / "models"
    monkeypatch.undo()
    get_settings.cache_clear()


def test_daily_train_and_risk_on_a_simulated_shop(db: Database, own_model_dir: Path) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    result = simulate_world(
        db, slug=slug, end=END, days=21, customers=700, conversations=4000, agents=8, seed=13
    )
    as_of = (END + timedelta(days=1)).isoformat()
    args = ("--workspace", slug, "--database-url", db.url)
    code, out = _cli("daily", *args, "--as-of", as_of)
    assert code == 0, out
    assert "profiles" in out and "700" in out and "follow-ups" in out
    assert "train" in out and "cv_auc" in out  # no model yet: trained on the first night
    with db.session() as s:
        scored = s.scalar(
            select(func.count()).where(
                CustomerScore.workspace_id == result.workspace_id,
                CustomerScore.churn_probability.is_not(None),
            )
        )
    assert scored and scored > 300
    code, out = _cli("train", *args, "--as-of", as_of)
    assert code == 0, out
    assert "5-fold CV ROC-AUC" in out and "service experience" in out
    code, out = _cli("risk", *args, "--top", "5")
    assert code == 0, out
    assert out.count("%") >= 5


def test_bad_input_is_refused_clearly(db: Database, workspace: WorkspaceCtx) -> None:
    args = ("--workspace", workspace.slug, "--database-url", db.url)
    code, out = _cli("daily", *args, "--as-of", "30/11/2026")
    assert code == 2 and "expected YYYY-MM-DD" in out
    code, out = _cli("daily", "--workspace", "no-such-shop", "--database-url", db.url)
    assert code == 2 and "no workspace 'no-such-shop'" in out
    code, out = _cli("risk", *args)
    assert code == 1 and "run `liuke retention daily` first" in out
    code, out = _cli("train", *args)
    assert code == 1 and "churned" in out  # an empty shop has no churn to learn from
    # the nightly job on an empty shop still runs every step and says why nothing was scored
    code, out = _cli("daily", *args)
    assert code == 0 and "churn model not trained" in out
