"""Passwords, session tokens and API keys are stored only as hashes."""

from __future__ import annotations

import re

from liuke.core.security import (
    API_KEY_PREFIX,
    DUMMY_PASSWORD_HASH,
    constant_time_equal,
    hash_password,
    hash_token,
    new_api_key,
    new_session_token,
    parse_api_key_prefix,
    password_needs_rehash,
    verify_password,
)


def test_argon2_hash_verifies_and_rejects_wrong_passwords() -> None:
    stored = hash_password("correct-horse-9")
    assert stored.startswith("$argon2id$")
    assert "correct-horse-9" not in stored
    assert verify_password(stored, "correct-horse-9")
    assert not verify_password(stored, "correct-horse-8")
    assert not verify_password(stored, "")
    assert not password_needs_rehash(stored)


def test_hashes_are_salted() -> None:
    a, b = hash_password("same"), hash_password("same")
    assert a != b
    assert verify_password(a, "same") and verify_password(b, "same")


def test_unicode_password() -> None:
    stored = hash_password("密码-пароль-🔑")
    assert verify_password(stored, "密码-пароль-🔑")
    assert not verify_password(stored, "密码")


def test_a_broken_hash_fails_closed() -> None:
    assert not verify_password("not-a-hash", "x")
    assert not verify_password("", "x")
    assert not verify_password(DUMMY_PASSWORD_HASH, "x")


def test_api_key_shape_prefix_and_hash() -> None:
    key, prefix, stored = new_api_key()
    assert re.fullmatch(rf"{API_KEY_PREFIX}_[0-9a-f]{{8}}_[A-Za-z0-9_-]{{43}}", key)
    assert parse_api_key_prefix(key) == prefix
    assert stored == hash_token(key)
    assert key not in stored and re.fullmatch(r"[0-9a-f]{64}", stored)


def test_parse_api_key_prefix_rejects_malformed_keys() -> None:
    for bad in [
        "",
        "lk",
        "lk_abc",
        "lk_1234567_rest",  # prefix too short
        "lk_123456789_rest",  # too long
        "xx_12345678_rest",
        "Bearer lk_12345678_rest",
    ]:
        assert parse_api_key_prefix(bad) is None, bad
    assert parse_api_key_prefix("lk_12345678_rest_with_underscores") == "12345678"


def test_tokens_are_random_and_hashed() -> None:
    tokens = {new_session_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) >= 43 for t in tokens)
    keys = {new_api_key()[0] for _ in range(200)}
    assert len(keys) == 200
    token = new_session_token()
    assert hash_token(token) == hash_token(token)  # deterministic, so it can be looked up
    assert hash_token(token) != hash_token(token + "x")
    assert token not in hash_token(token)


def test_constant_time_equal() -> None:
    assert constant_time_equal("abc", "abc")
    assert not constant_time_equal("abc", "abd")
    assert not constant_time_equal("abc", "abcd")
    assert constant_time_equal("密钥", "密钥")
