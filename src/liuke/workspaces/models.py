"""Tenant and identity tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from liuke.core.db import Base, JSONType, UTCDateTime, utcnow
from liuke.core.tenancy import IdMixin, IdType, WorkspaceScoped


class Workspace(IdMixin, Base):
    __tablename__ = "workspaces"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Role(WorkspaceScoped, Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


user_skill_groups = Table(
    "user_skill_groups",
    Base.metadata,
    Column("user_id", IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "skill_group_id",
        IdType,
        ForeignKey("skill_groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class User(WorkspaceScoped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role_id: Mapped[int] = mapped_column(IdType, ForeignKey("roles.id", ondelete="RESTRICT"))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    max_concurrent_chats: Mapped[int] = mapped_column(default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role: Mapped[Role] = relationship(lazy="joined")
    skill_groups: Mapped[list[SkillGroup]] = relationship(
        secondary=user_skill_groups, back_populates="members"
    )


class SkillGroup(WorkspaceScoped, Base):
    __tablename__ = "skill_groups"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=user_skill_groups, back_populates="skill_groups"
    )


class UserSession(WorkspaceScoped, Base):
    """A login: the cookie holds the token, the database only its hash (revocable)."""

    __tablename__ = "user_sessions"

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(WorkspaceScoped, Base):
    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role_id: Mapped[int] = mapped_column(IdType, ForeignKey("roles.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role: Mapped[Role] = relationship(lazy="joined")
