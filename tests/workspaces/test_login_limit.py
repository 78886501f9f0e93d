"""Brute-force protection on both login doors (API and page), on the real Redis too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from liuke.core.ratelimit import RedisCounter
from liuke.workspaces.service import LoginGuard
from tests.conftest import PASSWORD, WorkspaceCtx


def _api_login(c: TestClient, ws: WorkspaceCtx, password: str) -> int:
    r = c.post(
        "/api/v1/auth/login",
        json={"workspace": ws.slug, "email": ws.admin_email, "password": password},
    )
    return r.status_code


def test_api_login_locks_account_after_ten_failures(
    anon_client: TestClient, workspace: WorkspaceCtx, make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    for _ in range(10):
        assert _api_login(anon_client, workspace, "wrong-password") == 401
    r = anon_client.post(
        "/api/v1/auth/login",
        json={"workspace": workspace.slug, "email": workspace.admin_email, "password": PASSWORD},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 429, "even the right password waits once the account is locked"
    assert r.json()["error"]["code"] == "too_many_attempts"
    assert "try again" in r.json()["error"]["message"]
    other = make_workspace()
    assert _api_login(anon_client, other, PASSWORD) == 200  # other accounts are unaffected


def test_success_resets_the_account_counter(
    anon_client: TestClient, workspace: WorkspaceCtx
) -> None:
    for _ in range(9):
        assert _api_login(anon_client, workspace, "wrong-password") == 401
    assert _api_login(anon_client, workspace, PASSWORD) == 200
    for _ in range(9):
        assert _api_login(anon_client, workspace, "wrong-password") == 401
    assert _api_login(anon_client, workspace, PASSWORD) == 200


def test_page_login_shares_the_lock(anon_client: TestClient, workspace: WorkspaceCtx) -> None:
    for _ in range(10):
        assert _api_login(anon_client, workspace, "wrong-password") == 401
    r = anon_client.post(
        "/login",
        data={"workspace": workspace.slug, "email": workspace.admin_email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 429
    assert "liuke_session" not in r.cookies


def test_guard_on_real_redis_and_fail_open(
    anon_client: TestClient, workspace: WorkspaceCtx, redis_url: str
) -> None:
    import uuid

    guard = LoginGuard.create(redis_url, account=2)
    prefix = f"test:{uuid.uuid4().hex}:"
    for lim in (guard.per_account, guard.per_client):
        assert isinstance(lim.counter, RedisCounter)
        lim.counter._prefix = prefix  # isolate this test's keys
    app = anon_client.app
    app.state.login_guard = guard  # type: ignore[attr-defined]
    assert _api_login(anon_client, workspace, "x-wrong-1") == 401
    assert _api_login(anon_client, workspace, "x-wrong-2") == 401
    assert _api_login(anon_client, workspace, PASSWORD) == 429
    # Redis down: logins still work (fail open), they are just not limited.
    app.state.login_guard = LoginGuard.create("redis://127.0.0.1:1/0")  # type: ignore[attr-defined]
    assert _api_login(anon_client, workspace, PASSWORD) == 200


@pytest.mark.parametrize("bad", ["", "  "])
def test_blank_password_is_a_validation_error_not_a_counted_failure(
    anon_client: TestClient, workspace: WorkspaceCtx, bad: str
) -> None:
    assert _api_login(anon_client, workspace, bad) in (401, 422)
