"""Concurrent message posts on PostgreSQL: real transactions racing through the whole API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liuke.app import create_app
from liuke.conversations.models import Message
from liuke.core.config import Settings
from liuke.core.db import Database

V1 = "/api/v1"
N = 10


@pytest.fixture
def race(db: Database, app_settings: Settings, client: TestClient) -> Callable[..., list[Any]]:
    """Run ``fn(client, i)`` in N threads that start together, one client per thread.

    The threads share the admin's session cookie: reading a session writes nothing, so the
    requests really overlap (a shared API key would serialise them on its ``last_used_at``).
    """
    if db.dialect != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    app = create_app(app_settings, db)

    def run(fn: Callable[[TestClient, int], Any], n: int = N) -> list[Any]:
        barrier = threading.Barrier(n)
        results: list[Any] = [None] * n

        def work(i: int) -> None:
            with TestClient(app, cookies=dict(client.cookies), raise_server_exceptions=False) as c:
                barrier.wait()
                try:
                    results[i] = fn(c, i)
                except Exception as exc:  # reported by the assertion below
                    results[i] = exc

        threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        return results

    return run


def conversation(client: TestClient) -> int:
    ch = client.get(f"{V1}/channels").json()[0]["id"]
    return int(client.post(f"{V1}/conversations", json={"channel_id": ch}).json()["id"])


def stored(db: Database, conv_id: int) -> list[tuple[int, str | None]]:
    with db.session() as s:
        return [
            (m.seq, m.idempotency_key)
            for m in s.scalars(
                select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
            )
        ]


def test_concurrent_posts_get_contiguous_seqs(
    client: TestClient, db: Database, race: Callable[..., list[Any]]
) -> None:
    cid = conversation(client)

    def post(c: TestClient, i: int) -> tuple[int, int]:
        r = c.post(
            f"{V1}/conversations/{cid}/messages",
            json={"sender_type": "customer", "body": f"消息 {i}", "idempotency_key": f"m-{i}"},
        )
        return r.status_code, r.json().get("seq", -1)

    results = race(post)
    assert all(r[0] == 201 for r in results), results
    assert sorted(r[1] for r in results) == list(range(1, N + 1))
    assert [seq for seq, _ in stored(db, cid)] == list(range(1, N + 1))
    assert client.get(f"{V1}/conversations/{cid}").json()["message_count"] == N


def test_concurrent_batches_get_contiguous_seqs(
    client: TestClient, db: Database, race: Callable[..., list[Any]]
) -> None:
    a, b = conversation(client), conversation(client)

    def post(c: TestClient, i: int) -> int:
        convs = (a, b) if i % 2 else (b, a)  # opposite orders must not deadlock
        items = [
            {"conversation_id": cv, "sender_type": "customer", "body": f"{i}-{j}"}
            for j, cv in enumerate(convs * 3)
        ]
        return c.post(f"{V1}/messages:batch", json={"messages": items}).status_code

    assert race(post) == [200] * N
    for cv in (a, b):
        assert [seq for seq, _ in stored(db, cv)] == list(range(1, 3 * N + 1))


def test_concurrent_posts_with_one_key_store_one_message(
    client: TestClient, db: Database, race: Callable[..., list[Any]]
) -> None:
    cid = conversation(client)

    def post(c: TestClient, _: int) -> tuple[int, int]:
        r = c.post(
            f"{V1}/conversations/{cid}/messages",
            json={"sender_type": "customer", "body": "只存一次"},
            headers={"Idempotency-Key": "same-key"},
        )
        return r.status_code, r.json().get("message_id", -1)

    results = race(post)
    assert sorted(r[0] for r in results) == [200] * (N - 1) + [201], results
    assert len({r[1] for r in results}) == 1
    assert stored(db, cid) == [(1, "same-key")]
    assert client.get(f"{V1}/conversations/{cid}").json()["message_count"] == 1


def test_concurrent_posts_with_one_key_on_many_conversations(
    client: TestClient,
    db: Database,
    workspace,
    race: Callable[..., list[Any]],  # type: ignore[no-untyped-def]
) -> None:
    """The key is unique per workspace: one conversation gets the message, the rest a 409."""
    convs = [conversation(client) for _ in range(N)]

    def post(c: TestClient, i: int) -> int:
        r = c.post(
            f"{V1}/conversations/{convs[i]}/messages",
            json={"sender_type": "customer", "body": "同一个键", "idempotency_key": "shared"},
        )
        return r.status_code

    results = race(post)
    assert sorted(results) == [201] + [409] * (N - 1), results
    with db.session() as s:
        n = s.scalar(select(func.count()).where(Message.workspace_id == workspace.id))
        assert n == 1
    counts = [client.get(f"{V1}/conversations/{cv}").json()["message_count"] for cv in convs]
    assert sorted(counts) == [0] * (N - 1) + [1]


def test_concurrent_batches_sharing_keys(
    client: TestClient,
    db: Database,
    workspace,
    race: Callable[..., list[Any]],  # type: ignore[no-untyped-def]
) -> None:
    """Batches over different conversations that share a key: all or nothing, never a 500."""
    convs = [conversation(client) for _ in range(N)]

    def post(c: TestClient, i: int) -> int:
        items = [
            {
                "conversation_id": convs[i],
                "sender_type": "customer",
                "body": "own",
                "idempotency_key": f"own-{i}",
            },
            {
                "conversation_id": convs[0],
                "sender_type": "customer",
                "body": "shared",
                "idempotency_key": "shared",
            },
        ]
        return c.post(f"{V1}/messages:batch", json={"messages": items}).status_code

    results = race(post)
    assert set(results) == {200}, results
    assert stored(db, convs[0])[:2] in (
        [(1, "own-0"), (2, "shared")],
        [(1, "shared"), (2, "own-0")],
    )
    for i, cv in enumerate(convs):
        keys = {k for _, k in stored(db, cv)}
        assert f"own-{i}" in keys
        assert [seq for seq, _ in stored(db, cv)] == list(range(1, len(keys) + 1))
    with db.session() as s:
        n = s.scalar(
            select(func.count()).where(
                Message.workspace_id == workspace.id, Message.idempotency_key == "shared"
            )
        )
        assert n == 1


def test_concurrent_creates_with_one_external_id(
    client: TestClient,
    db: Database,
    workspace,
    race: Callable[..., list[Any]],  # type: ignore[no-untyped-def]
) -> None:
    ch = client.get(f"{V1}/channels").json()[0]["id"]

    def create(c: TestClient, _: int) -> tuple[int, int]:
        r = c.post(f"{V1}/conversations", json={"channel_id": ch, "external_id": "chat-42"})
        return r.status_code, r.json().get("id", -1)

    results = race(create)
    assert sorted(r[0] for r in results) == [200] * (N - 1) + [201], results
    assert len({r[1] for r in results}) == 1
    page = client.get(f"{V1}/conversations").json()
    assert page["total"] == 1
