"""Workspace service functions: tenants, users, roles, sessions and keys."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from liuke.conversations.models import Channel
from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, InvalidCredentials, NotFound, Unauthenticated
from liuke.workspaces import service
from liuke.workspaces.models import Role, User
from liuke.workspaces.permissions import ALL_PERMISSIONS, BUILTIN_ROLES

PASSWORD = "users-own-pw-1"  # the password of every user these tests create


def slug() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


def test_create_workspace_seeds_roles_and_channels(db: Database) -> None:
    with db.session() as s:
        ws = service.create_workspace(s, slug(), "店", timezone="Europe/London")
        wid = ws.id
    with db.session() as s:
        roles = {r.name: r for r in s.scalars(select(Role).where(Role.workspace_id == wid))}
        assert set(roles) == set(BUILTIN_ROLES)
        assert all(r.builtin for r in roles.values())
        assert set(roles["admin"].permissions) == ALL_PERMISSIONS
        kinds = [c.kind for c in s.scalars(select(Channel).where(Channel.workspace_id == wid))]
        assert sorted(kinds) == ["api", "email", "phone", "web"]


@pytest.mark.parametrize("bad", ["", "a", "UPPER", "-lead", "has space", "x" * 64, "ünï"])
def test_workspace_slug_rules(db: Database, bad: str) -> None:
    with db.session() as s, pytest.raises(BadRequest):
        service.create_workspace(s, bad, "x")


def test_duplicate_slug(db: Database) -> None:
    name = slug()
    with db.session() as s:
        service.create_workspace(s, name, "x")
    with db.session() as s, pytest.raises(Conflict):
        service.create_workspace(s, name, "y")


def test_create_user_rules(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        u = service.create_user(s, workspace.id, " New@X.CN ", "n", PASSWORD)
        assert u.email == "new@x.cn" and u.role.name == "agent"
    with db.session() as s, pytest.raises(Conflict):
        service.create_user(s, workspace.id, "NEW@x.cn", "n", PASSWORD)
    with db.session() as s, pytest.raises(BadRequest):
        service.create_user(s, workspace.id, "b@x.cn", "n", "short")
    with db.session() as s, pytest.raises(BadRequest):
        service.create_user(s, workspace.id, "b@x.cn", "n", PASSWORD, role="superuser")
    with db.session() as s, pytest.raises(NotFound):
        service.create_user(s, workspace.id, "b@x.cn", "n", PASSWORD, skill_group_ids=[987654])
    with db.session() as s:
        assert (
            s.scalar(select(User).where(User.email == "b@x.cn", User.workspace_id == workspace.id))
            is None
        )


def test_password_is_hashed(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        u = service.create_user(s, workspace.id, "h@x.cn", "n", PASSWORD)
        assert PASSWORD not in u.password_hash and u.password_hash.startswith("$argon2")


def test_login_and_sessions(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        me = service.create_user(s, workspace.id, "me@x.cn", "me", PASSWORD, "admin").id
    with db.session() as s:
        token, user = service.login(s, workspace.slug, "Me@X.cn", PASSWORD)
        assert user.id == me and user.last_login_at is not None
    with db.session() as s:
        p = service.principal_from_session(s, token)
        assert (p.workspace_id, p.user_id) == (workspace.id, me)
        assert p.can("roles.manage") and not p.can("nonsense")
    with db.session() as s:
        service.logout(s, token)
        service.logout(s, token)  # twice is harmless
    with db.session() as s, pytest.raises(Unauthenticated):
        service.principal_from_session(s, token)
    with db.session() as s, pytest.raises(InvalidCredentials):
        service.login(s, workspace.slug, "me@x.cn", "wrong")


def test_revoke_user_sessions_only_hits_that_user(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        service.create_user(s, workspace.id, "o@x.cn", "o", PASSWORD)
        me = service.create_user(s, workspace.id, "me@x.cn", "me", PASSWORD, "admin").id
    with db.session() as s:
        admin_token, _ = service.login(s, workspace.slug, "me@x.cn", PASSWORD)
        other_token, other = service.login(s, workspace.slug, "o@x.cn", PASSWORD)
        other_id = other.id
    with db.session() as s:
        service.update_user(s, workspace.id, other_id, is_active=False)
    with db.session() as s:
        assert service.principal_from_session(s, admin_token).user_id == me
        with pytest.raises(Unauthenticated):
            service.principal_from_session(s, other_token)


def test_roles_service(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        r = service.create_role(s, workspace.id, "r", ["customers.read", "customers.read"])
        assert r.permissions == ["customers.read"] and not r.builtin
        rid = r.id
        admin_id = service.role_by_name(s, workspace.id, "admin").id
    with db.session() as s, pytest.raises(BadRequest):
        service.update_role(s, workspace.id, admin_id, None, [])
    with db.session() as s, pytest.raises(BadRequest):
        service.update_role(s, workspace.id, rid, None, ["nope"])
    with db.session() as s, pytest.raises(Conflict):
        service.update_role(s, workspace.id, rid, "agent", None)
    with db.session() as s, pytest.raises(NotFound):
        service.update_role(s, workspace.id + 10_000, rid, "x", None)


def test_api_keys_service(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        role = service.role_by_name(s, workspace.id, "agent")
        key, row = service.create_api_key(s, workspace.id, "k", role.id, workspace.admin_id)
        assert key not in row.key_hash and row.prefix in key
        kid = row.id
    with db.session() as s:
        p = service.principal_from_api_key(s, key)
        assert p.api_key_id == kid and p.user_id is None
        assert p.permissions == BUILTIN_ROLES["agent"]
    with db.session() as s:
        first = service.revoke_api_key(s, workspace.id, kid).revoked_at
        assert service.revoke_api_key(s, workspace.id, kid).revoked_at == first
    with db.session() as s, pytest.raises(Unauthenticated):
        service.principal_from_api_key(s, key)
    with db.session() as s, pytest.raises(Unauthenticated):
        service.principal_from_api_key(s, "lk_00000000_nothing")
