"""Transport pieces on a bare app: body limit (declared and streamed), JSON errors per locale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from liuke.core.api import LOCALE_COOKIE, BodySizeLimit, install_error_handlers
from liuke.core.errors import NotFound

LIMIT = 2048


@pytest.fixture
def app_and_calls() -> tuple[FastAPI, list[Any]]:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=LIMIT)
    calls: list[Any] = []

    @app.post("/echo")
    def echo(body: dict[str, Any]) -> dict[str, int]:
        calls.append(body)
        return {"keys": len(body)}

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("customer", 7)

    return app, calls


@pytest.fixture
def client(app_and_calls: tuple[FastAPI, list[Any]]) -> Iterator[TestClient]:
    with TestClient(app_and_calls[0]) as c:
        yield c


def _chunks(total: int) -> Iterator[bytes]:
    yield b'{"blob": "'
    for _ in range(total // 500):
        yield b"x" * 500
    yield b'"}'


def test_small_bodies_pass(client: TestClient, app_and_calls: tuple[FastAPI, list[Any]]) -> None:
    r = client.post("/echo", json={"a": 1})
    assert r.status_code == 200 and r.json() == {"keys": 1}
    r = client.post("/echo", content=_chunks(1000), headers={"content-type": "application/json"})
    assert r.status_code == 200
    assert len(app_and_calls[1]) == 2


def test_declared_length_over_limit_is_413(
    client: TestClient, app_and_calls: tuple[FastAPI, list[Any]]
) -> None:
    r = client.post("/echo", json={"blob": "x" * (LIMIT + 10)})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    assert app_and_calls[1] == []


def test_streamed_body_over_limit_is_413_in_the_callers_language(
    client: TestClient, app_and_calls: tuple[FastAPI, list[Any]]
) -> None:
    headers = {"content-type": "application/json", "accept-language": "en-US,en;q=0.8"}
    r = client.post("/echo", content=_chunks(LIMIT * 3), headers=headers)
    assert r.status_code == 413, r.text
    assert r.json()["error"] == {
        "code": "body_too_large",
        "message": f"The request body is too large (limit {LIMIT} bytes)",
    }
    r = client.post(
        "/echo", content=_chunks(LIMIT * 3), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["error"]["message"] == f"请求体过大（上限 {LIMIT} 字节）"
    assert app_and_calls[1] == []  # the endpoint never ran


def test_errors_are_json_and_translated(client: TestClient) -> None:
    r = client.get("/missing")
    assert r.status_code == 404
    assert r.json()["error"] == {"code": "not_found", "message": "未找到该客户"}
    r = client.get("/missing?lang=en")
    assert r.json()["error"]["message"] == "Customer not found"
    client.cookies.set(LOCALE_COOKIE, "en")
    assert client.get("/missing").json()["error"]["message"] == "Customer not found"
    r = client.get("/missing", params={"lang": "zh-CN"})  # ?lang= wins over the cookie
    assert r.json()["error"]["message"] == "未找到该客户"


def test_unknown_route_method_and_bad_json(client: TestClient) -> None:
    r = client.get("/nowhere")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    r = client.get("/echo")
    assert (r.status_code, r.json()["error"]["code"]) == (405, "method_not_allowed")
    r = client.post("/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "malformed_json")
    r = client.post("/echo", json=[1, 2])
    assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error")
