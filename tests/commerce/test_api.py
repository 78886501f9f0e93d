"""Commerce endpoints: product lines, products, orders and daily sales."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liuke.commerce.models import DailySales, Order
from liuke.core.db import Database

V1 = "/api/v1"
PASSWORD = "users-own-pw-1"  # the password of every user these tests create


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    r = client.post(V1 + path, json=body)
    assert r.status_code == status, r.text
    return dict(r.json())


def line(client: TestClient, code: str = "PL-1", **kw: Any) -> dict[str, Any]:
    return post(client, "/product-lines", {"code": code, "name": kw.pop("name", code), **kw})


def product(
    client: TestClient, line_id: int, sku: str = "SKU-1", price: str = "10.00"
) -> dict[str, Any]:
    return post(
        client, "/products", {"product_line_id": line_id, "sku": sku, "name": sku, "price": price}
    )


def customer(client: TestClient, phone: str = "13800000001") -> int:
    return int(post(client, "/customers", {"phone": phone})["id"])


def sales(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    r = client.get(V1 + "/daily-sales", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


# --- product lines ----------------------------------------------------------------------------


def test_product_line_crud(client: TestClient) -> None:
    pl = line(client, "PHONES", name="手机", owner_department="数码部")
    assert pl == {"id": pl["id"], "code": "PHONES", "name": "手机", "owner_department": "数码部"}
    assert client.get(f"{V1}/product-lines/{pl['id']}").json() == pl
    r = client.patch(f"{V1}/product-lines/{pl['id']}", json={"name": "手机配件"})
    assert r.status_code == 200
    assert r.json()["name"] == "手机配件" and r.json()["owner_department"] == "数码部"
    r = client.patch(f"{V1}/product-lines/{pl['id']}", json={"owner_department": ""})
    assert r.json()["owner_department"] == ""
    other = line(client, "TV")
    listed = client.get(f"{V1}/product-lines").json()
    assert [x["id"] for x in listed] == [pl["id"], other["id"]]


def test_product_line_rules(client: TestClient) -> None:
    line(client, "PL")
    r = client.post(f"{V1}/product-lines", json={"code": "PL", "name": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert client.post(f"{V1}/product-lines", json={"code": "a b", "name": "x"}).status_code == 422
    assert client.post(f"{V1}/product-lines", json={"code": "ok", "name": ""}).status_code == 422
    assert client.get(f"{V1}/product-lines/99999").status_code == 404
    assert client.patch(f"{V1}/product-lines/99999", json={"name": "x"}).status_code == 404


# --- products ---------------------------------------------------------------------------------


def test_product_crud_and_filters(client: TestClient) -> None:
    a, b = line(client, "A"), line(client, "B")
    p1 = product(client, a["id"], "A-1", "12.50")
    assert p1["price"] == "12.50" and p1["product_line_id"] == a["id"]
    p2 = product(client, a["id"], "A-2")
    p3 = product(client, b["id"], "B-1")
    assert client.get(f"{V1}/products/{p1['id']}").json() == p1
    r = client.patch(
        f"{V1}/products/{p1['id']}", json={"price": "15", "name": "新", "product_line_id": b["id"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["price"] == "15.00"
    assert client.get(f"{V1}/products/{p1['id']}").json()["price"] == "15.00"
    for bad in ({"price": "-1"}, {"price": "1.001"}, {"price": "abc"}):
        assert client.patch(f"{V1}/products/{p1['id']}", json=bad).status_code == 422
    assert r.json()["product_line_id"] == b["id"] and r.json()["name"] == "新"

    page = client.get(f"{V1}/products").json()
    assert page["total"] == 3 and [p["id"] for p in page["items"]] == [p1["id"], p2["id"], p3["id"]]
    in_b = client.get(f"{V1}/products", params={"product_line_id": b["id"]}).json()
    assert {p["id"] for p in in_b["items"]} == {p1["id"], p3["id"]} and in_b["total"] == 2
    paged = client.get(f"{V1}/products", params={"limit": 2, "offset": 2}).json()
    assert paged["total"] == 3 and [p["id"] for p in paged["items"]] == [p3["id"]]
    assert client.get(f"{V1}/products", params={"limit": 5000}).json()["limit"] == 200


def test_product_rules(client: TestClient) -> None:
    pl = line(client)
    product(client, pl["id"], "X")
    r = client.post(
        f"{V1}/products", json={"product_line_id": pl["id"], "sku": "X", "name": "n", "price": "1"}
    )
    assert r.status_code == 409
    for body in (
        {"product_line_id": pl["id"], "sku": "Y", "name": "n", "price": "-1"},
        {"product_line_id": pl["id"], "sku": "Y", "name": "n", "price": "1.234"},
        {"product_line_id": pl["id"], "sku": "", "name": "n", "price": "1"},
        {"product_line_id": pl["id"], "sku": "Y", "name": "n"},
    ):
        assert client.post(f"{V1}/products", json=body).status_code == 422, body
    r = client.post(
        f"{V1}/products", json={"product_line_id": 99999, "sku": "Y", "name": "n", "price": "1"}
    )
    assert r.status_code == 404
    assert client.get(f"{V1}/products/99999").status_code == 404
    assert client.patch(f"{V1}/products/99999", json={"name": "x"}).status_code == 404


# --- orders -----------------------------------------------------------------------------------


def test_order_create_replay_and_get(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    pl = line(client)
    p = product(client, pl["id"])
    cid = customer(client)
    body = {
        "external_id": "shop-1001",
        "customer_id": cid,
        "product_id": p["id"],
        "quantity": 2,
        "amount": "20.00",
        "ordered_at": "2026-03-01T10:00:00Z",
    }
    o = post(client, "/orders", body)
    assert o["status"] == "paid" and o["quantity"] == 2 and o["amount"] == "20.00"
    assert o["ordered_at"].startswith("2026-03-01T10:00:00")
    again = post(client, "/orders", body, status=200)
    assert again["id"] == o["id"]
    assert client.get(f"{V1}/orders/{o['id']}").json() == o
    # the replay did not count twice
    rows = sales(client, product_line_id=pl["id"])
    assert [(r["day"], r["orders"], r["units"], r["revenue"]) for r in rows] == [
        ("2026-03-01", 1, 2, "20.00")
    ]
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Order.workspace_id == workspace.id)) == 1
    # orders without an external id are never deduplicated
    no_ext = {k: v for k, v in body.items() if k != "external_id"}
    a, b = post(client, "/orders", no_ext), post(client, "/orders", no_ext)
    assert a["id"] != b["id"] and a["external_id"] is None


def test_order_counts_on_the_workspace_local_day(client: TestClient) -> None:
    pl = line(client)
    p = product(client, pl["id"])
    cid = customer(client)

    def order(at: str, amount: str = "5.00") -> None:
        post(
            client,
            "/orders",
            {"customer_id": cid, "product_id": p["id"], "amount": amount, "ordered_at": at},
        )

    order("2026-03-01T17:00:00Z")  # 01:00 on 2 March in Shanghai
    order("2026-03-01T15:59:59Z")  # 23:59:59 on 1 March in Shanghai
    order("2026-03-01T16:00:00+00:00", "7.50")  # midnight, 2 March
    order("2026-03-02T08:00:00+08:00")  # 2 March, given in local time
    rows = sales(client)
    assert [(r["day"], r["orders"], r["units"], Decimal(r["revenue"])) for r in rows] == [
        ("2026-03-01", 1, 1, Decimal("5.00")),
        ("2026-03-02", 3, 3, Decimal("17.50")),
    ]
    # a workspace in UTC counts the same instant on 1 March
    r = client.patch(f"{V1}/workspace", json={"timezone": "UTC"})
    assert r.status_code == 200, r.text
    order("2026-03-01T17:00:00Z")
    rows = sales(client, day_from="2026-03-01", day_to="2026-03-01")
    assert [(r["day"], r["orders"]) for r in rows] == [("2026-03-01", 2)]


def test_order_without_time_uses_now(client: TestClient) -> None:
    pl = line(client)
    p = product(client, pl["id"])
    o = post(
        client, "/orders", {"customer_id": customer(client), "product_id": p["id"], "amount": "1"}
    )
    assert o["ordered_at"]
    assert o["amount"] == "1.00"
    assert client.get(f"{V1}/orders/{o['id']}").json() == o
    assert sum(r["orders"] for r in sales(client)) == 1


def test_order_rules(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    pl = line(client)
    p = product(client, pl["id"])
    cid = customer(client)
    ok = {"customer_id": cid, "product_id": p["id"], "amount": "1.00"}
    for bad in (
        {**ok, "quantity": 0},
        {**ok, "amount": "-1"},
        {**ok, "ordered_at": "2026-03-01T10:00:00"},  # naive time
        {**ok, "external_id": ""},
        {"product_id": p["id"], "amount": "1"},
    ):
        assert client.post(f"{V1}/orders", json=bad).status_code == 422, bad
    for missing in (
        {**ok, "customer_id": 987654},
        {**ok, "product_id": 987654},
        {**ok, "source_conversation_id": 987654},
    ):
        r = client.post(f"{V1}/orders", json=missing)
        assert r.status_code == 404, (missing, r.text)
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Order.workspace_id == workspace.id)) == 0
        assert s.scalar(select(func.count()).where(DailySales.workspace_id == workspace.id)) == 0
    assert client.get(f"{V1}/orders/987654").status_code == 404


def test_order_status_and_filters(client: TestClient) -> None:
    pl = line(client)
    p1, p2 = product(client, pl["id"], "S1"), product(client, pl["id"], "S2")
    c1, c2 = customer(client, "13800000001"), customer(client, "13800000002")
    channel_id = client.get(f"{V1}/channels").json()[0]["id"]
    conv = post(client, "/conversations", {"channel_id": channel_id, "customer_id": c1})

    def order(c: int, p: int, at: str, **kw: Any) -> int:
        body = {"customer_id": c, "product_id": p, "amount": "3", "ordered_at": at, **kw}
        return int(post(client, "/orders", body)["id"])

    o1 = order(c1, p1["id"], "2026-01-01T00:00:00Z", source_conversation_id=conv["id"])
    o2 = order(c1, p2["id"], "2026-01-02T00:00:00Z")
    o3 = order(c2, p1["id"], "2026-01-03T00:00:00Z")
    r = client.patch(f"{V1}/orders/{o2}", json={"status": "refunded"})
    assert r.status_code == 200 and r.json()["status"] == "refunded"
    assert client.patch(f"{V1}/orders/{o2}", json={"status": "lost"}).status_code == 422
    assert client.patch(f"{V1}/orders/{o2}", json={}).status_code == 422
    assert client.patch(f"{V1}/orders/987654", json={"status": "paid"}).status_code == 404

    def ids(**params: Any) -> list[int]:
        r = client.get(f"{V1}/orders", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == len(page["items"]) or params.get("limit")
        return [o["id"] for o in page["items"]]

    assert ids() == [o3, o2, o1]  # newest first
    assert ids(customer_id=c1) == [o2, o1]
    assert ids(product_id=p1["id"]) == [o3, o1]
    assert ids(status="refunded") == [o2]
    assert ids(status="paid") == [o3, o1]
    assert ids(source_conversation_id=conv["id"]) == [o1]
    assert ids(ordered_from="2026-01-02T00:00:00Z") == [o3, o2]
    assert ids(ordered_to="2026-01-02T00:00:00Z") == [o1]
    assert ids(ordered_from="2026-01-01T12:00:00+00:00", ordered_to="2026-01-03T00:00:00Z") == [o2]
    page = client.get(f"{V1}/orders", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and [o["id"] for o in page["items"]] == [o2]
    assert client.get(f"{V1}/orders", params={"ordered_from": "2026-01-01"}).status_code == 422


# --- daily sales ------------------------------------------------------------------------------


def test_put_daily_sales_overwrites(client: TestClient) -> None:
    a, b = line(client, "A"), line(client, "B")
    body = {
        "product_line_id": a["id"],
        "day": "2026-02-01",
        "orders": 5,
        "units": 7,
        "revenue": "99.5",
    }
    r = client.put(f"{V1}/daily-sales", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {**body, "revenue": "99.50"}
    r = client.put(f"{V1}/daily-sales", json={**body, "orders": 6})
    assert r.json()["orders"] == 6
    client.put(f"{V1}/daily-sales", json={**body, "day": "2026-02-03"})
    client.put(f"{V1}/daily-sales", json={**body, "product_line_id": b["id"]})
    assert [(r["day"], r["product_line_id"]) for r in sales(client)] == [
        ("2026-02-01", a["id"]),
        ("2026-02-01", b["id"]),
        ("2026-02-03", a["id"]),
    ]
    assert [r["day"] for r in sales(client, product_line_id=a["id"])] == [
        "2026-02-01",
        "2026-02-03",
    ]
    assert [r["day"] for r in sales(client, day_from="2026-02-02")] == ["2026-02-03"]
    assert len(sales(client, day_to="2026-02-01")) == 2
    page = client.get(f"{V1}/daily-sales", params={"limit": 1, "offset": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    for bad in ({**body, "orders": -1}, {**body, "revenue": "-1"}, {**body, "day": "2026-02-30"}):
        assert client.put(f"{V1}/daily-sales", json=bad).status_code == 422
    r = client.put(f"{V1}/daily-sales", json={**body, "product_line_id": 987654})
    assert r.status_code == 404


def test_orders_add_to_imported_totals(client: TestClient) -> None:
    pl = line(client)
    p = product(client, pl["id"])
    client.put(
        f"{V1}/daily-sales",
        json={
            "product_line_id": pl["id"],
            "day": "2026-04-01",
            "orders": 10,
            "units": 10,
            "revenue": "100",
        },
    )
    post(
        client,
        "/orders",
        {
            "customer_id": customer(client),
            "product_id": p["id"],
            "amount": "5",
            "quantity": 3,
            "ordered_at": "2026-04-01T02:00:00Z",
        },
    )
    [row] = sales(client)
    assert (row["orders"], row["units"], Decimal(row["revenue"])) == (11, 13, Decimal("105"))


def test_commerce_permissions(client: TestClient, client_for, workspace, db: Database) -> None:  # type: ignore[no-untyped-def]
    pl = line(client)
    agent_role = next(r for r in client.get(f"{V1}/roles").json() if r["name"] == "agent")
    client.post(
        f"{V1}/users",
        json={
            "email": "agent@x.cn",
            "name": "a",
            "password": PASSWORD,
            "role_id": agent_role["id"],
        },
    )
    agent = client_for(workspace, "agent@x.cn", PASSWORD)
    assert agent.get(f"{V1}/product-lines").status_code == 200
    assert agent.get(f"{V1}/product-lines/{pl['id']}").status_code == 200
    r = agent.post(f"{V1}/product-lines", json={"code": "NO", "name": "no"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert agent.patch(f"{V1}/product-lines/{pl['id']}", json={"name": "x"}).status_code == 403
    assert (
        agent.put(
            f"{V1}/daily-sales",
            json={
                "product_line_id": pl["id"],
                "day": "2026-01-01",
                "orders": 1,
                "units": 1,
                "revenue": "1",
            },
        ).status_code
        == 403
    )
