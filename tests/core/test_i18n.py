"""Translations: every message in both languages with the same placeholders; negotiation."""

from __future__ import annotations

import importlib
import pkgutil
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

import liuke
from liuke.core import i18n
from liuke.core.i18n import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    catalog_keys,
    has_message,
    negotiate,
    normalize_locale,
    register_messages,
    translate,
)


def _import_everything() -> None:
    """Capabilities register their messages at import time; load them all."""
    for mod in pkgutil.walk_packages(liuke.__path__, "liuke."):
        if mod.name.startswith("liuke.migrations"):
            continue  # env.py runs migrations when imported
        importlib.import_module(mod.name)


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    _import_everything()
    keys = catalog_keys()
    assert "error.not_found" in keys and len(keys) > 20
    problems = []
    for key in keys:
        texts = i18n._CATALOG[key]
        for loc in SUPPORTED_LOCALES:
            if not texts.get(loc, "").strip():
                problems.append(f"{key}: empty {loc}")
        names = {loc: _placeholders(texts[loc]) for loc in SUPPORTED_LOCALES}
        if names["zh_CN"] != names["en"]:
            problems.append(f"{key}: zh_CN {sorted(names['zh_CN'])} != en {sorted(names['en'])}")
    assert problems == []


def test_register_rejects_a_missing_language() -> None:
    with pytest.raises(ValueError, match="lacks translations"):
        register_messages({"test.only_chinese": {"zh_CN": "只有中文"}})
    assert not has_message("test.only_chinese")


def test_translate() -> None:
    assert translate("error.body_too_large", "en", limit=10) == (
        "The request body is too large (limit 10 bytes)"
    )
    assert translate("error.body_too_large", limit=10) == "请求体过大（上限 10 字节）"
    assert translate("error.internal", "fr") == translate("error.internal", DEFAULT_LOCALE)
    assert translate("no.such.key", "en") == "no.such.key"
    # a missing parameter leaves the template rather than failing the error response
    assert translate("error.body_too_large", "en") == (
        "The request body is too large (limit {limit} bytes)"
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9", "zh_CN"),
        ("en-US,en;q=0.8", "en"),
        ("en-GB", "en"),
        ("EN", "en"),
        ("zh;q=0.1,en;q=0.9", "en"),  # q-values, not order, decide
        ("fr,en;q=0.5", "en"),
        ("en;q=0,zh;q=0.5", "zh_CN"),  # q=0 means "not this one"
        ("zh-Hans-CN", "zh_CN"),
        ("fr", "zh_CN"),
        ("garbage", "zh_CN"),
        (";;;,,q=", "zh_CN"),
        ("x;q=abc", "zh_CN"),
        ("*", "zh_CN"),
        ("", "zh_CN"),
        (None, "zh_CN"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_negotiate_falls_back_to_the_given_default() -> None:
    assert negotiate("fr", default="en") == "en"
    assert negotiate(None, default="en") == "en"


@given(st.text(max_size=80))
def test_negotiate_never_fails(header: str) -> None:
    assert negotiate(header) in SUPPORTED_LOCALES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zh", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("zh_Hans_CN", "zh_CN"),
        ("en-US", "en"),
        ("en", "en"),
        ("fr", None),
        ("", None),
        (None, None),
        ("not a locale", None),
    ],
)
def test_normalize_locale(value: str | None, expected: str | None) -> None:
    assert normalize_locale(value) == expected
