"""Channel, conversation and message endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liuke.conversations.models import Conversation, Message
from liuke.core.db import Database

V1 = "/api/v1"
PASSWORD = "users-own-pw-1"  # the password of every user these tests create


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    r = client.post(V1 + path, json=body)
    assert r.status_code == status, r.text
    return dict(r.json())


def patch(client: TestClient, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    r = client.patch(V1 + path, json=body)
    assert r.status_code == status, r.text
    return dict(r.json())


def get(client: TestClient, path: str, **params: Any) -> Any:
    r = client.get(V1 + path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def channel_id(client: TestClient, kind: str = "web") -> int:
    return int(next(c for c in get(client, "/channels") if c["kind"] == kind)["id"])


def new_conv(client: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("channel_id", channel_id(client))
    return post(client, "/conversations", body)


def new_agent(client: TestClient, email: str = "agent@x.cn") -> int:
    role = next(r for r in get(client, "/roles") if r["name"] == "agent")
    return int(
        post(
            client,
            "/users",
            {"email": email, "name": email, "password": PASSWORD, "role_id": role["id"]},
        )["id"]
    )


def say(
    client: TestClient, conv_id: int, sender: str = "customer", body: str = "你好", **kw: Any
) -> dict[str, Any]:
    status = kw.pop("status", 201)
    return post(
        client,
        f"/conversations/{conv_id}/messages",
        {"sender_type": sender, "body": body, **kw},
        status,
    )


def message_count(db: Database, workspace_id: int) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).where(Message.workspace_id == workspace_id)) or 0)


# --- channels ---------------------------------------------------------------------------------


def test_default_channels(client: TestClient) -> None:
    kinds = [c["kind"] for c in get(client, "/channels")]
    assert kinds == ["web", "email", "api", "phone"]


def test_channel_crud(client: TestClient) -> None:
    ch = post(
        client,
        "/channels",
        {"kind": "api", "name": "抖音", "platform": "douyin", "config": {"app": "x"}},
    )
    assert ch["is_active"] is True and ch["platform"] == "douyin"
    assert get(client, f"/channels/{ch['id']}") == ch
    out = patch(client, f"/channels/{ch['id']}", {"is_active": False, "config": {"app": "y"}})
    assert out["is_active"] is False and out["config"] == {"app": "y"} and out["name"] == "抖音"
    out = patch(client, f"/channels/{ch['id']}", {"name": "抖音小店", "platform": "dy"})
    assert (out["name"], out["platform"]) == ("抖音小店", "dy")
    assert [c["id"] for c in get(client, "/channels")][-1] == ch["id"]


def test_channel_rules(client: TestClient) -> None:
    ch = post(client, "/channels", {"kind": "web", "name": "官网"})
    r = client.post(f"{V1}/channels", json={"kind": "web", "name": "官网"})
    assert r.status_code == 409
    assert client.post(f"{V1}/channels", json={"kind": "fax", "name": "x"}).status_code == 422
    assert client.patch(f"{V1}/channels/{ch['id']}", json={"name": None}).status_code == 400
    assert client.patch(f"{V1}/channels/{ch['id']}", json={"kind": "email"}).status_code == 422
    assert client.get(f"{V1}/channels/987654").status_code == 404
    assert client.patch(f"{V1}/channels/987654", json={"name": "x"}).status_code == 404
    # renaming onto another channel's name is a conflict, not a server error
    r = client.patch(f"{V1}/channels/{ch['id']}", json={"name": "邮件"})
    assert r.status_code == 409, r.text
    assert get(client, f"/channels/{ch['id']}")["name"] == "官网"
    # renaming to its own name is fine
    patch(client, f"/channels/{ch['id']}", {"name": "官网"})


def test_channel_permissions(client: TestClient, client_for, workspace) -> None:  # type: ignore[no-untyped-def]
    new_agent(client)
    agent = client_for(workspace, "agent@x.cn", PASSWORD)
    assert agent.get(f"{V1}/channels").status_code == 200
    assert agent.post(f"{V1}/channels", json={"kind": "web", "name": "x"}).status_code == 403
    cid = channel_id(client)
    assert agent.patch(f"{V1}/channels/{cid}", json={"name": "x"}).status_code == 403


# --- conversations ----------------------------------------------------------------------------


def test_create_conversation_and_replay(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    cust = post(client, "/customers", {"phone": "13800000001"})
    group = post(client, "/skill-groups", {"name": "售后"})
    line = post(client, "/product-lines", {"code": "PL", "name": "线"})
    agent_id = new_agent(client)
    body = {
        "channel_id": channel_id(client),
        "customer_id": cust["id"],
        "subject": "退货",
        "external_id": "chat-1",
        "skill_group_id": group["id"],
        "product_line_id": line["id"],
        "assignee_id": agent_id,
        "labels": ["退货", "退货", "加急"],
        "created_at": "2026-03-01T08:00:00Z",
        "meta": {"source": "widget"},
    }
    conv = post(client, "/conversations", body)
    assert conv["status"] == "open"
    assert conv["labels"] == ["加急", "退货"]
    assert conv["created_at"].startswith("2026-03-01T08:00:00")
    assert (conv["message_count"], conv["transfer_count"], conv["handled_by_bot"]) == (0, 0, False)
    assert conv["first_response_at"] is None and conv["resolved_at"] is None
    again = post(client, "/conversations", {**body, "subject": "other"}, status=200)
    assert again["id"] == conv["id"] and again["subject"] == "退货"
    # the same external id on another channel is another conversation
    other = post(client, "/conversations", {**body, "channel_id": channel_id(client, "email")})
    assert other["id"] != conv["id"]
    assert get(client, f"/conversations/{conv['id']}") == conv
    with db.session() as s:
        n = s.scalar(select(func.count()).where(Conversation.workspace_id == workspace.id))
        assert n == 2


def test_create_conversation_rules(client: TestClient) -> None:
    cid = channel_id(client)
    for bad in (
        {},
        {"channel_id": cid, "external_id": ""},
        {"channel_id": cid, "created_at": "2026-03-01T08:00:00"},
        {"channel_id": cid, "status": "open"},
    ):
        assert client.post(f"{V1}/conversations", json=bad).status_code == 422, bad
    for ref in ("customer_id", "skill_group_id", "product_line_id", "assignee_id"):
        r = client.post(f"{V1}/conversations", json={"channel_id": cid, ref: 987654})
        assert r.status_code == 404, (ref, r.text)
    assert client.post(f"{V1}/conversations", json={"channel_id": 987654}).status_code == 404
    r = client.post(f"{V1}/conversations", json={"channel_id": cid, "labels": ["x" * 65]})
    assert r.status_code == 400
    assert get(client, "/conversations")["total"] == 0
    assert client.get(f"{V1}/conversations/987654").status_code == 404


def test_list_conversations_filters_and_pagination(client: TestClient) -> None:
    web, email = channel_id(client, "web"), channel_id(client, "email")
    c1 = post(client, "/customers", {"phone": "13800000001"})["id"]
    c2 = post(client, "/customers", {"phone": "13800000002"})["id"]
    g = post(client, "/skill-groups", {"name": "g"})["id"]
    agent = new_agent(client)
    a = new_conv(client, channel_id=web, customer_id=c1, labels=["x"])["id"]
    b = new_conv(client, channel_id=email, customer_id=c2, skill_group_id=g)["id"]
    c = new_conv(client, channel_id=web, customer_id=c1, assignee_id=agent, labels=["x", "y"])["id"]
    patch(client, f"/conversations/{b}", {"status": "resolved"})

    def ids(**params: Any) -> list[int]:
        return [x["id"] for x in get(client, "/conversations", **params)["items"]]

    assert ids() == [c, b, a]
    assert ids(status="open") == [c, a]
    assert ids(status="resolved") == [b]
    assert ids(channel_id=email) == [b]
    assert ids(customer_id=c1) == [c, a]
    assert ids(assignee_id=agent) == [c]
    assert ids(skill_group_id=g) == [b]
    assert ids(label="x") == [c, a]
    assert ids(label="y") == [c]
    assert ids(label="x", customer_id=c1, status="open") == [c, a]
    page = get(client, "/conversations", limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [x["id"] for x in page["items"]] == [b]
    assert get(client, "/conversations", limit=999)["limit"] == 200
    assert client.get(f"{V1}/conversations", params={"status": "done"}).status_code == 422


def test_patch_conversation_fields(client: TestClient) -> None:
    conv = new_conv(client, labels=["a", "b"])
    line = post(client, "/product-lines", {"code": "PL", "name": "线"})
    out = patch(
        client,
        f"/conversations/{conv['id']}",
        {"subject": "新主题", "labels": ["b", "c"], "product_line_id": line["id"]},
    )
    assert (out["subject"], out["labels"], out["product_line_id"]) == (
        "新主题",
        ["b", "c"],
        line["id"],
    )
    assert patch(client, f"/conversations/{conv['id']}", {"labels": []})["labels"] == []
    assert client.patch(f"{V1}/conversations/{conv['id']}", json={"status": "x"}).status_code == 422
    assert client.patch(f"{V1}/conversations/987654", json={"subject": "x"}).status_code == 404


def test_status_transitions(client: TestClient) -> None:
    cid = new_conv(client)["id"]
    path = f"/conversations/{cid}"
    out = patch(client, path, {"status": "pending"})
    assert (out["status"], out["resolved_at"], out["closed_at"]) == ("pending", None, None)
    out = patch(client, path, {"status": "resolved"})
    assert out["status"] == "resolved" and out["resolved_at"] and out["closed_at"] is None
    out = patch(client, path, {"status": "closed"})
    assert out["status"] == "closed" and out["closed_at"] and out["resolved_at"]
    out = patch(client, path, {"status": "open"})  # reopen clears both
    assert (out["status"], out["resolved_at"], out["closed_at"]) == ("open", None, None)
    out = patch(client, path, {"status": "closed"})  # straight to closed also counts as resolved
    assert out["closed_at"] and out["resolved_at"]
    out = patch(client, path, {"status": "resolved"})  # back from closed: no longer closed
    assert out["status"] == "resolved" and out["resolved_at"] and out["closed_at"] is None
    out = patch(client, path, {"status": "pending"})
    assert (out["resolved_at"], out["closed_at"]) == (None, None)


def test_abandon_only_before_a_response(client: TestClient) -> None:
    quiet = new_conv(client)["id"]
    say(client, quiet, "customer")
    out = patch(client, f"/conversations/{quiet}", {"status": "abandoned"})
    assert out["status"] == "abandoned" and out["closed_at"] and out["resolved_at"] is None
    out = patch(client, f"/conversations/{quiet}", {"status": "open"})
    assert (out["status"], out["closed_at"]) == ("open", None)

    answered = new_conv(client)["id"]
    say(client, answered, "customer")
    say(client, answered, "bot", "您好，有什么可以帮您？")
    r = client.patch(f"{V1}/conversations/{answered}", json={"status": "abandoned"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"
    assert get(client, f"/conversations/{answered}")["status"] == "open"


def test_customer_message_reopens(client: TestClient) -> None:
    for terminal in ("resolved", "closed"):
        cid = new_conv(client)["id"]
        say(client, cid, "customer")
        say(client, cid, "agent", "好的")
        patch(client, f"/conversations/{cid}", {"status": terminal})
        say(client, cid, "agent", "还有问题吗？")  # an agent message does not reopen
        assert get(client, f"/conversations/{cid}")["status"] == terminal
        say(client, cid, "customer", "还有一个问题")
        conv = get(client, f"/conversations/{cid}")
        assert (conv["status"], conv["resolved_at"], conv["closed_at"]) == ("open", None, None)


def test_assignment_and_owned_conversations(client: TestClient) -> None:
    a1, a2 = new_agent(client, "a1@x.cn"), new_agent(client, "a2@x.cn")
    g1 = post(client, "/skill-groups", {"name": "g1"})["id"]
    g2 = post(client, "/skill-groups", {"name": "g2"})["id"]
    cid = new_conv(client)["id"]
    path = f"/conversations/{cid}"
    assert patch(client, path, {"skill_group_id": g1})["skill_group_id"] == g1  # unowned
    assert patch(client, path, {"assignee_id": a1})["assignee_id"] == a1
    assert patch(client, path, {"assignee_id": a1})["assignee_id"] == a1  # same: no-op
    r = client.patch(f"{V1}{path}", json={"assignee_id": a2})
    assert r.status_code == 400, r.text
    r = client.patch(f"{V1}{path}", json={"skill_group_id": g2})
    assert r.status_code == 400
    conv = get(client, path)
    assert (conv["assignee_id"], conv["skill_group_id"], conv["transfer_count"]) == (a1, g1, 0)
    assert client.patch(f"{V1}{path}", json={"assignee_id": 987654}).status_code == 404


def test_transfer(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    a1, a2 = new_agent(client, "a1@x.cn"), new_agent(client, "a2@x.cn")
    g = post(client, "/skill-groups", {"name": "专家组"})["id"]
    cid = new_conv(client, assignee_id=a1)["id"]
    path = f"/conversations/{cid}/transfer"
    assert client.post(V1 + path, json={"to_user_id": a2}).status_code == 422  # no reason
    assert client.post(V1 + path, json={"to_user_id": a2, "reason": ""}).status_code == 422
    r = client.post(V1 + path, json={"to_user_id": a2, "reason": "   "})
    assert r.status_code == 400
    assert client.post(V1 + path, json={"reason": "x"}).status_code == 400  # no target
    assert client.post(V1 + path, json={"reason": "x", "to_user_id": a1}).status_code == 400
    assert client.post(V1 + path, json={"reason": "x", "to_user_id": 987654}).status_code == 404
    assert (
        client.post(V1 + path, json={"reason": "x", "to_skill_group_id": 987654}).status_code == 404
    )
    assert get(client, f"/conversations/{cid}")["transfer_count"] == 0

    out = post(client, path, {"to_user_id": a2, "reason": "需要专家"}, status=200)
    assert (out["assignee_id"], out["transfer_count"]) == (a2, 1)
    out = post(client, path, {"to_skill_group_id": g, "reason": "转组"}, status=200)
    assert (out["assignee_id"], out["skill_group_id"], out["transfer_count"]) == (None, g, 2)
    out = post(
        client, path, {"to_user_id": a1, "to_skill_group_id": g, "reason": "回来"}, status=200
    )
    assert (out["assignee_id"], out["transfer_count"]) == (a1, 3)
    from liuke.core.events import OutboxEvent

    with db.session() as s:
        reasons = list(
            s.scalars(
                select(OutboxEvent.payload)
                .where(
                    OutboxEvent.workspace_id == workspace.id,
                    OutboxEvent.type == "conversation.transferred",
                )
                .order_by(OutboxEvent.id)
            )
        )
    assert [p["reason"] for p in reasons] == ["需要专家", "转组", "回来"]
    assert reasons[0]["by_user_id"] == workspace.admin_id
    assert (
        client.post(
            f"{V1}/conversations/987654/transfer", json={"reason": "x", "to_user_id": a1}
        ).status_code
        == 404
    )


# --- messages ---------------------------------------------------------------------------------


def test_messages_sequence_and_timestamps(client: TestClient, workspace) -> None:  # type: ignore[no-untyped-def]
    cid = new_conv(client)["id"]
    m1 = say(client, cid, "customer", "在吗")
    m2 = say(client, cid, "system", "已接入")
    conv = get(client, f"/conversations/{cid}")
    assert conv["first_response_at"] is None  # customer and system messages are no response
    assert conv["last_message_at"] and conv["assignee_id"] is None
    m3 = say(client, cid, "agent", "在的")
    conv = get(client, f"/conversations/{cid}")
    first = conv["first_response_at"]
    assert first is not None
    assert conv["assignee_id"] == workspace.admin_id  # the first agent to answer owns it
    assert conv["handled_by_bot"] is False
    m4 = say(client, cid, "bot", "自动回复", created_at="2030-01-01T00:00:00Z")
    conv = get(client, f"/conversations/{cid}")
    assert conv["first_response_at"] == first  # only the first response counts
    assert conv["handled_by_bot"] is True
    assert conv["message_count"] == 4
    assert conv["last_message_at"].startswith("2030-01-01T00:00:00")
    assert [m["seq"] for m in (m1, m2, m3, m4)] == [1, 2, 3, 4]
    assert all(m["created"] for m in (m1, m2, m3, m4))
    msgs = get(client, f"/conversations/{cid}/messages")
    assert [m["seq"] for m in msgs] == [1, 2, 3, 4]
    assert [m["sender_type"] for m in msgs] == ["customer", "system", "agent", "bot"]
    assert msgs[2]["sender_user_id"] == workspace.admin_id  # the caller, when no sender is given
    assert msgs[0]["sender_user_id"] is None
    assert [m["seq"] for m in get(client, f"/conversations/{cid}/messages", after_seq=2)] == [3, 4]
    assert [m["seq"] for m in get(client, f"/conversations/{cid}/messages", limit=2)] == [1, 2]
    assert [
        m["seq"] for m in get(client, f"/conversations/{cid}/messages", after_seq=1, limit=2)
    ] == [2, 3]
    assert get(client, f"/conversations/{cid}/messages", after_seq=4) == []


def test_bot_first_response(client: TestClient) -> None:
    cid = new_conv(client)["id"]
    say(client, cid, "customer")
    say(client, cid, "bot", "机器人回答", created_at="2026-03-01T00:00:05Z")
    conv = get(client, f"/conversations/{cid}")
    assert conv["first_response_at"].startswith("2026-03-01T00:00:05")
    assert conv["handled_by_bot"] is True and conv["assignee_id"] is None


def test_agent_message_sender(client: TestClient) -> None:
    a1 = new_agent(client)
    cid = new_conv(client)["id"]
    say(client, cid, "agent", "我来", sender_user_id=a1)
    msgs = get(client, f"/conversations/{cid}/messages")
    assert msgs[0]["sender_user_id"] == a1
    assert get(client, f"/conversations/{cid}")["assignee_id"] == a1
    r = client.post(
        f"{V1}/conversations/{cid}/messages",
        json={"sender_type": "agent", "body": "x", "sender_user_id": 987654},
    )
    assert r.status_code == 404


def test_message_idempotency(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    cid = new_conv(client)["id"]
    first = say(client, cid, "customer", "你好", idempotency_key="k-1")
    again = say(client, cid, "customer", "你好", idempotency_key="k-1", status=200)
    assert again == {**first, "created": False}
    # the same key in the header
    r = client.post(
        f"{V1}/conversations/{cid}/messages",
        json={"sender_type": "customer", "body": "你好"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert r.status_code == 200 and r.json()["message_id"] == first["message_id"]
    h = client.post(
        f"{V1}/conversations/{cid}/messages",
        json={"sender_type": "customer", "body": "新消息"},
        headers={"Idempotency-Key": "k-2"},
    )
    assert h.status_code == 201 and h.json()["seq"] == 2
    msgs = get(client, f"/conversations/{cid}/messages")
    assert [m["idempotency_key"] for m in msgs] == ["k-1", "k-2"]
    # the same key with other content is a conflict
    r = client.post(
        f"{V1}/conversations/{cid}/messages",
        json={"sender_type": "customer", "body": "不同", "idempotency_key": "k-1"},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"
    other = new_conv(client)["id"]
    r = client.post(
        f"{V1}/conversations/{other}/messages",
        json={"sender_type": "customer", "body": "你好", "idempotency_key": "k-1"},
    )
    assert r.status_code == 409
    assert message_count(db, workspace.id) == 2
    assert get(client, f"/conversations/{cid}")["message_count"] == 2
    assert get(client, f"/conversations/{other}")["message_count"] == 0


def test_message_rules(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    cid = new_conv(client)["id"]
    for bad in (
        {"sender_type": "robot", "body": "x"},
        {"sender_type": "customer", "body": ""},
        {"sender_type": "customer", "body": "x" * 20_001},
        {"sender_type": "customer", "body": "x", "idempotency_key": ""},
        {"sender_type": "customer", "body": "x", "created_at": "2026-01-01T00:00:00"},
        {"sender_type": "customer"},
    ):
        r = client.post(f"{V1}/conversations/{cid}/messages", json=bad)
        assert r.status_code == 422, bad
    r = client.post(
        f"{V1}/conversations/{cid}/messages", json={"sender_type": "customer", "body": "   "}
    )
    assert r.status_code == 400
    r = client.post(
        f"{V1}/conversations/987654/messages", json={"sender_type": "customer", "body": "x"}
    )
    assert r.status_code == 404
    assert client.get(f"{V1}/conversations/987654/messages").status_code == 404
    assert message_count(db, workspace.id) == 0
    assert get(client, f"/conversations/{cid}")["last_message_at"] is None


def test_agent_message_by_api_key_needs_sender(client: TestClient, anon_client: TestClient) -> None:
    admin_role = next(r for r in get(client, "/roles") if r["name"] == "admin")
    key = post(client, "/api-keys", {"name": "bot", "role_id": admin_role["id"]})["key"]
    cid = new_conv(client)["id"]
    h = {"Authorization": f"Bearer {key}"}
    r = anon_client.post(
        f"{V1}/conversations/{cid}/messages", json={"sender_type": "agent", "body": "x"}, headers=h
    )
    assert r.status_code == 400
    r = anon_client.post(
        f"{V1}/conversations/{cid}/messages", json={"sender_type": "bot", "body": "x"}, headers=h
    )
    assert r.status_code == 201 and r.json()["seq"] == 1


# --- batch ------------------------------------------------------------------------------------


def test_batch(client: TestClient, workspace) -> None:  # type: ignore[no-untyped-def]
    a, b = new_conv(client)["id"], new_conv(client)["id"]
    say(client, a, "customer", "已有", idempotency_key="old")
    items = [
        {"conversation_id": a, "sender_type": "customer", "body": "1", "idempotency_key": "b1"},
        {"conversation_id": b, "sender_type": "customer", "body": "2", "idempotency_key": "b2"},
        {"conversation_id": a, "sender_type": "agent", "body": "3"},
        {"conversation_id": a, "sender_type": "customer", "body": "1", "idempotency_key": "b1"},
        {"conversation_id": a, "sender_type": "customer", "body": "已有", "idempotency_key": "old"},
        {"conversation_id": b, "sender_type": "bot", "body": "4"},
    ]
    r = client.post(f"{V1}/messages:batch", json={"messages": items})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [(o["conversation_id"], o["seq"], o["created"]) for o in out] == [
        (a, 2, True),
        (b, 1, True),
        (a, 3, True),
        (a, 2, False),
        (a, 1, False),
        (b, 2, True),
    ]
    assert out[3]["message_id"] == out[0]["message_id"]
    ma = get(client, f"/conversations/{a}/messages")
    assert [m["seq"] for m in ma] == [1, 2, 3]
    assert ma[2]["sender_user_id"] == workspace.admin_id
    ca, cb = get(client, f"/conversations/{a}"), get(client, f"/conversations/{b}")
    assert (ca["message_count"], cb["message_count"]) == (3, 2)
    assert ca["first_response_at"] and cb["handled_by_bot"]
    # the whole batch again: all replays, nothing new
    again = client.post(f"{V1}/messages:batch", json={"messages": items[:2] + items[3:5]})
    assert again.status_code == 200
    assert [o["created"] for o in again.json()] == [False] * 4
    assert get(client, f"/conversations/{a}")["message_count"] == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"conversation_id": 987654, "sender_type": "customer", "body": "x"},
        {"sender_type": "customer", "body": "   "},
        {"sender_type": "agent", "body": "x", "sender_user_id": 987654},
        {"sender_type": "customer", "body": "changed", "idempotency_key": "dup"},
        {"sender_type": "customer", "body": "x", "idempotency_key": "old"},
    ],
)
def test_batch_is_all_or_nothing(
    client: TestClient, db: Database, workspace, bad: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    a = new_conv(client)["id"]
    say(client, a, "customer", "已有", idempotency_key="old")
    before = get(client, f"/conversations/{a}")
    n = message_count(db, workspace.id)
    items = [
        {"conversation_id": a, "sender_type": "customer", "body": "ok", "idempotency_key": "dup"},
        {"conversation_id": a, "sender_type": "bot", "body": "ok too"},
        {"conversation_id": a, **bad},
    ]
    items[-1].update(bad)
    r = client.post(f"{V1}/messages:batch", json={"messages": items})
    assert r.status_code in (400, 404, 409), r.text
    assert message_count(db, workspace.id) == n
    assert get(client, f"/conversations/{a}") == before


def test_batch_limits(client: TestClient) -> None:
    a = new_conv(client)["id"]
    assert client.post(f"{V1}/messages:batch", json={"messages": []}).status_code == 422
    one = {"conversation_id": a, "sender_type": "customer", "body": "x"}
    assert client.post(f"{V1}/messages:batch", json={"messages": [one] * 1001}).status_code == 422
    r = client.post(f"{V1}/messages:batch", json={"messages": [one] * 300})
    assert r.status_code == 200
    assert [o["seq"] for o in r.json()] == list(range(1, 301))
