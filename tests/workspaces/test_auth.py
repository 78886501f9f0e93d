"""Authentication and permissions: sessions, API keys, roles, CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from liuke.core.db import Database, utcnow
from liuke.core.security import hash_token
from liuke.workspaces.auth import SESSION_COOKIE
from liuke.workspaces.models import UserSession

V1 = "/api/v1"
PASSWORD = "users-own-pw-1"  # the password of every user these tests create


def login(anon: TestClient, slug: str, email: str, password: str = PASSWORD) -> Any:
    return anon.post(
        f"{V1}/auth/login", json={"workspace": slug, "email": email, "password": password}
    )


def role_id(client: TestClient, name: str) -> int:
    return int(next(r for r in client.get(f"{V1}/roles").json() if r["name"] == name)["id"])


def add_user(client: TestClient, email: str, role: str | int = "agent", **kw: Any) -> int:
    rid = role if isinstance(role, int) else role_id(client, role)
    r = client.post(
        f"{V1}/users",
        json={
            "email": email,
            "name": email.split("@")[0],
            "password": PASSWORD,
            "role_id": rid,
            **kw,
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def new_key(client: TestClient, role: str = "admin") -> dict[str, Any]:
    r = client.post(
        f"{V1}/api-keys", json={"name": f"{role} key", "role_id": role_id(client, role)}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- login and sessions -----------------------------------------------------------------------


def test_login_sets_a_safe_cookie(client: TestClient, anon_client: TestClient, workspace) -> None:  # type: ignore[no-untyped-def]
    me = add_user(client, "me@x.cn", "admin")
    r = login(anon_client, workspace.slug, "me@x.cn")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == me and body["role"] == "admin"
    assert body["last_login_at"] is not None
    assert "password" not in r.text and "password_hash" not in r.text
    cookie = r.headers["set-cookie"]
    attrs = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in attrs
    assert "samesite=lax" in cookie.lower()
    assert "path=/" in cookie.lower()
    assert "max-age=43200" in cookie.lower()
    assert anon_client.get(f"{V1}/me").json()["user_id"] == me


def test_login_is_case_insensitive_on_email_and_slug(
    client: TestClient, anon_client: TestClient, workspace
) -> None:  # type: ignore[no-untyped-def]
    add_user(client, "me@x.cn")
    r = login(anon_client, workspace.slug.upper(), "  ME@X.CN ")
    assert r.status_code == 200, r.text


def test_bad_credentials_all_look_the_same(
    client: TestClient, anon_client: TestClient, workspace, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    add_user(client, "me@x.cn")
    uid = add_user(client, "inactive@x.cn")
    assert client.patch(f"{V1}/users/{uid}", json={"is_active": False}).status_code == 200
    other = make_workspace()
    attempts = [
        (workspace.slug, "me@x.cn", "wrong-password"),
        ("no-such-workspace", "me@x.cn", PASSWORD),
        (workspace.slug, "nobody@x.cn", PASSWORD),
        (workspace.slug, "inactive@x.cn", PASSWORD),
        (other.slug, "me@x.cn", PASSWORD),  # right user, wrong workspace
    ]
    bodies = []
    for slug, email, password in attempts:
        r = login(anon_client, slug, email, password)
        assert r.status_code == 401, (slug, email, r.text)
        assert "set-cookie" not in r.headers
        bodies.append(r.json())
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["error"]["code"] == "invalid_credentials"
    en = anon_client.post(
        f"{V1}/auth/login?lang=en",
        json={"workspace": workspace.slug, "email": "me@x.cn", "password": "nope"},
    )
    assert en.json()["error"]["message"] == "Wrong workspace, email or password"


def test_unauthenticated(anon_client: TestClient) -> None:
    for path in ("/me", "/workspace", "/customers", "/conversations", "/roles", "/events"):
        r = anon_client.get(V1 + path)
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "unauthenticated"
    r = anon_client.post(f"{V1}/customers", json={"name": "x"})
    assert r.status_code == 401
    anon_client.cookies.set(SESSION_COOKIE, "forged-token")
    assert anon_client.get(f"{V1}/me").status_code == 401


def test_logout_revokes_the_session(client: TestClient, anon_client: TestClient) -> None:
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    r = client.post(f"{V1}/auth/logout")
    assert r.status_code == 204
    assert SESSION_COOKIE not in client.cookies
    assert client.get(f"{V1}/me").status_code == 401
    anon_client.cookies.set(SESSION_COOKIE, token)  # replaying the old cookie
    assert anon_client.get(f"{V1}/me").status_code == 401
    # logging out without a session is harmless
    assert anon_client.post(f"{V1}/auth/logout").status_code == 204


def test_expired_session(client: TestClient, db: Database) -> None:
    token = client.cookies.get(SESSION_COOKIE)
    assert token and client.get(f"{V1}/me").status_code == 200
    with db.session() as s:
        s.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = client.get(f"{V1}/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_sessions_are_stored_hashed(client: TestClient, db: Database, workspace) -> None:  # type: ignore[no-untyped-def]
    token = client.cookies.get(SESSION_COOKIE)
    with db.session() as s:
        hashes = list(
            s.scalars(
                select(UserSession.token_hash).where(UserSession.workspace_id == workspace.id)
            )
        )
    assert token not in hashes and hash_token(str(token)) in hashes


def test_deactivating_a_user_revokes_their_sessions(
    client: TestClient, client_for, workspace, anon_client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(client, "a@x.cn")
    agent = client_for(workspace, "a@x.cn", PASSWORD)
    assert agent.get(f"{V1}/me").status_code == 200
    r = client.patch(f"{V1}/users/{uid}", json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert agent.get(f"{V1}/me").status_code == 401
    assert login(anon_client, workspace.slug, "a@x.cn").status_code == 401
    # reactivating lets them log in again, but the old session stays dead
    client.patch(f"{V1}/users/{uid}", json={"is_active": True})
    assert agent.get(f"{V1}/me").status_code == 401
    assert login(anon_client, workspace.slug, "a@x.cn").status_code == 200


def test_changing_password_revokes_sessions(
    client: TestClient, client_for, workspace, anon_client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(client, "a@x.cn")
    agent = client_for(workspace, "a@x.cn", PASSWORD)
    r = client.patch(f"{V1}/users/{uid}", json={"password": "a-new-password-1"})
    assert r.status_code == 200, r.text
    assert agent.get(f"{V1}/me").status_code == 401
    assert login(anon_client, workspace.slug, "a@x.cn").status_code == 401
    assert login(anon_client, workspace.slug, "a@x.cn", "a-new-password-1").status_code == 200
    assert client.patch(f"{V1}/users/{uid}", json={"password": "short"}).status_code == 422


# --- API keys ---------------------------------------------------------------------------------


def test_api_key_lifecycle(client: TestClient, anon_client: TestClient, db: Database) -> None:
    created = new_key(client)
    key = created["key"]
    assert key.startswith("lk_") and created["prefix"] in key
    assert created["revoked_at"] is None and created["last_used_at"] is None
    listed = client.get(f"{V1}/api-keys").json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0]  # shown once only
    assert key not in client.get(f"{V1}/api-keys").text

    me = anon_client.get(f"{V1}/me", headers=bearer(key))
    assert me.status_code == 200
    assert me.json()["api_key_id"] == created["id"] and me.json()["user_id"] is None
    assert (
        anon_client.post(
            f"{V1}/customers", json={"name": "via key"}, headers=bearer(key)
        ).status_code
        == 201
    )
    assert client.get(f"{V1}/api-keys").json()[0]["last_used_at"] is not None

    r = client.delete(f"{V1}/api-keys/{created['id']}")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    again = client.delete(f"{V1}/api-keys/{created['id']}")
    assert again.status_code == 200 and again.json()["revoked_at"] == r.json()["revoked_at"]
    r = anon_client.get(f"{V1}/me", headers=bearer(key))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert client.delete(f"{V1}/api-keys/987654").status_code == 404


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token lk_abcdef12_xyz",
        "Bearer not-a-key",
        "Bearer lk_short_xyz",
        "Bearer lk_abcdef12_wrong-secret",
        "bearer",
    ],
)
def test_malformed_authorization_is_401(
    anon_client: TestClient, client: TestClient, header: str
) -> None:
    new_key(client)
    r = anon_client.get(f"{V1}/me", headers={"Authorization": header})
    assert r.status_code == 401, header
    assert r.json()["error"]["code"] == "unauthenticated"
    # a bad Authorization header is not rescued by a good cookie
    r = client.get(f"{V1}/me", headers={"Authorization": header})
    assert r.status_code == 401


def test_key_with_right_prefix_but_wrong_secret(
    client: TestClient, anon_client: TestClient
) -> None:
    key = new_key(client)["key"]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert anon_client.get(f"{V1}/me", headers=bearer(forged)).status_code == 401
    assert anon_client.get(f"{V1}/me", headers=bearer(key)).status_code == 200


def test_api_key_has_its_roles_permissions_only(
    client: TestClient, anon_client: TestClient
) -> None:
    key = new_key(client, "agent")["key"]
    h = bearer(key)
    perms = anon_client.get(f"{V1}/me", headers=h).json()["permissions"]
    assert "customers.write" in perms and "users.manage" not in perms
    assert anon_client.get(f"{V1}/customers", headers=h).status_code == 200
    assert anon_client.post(f"{V1}/customers", json={"name": "x"}, headers=h).status_code == 201
    assert anon_client.get(f"{V1}/users", headers=h).status_code == 200
    for method, path, body in (
        ("POST", "/users", {"email": "x@x.cn", "name": "x", "password": PASSWORD, "role_id": 1}),
        ("POST", "/product-lines", {"code": "X", "name": "x"}),
        ("GET", "/events", None),
        ("GET", "/api-keys", None),
        ("POST", "/api-keys", {"name": "escalate", "role_id": role_id(client, "admin")}),
        ("PATCH", "/workspace", {"name": "taken over"}),
        ("POST", "/roles", {"name": "r", "permissions": []}),
        ("POST", "/channels", {"kind": "web", "name": "x"}),
        ("POST", "/skill-groups", {"name": "x"}),
    ):
        r = anon_client.request(method, V1 + path, json=body, headers=h)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["error"]["code"] == "forbidden"


def test_api_key_for_unknown_role(client: TestClient) -> None:
    r = client.post(f"{V1}/api-keys", json={"name": "k", "role_id": 987654})
    assert r.status_code == 404
    assert client.get(f"{V1}/api-keys").json() == []


# --- roles and permissions --------------------------------------------------------------------


def test_custom_role_without_customers_write(client: TestClient, client_for, workspace) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        f"{V1}/roles",
        json={"name": "只读客服", "permissions": ["customers.read", "conversations.read"]},
    )
    assert r.status_code == 201, r.text
    role = r.json()
    assert role["builtin"] is False and role["permissions"] == [
        "conversations.read",
        "customers.read",
    ]
    add_user(client, "reader@x.cn", role["id"])
    reader = client_for(workspace, "reader@x.cn", PASSWORD)
    assert reader.get(f"{V1}/customers").status_code == 200
    r = reader.post(f"{V1}/customers", json={"name": "x"})
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "forbidden" and "customers.write" in err["message"]
    assert reader.get(f"{V1}/conversations").status_code == 200
    assert reader.get(f"{V1}/orders").status_code == 403
    # granting the permission takes effect on the live session
    r = client.patch(
        f"{V1}/roles/{role['id']}",
        json={"permissions": ["customers.read", "customers.write", "conversations.read"]},
    )
    assert r.status_code == 200
    assert reader.post(f"{V1}/customers", json={"name": "x"}).status_code == 201


def test_unknown_permissions_are_rejected(client: TestClient) -> None:
    r = client.post(f"{V1}/roles", json={"name": "bad", "permissions": ["customers.read", "root"]})
    assert r.status_code == 400 and "root" in r.json()["error"]["message"]
    assert all(x["name"] != "bad" for x in client.get(f"{V1}/roles").json())
    ok = client.post(f"{V1}/roles", json={"name": "ok", "permissions": []}).json()
    r = client.patch(f"{V1}/roles/{ok['id']}", json={"permissions": ["everything"]})
    assert r.status_code == 400
    assert client.get(f"{V1}/roles/{ok['id']}").json()["permissions"] == []


def test_builtin_roles_are_immutable(client: TestClient) -> None:
    for name in ("admin", "manager", "agent"):
        rid = role_id(client, name)
        before = client.get(f"{V1}/roles/{rid}").json()
        assert before["builtin"] is True
        r = client.patch(f"{V1}/roles/{rid}", json={"permissions": []})
        assert r.status_code == 400, name
        r = client.patch(f"{V1}/roles/{rid}", json={"name": name + "2"})
        assert r.status_code == 400
        assert client.get(f"{V1}/roles/{rid}").json() == before


def test_manager_role(client: TestClient, client_for, workspace) -> None:  # type: ignore[no-untyped-def]
    add_user(client, "boss@x.cn", "manager")
    boss = client_for(workspace, "boss@x.cn", PASSWORD)
    assert boss.post(f"{V1}/skill-groups", json={"name": "g"}).status_code == 201
    assert boss.post(f"{V1}/channels", json={"kind": "web", "name": "w"}).status_code == 201
    assert boss.get(f"{V1}/events").status_code == 200
    assert boss.get(f"{V1}/users").status_code == 200
    assert boss.post(f"{V1}/roles", json={"name": "r", "permissions": []}).status_code == 403
    assert boss.patch(f"{V1}/workspace", json={"name": "x"}).status_code == 403
    assert boss.get(f"{V1}/api-keys").status_code == 403
    uid = add_user(client, "agent@x.cn")
    assert boss.patch(f"{V1}/users/{uid}", json={"name": "x"}).status_code == 403


def test_users_cannot_escalate_without_users_manage(
    client: TestClient, client_for, workspace
) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(client, "agent@x.cn")
    agent = client_for(workspace, "agent@x.cn", PASSWORD)
    r = agent.patch(f"{V1}/users/{uid}", json={"role_id": role_id(client, "admin")})
    assert r.status_code == 403
    assert client.get(f"{V1}/users/{uid}").json()["role"] == "agent"


# --- CSRF -------------------------------------------------------------------------------------


def test_cross_origin_cookie_writes_are_refused(
    client: TestClient, db: Database, workspace
) -> None:  # type: ignore[no-untyped-def]
    evil = {"Origin": "https://evil.example"}
    r = client.post(f"{V1}/customers", json={"name": "csrf"}, headers=evil)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_rejected"
    r = client.patch(f"{V1}/workspace", json={"name": "pwned"}, headers=evil)
    assert r.status_code == 403
    r = client.post(
        f"{V1}/customers", json={"name": "csrf"}, headers={"Referer": "https://evil.example/page"}
    )
    assert r.status_code == 403
    r = client.post(f"{V1}/customers", json={"name": "csrf"}, headers={"Origin": "null"})
    assert r.status_code == 403
    assert client.get(f"{V1}/customers").json()["total"] == 0
    assert client.get(f"{V1}/workspace").json()["name"] != "pwned"
    # reads are safe methods; same-origin writes and non-browser clients are fine
    assert client.get(f"{V1}/customers", headers=evil).status_code == 200
    same = client.post(
        f"{V1}/customers", json={"name": "ok"}, headers={"Origin": "http://testserver"}
    )
    assert same.status_code == 201
    assert client.post(f"{V1}/customers", json={"name": "no origin"}).status_code == 201


def test_bearer_calls_need_no_origin(client: TestClient, anon_client: TestClient) -> None:
    key = new_key(client)["key"]
    r = anon_client.post(f"{V1}/customers", json={"name": "api"}, headers=bearer(key))
    assert r.status_code == 201
    # a Bearer key is never sent by a browser on its own, so Origin does not matter
    r = anon_client.post(
        f"{V1}/customers",
        json={"name": "api2"},
        headers={**bearer(key), "Origin": "https://integration.example"},
    )
    assert r.status_code == 201


# --- no privilege escalation ------------------------------------------------------------------


def test_holders_of_admin_permissions_cannot_grant_more_than_they_have(
    client: TestClient,
    client_for,
    workspace,  # type: ignore[no-untyped-def]
) -> None:
    admin_role = role_id(client, "admin")
    r = client.post(
        f"{V1}/roles",
        json={
            "name": "人事",
            "permissions": ["users.read", "users.manage", "roles.manage", "api_keys.manage"],
        },
    )
    hr_role = r.json()["id"]
    hr_id = add_user(client, "hr@x.cn", hr_role)
    agent_id = add_user(client, "agent@x.cn")
    hr = client_for(workspace, "hr@x.cn", PASSWORD)

    def refused(r: Any) -> None:
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"

    refused(
        hr.post(
            f"{V1}/users",
            json={"email": "x@x.cn", "name": "x", "password": PASSWORD, "role_id": admin_role},
        )
    )
    refused(hr.patch(f"{V1}/users/{hr_id}", json={"role_id": admin_role}))
    refused(hr.patch(f"{V1}/users/{agent_id}", json={"role_id": admin_role}))
    refused(hr.patch(f"{V1}/users/{workspace.admin_id}", json={"password": "taken-over-1"}))
    refused(hr.patch(f"{V1}/users/{workspace.admin_id}", json={"is_active": False}))
    refused(hr.post(f"{V1}/api-keys", json={"name": "k", "role_id": admin_role}))
    refused(hr.post(f"{V1}/roles", json={"name": "god", "permissions": ["workspace.manage"]}))
    refused(
        hr.patch(f"{V1}/roles/{hr_role}", json={"permissions": ["customers.write", "users.manage"]})
    )
    assert client.get(f"{V1}/users/{hr_id}").json()["role"] == "人事"
    assert client.get(f"{V1}/me").status_code == 200  # the admin still logs in as before
    assert client.get(f"{V1}/api-keys").json() == []

    # within their own permissions they can work
    weak = hr.post(f"{V1}/roles", json={"name": "只读", "permissions": ["users.read"]})
    assert weak.status_code == 201
    refused(hr.patch(f"{V1}/users/{agent_id}", json={"name": "x"}))  # agents hold more than hr
    r = hr.post(
        f"{V1}/users",
        json={"email": "w@x.cn", "name": "w", "password": PASSWORD, "role_id": weak.json()["id"]},
    )
    assert r.status_code == 201, r.text
    r = hr.patch(f"{V1}/users/{r.json()['id']}", json={"name": "改名", "is_active": False})
    assert r.status_code == 200, r.text
    assert (
        hr.post(f"{V1}/api-keys", json={"name": "k", "role_id": weak.json()["id"]}).status_code
        == 201
    )
    r = hr.patch(f"{V1}/roles/{hr_role}", json={"name": "人事部"})
    assert r.status_code == 200
