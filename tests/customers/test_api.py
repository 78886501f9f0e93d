"""Customer profile endpoints: identity resolution, updates, listing and merging."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liuke.core.db import Database
from liuke.customers import service
from liuke.customers.models import Customer, CustomerExternalId, CustomerTag

API = "/api/v1/customers"


def create(client: TestClient, status: int = 201, **body: Any) -> dict[str, Any]:
    r = client.post(API, json=body)
    assert r.status_code == status, r.text
    return dict(r.json())


def count_customers(db: Database, workspace_id: int) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).where(Customer.workspace_id == workspace_id)) or 0)


# --- create and identity resolution -----------------------------------------------------------


def test_create_normalises_identities(client: TestClient) -> None:
    c = create(
        client,
        name="张三",
        phone="+86 138-0013-8000",
        email="  ZhangSan@Example.COM ",
        tier="key_account",
        tags=["vip", "vip", "北京"],
        external_id={"system": "shop", "external_id": "u-1"},
        attributes={"city": "北京"},
    )
    assert c["created"] is True
    assert c["matched_by"] is None
    assert c["phone"] == "13800138000"
    assert c["email"] == "zhangsan@example.com"
    assert c["tier"] == "key_account"
    assert sorted(c["tags"]) == ["vip", "北京"]
    assert c["external_ids"] == [{"system": "shop", "external_id": "u-1"}]
    assert c["attributes"] == {"city": "北京"}
    got = client.get(f"{API}/{c['id']}")
    assert got.status_code == 200
    assert got.json()["phone"] == "13800138000"
    assert "created" not in got.json()
    assert got.json()["tags"] == c["tags"]  # the same order in the reply and on reload


def test_default_tier_is_ordinary(client: TestClient) -> None:
    c = create(client, name="李四")
    assert c["tier"] == "ordinary"
    assert c["phone"] is None and c["email"] is None


def test_replay_by_normalised_phone_returns_200(
    client: TestClient, db: Database, workspace
) -> None:  # type: ignore[no-untyped-def]
    first = create(client, name="张三", phone="+86 138-0013-8000")
    for variant in ("13800138000", "138 0013 8000", "0086-138-0013-8000", "+8613800138000"):
        again = create(client, 200, phone=variant)
        assert again["id"] == first["id"]
        assert again["created"] is False
        assert again["matched_by"] == "phone"
    assert count_customers(db, workspace.id) == 1


def test_replay_by_email_is_case_insensitive(client: TestClient) -> None:
    first = create(client, email="Foo@Example.com")
    again = create(client, 200, email="foo@EXAMPLE.COM")
    assert again["id"] == first["id"]
    assert again["matched_by"] == "email"


def test_replay_by_external_id(client: TestClient) -> None:
    first = create(client, external_id={"system": "shop", "external_id": "u-9"})
    again = create(
        client, 200, external_id={"system": "shop", "external_id": "u-9"}, email="a@b.cn"
    )
    assert again["id"] == first["id"]
    assert again["matched_by"] == "external_id"
    assert again["email"] == "a@b.cn"  # a blank is filled in
    # the same external id in another system is another identity
    other = create(client, external_id={"system": "crm", "external_id": "u-9"})
    assert other["id"] != first["id"]


def test_external_id_wins_over_phone_and_phone_over_email(client: TestClient) -> None:
    by_phone = create(client, phone="13800000001")
    by_email = create(client, email="x@y.cn")
    by_ext = create(client, external_id={"system": "shop", "external_id": "e1"})
    # phone before e-mail: matched by phone, but the e-mail belongs to someone else -> 409
    r = client.post(API, json={"phone": "13800000001", "email": "x@y.cn"})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "conflict"
    # external id before phone: matched by external id, phone belongs to someone else -> 409
    r = client.post(
        API, json={"external_id": {"system": "shop", "external_id": "e1"}, "phone": "13800000001"}
    )
    assert r.status_code == 409
    # external id first: the external identity decides even when the e-mail is new
    m = create(client, 200, external_id={"system": "shop", "external_id": "e1"}, email="new@y.cn")
    assert (m["id"], m["matched_by"]) == (by_ext["id"], "external_id")
    # phone match with a new e-mail fills the blank
    m = create(client, 200, phone="13800000001", email="fresh@y.cn")
    assert (m["id"], m["matched_by"], m["email"]) == (by_phone["id"], "phone", "fresh@y.cn")
    assert client.get(f"{API}/{by_email['id']}").json()["email"] == "x@y.cn"


def test_conflict_changes_nothing(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    a = create(client, phone="13800000002", tags=["a"])
    create(client, email="b@y.cn")
    before = client.get(f"{API}/{a['id']}").json()
    n = count_customers(db, workspace.id)
    r = client.post(
        API,
        json={
            "phone": "13800000002",
            "email": "b@y.cn",
            "tags": ["new-tag"],
            "name": "changed?",
            "external_id": {"system": "shop", "external_id": "zz"},
        },
    )
    assert r.status_code == 409
    assert client.get(f"{API}/{a['id']}").json() == before
    assert count_customers(db, workspace.id) == n
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).where(CustomerExternalId.workspace_id == workspace.id))
            == 0
        )


def test_match_fills_blanks_but_keeps_known_values(client: TestClient) -> None:
    first = create(client, name="原名", phone="13800000003", attributes={"a": 1}, tags=["x"])
    again = create(
        client,
        200,
        name="新名字",
        phone="13800000003",
        attributes={"a": 2, "b": 3},
        tags=["y"],
    )
    assert again["id"] == first["id"]
    assert again["name"] == "原名"
    assert again["attributes"] == {"a": 1, "b": 3}
    assert sorted(again["tags"]) == ["x", "y"]
    blank = create(client, phone="13800000004")
    named = create(client, 200, phone="13800000004", name="补上")
    assert named["id"] == blank["id"] and named["name"] == "补上"


def test_tier_on_match_updates_tier(client: TestClient) -> None:
    first = create(client, phone="13800000005")
    again = create(client, 200, phone="13800000005", tier="key_account")
    assert again["id"] == first["id"] and again["tier"] == "key_account"


def test_invalid_identities_are_400(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    for body in ({"phone": "abc"}, {"phone": "12"}, {"email": "not-an-email"}, {"email": "a@b"}):
        r = client.post(API, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["code"] == "bad_request"
    r = client.post(API, json={"tier": "gold"})
    assert r.status_code == 422
    r = client.post(API, json={"tags": ["x" * 65]})
    assert r.status_code == 400
    assert count_customers(db, workspace.id) == 0


def test_get_unknown_customer_is_404(client: TestClient) -> None:
    r = client.get(f"{API}/999999")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


# --- update -----------------------------------------------------------------------------------


def test_patch_fields(client: TestClient) -> None:
    c = create(client, name="a", phone="13800000010", tags=["old", "keep"])
    r = client.patch(
        f"{API}/{c['id']}",
        json={
            "name": "b",
            "phone": "+86 139-0000-0011",
            "email": "B@C.CN",
            "tier": "key_account",
            "tags": ["keep", "new"],
            "attributes": {"z": 1},
            "external_ids": [{"system": "shop", "external_id": "p1"}],
        },
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["name"] == "b"
    assert out["phone"] == "13900000011"
    assert out["email"] == "b@c.cn"
    assert out["tier"] == "key_account"
    assert sorted(out["tags"]) == ["keep", "new"]
    assert out["attributes"] == {"z": 1}
    assert out["external_ids"] == [{"system": "shop", "external_id": "p1"}]
    assert out["updated_at"] >= c["updated_at"]
    # a later identity lookup finds the new identities
    assert create(client, 200, phone="13900000011")["id"] == c["id"]
    assert create(client, 200, external_id={"system": "shop", "external_id": "p1"})["id"] == c["id"]
    # an empty patch changes nothing
    r = client.patch(f"{API}/{c['id']}", json={})
    assert r.status_code == 200
    assert r.json()["phone"] == "13900000011"


def test_patch_conflicting_identity_is_409(client: TestClient) -> None:
    a = create(client, phone="13800000020", external_id={"system": "s", "external_id": "a"})
    b = create(client, phone="13800000021", email="b@b.cn")
    for body in (
        {"phone": "13800000021"},
        {"email": "B@B.CN"},
        {"external_ids": [{"system": "s", "external_id": "a"}]},
    ):
        r = client.patch(
            f"{API}/{a['id'] if 'email' in body or 'phone' in body else b['id']}", json=body
        )
        assert r.status_code == 409, (body, r.text)
    assert client.get(f"{API}/{a['id']}").json()["phone"] == "13800000020"
    assert client.get(f"{API}/{b['id']}").json()["external_ids"] == []


def test_patch_same_identity_is_not_a_conflict(client: TestClient) -> None:
    a = create(client, phone="13800000030", email="a@a.cn")
    r = client.patch(f"{API}/{a['id']}", json={"phone": "138 0000 0030", "email": "A@A.CN"})
    assert r.status_code == 200, r.text


def test_patch_unknown_is_404(client: TestClient) -> None:
    assert client.patch(f"{API}/987654", json={"name": "x"}).status_code == 404


def test_patch_invalid_values(client: TestClient) -> None:
    a = create(client, name="a")
    assert client.patch(f"{API}/{a['id']}", json={"phone": "??"}).status_code == 400
    assert client.patch(f"{API}/{a['id']}", json={"tier": "vip"}).status_code == 422
    assert client.patch(f"{API}/{a['id']}", json={"nickname": "x"}).status_code == 422


# --- list -------------------------------------------------------------------------------------


def test_list_filters_and_pagination(client: TestClient) -> None:
    ids = []
    for i in range(7):
        ids.append(
            create(
                client,
                name=f"客户{i}",
                phone=f"1370000000{i}",
                tier="key_account" if i % 3 == 0 else "ordinary",
                tags=["even"] if i % 2 == 0 else ["odd"],
            )["id"]
        )
    page = client.get(API, params={"limit": 3}).json()
    assert page["total"] == 7 and page["limit"] == 3 and page["offset"] == 0
    assert [c["id"] for c in page["items"]] == sorted(ids, reverse=True)[:3]
    page2 = client.get(API, params={"limit": 3, "offset": 3}).json()
    assert [c["id"] for c in page2["items"]] == sorted(ids, reverse=True)[3:6]
    last = client.get(API, params={"limit": 3, "offset": 6}).json()
    assert len(last["items"]) == 1 and last["total"] == 7
    beyond = client.get(API, params={"offset": 100}).json()
    assert beyond["items"] == [] and beyond["total"] == 7

    ka = client.get(API, params={"tier": "key_account"}).json()
    assert {c["id"] for c in ka["items"]} == {ids[0], ids[3], ids[6]}
    assert ka["total"] == 3
    even = client.get(API, params={"tag": "even"}).json()
    assert {c["id"] for c in even["items"]} == {ids[0], ids[2], ids[4], ids[6]}
    q = client.get(API, params={"q": "客户5"}).json()
    assert [c["id"] for c in q["items"]] == [ids[5]]
    qphone = client.get(API, params={"q": "13700000002"}).json()
    assert [c["id"] for c in qphone["items"]] == [ids[2]]
    both = client.get(API, params={"tier": "key_account", "tag": "even"}).json()
    assert {c["id"] for c in both["items"]} == {ids[0], ids[6]}
    assert client.get(API, params={"tier": "gold"}).status_code == 422
    assert client.get(API, params={"limit": 0}).status_code == 422
    assert client.get(API, params={"offset": -1}).status_code == 422


def test_list_page_size_is_capped(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        for i in range(205):
            service.resolve_customer(s, workspace.id, phone=f"1360000{i:04d}")
    page = client.get(API, params={"limit": 10_000}).json()
    assert page["limit"] == 200
    assert len(page["items"]) == 200
    assert page["total"] == 205
    default = client.get(API).json()
    assert default["limit"] == 50 and len(default["items"]) == 50


# --- merge ------------------------------------------------------------------------------------


def _line_and_product(client: TestClient) -> int:
    line = client.post("/api/v1/product-lines", json={"code": "PL1", "name": "线"}).json()
    prod = client.post(
        "/api/v1/products",
        json={"product_line_id": line["id"], "sku": "S1", "name": "品", "price": "9.90"},
    ).json()
    return int(prod["id"])


def test_merge_moves_conversations_orders_and_identities(
    client: TestClient,
    db: Database,
    workspace,  # type: ignore[no-untyped-def]
) -> None:
    keep = create(
        client,
        name="",
        phone="13800000040",
        tags=["a"],
        attributes={"k": "keep"},
        external_id={"system": "shop", "external_id": "keep-1"},
    )
    drop = create(
        client,
        name="重复",
        email="dup@x.cn",
        tier="key_account",
        tags=["a", "b"],
        attributes={"k": "drop", "d": 1},
        external_id={"system": "wechat", "external_id": "drop-1"},
    )
    channel_id = client.get("/api/v1/channels").json()[0]["id"]
    conv = client.post(
        "/api/v1/conversations", json={"channel_id": channel_id, "customer_id": drop["id"]}
    ).json()
    product_id = _line_and_product(client)
    order = client.post(
        "/api/v1/orders",
        json={"customer_id": drop["id"], "product_id": product_id, "amount": "9.90"},
    ).json()

    r = client.post(f"{API}/{keep['id']}/merge", json={"duplicate_id": drop["id"]})
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["id"] == keep["id"]
    assert merged["name"] == "重复"  # blank filled from the duplicate
    assert merged["phone"] == "13800000040"
    assert merged["email"] == "dup@x.cn"
    assert merged["tier"] == "key_account"
    assert sorted(merged["tags"]) == ["a", "b"]
    assert merged["attributes"] == {"k": "keep", "d": 1}
    assert sorted((e["system"], e["external_id"]) for e in merged["external_ids"]) == [
        ("shop", "keep-1"),
        ("wechat", "drop-1"),
    ]
    assert client.get(f"{API}/{drop['id']}").status_code == 404
    assert client.get(f"/api/v1/conversations/{conv['id']}").json()["customer_id"] == keep["id"]
    assert client.get(f"/api/v1/orders/{order['id']}").json()["customer_id"] == keep["id"]
    # the duplicate's identities now resolve to the kept profile
    again = create(client, 200, external_id={"system": "wechat", "external_id": "drop-1"})
    assert again["id"] == keep["id"]
    assert create(client, 200, email="DUP@x.cn")["id"] == keep["id"]
    assert count_customers(db, workspace.id) == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).where(CustomerTag.customer_id == drop["id"])) == 0


def test_merge_rules(client: TestClient) -> None:
    a = create(client, name="a")
    r = client.post(f"{API}/{a['id']}/merge", json={"duplicate_id": a["id"]})
    assert r.status_code == 400
    assert client.post(f"{API}/{a['id']}/merge", json={"duplicate_id": 424242}).status_code == 404
    assert client.post(f"{API}/424242/merge", json={"duplicate_id": a["id"]}).status_code == 404
    assert client.post(f"{API}/{a['id']}/merge", json={}).status_code == 422
    assert client.get(f"{API}/{a['id']}").status_code == 200
