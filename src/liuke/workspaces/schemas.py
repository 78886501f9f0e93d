"""Request and response bodies for workspaces, users, roles, skill groups and API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from liuke.core.api import Schema


class LoginIn(Schema):
    workspace: str = Field(min_length=2, max_length=64)
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class WorkspaceOut(Schema):
    id: int
    slug: str
    name: str
    default_locale: str
    timezone: str


class WorkspacePatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    default_locale: str | None = Field(default=None, pattern=r"^(zh_CN|en)$")
    timezone: str | None = Field(default=None, max_length=64)


class RoleOut(Schema):
    id: int
    name: str
    permissions: list[str]
    builtin: bool


class RoleIn(Schema):
    name: str = Field(min_length=1, max_length=64)
    permissions: list[str] = Field(max_length=100)


class RolePatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    permissions: list[str] | None = Field(default=None, max_length=100)


class SkillGroupOut(Schema):
    id: int
    name: str
    description: str


class SkillGroupIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)


class SkillGroupPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)


class UserOut(Schema):
    id: int
    email: str
    name: str
    role_id: int
    role: str
    locale: str | None
    is_active: bool
    max_concurrent_chats: int
    skill_group_ids: list[int]
    created_at: datetime
    last_login_at: datetime | None


class UserIn(Schema):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1024)
    role_id: int
    skill_group_ids: list[int] = Field(default_factory=list, max_length=50)
    locale: str | None = Field(default=None, pattern=r"^(zh_CN|en)$")
    max_concurrent_chats: int = Field(default=5, ge=1, le=100)


class UserPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role_id: int | None = None
    is_active: bool | None = None
    locale: str | None = Field(default=None, pattern=r"^(zh_CN|en)$")
    skill_group_ids: list[int] | None = Field(default=None, max_length=50)
    max_concurrent_chats: int | None = Field(default=None, ge=1, le=100)
    password: str | None = Field(default=None, min_length=8, max_length=1024)


class MeOut(Schema):
    workspace: WorkspaceOut
    user_id: int | None
    api_key_id: int | None
    name: str
    permissions: list[str]
    locale: str


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    role_id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    role_id: int


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="shown once; store it now")
