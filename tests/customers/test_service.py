"""Customer service functions: normalisation, resolution order, merging, events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, NotFound
from liuke.core.events import OutboxEvent
from liuke.customers import service
from liuke.customers.models import Customer, CustomerExternalId
from liuke.customers.service import ExternalRef
from tests.conftest import WorkspaceCtx


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("13800138000", "13800138000"),
        ("0086 138 0013 8000", "13800138000"),
        ("(010) 6552-9988", "01065529988"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("138.0013.8000", "13800138000"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_phone(raw: str | None, normal: str | None) -> None:
    assert service.normalize_phone(raw) == normal


@pytest.mark.parametrize("raw", ["abc", "12", "138-abcd-8000", "+", "1" * 25])
def test_normalize_phone_rejects(raw: str) -> None:
    with pytest.raises(BadRequest):
        service.normalize_phone(raw)


def test_normalize_email() -> None:
    assert service.normalize_email("  A.B@Example.COM ") == "a.b@example.com"
    assert service.normalize_email("") is None
    assert service.normalize_email(None) is None
    for bad in ("a@b", "no-at.cn", "a b@c.cn", "a@@b.cn"):
        with pytest.raises(BadRequest):
            service.normalize_email(bad)


def test_resolution_order(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        x = service.resolve_customer(s, workspace.id, phone="13800000001").customer
        y = service.resolve_customer(s, workspace.id, email="y@y.cn").customer
        z = service.resolve_customer(
            s, workspace.id, external=ExternalRef("shop", "z"), name="z"
        ).customer
        ids = (x.id, y.id, z.id)
    with db.session() as s:
        found, how = service.find_customer(s, workspace.id, phone="13800000001", email="y@y.cn")
        assert (found and found.id, how) == (ids[0], "phone")
        found, how = service.find_customer(
            s, workspace.id, ExternalRef("shop", "z"), phone="13800000001", email="y@y.cn"
        )
        assert (found and found.id, how) == (ids[2], "external_id")
        found, how = service.find_customer(s, workspace.id, ExternalRef("shop", "nope"))
        assert (found, how) == (None, None)
        found, how = service.find_customer(s, workspace.id, email="y@y.cn")
        assert (found and found.id, how) == (ids[1], "email")
        r = service.resolve_customer(s, workspace.id, phone="+86 138 0000 0001")
        assert (r.customer.id, r.created, r.matched_by) == (ids[0], False, "phone")


def test_resolution_is_per_workspace(db: Database, make_workspace) -> None:  # type: ignore[no-untyped-def]
    a, b = make_workspace("A"), make_workspace("B")
    with db.session() as s:
        ca = service.resolve_customer(
            s, a.id, phone="13800000001", external=ExternalRef("shop", "1")
        )
        cb = service.resolve_customer(
            s, b.id, phone="13800000001", external=ExternalRef("shop", "1")
        )
        assert ca.created and cb.created
        assert ca.customer.id != cb.customer.id


def test_conflicts_raise(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        service.resolve_customer(s, workspace.id, phone="13800000001")
        service.resolve_customer(s, workspace.id, email="y@y.cn", external=ExternalRef("s", "1"))
    with db.session() as s, pytest.raises(Conflict):
        service.resolve_customer(s, workspace.id, phone="13800000001", email="y@y.cn")
    with db.session() as s, pytest.raises(Conflict):
        service.resolve_customer(
            s, workspace.id, external=ExternalRef("s", "1"), phone="13800000001"
        )
    with db.session() as s, pytest.raises(BadRequest):
        service.resolve_customer(s, workspace.id, external=ExternalRef(" ", "1"))
    with db.session() as s, pytest.raises(BadRequest):
        service.resolve_customer(s, workspace.id, tier="gold")


def test_events_are_emitted(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        c = service.resolve_customer(s, workspace.id, phone="13800000001").customer
        service.resolve_customer(s, workspace.id, phone="13800000001", name="n")
        d = service.resolve_customer(s, workspace.id, phone="13800000002").customer
        service.merge_customers(s, workspace.id, c.id, d.id)
    with db.session() as s:
        types = list(
            s.scalars(
                select(OutboxEvent.type)
                .where(
                    OutboxEvent.workspace_id == workspace.id, OutboxEvent.type.like("customer.%")
                )
                .order_by(OutboxEvent.id)
            )
        )
    assert types == ["customer.created", "customer.updated", "customer.created", "customer.merged"]


def test_merge_keeps_both_identity_sets(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        keep = service.resolve_customer(
            s, workspace.id, external=ExternalRef("a", "1"), phone="13800000001"
        ).customer
        drop = service.resolve_customer(
            s, workspace.id, external=ExternalRef("b", "2"), tags=["t"]
        ).customer
        service.update_customer(s, workspace.id, drop.id, external_ids=[ExternalRef("c", "3")])
        keep_id, drop_id = keep.id, drop.id
    with db.session() as s:
        merged = service.merge_customers(s, workspace.id, keep_id, drop_id)
        assert sorted((e.system, e.external_id) for e in merged.external_ids) == [
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
        ]
        assert [t.tag for t in merged.tags] == ["t"]
    with db.session() as s:
        rows = s.scalars(
            select(CustomerExternalId).where(CustomerExternalId.workspace_id == workspace.id)
        ).all()
        assert {r.customer_id for r in rows} == {keep_id}
        assert len(rows) == 3
        assert s.get(Customer, drop_id) is None
        with pytest.raises(NotFound):
            service.merge_customers(s, workspace.id, keep_id, drop_id)


def test_merge_rejects_self(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        c = service.resolve_customer(s, workspace.id, name="x").customer
        with pytest.raises(BadRequest):
            service.merge_customers(s, workspace.id, c.id, c.id)


def test_update_customer_tags_replace(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        c = service.resolve_customer(s, workspace.id, name="x", tags=["a", "b"]).customer
        cid = c.id
    with db.session() as s:
        c = service.update_customer(s, workspace.id, cid, tags=[" b ", "c", "c"])
        assert [t.tag for t in c.tags] == ["b", "c"]
    with db.session() as s:
        c2 = s.get(Customer, cid)
        assert c2 is not None and [t.tag for t in c2.tags] == ["b", "c"]
    with db.session() as s, pytest.raises(BadRequest):
        service.update_customer(s, workspace.id, cid, tags=[""])


def test_list_customers_service(db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        for i in range(5):
            service.resolve_customer(
                s, workspace.id, name=f"n{i}", tier="key_account" if i < 2 else None
            )
        rows, total = service.list_customers(s, workspace.id, tier="key_account")
        assert total == 2 and len(rows) == 2
        rows, total = service.list_customers(s, workspace.id, limit=2, offset=4)
        assert total == 5 and [r.name for r in rows] == ["n0"]
        with pytest.raises(BadRequest):
            service.list_customers(s, workspace.id, tier="vip")


def test_search_is_case_insensitive_and_wildcards_are_literal(
    db: Database, workspace: WorkspaceCtx
) -> None:
    from liuke.customers import service as cust_service

    with db.session() as s:
        cust_service.resolve_customer(s, workspace.id, name="Alice Wang", email="Alice@Shop.cn")
        cust_service.resolve_customer(s, workspace.id, name="100% 满意", phone="13900000001")
        cust_service.resolve_customer(s, workspace.id, name="1000 满意", phone="13900000002")
    with db.session() as s:
        rows, total = cust_service.list_customers(s, workspace.id, q="alice")
        assert total == 1 and rows[0].name == "Alice Wang"
        rows, total = cust_service.list_customers(s, workspace.id, q="100%")
        assert [r.name for r in rows] == ["100% 满意"]
        _, total = cust_service.list_customers(s, workspace.id, q="a_i")
        assert total == 0
