"""REST endpoints for customer profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from liuke.core.api import Page, PageParams, page_params
from liuke.core.pagination import to_page
from liuke.core.tenancy import get_scoped
from liuke.customers import service
from liuke.customers.models import Customer
from liuke.customers.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    CustomerResolved,
    ExternalIdIO,
    MergeIn,
    Tier,
)
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
Reader = Annotated[Principal, Depends(require("customers.read"))]
Writer = Annotated[Principal, Depends(require("customers.write"))]


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.id,
        name=c.name,
        phone=c.phone,
        email=c.email,
        tier=c.tier,
        tags=sorted(t.tag for t in c.tags),  # the same order before and after a reload
        external_ids=[
            ExternalIdIO(system=e.system, external_id=e.external_id) for e in c.external_ids
        ],
        attributes=c.attributes,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


@router.get("", response_model=Page[CustomerOut])
def list_customers(
    principal: Reader,
    s: DbSession,
    paging: Annotated[PageParams, Depends(page_params)],
    q: str | None = None,
    tier: Tier | None = None,
    tag: str | None = None,
) -> Page[CustomerOut]:
    rows, total = service.list_customers(
        s, principal.workspace_id, q=q, tier=tier, tag=tag, limit=paging.limit, offset=paging.offset
    )
    return to_page(rows, total, paging, customer_out)


@router.post("", response_model=CustomerResolved, status_code=201)
def create_customer(
    body: CustomerIn, principal: Writer, s: DbSession, response: Response
) -> CustomerResolved:
    ext = body.external_id
    res = service.resolve_customer(
        s,
        principal.workspace_id,
        external=service.ExternalRef(ext.system, ext.external_id) if ext else None,
        phone=body.phone,
        email=body.email,
        name=body.name,
        tier=body.tier,
        tags=body.tags,
        attributes=body.attributes,
    )
    if not res.created:
        response.status_code = 200
    return CustomerResolved(
        **customer_out(res.customer).model_dump(), created=res.created, matched_by=res.matched_by
    )


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: int, principal: Reader, s: DbSession) -> CustomerOut:
    return customer_out(get_scoped(s, Customer, principal.workspace_id, customer_id, "customer"))


@router.patch("/{customer_id}", response_model=CustomerOut)
def patch_customer(
    customer_id: int, body: CustomerPatch, principal: Writer, s: DbSession
) -> CustomerOut:
    data = body.model_dump(exclude_unset=True)
    refs = data.pop("external_ids", None)
    c = service.update_customer(
        s,
        principal.workspace_id,
        customer_id,
        **data,
        external_ids=[service.ExternalRef(r["system"], r["external_id"]) for r in refs or []],
    )
    return customer_out(c)


@router.post("/{customer_id}/merge", response_model=CustomerOut)
def merge_customer(customer_id: int, body: MergeIn, principal: Writer, s: DbSession) -> CustomerOut:
    return customer_out(
        service.merge_customers(s, principal.workspace_id, customer_id, body.duplicate_id)
    )
