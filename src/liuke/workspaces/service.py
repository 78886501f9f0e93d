"""Workspaces, users, roles, skill groups, sessions and API keys: the only place that writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liuke.core.db import utcnow
from liuke.core.errors import BadRequest, Conflict, InvalidCredentials, Unauthenticated
from liuke.core.events import emit
from liuke.core.ratelimit import FailureLimiter, make_counter
from liuke.core.security import (
    DUMMY_PASSWORD_HASH,
    constant_time_equal,
    hash_password,
    hash_token,
    new_api_key,
    new_session_token,
    parse_api_key_prefix,
    password_needs_rehash,
    verify_password,
)
from liuke.core.tenancy import ensure_scoped_ids, get_scoped, scoped
from liuke.workspaces.models import ApiKey, Role, SkillGroup, User, UserSession, Workspace
from liuke.workspaces.permissions import ALL_PERMISSIONS, BUILTIN_ROLES

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MIN_PASSWORD = 8
# Not an argon2 hash, so it never verifies: system users (importers, bots) cannot log in.
UNUSABLE_PASSWORD = "!unusable"


@dataclass(frozen=True)
class Principal:
    """Who is calling, in which workspace, allowed to do what; passed to every service call."""

    workspace_id: int
    permissions: frozenset[str]
    user_id: int | None = None
    api_key_id: int | None = None
    locale: str | None = None
    name: str = ""

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_workspace(
    s: Session, slug: str, name: str, default_locale: str = "zh_CN", timezone: str = "Asia/Shanghai"
) -> Workspace:
    """A new tenant with the built-in roles and one channel of each kind."""
    from liuke.conversations.service import create_default_channels

    if not SLUG_RE.match(slug):
        raise BadRequest(detail="slug: 2-63 lowercase letters, digits or '-'")
    if s.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict(detail=f"workspace {slug!r} exists")
    ws = Workspace(
        slug=slug, name=name, default_locale=default_locale, timezone=timezone, settings={}
    )
    s.add(ws)
    s.flush()
    for role_name, perms in BUILTIN_ROLES.items():
        s.add(Role(workspace_id=ws.id, name=role_name, permissions=sorted(perms), builtin=True))
    s.flush()
    create_default_channels(s, ws.id)
    emit(s, ws.id, "workspace.created", {"workspace_id": ws.id, "slug": slug})
    return ws


def get_workspace_by_slug(s: Session, slug: str) -> Workspace | None:
    return s.scalar(select(Workspace).where(Workspace.slug == slug))


def role_by_name(s: Session, workspace_id: int, name: str) -> Role:
    role = s.scalar(scoped(Role, workspace_id).where(Role.name == name))
    if role is None:
        raise BadRequest(detail=f"unknown role {name!r}")
    return role


def _check_permissions(perms: list[str]) -> list[str]:
    unknown = sorted(set(perms) - ALL_PERMISSIONS)
    if unknown:
        raise BadRequest(detail=f"unknown permissions: {', '.join(unknown)}")
    return sorted(set(perms))


def create_role(s: Session, workspace_id: int, name: str, permissions: list[str]) -> Role:
    if s.scalar(scoped(Role, workspace_id).where(Role.name == name)) is not None:
        raise Conflict(detail=f"role {name!r} exists")
    role = Role(workspace_id=workspace_id, name=name, permissions=_check_permissions(permissions))
    s.add(role)
    s.flush()
    emit(s, workspace_id, "role.created", {"role_id": role.id, "name": name})
    return role


def update_role(
    s: Session, workspace_id: int, role_id: int, name: str | None, permissions: list[str] | None
) -> Role:
    role = get_scoped(s, Role, workspace_id, role_id, "role")
    if role.builtin:
        raise BadRequest(detail="built-in roles cannot be changed; create a custom role")
    if name is not None and name != role.name:
        if s.scalar(scoped(Role, workspace_id).where(Role.name == name)) is not None:
            raise Conflict(detail=f"role {name!r} exists")
        role.name = name
    if permissions is not None:
        role.permissions = _check_permissions(permissions)
    emit(s, workspace_id, "role.updated", {"role_id": role.id})
    return role


def create_user(
    s: Session,
    workspace_id: int,
    email: str,
    name: str,
    password: str | None,
    role: str | int = "agent",
    skill_group_ids: list[int] | None = None,
    locale: str | None = None,
    max_concurrent_chats: int = 5,
) -> User:
    email = normalize_email(email)
    if password is not None and len(password) < MIN_PASSWORD:
        raise BadRequest(detail=f"password must have at least {MIN_PASSWORD} characters")
    if s.scalar(scoped(User, workspace_id).where(User.email == email)) is not None:
        raise Conflict(detail=f"user {email!r} exists")
    role_obj = (
        get_scoped(s, Role, workspace_id, role, "role")
        if isinstance(role, int)
        else role_by_name(s, workspace_id, role)
    )
    user = User(
        workspace_id=workspace_id,
        email=email,
        name=name,
        password_hash=hash_password(password) if password is not None else UNUSABLE_PASSWORD,
        role_id=role_obj.id,
        locale=locale,
        max_concurrent_chats=max_concurrent_chats,
        is_active=True,
    )
    if skill_group_ids:
        ensure_scoped_ids(s, SkillGroup, workspace_id, skill_group_ids, "skill_group")
        user.skill_groups = list(
            s.scalars(scoped(SkillGroup, workspace_id).where(SkillGroup.id.in_(skill_group_ids)))
        )
    s.add(user)
    s.flush()
    emit(s, workspace_id, "user.created", {"user_id": user.id, "role": role_obj.name})
    return user


def update_user(
    s: Session,
    workspace_id: int,
    user_id: int,
    *,
    name: str | None = None,
    role_id: int | None = None,
    is_active: bool | None = None,
    locale: str | None = None,
    skill_group_ids: list[int] | None = None,
    max_concurrent_chats: int | None = None,
    password: str | None = None,
) -> User:
    user = get_scoped(s, User, workspace_id, user_id, "user")
    if name is not None:
        user.name = name
    if role_id is not None:
        user.role = get_scoped(s, Role, workspace_id, role_id, "role")  # id and name agree
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            revoke_user_sessions(s, workspace_id, user.id)
    if locale is not None:
        user.locale = locale
    if max_concurrent_chats is not None:
        user.max_concurrent_chats = max_concurrent_chats
    if skill_group_ids is not None:
        ensure_scoped_ids(s, SkillGroup, workspace_id, skill_group_ids, "skill_group")
        user.skill_groups = list(
            s.scalars(scoped(SkillGroup, workspace_id).where(SkillGroup.id.in_(skill_group_ids)))
        )
    if password is not None:
        if len(password) < MIN_PASSWORD:
            raise BadRequest(detail=f"password must have at least {MIN_PASSWORD} characters")
        user.password_hash = hash_password(password)
        revoke_user_sessions(s, workspace_id, user.id)
    s.flush()
    emit(s, workspace_id, "user.updated", {"user_id": user.id})
    return user


def create_skill_group(
    s: Session, workspace_id: int, name: str, description: str = ""
) -> SkillGroup:
    if s.scalar(scoped(SkillGroup, workspace_id).where(SkillGroup.name == name)) is not None:
        raise Conflict(detail=f"skill group {name!r} exists")
    group = SkillGroup(workspace_id=workspace_id, name=name, description=description)
    s.add(group)
    s.flush()
    emit(s, workspace_id, "skill_group.created", {"skill_group_id": group.id, "name": name})
    return group


def update_skill_group(
    s: Session, workspace_id: int, group_id: int, name: str | None, description: str | None
) -> SkillGroup:
    group = get_scoped(s, SkillGroup, workspace_id, group_id, "skill_group")
    if name is not None and name != group.name:
        if s.scalar(scoped(SkillGroup, workspace_id).where(SkillGroup.name == name)) is not None:
            raise Conflict(detail=f"skill group {name!r} exists")
        group.name = name
    if description is not None:
        group.description = description
    return group


# --- authentication ---------------------------------------------------------------------------


def _principal_for_user(user: User) -> Principal:
    return Principal(
        workspace_id=user.workspace_id,
        permissions=frozenset(user.role.permissions),
        user_id=user.id,
        locale=user.locale,
        name=user.name,
    )


LOGIN_WINDOW_S = 15 * 60


@dataclass(frozen=True)
class LoginGuard:
    """Failure limits per account and per client address; Redis shares them across workers."""

    per_account: FailureLimiter
    per_client: FailureLimiter

    @classmethod
    def create(cls, redis_url: str | None, account: int = 10, client: int = 50) -> LoginGuard:
        counter = make_counter(redis_url)
        return cls(
            FailureLimiter(counter, account, LOGIN_WINDOW_S),
            FailureLimiter(counter, client, LOGIN_WINDOW_S),
        )


def login(
    s: Session,
    workspace_slug: str,
    email: str,
    password: str,
    ttl_hours: int = 12,
    *,
    guard: LoginGuard | None = None,
    client: str | None = None,
) -> tuple[str, User]:
    """Check credentials and open a session; returns (cookie token, user).

    With a guard, too many failures for the account or from the client address answer 429
    before the password is checked, so guessing stays slow however it is spread.
    """
    slug, addr = workspace_slug.strip().lower(), normalize_email(email)
    account_key = f"login:{slug}:{addr}"
    client_key = f"login-client:{client or 'unknown'}"
    if guard is not None:
        guard.per_account.check(account_key)
        guard.per_client.check(client_key)
    ws = get_workspace_by_slug(s, slug)
    user = None
    if ws is not None:
        user = s.scalar(scoped(User, ws.id).where(User.email == addr))
    if user is None or not user.is_active:
        verify_password(DUMMY_PASSWORD_HASH, password)  # same cost as a real check
        user = None
    if user is None or not verify_password(user.password_hash, password):
        if guard is not None:
            guard.per_account.failed(account_key)
            guard.per_client.failed(client_key)
        raise InvalidCredentials()
    if guard is not None:
        guard.per_account.succeeded(account_key)
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = new_session_token()
    now = utcnow()
    s.add(
        UserSession(
            workspace_id=user.workspace_id,
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=ttl_hours),
        )
    )
    user.last_login_at = now
    emit(s, user.workspace_id, "user.logged_in", {"user_id": user.id})
    return token, user


def principal_from_session(s: Session, token: str) -> Principal:
    row = s.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthenticated()
    user = s.get(User, row.user_id)
    if user is None or not user.is_active or user.workspace_id != row.workspace_id:
        raise Unauthenticated()
    return _principal_for_user(user)


def logout(s: Session, token: str) -> None:
    row = s.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_user_sessions(s: Session, workspace_id: int, user_id: int) -> None:
    for row in s.scalars(
        scoped(UserSession, workspace_id).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
        )
    ):
        row.revoked_at = utcnow()


def create_api_key(
    s: Session, workspace_id: int, name: str, role_id: int, created_by_id: int | None
) -> tuple[str, ApiKey]:
    """Returns the full key (shown once, never stored) and its row."""
    role = get_scoped(s, Role, workspace_id, role_id, "role")
    key, prefix, key_hash = new_api_key()
    row = ApiKey(
        workspace_id=workspace_id,
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        role_id=role.id,
        created_by_id=created_by_id,
    )
    s.add(row)
    try:
        s.flush()
    except IntegrityError as exc:  # an 8-hex prefix collision: astronomically rare, never silent
        raise Conflict(detail="key prefix collision, try again") from exc
    emit(s, workspace_id, "api_key.created", {"api_key_id": row.id, "name": name})
    return key, row


def revoke_api_key(s: Session, workspace_id: int, key_id: int) -> ApiKey:
    row = get_scoped(s, ApiKey, workspace_id, key_id, "api_key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        emit(s, workspace_id, "api_key.revoked", {"api_key_id": row.id})
    return row


def principal_from_api_key(s: Session, key: str) -> Principal:
    prefix = parse_api_key_prefix(key)
    if prefix is None:
        raise Unauthenticated()
    row = s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if (
        row is None
        or row.revoked_at is not None
        or not constant_time_equal(row.key_hash, hash_token(key))
    ):
        raise Unauthenticated()
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return Principal(
        workspace_id=row.workspace_id,
        permissions=frozenset(row.role.permissions),
        api_key_id=row.id,
        name=row.name,
    )
