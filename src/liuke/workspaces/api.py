"""REST endpoints: auth, workspace, users, roles, skill groups, API keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from liuke.core.api import Page, PageParams, page_params, request_locale
from liuke.core.errors import Forbidden
from liuke.core.pagination import page_of
from liuke.core.tenancy import get_scoped, scoped
from liuke.workspaces import service
from liuke.workspaces.auth import (
    SESSION_COOKIE,
    CurrentPrincipal,
    DbSession,
    login_for_request,
    require,
    set_session_cookie,
)
from liuke.workspaces.models import ApiKey, Role, SkillGroup, User, Workspace
from liuke.workspaces.permissions import ALL_PERMISSIONS
from liuke.workspaces.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    LoginIn,
    MeOut,
    RoleIn,
    RoleOut,
    RolePatch,
    SkillGroupIn,
    SkillGroupOut,
    SkillGroupPatch,
    UserIn,
    UserOut,
    UserPatch,
    WorkspaceOut,
    WorkspacePatch,
)
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1", tags=["workspaces"])
Paging = Annotated[PageParams, Depends(page_params)]


def no_escalation(principal: Principal, permissions: Iterable[str]) -> None:
    """Nobody hands out permissions they do not hold themselves (a role, a user, an API key).

    Without this, a custom role holding only ``roles.manage``, ``users.manage`` or
    ``api_keys.manage`` could make itself, a new user or a new key an admin.
    """
    missing = sorted((set(permissions) & ALL_PERMISSIONS) - principal.permissions)  # unknown: 400
    if missing:
        raise Forbidden(permission=missing[0])


def grantable_role(s: DbSession, principal: Principal, role_id: int) -> Role:
    role = get_scoped(s, Role, principal.workspace_id, role_id, "role")
    no_escalation(principal, role.permissions)
    return role


def user_out(u: User) -> UserOut:
    return UserOut(
        id=u.id,
        email=u.email,
        name=u.name,
        role_id=u.role_id,
        role=u.role.name,
        locale=u.locale,
        is_active=u.is_active,
        max_concurrent_chats=u.max_concurrent_chats,
        skill_group_ids=sorted(g.id for g in u.skill_groups),
        created_at=u.created_at,
        last_login_at=u.last_login_at,
    )


@router.post("/auth/login", response_model=UserOut)
def login(body: LoginIn, request: Request, response: Response, s: DbSession) -> UserOut:
    token, user = login_for_request(request, s, body.workspace, body.email, body.password)
    set_session_cookie(request, response, token)
    return user_out(user)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, s: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.logout(s, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal, request: Request, s: DbSession) -> MeOut:
    ws = s.get(Workspace, principal.workspace_id)
    assert ws is not None
    return MeOut(
        workspace=WorkspaceOut.model_validate(ws),
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        name=principal.name,
        permissions=sorted(principal.permissions),
        locale=principal.locale or request_locale(request),
    )


@router.get("/workspace", response_model=WorkspaceOut)
def get_workspace(principal: CurrentPrincipal, s: DbSession) -> Workspace:
    ws = s.get(Workspace, principal.workspace_id)
    assert ws is not None
    return ws


@router.patch("/workspace", response_model=WorkspaceOut)
def patch_workspace(
    body: WorkspacePatch,
    principal: Annotated[Principal, Depends(require("workspace.manage"))],
    s: DbSession,
) -> Workspace:
    ws = s.get(Workspace, principal.workspace_id)
    assert ws is not None
    for field, value in body.model_dump(exclude_none=True).items():
        if field == "timezone":
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            from liuke.core.errors import BadRequest

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise BadRequest(detail=f"unknown time zone {value!r}") from exc
        setattr(ws, field, value)
    return ws


# --- roles ----------------------------------------------------------------------------------


@router.get("/roles", response_model=list[RoleOut])
def list_roles(principal: CurrentPrincipal, s: DbSession) -> list[Role]:
    return list(s.scalars(scoped(Role, principal.workspace_id).order_by(Role.id)))


@router.post("/roles", response_model=RoleOut, status_code=201)
def create_role(
    body: RoleIn,
    principal: Annotated[Principal, Depends(require("roles.manage"))],
    s: DbSession,
) -> Role:
    no_escalation(principal, body.permissions)
    return service.create_role(s, principal.workspace_id, body.name, body.permissions)


@router.patch("/roles/{role_id}", response_model=RoleOut)
def patch_role(
    role_id: int,
    body: RolePatch,
    principal: Annotated[Principal, Depends(require("roles.manage"))],
    s: DbSession,
) -> Role:
    # the role's holders get the new permissions, so the caller must hold them too
    no_escalation(principal, body.permissions or [])
    return service.update_role(s, principal.workspace_id, role_id, body.name, body.permissions)


@router.get("/roles/{role_id}", response_model=RoleOut)
def get_role(role_id: int, principal: CurrentPrincipal, s: DbSession) -> Role:
    return get_scoped(s, Role, principal.workspace_id, role_id, "role")


# --- users ----------------------------------------------------------------------------------


@router.get("/users", response_model=Page[UserOut])
def list_users(
    principal: Annotated[Principal, Depends(require("users.read"))],
    s: DbSession,
    paging: Paging,
    is_active: bool | None = None,
    skill_group_id: int | None = None,
) -> Page[UserOut]:
    stmt = scoped(User, principal.workspace_id)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    if skill_group_id is not None:
        stmt = stmt.where(User.skill_groups.any(SkillGroup.id == skill_group_id))
    return page_of(s, stmt, paging, user_out, User.id)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    body: UserIn,
    principal: Annotated[Principal, Depends(require("users.manage"))],
    s: DbSession,
) -> UserOut:
    grantable_role(s, principal, body.role_id)
    user = service.create_user(
        s,
        principal.workspace_id,
        body.email,
        body.name,
        body.password,
        role=body.role_id,
        skill_group_ids=body.skill_group_ids,
        locale=body.locale,
        max_concurrent_chats=body.max_concurrent_chats,
    )
    return user_out(user)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(
    user_id: int, principal: Annotated[Principal, Depends(require("users.read"))], s: DbSession
) -> UserOut:
    return user_out(get_scoped(s, User, principal.workspace_id, user_id, "user"))


@router.patch("/users/{user_id}", response_model=UserOut)
def patch_user(
    user_id: int,
    body: UserPatch,
    principal: Annotated[Principal, Depends(require("users.manage"))],
    s: DbSession,
) -> UserOut:
    target = get_scoped(s, User, principal.workspace_id, user_id, "user")
    no_escalation(principal, target.role.permissions)  # no taking over a stronger account
    if body.role_id is not None:
        grantable_role(s, principal, body.role_id)
    user = service.update_user(
        s, principal.workspace_id, user_id, **body.model_dump(exclude_unset=True)
    )
    return user_out(user)


# --- skill groups ---------------------------------------------------------------------------


@router.get("/skill-groups", response_model=list[SkillGroupOut])
def list_skill_groups(principal: CurrentPrincipal, s: DbSession) -> list[SkillGroup]:
    return list(s.scalars(scoped(SkillGroup, principal.workspace_id).order_by(SkillGroup.id)))


@router.post("/skill-groups", response_model=SkillGroupOut, status_code=201)
def create_skill_group(
    body: SkillGroupIn,
    principal: Annotated[Principal, Depends(require("skill_groups.manage"))],
    s: DbSession,
) -> SkillGroup:
    return service.create_skill_group(s, principal.workspace_id, body.name, body.description)


@router.get("/skill-groups/{group_id}", response_model=SkillGroupOut)
def get_skill_group(group_id: int, principal: CurrentPrincipal, s: DbSession) -> SkillGroup:
    return get_scoped(s, SkillGroup, principal.workspace_id, group_id, "skill_group")


@router.patch("/skill-groups/{group_id}", response_model=SkillGroupOut)
def patch_skill_group(
    group_id: int,
    body: SkillGroupPatch,
    principal: Annotated[Principal, Depends(require("skill_groups.manage"))],
    s: DbSession,
) -> SkillGroup:
    return service.update_skill_group(
        s, principal.workspace_id, group_id, body.name, body.description
    )


# --- API keys -------------------------------------------------------------------------------


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(
    principal: Annotated[Principal, Depends(require("api_keys.manage"))], s: DbSession
) -> list[ApiKey]:
    return list(s.scalars(scoped(ApiKey, principal.workspace_id).order_by(ApiKey.id)))


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_api_key(
    body: ApiKeyIn,
    principal: Annotated[Principal, Depends(require("api_keys.manage"))],
    s: DbSession,
) -> ApiKeyCreated:
    grantable_role(s, principal, body.role_id)
    key, row = service.create_api_key(
        s, principal.workspace_id, body.name, body.role_id, principal.user_id
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
def revoke_api_key(
    key_id: int,
    principal: Annotated[Principal, Depends(require("api_keys.manage"))],
    s: DbSession,
) -> ApiKey:
    return service.revoke_api_key(s, principal.workspace_id, key_id)
