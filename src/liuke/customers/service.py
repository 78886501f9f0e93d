"""Customer profiles and identity resolution.

A customer who writes by chat today and by e-mail tomorrow is one person: ``resolve_customer``
finds the profile by external id, then phone, then e-mail, and merges what is new into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from liuke.core.db import retry_on_conflict, utcnow
from liuke.core.errors import BadRequest, Conflict
from liuke.core.events import emit
from liuke.core.pagination import fetch_page
from liuke.core.tenancy import get_scoped, scoped
from liuke.customers.models import TIERS, Customer, CustomerExternalId, CustomerTag

_PHONE_STRIP = re.compile(r"[\s\-().]")
_PHONE_OK = re.compile(r"^\+?\d{5,20}$")
_EMAIL_OK = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(phone: str | None) -> str | None:
    if phone is None or not phone.strip():
        return None
    p = _PHONE_STRIP.sub("", phone.strip())
    if p.startswith("0086"):
        p = "+86" + p[4:]
    if not _PHONE_OK.match(p):
        raise BadRequest(detail=f"invalid phone {phone!r}")
    if p.startswith("+86"):
        p = p[3:]
    return p


def normalize_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    e = email.strip().lower()
    if not _EMAIL_OK.match(e):
        raise BadRequest(detail=f"invalid email {email!r}")
    return e


def _check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise BadRequest(detail=f"tier must be one of {', '.join(TIERS)}")
    return tier


@dataclass(frozen=True)
class ExternalRef:
    system: str
    external_id: str


@dataclass
class Resolved:
    customer: Customer
    created: bool
    matched_by: str | None  # external_id | phone | email | None


def find_customer(
    s: Session,
    workspace_id: int,
    external: ExternalRef | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> tuple[Customer | None, str | None]:
    if external is not None:
        cid = s.scalar(
            select(CustomerExternalId.customer_id).where(
                CustomerExternalId.workspace_id == workspace_id,
                CustomerExternalId.system == external.system,
                CustomerExternalId.external_id == external.external_id,
            )
        )
        if cid is not None:
            return s.get(Customer, cid), "external_id"
    if phone:
        c = s.scalar(scoped(Customer, workspace_id).where(Customer.phone == phone))
        if c is not None:
            return c, "phone"
    if email:
        c = s.scalar(scoped(Customer, workspace_id).where(Customer.email == email))
        if c is not None:
            return c, "email"
    return None, None


def resolve_customer(
    s: Session,
    workspace_id: int,
    *,
    external: ExternalRef | None = None,
    phone: str | None = None,
    email: str | None = None,
    name: str | None = None,
    tier: str | None = None,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Resolved:
    """Find-or-create by identity; fills blanks on a match but never overwrites known values.

    Two requests for a new person can both find nobody and both insert; the loser fails on a
    unique identity. Its work is rolled back to a savepoint and resolved again, now matching
    the winner's committed profile, so the caller gets a match instead of an error.
    """
    phone, email = normalize_phone(phone), normalize_email(email)
    return retry_on_conflict(
        s,
        lambda: _resolve(s, workspace_id, external, phone, email, name, tier, tags, attributes),
        _RESOLVE_RETRIES,
    )


_RESOLVE_RETRIES = 2


def _resolve(
    s: Session,
    workspace_id: int,
    external: ExternalRef | None,
    phone: str | None,
    email: str | None,
    name: str | None,
    tier: str | None,
    tags: list[str] | None,
    attributes: dict[str, Any] | None,
) -> Resolved:
    customer, matched_by = find_customer(s, workspace_id, external, phone, email)
    if customer is None:
        customer = Customer(
            workspace_id=workspace_id,
            name=name or "",
            phone=phone,
            email=email,
            tier=_check_tier(tier or "ordinary"),
            attributes=dict(attributes or {}),
        )
        s.add(customer)
        s.flush()
        created = True
    else:
        created = False
        _merge_identity(s, workspace_id, customer, phone, email)
        if name and not customer.name:
            customer.name = name
        if attributes:
            customer.attributes = {**attributes, **customer.attributes}
        if tier is not None and tier != customer.tier:
            customer.tier = _check_tier(tier)
        customer.updated_at = utcnow()
    if external is not None:
        # For a new profile find_customer saw no owner of this id; an owner appearing since is a
        # concurrent insert, so let the unique key fail and resolve again (no 409 for a race).
        _attach_external(s, workspace_id, customer, external, check_owner=not created)
    if tags:
        add_tags(s, workspace_id, customer, tags)
    s.flush()
    emit(
        s,
        workspace_id,
        "customer.created" if created else "customer.updated",
        {"customer_id": customer.id, "matched_by": matched_by},
    )
    return Resolved(customer, created, matched_by)


def _merge_identity(
    s: Session, workspace_id: int, customer: Customer, phone: str | None, email: str | None
) -> None:
    for field, value in (("phone", phone), ("email", email)):
        if not value or getattr(customer, field) == value:
            continue
        other = s.scalar(scoped(Customer, workspace_id).where(getattr(Customer, field) == value))
        if other is not None and other.id != customer.id:
            raise Conflict(
                detail=f"{field} belongs to customer {other.id}, identity matched customer "
                f"{customer.id}; merge them first"
            )
        if getattr(customer, field) is None:
            setattr(customer, field, value)


def _attach_external(
    s: Session, workspace_id: int, customer: Customer, ref: ExternalRef, check_owner: bool = True
) -> None:
    if not ref.system.strip() or not ref.external_id.strip():
        raise BadRequest(detail="external id needs a system and an id")
    owner = (
        s.scalar(
            select(CustomerExternalId.customer_id).where(
                CustomerExternalId.workspace_id == workspace_id,
                CustomerExternalId.system == ref.system,
                CustomerExternalId.external_id == ref.external_id,
            )
        )
        if check_owner
        else None
    )
    if owner is None:
        customer.external_ids.append(
            CustomerExternalId(
                workspace_id=workspace_id, system=ref.system, external_id=ref.external_id
            )
        )
    elif owner != customer.id:
        raise Conflict(detail=f"external id {ref.system}:{ref.external_id} belongs to {owner}")


def add_tags(s: Session, workspace_id: int, customer: Customer, tags: list[str]) -> None:
    have = {t.tag for t in customer.tags}
    for tag in dict.fromkeys(t.strip() for t in tags):
        if not tag or len(tag) > 64:
            raise BadRequest(detail=f"invalid tag {tag!r}")
        if tag not in have:
            customer.tags.append(CustomerTag(workspace_id=workspace_id, tag=tag))
            have.add(tag)


def update_customer(
    s: Session,
    workspace_id: int,
    customer_id: int,
    *,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    tier: str | None = None,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
    external_ids: list[ExternalRef] | None = None,
) -> Customer:
    c = get_scoped(s, Customer, workspace_id, customer_id, "customer")
    if name is not None:
        c.name = name
    for field, value in (("phone", normalize_phone(phone)), ("email", normalize_email(email))):
        if value is None or value == getattr(c, field):
            continue
        other = s.scalar(scoped(Customer, workspace_id).where(getattr(Customer, field) == value))
        if other is not None:
            raise Conflict(detail=f"{field} belongs to customer {other.id}")
        setattr(c, field, value)
    if tier is not None:
        c.tier = _check_tier(tier)
    if tags is not None:
        wanted = list(dict.fromkeys(t.strip() for t in tags))
        c.tags = [t for t in c.tags if t.tag in wanted]
        add_tags(s, workspace_id, c, wanted)
    if attributes is not None:
        c.attributes = dict(attributes)
    for ref in external_ids or []:
        _attach_external(s, workspace_id, c, ref)
    c.updated_at = utcnow()
    s.flush()
    emit(s, workspace_id, "customer.updated", {"customer_id": c.id})
    return c


def merge_customers(s: Session, workspace_id: int, keep_id: int, drop_id: int) -> Customer:
    """Fold a duplicate profile into another; its conversations and orders move with it."""
    from sqlalchemy import update

    from liuke.commerce.models import Order
    from liuke.conversations.models import Conversation

    if keep_id == drop_id:
        raise BadRequest(detail="cannot merge a customer into itself")
    keep = get_scoped(s, Customer, workspace_id, keep_id, "customer")
    drop = get_scoped(s, Customer, workspace_id, drop_id, "customer")
    for model in (Conversation, Order):
        s.execute(
            update(model)
            .where(model.workspace_id == workspace_id, model.customer_id == drop.id)
            .values(customer_id=keep.id)
        )
    s.execute(
        update(CustomerExternalId)
        .where(CustomerExternalId.customer_id == drop.id)
        .values(customer_id=keep.id)
    )
    tags = [t.tag for t in drop.tags]
    phone, email = drop.phone, drop.email
    keep.attributes = {**drop.attributes, **keep.attributes}
    if not keep.name:
        keep.name = drop.name
    if keep.tier != "key_account" and drop.tier == "key_account":
        keep.tier = "key_account"
    # The bulk update moved the external ids; forget the loaded collection, or deleting the
    # duplicate would cascade to (and delete) the identities that now belong to ``keep``.
    s.expire(drop, ["external_ids"])
    s.delete(drop)
    s.flush()
    s.expire(keep, ["external_ids"])
    keep.phone = keep.phone or phone
    keep.email = keep.email or email
    add_tags(s, workspace_id, keep, tags)
    keep.updated_at = utcnow()
    s.flush()
    emit(s, workspace_id, "customer.merged", {"customer_id": keep.id, "merged_id": drop_id})
    return keep


def list_customers(
    s: Session,
    workspace_id: int,
    *,
    q: str | None = None,
    tier: str | None = None,
    tag: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Customer], int]:
    stmt = scoped(Customer, workspace_id)
    if q:
        # Case-insensitive on every backend; the user's % and _ are literal, not wildcards.
        term = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{term}%"
        stmt = stmt.where(
            or_(
                Customer.name.ilike(like, escape="\\"),
                Customer.phone.ilike(like, escape="\\"),
                Customer.email.ilike(like, escape="\\"),
            )
        )
    if tier:
        stmt = stmt.where(Customer.tier == _check_tier(tier))
    if tag:
        stmt = stmt.where(
            Customer.id.in_(
                select(CustomerTag.customer_id).where(
                    CustomerTag.workspace_id == workspace_id, CustomerTag.tag == tag
                )
            )
        )
    return fetch_page(s, stmt, limit, offset, Customer.id.desc())
