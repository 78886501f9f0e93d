"""The CLI as an operator uses it, on a fresh SQLite file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from liuke.cli import app
from liuke.core.db import Database
from liuke.core.events import OutboxEvent
from liuke.workspaces.models import User

runner = CliRunner()


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_migrate_workspace_user_and_dispatch(tmp_path: Path) -> None:
    url = _url(tmp_path)
    r = runner.invoke(app, ["migrate", "--database-url", url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["workspace", "create", "acme", "Acme 商城", "--database-url", url])
    assert r.exit_code == 0, r.output
    args = ["user", "create", "--workspace", "acme", "--email", "Lead@Acme.cn", "--name", "王经理"]
    r = runner.invoke(
        app, [*args, "--role", "admin", "--password", "s3cret-pass", "--database-url", url]
    )
    assert r.exit_code == 0, r.output
    db = Database(url)
    with db.session() as s:
        user = s.scalar(select(User).where(User.email == "lead@acme.cn"))
        assert user is not None and user.role.name == "admin"
        pending = s.scalar(select(func.count()).where(OutboxEvent.status == "pending"))
    assert pending and pending > 0
    r = runner.invoke(app, ["events", "dispatch", "--database-url", url])
    assert r.exit_code == 0, r.output
    with db.session() as s:
        assert s.scalar(select(func.count()).where(OutboxEvent.status == "pending")) == 0
    db.dispose()


def test_bad_input_gives_clear_errors(tmp_path: Path) -> None:
    url = _url(tmp_path)
    runner.invoke(app, ["migrate", "--database-url", url])
    assert (
        runner.invoke(app, ["workspace", "create", "acme", "A", "--database-url", url]).exit_code
        == 0
    )
    r = runner.invoke(app, ["workspace", "create", "acme", "again", "--database-url", url])
    assert r.exit_code == 2 and "exists" in r.output
    r = runner.invoke(app, ["workspace", "create", "Bad Slug!", "x", "--database-url", url])
    assert r.exit_code == 2 and "slug" in r.output
    base = ["user", "create", "--email", "a@b.cn", "--name", "A", "--database-url", url]
    r = runner.invoke(app, [*base, "--workspace", "nope", "--password", "long-enough"])
    assert r.exit_code == 2 and "no workspace" in r.output
    r = runner.invoke(app, [*base, "--workspace", "acme", "--password", "short"])
    assert r.exit_code == 2 and "password" in r.output
    r = runner.invoke(
        app, [*base, "--workspace", "acme", "--password", "long-enough", "--role", "boss"]
    )
    assert r.exit_code == 2 and "role" in r.output
