"""Pure pieces of the web shell: redirect targets, day bounds, navigation and messages."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from liuke.conversations import service as conv_service
from liuke.core.db import Database
from liuke.core.i18n import SUPPORTED_LOCALES, translate
from liuke.web.messages import MESSAGES
from liuke.web.nav import NAV_ITEMS, nav_for
from liuke.web.safety import safe_next
from liuke.web.service import home_counts, local_day_bounds, workspace_zone
from liuke.workspaces.permissions import ALL_PERMISSIONS, BUILTIN_ROLES
from liuke.workspaces.service import Principal
from tests.conftest import WorkspaceCtx


@pytest.mark.parametrize(
    "value",
    ["/home", "/home?tab=1&x=%2F", "/conversations/12#m3", "/login?next=/home"],
)
def test_safe_next_keeps_local_paths(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "home",
        "https://evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/ /evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "\x00/home",
    ],
)
def test_safe_next_refuses_everything_else(value: str | None) -> None:
    assert safe_next(value) == "/home"
    assert safe_next(value, default="/") == "/"


def test_local_day_bounds_follow_the_workspace_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    start, end = local_day_bounds(now, shanghai)
    assert start == datetime(2025, 3, 9, 16, 0, tzinfo=UTC)
    assert end == datetime(2025, 3, 10, 16, 0, tzinfo=UTC)


def test_local_day_bounds_across_daylight_saving() -> None:
    start, end = local_day_bounds(datetime(2025, 3, 9, 18, 0, tzinfo=UTC), ZoneInfo("US/Eastern"))
    assert (end - start).total_seconds() == 23 * 3600  # the spring-forward day is short


def test_unknown_zone_falls_back_to_utc() -> None:
    assert workspace_zone("Mars/Olympus") == ZoneInfo("UTC")


def test_today_counts_use_the_local_day(db: Database, workspace: WorkspaceCtx) -> None:
    now = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 on 10 March in Shanghai
    with db.session() as s:
        channel = conv_service.channel_by_kind(s, workspace.id, "web")
        for at in (
            datetime(2030, 3, 9, 17, 0, tzinfo=UTC),  # 01:00 on the 10th locally: today
            datetime(2030, 3, 10, 1, 59, tzinfo=UTC),  # 09:59 locally: today
            datetime(2030, 3, 9, 15, 30, tzinfo=UTC),  # 23:30 on the 9th locally: yesterday
            datetime(2030, 3, 10, 16, 0, tzinfo=UTC),  # 00:00 on the 11th locally: tomorrow
        ):
            conv, _ = conv_service.create_conversation(
                s, workspace.id, channel_id=channel.id, created_at=at
            )
            conv_service.post_message(
                s,
                workspace.id,
                conv_service.NewMessage(conv.id, "customer", "在吗？", created_at=at),
            )
    with db.session() as s:
        counts = home_counts(s, workspace.id, now=now)
    assert counts.conversations_today == 2
    assert counts.messages_today == 2
    assert counts.by_status["open"] == 4
    assert counts.as_of.utcoffset() is not None
    assert counts.as_of.hour == 10


def _principal(perms: frozenset[str]) -> Principal:
    return Principal(workspace_id=1, permissions=perms, user_id=1)


def test_navigation_is_data_driven() -> None:
    keys = [item.key for item in NAV_ITEMS]
    assert keys == [
        "home",
        "conversations",
        "customers",
        "bot",
        "complaints",
        "quality",
        "satisfaction",
        "analytics",
        "reports",
        "settings",
    ]
    assert [item.key for item in NAV_ITEMS if item.built] == [
        "home",
        "customers",
        "complaints",
        "quality",
        "satisfaction",
        "analytics",
        "reports",
    ]
    for item in NAV_ITEMS:
        assert set(item.permissions) <= ALL_PERMISSIONS, item.key
    assert [i.key for i in nav_for(_principal(frozenset()))] == ["home"]
    assert len(nav_for(_principal(ALL_PERMISSIONS))) == len(NAV_ITEMS)
    manager = [i.key for i in nav_for(_principal(BUILTIN_ROLES["manager"]))]
    assert "analytics" in manager and "settings" in manager


def test_every_page_string_is_translated_both_ways() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == set(SUPPORTED_LOCALES), key
        assert translate(key, "zh_CN") != key
    for item in NAV_ITEMS:
        assert item.label_key in MESSAGES
