"""Workspace scoping: every tenant-owned row carries ``workspace_id`` and every read filters on it.

Services never load a row by primary key alone; they call :func:`get_scoped`, which returns 404
for rows of another workspace exactly as for rows that do not exist, so ids leak nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import BigInteger, ForeignKey, Integer, Select, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from liuke.core.errors import NotFound

IdType = BigInteger().with_variant(Integer(), "sqlite")


class IdMixin:
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)


class WorkspaceScoped(IdMixin):
    @declared_attr
    def workspace_id(cls) -> Mapped[int]:
        return mapped_column(
            IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True, nullable=False
        )


M = TypeVar("M", bound=WorkspaceScoped)


def scoped(model: type[M], workspace_id: int) -> Select[M]:
    return select(model).where(model.workspace_id == workspace_id)


def get_scoped(
    session: Session, model: type[M], workspace_id: int, obj_id: int, entity: str | None = None
) -> M:
    obj = session.scalar(scoped(model, workspace_id).where(model.id == obj_id))
    if obj is None:
        raise NotFound(entity or model.__name__, obj_id)
    return obj


def ensure_scoped_ids(
    session: Session, model: type[M], workspace_id: int, ids: Any, entity: str | None = None
) -> None:
    """Check that every id in ``ids`` (None allowed) belongs to the workspace."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return
    found = set(
        session.scalars(
            select(model.id).where(model.workspace_id == workspace_id, model.id.in_(wanted))
        )
    )
    missing = wanted - found
    if missing:
        raise NotFound(entity or model.__name__, min(missing))
