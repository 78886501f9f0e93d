"""Bad input: every failure is a JSON error in the caller's language, and writes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liuke.app import create_app
from liuke.core.db import Base, Database
from liuke.models import Base as _all_models  # noqa: F401  (every table registered)

V1 = "/api/v1"
LIMIT = 200_000  # the test settings' max_body_bytes
JSON = {"Content-Type": "application/json"}


def error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])


def row_counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    return [(m.upper(), p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


# --- malformed and invalid bodies -------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{", b'{"name": }', b"not json", b'{"name": "x"', b"\xff\xfe"])
def test_malformed_json_is_400(client: TestClient, raw: bytes) -> None:
    r = client.post(f"{V1}/customers", content=raw, headers=JSON)
    err = error(r, 400, "malformed_json")
    assert err["message"] == "请求体不是有效的 JSON"


def test_malformed_json_on_every_route_with_a_body(client: TestClient, db: Database) -> None:
    before = row_counts(db)
    for method, path, op in operations(client):
        if "requestBody" in op:
            r = client.request(method, concrete(path), content=b"{oops", headers=JSON)
            error(r, 400, "malformed_json")
    assert row_counts(db) == before


def test_unknown_fields_are_rejected_everywhere(client: TestClient, db: Database) -> None:
    """Every request schema forbids extra fields: a typo never passes silently."""
    before = row_counts(db)
    for method, path, op in operations(client):
        if "requestBody" not in op:
            continue
        r = client.request(method, concrete(path), json={"surely_not_a_field": 1})
        err = error(r, 422, "validation_error")
        types = {d["type"] for d in err["details"]}
        assert "extra_forbidden" in types, (method, path, err)
        assert any(d["loc"][-1] == "surely_not_a_field" for d in err["details"])
    assert row_counts(db) == before


def test_unknown_nested_fields_are_rejected(client: TestClient) -> None:
    r = client.post(
        f"{V1}/customers", json={"external_id": {"system": "s", "external_id": "1", "x": 1}}
    )
    error(r, 422, "validation_error")
    r = client.post(
        f"{V1}/messages:batch",
        json={
            "messages": [{"conversation_id": 1, "sender_type": "customer", "body": "x", "extra": 1}]
        },
    )
    error(r, 422, "validation_error")


def test_wrong_types_are_422_with_details(client: TestClient) -> None:
    r = client.post(f"{V1}/customers", json={"name": 123, "tags": "vip", "attributes": []})
    err = error(r, 422, "validation_error")
    assert err["message"] == "请求数据无效"
    locs = {tuple(d["loc"]) for d in err["details"]}
    assert {("body", "name"), ("body", "tags"), ("body", "attributes")} <= locs
    for d in err["details"]:
        assert set(d) == {"loc", "msg", "type"} and d["msg"]
    r = client.post(f"{V1}/customers", json=["a", "list"])
    error(r, 422, "validation_error")
    r = client.post(
        f"{V1}/product-lines", json={"code": "X", "name": "x", "owner_department": None}
    )
    error(r, 422, "validation_error")


def test_missing_body_is_422(client: TestClient) -> None:
    error(client.post(f"{V1}/customers"), 422, "validation_error")
    error(client.post(f"{V1}/product-lines", json={}), 422, "validation_error")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/customers/abc", None),
        ("/customers/1.5", None),
        ("/customers", {"limit": "abc"}),
        ("/customers", {"limit": 0}),
        ("/customers", {"offset": -1}),
        ("/orders", {"ordered_from": "yesterday"}),
        ("/conversations", {"status": "nope"}),
        ("/daily-sales", {"day_from": "2026-13-01"}),
        ("/users", {"is_active": "maybe"}),
    ],
)
def test_bad_path_and_query_parameters_are_422(client: TestClient, path: str, params: Any) -> None:
    err = error(client.get(V1 + path, params=params), 422, "validation_error")
    assert err["details"]


def test_bad_idempotency_header_is_422(client: TestClient) -> None:
    ch = client.get(f"{V1}/channels").json()[0]["id"]
    conv = client.post(f"{V1}/conversations", json={"channel_id": ch}).json()["id"]
    r = client.post(
        f"{V1}/conversations/{conv}/messages",
        json={"sender_type": "customer", "body": "x"},
        headers={"Idempotency-Key": "k" * 201},
    )
    error(r, 422, "validation_error")


# --- body size --------------------------------------------------------------------------------


def test_oversized_body_is_413(client: TestClient, db: Database) -> None:
    before = row_counts(db)
    big = {"name": "x", "attributes": {"blob": "x" * (LIMIT + 10)}}
    err = error(client.post(f"{V1}/customers", json=big), 413, "body_too_large")
    assert str(LIMIT) in err["message"]
    en = client.post(f"{V1}/customers?lang=en", json=big)
    assert en.json()["error"]["message"] == f"The request body is too large (limit {LIMIT} bytes)"
    # just under the limit is fine as far as size goes (the schema then judges the content)
    small = json.dumps({"name": "x", "attributes": {"blob": "x" * (LIMIT - 100)}}).encode()
    assert len(small) <= LIMIT
    r = client.post(f"{V1}/customers", content=small, headers=JSON)
    assert r.status_code != 413
    assert row_counts(db)["customers"] == before["customers"] + (1 if r.status_code < 300 else 0)


def test_oversized_message_batch_is_413(client: TestClient, db: Database) -> None:
    ch = client.get(f"{V1}/channels").json()[0]["id"]
    conv = client.post(f"{V1}/conversations", json={"channel_id": ch}).json()["id"]
    before = row_counts(db)
    items = [{"conversation_id": conv, "sender_type": "customer", "body": "字" * 10_000}] * 10
    error(client.post(f"{V1}/messages:batch", json={"messages": items}), 413, "body_too_large")
    assert row_counts(db) == before


def test_oversized_body_with_a_false_length_is_413(client: TestClient) -> None:
    """A client that lies about Content-Length is cut off at the limit all the same."""
    payload = json.dumps({"name": "x", "attributes": {"blob": "x" * (LIMIT + 10)}}).encode()
    r = client.post(f"{V1}/customers", content=payload, headers={**JSON, "Content-Length": "100"})
    assert r.status_code in (400, 413), r.text  # never stored, never a 500


def test_oversized_chunked_body_is_413(client: TestClient, db: Database) -> None:
    before = row_counts(db)

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "x", "attributes": {"blob": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}}'

    r = client.post(f"{V1}/customers", content=chunks(), headers=JSON)
    assert row_counts(db) == before
    error(r, 413, "body_too_large")


# --- unknown things ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "entity_zh", "entity_en"),
    [
        ("/customers/987654", "客户", "Customer"),
        ("/orders/987654", "订单", "Order"),
        ("/products/987654", "商品", "Product"),
        ("/product-lines/987654", "产品线", "Product line"),
        ("/conversations/987654", "会话", "Conversation"),
        ("/conversations/987654/messages", "会话", "Conversation"),
        ("/channels/987654", "渠道", "Channel"),
        ("/users/987654", "成员", "User"),
        ("/roles/987654", "角色", "Role"),
        ("/skill-groups/987654", "技能组", "Skill group"),
    ],
)
def test_unknown_ids_are_404_and_translated(
    client: TestClient, path: str, entity_zh: str, entity_en: str
) -> None:
    err = error(client.get(V1 + path), 404, "not_found")
    assert err["message"] == f"未找到该{entity_zh}"
    err = error(client.get(V1 + path, headers={"Accept-Language": "en"}), 404, "not_found")
    assert err["message"] == f"{entity_en} not found"
    err = error(client.get(V1 + path, params={"lang": "en"}), 404, "not_found")
    assert err["message"] == f"{entity_en} not found"


def test_unknown_route_is_json_404(anon_client: TestClient) -> None:
    for path in (f"{V1}/nope", f"{V1}/customers/1/nope", "/nothing-here"):
        err = error(anon_client.get(path), 404, "not_found")
        assert err["message"] == "未找到该资源"
    err = error(anon_client.get(f"{V1}/nope", headers={"Accept-Language": "en"}), 404, "not_found")
    assert err["message"] == "Resource not found"


def test_wrong_method_is_json_405(client: TestClient) -> None:
    for method, path in (
        ("DELETE", "/customers"),
        ("PUT", "/customers/1"),
        ("DELETE", "/conversations/1"),
        ("GET", "/messages:batch"),
        ("PATCH", "/daily-sales"),
        ("GET", "/auth/login"),
    ):
        err = error(client.request(method, V1 + path), 405, "method_not_allowed")
        assert err["message"] == "不支持该请求方法"
    r = client.delete(f"{V1}/customers", headers={"Accept-Language": "en"})
    assert r.json()["error"]["message"] == "Method not allowed"


# --- languages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "params", "cookies", "english"),
    [
        ({}, None, None, False),
        ({"Accept-Language": "en"}, None, None, True),
        ({"Accept-Language": "en-US,en;q=0.9"}, None, None, True),
        ({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}, None, None, False),
        ({"Accept-Language": "fr-FR, en;q=0.5"}, None, None, True),
        ({"Accept-Language": "fr-FR"}, None, None, False),
        ({"Accept-Language": "de;q=1, zh;q=0.8, en;q=0.9"}, None, None, True),
        ({}, {"lang": "en"}, None, True),
        ({"Accept-Language": "en"}, {"lang": "zh-CN"}, None, False),
        ({}, None, {"liuke_locale": "en"}, True),
        ({}, {"lang": "zh"}, {"liuke_locale": "en"}, False),
        ({}, {"lang": "xx"}, None, False),
    ],
)
def test_error_language(
    client: TestClient, headers: dict[str, str], params: Any, cookies: Any, english: bool
) -> None:
    for name, value in (cookies or {}).items():
        client.cookies.set(name, value)
    r = client.get(f"{V1}/customers/987654", headers=headers, params=params)
    assert r.json()["error"]["message"] == ("Customer not found" if english else "未找到该客户")
    r = client.post(f"{V1}/customers", json={"name": 1}, headers=headers, params=params)
    message = r.json()["error"]["message"]
    assert message == ("The request data is invalid" if english else "请求数据无效")


def test_other_errors_are_translated(client: TestClient, anon_client: TestClient) -> None:
    en = {"Accept-Language": "en"}
    r = anon_client.get(f"{V1}/me", headers=en)
    assert error(r, 401, "unauthenticated")["message"] == "Log in or give a valid API key"
    assert error(anon_client.get(f"{V1}/me"), 401, "unauthenticated")["message"].startswith("请")
    r = client.post(f"{V1}/product-lines", json={"code": "A", "name": "a"})
    r = client.post(f"{V1}/product-lines", json={"code": "A", "name": "a"}, headers=en)
    assert error(r, 409, "conflict")["message"].startswith("Conflicts with existing data")
    r = client.post(f"{V1}/product-lines", json={"code": "A", "name": "a"})
    assert error(r, 409, "conflict")["message"].startswith("与现有数据冲突")
    r = client.post(f"{V1}/customers", json={"phone": "abc"}, headers=en)
    assert error(r, 400, "bad_request")["message"].startswith("Bad request")
    r = client.post(f"{V1}/customers", json={"phone": "abc"})
    assert error(r, 400, "bad_request")["message"].startswith("请求无效")
    evil = {"Origin": "https://evil.example"}
    r = client.post(f"{V1}/customers", json={}, headers={**evil, **en})
    assert error(r, 403, "csrf_rejected")["message"] == "Cross-site request refused"


def test_workspace_default_locale_does_not_leak_into_other_workspaces(
    client: TestClient, db: Database, app_settings: Any
) -> None:
    """The fallback language is the server's (zh_CN) whatever one workspace prefers."""
    client.patch(f"{V1}/workspace", json={"default_locale": "en"})
    with TestClient(create_app(app_settings, db)) as anon:
        assert anon.get(f"{V1}/me").json()["error"]["message"].startswith("请")


# --- nothing half-written ---------------------------------------------------------------------


def test_failed_requests_write_nothing(client: TestClient, db: Database) -> None:
    ch = client.get(f"{V1}/channels").json()[0]["id"]
    conv = client.post(f"{V1}/conversations", json={"channel_id": ch}).json()["id"]
    cust = client.post(f"{V1}/customers", json={"phone": "13800000001"}).json()["id"]
    client.post(f"{V1}/customers", json={"email": "taken@x.cn"})
    line = client.post(f"{V1}/product-lines", json={"code": "PL", "name": "线"}).json()["id"]
    client.post(f"{V1}/skill-groups", json={"name": "g"})
    roles = {r["name"]: r["id"] for r in client.get(f"{V1}/roles").json()}
    before = row_counts(db)
    failing: list[tuple[str, str, Any, int]] = [
        # a valid new identity, then a bad tag: the profile must not survive
        ("POST", "/customers", {"phone": "13800000002", "tags": ["x" * 65]}, 400),
        ("POST", "/customers", {"phone": "13800000001", "email": "taken@x.cn", "tags": ["t"]}, 409),
        (
            "POST",
            "/customers",
            {"external_id": {"system": " ", "external_id": "1"}, "name": "n"},
            400,
        ),
        ("PATCH", f"/customers/{cust}", {"name": "changed", "email": "taken@x.cn"}, 409),
        ("PATCH", f"/customers/{cust}", {"tags": ["ok", ""]}, 400),
        ("POST", "/conversations", {"channel_id": ch, "labels": ["ok", "x" * 65]}, 400),
        ("PATCH", f"/conversations/{conv}", {"subject": "changed", "skill_group_id": 987654}, 404),
        (
            "POST",
            "/users",
            {
                "email": "n@x.cn",
                "name": "n",
                "password": "long-enough-1",
                "role_id": roles["agent"],
                "skill_group_ids": [987654],
            },
            404,
        ),
        ("POST", "/roles", {"name": "r", "permissions": ["nope"]}, 400),
        (
            "POST",
            "/products",
            {"product_line_id": line, "sku": "S", "name": "n", "price": "1", "x": 1},
            422,
        ),
        ("POST", "/orders", {"customer_id": cust, "product_id": 987654, "amount": "1"}, 404),
        (
            "POST",
            "/messages:batch",
            {
                "messages": [
                    {"conversation_id": conv, "sender_type": "customer", "body": "ok"},
                    {
                        "conversation_id": conv,
                        "sender_type": "agent",
                        "body": "ok",
                        "sender_user_id": 987654,
                    },
                ]
            },
            404,
        ),
        (
            "POST",
            "/messages:batch",
            {
                "messages": [
                    {
                        "conversation_id": conv,
                        "sender_type": "customer",
                        "body": "a",
                        "idempotency_key": "k",
                    },
                    {
                        "conversation_id": conv,
                        "sender_type": "customer",
                        "body": "b",
                        "idempotency_key": "k",
                    },
                ]
            },
            409,
        ),
        ("POST", f"/customers/{cust}/merge", {"duplicate_id": cust}, 400),
        (
            "PUT",
            "/daily-sales",
            {
                "product_line_id": line,
                "day": "2026-01-01",
                "orders": 1,
                "units": 1,
                "revenue": "-1",
            },
            422,
        ),
        ("PATCH", "/workspace", {"name": "changed", "timezone": "Nowhere/Land"}, 400),
    ]
    for method, path, body, status in failing:
        r = client.request(method, V1 + path, json=body)
        assert r.status_code == status, (method, path, r.text)
        assert row_counts(db) == before, (method, path)
    assert client.get(f"{V1}/customers/{cust}").json()["name"] == ""
    assert client.get(f"{V1}/workspace").json()["name"] != "changed"
    assert client.get(f"{V1}/conversations/{conv}/messages").json() == []
