"""The retention pages show the services' English notes in Chinese."""

from __future__ import annotations

import pytest

from liuke.crm.messages import note_text


@pytest.mark.parametrize(
    ("note", "zh"),
    [
        ("annualised from 45 days of history", "按 45 天的历史年化"),
        (
            "not set by an admin: acquisition_cost, gross_margin; figures that need them are left out",
            "管理员尚未填写：acquisition_cost, gross_margin；依赖它们的数字暂不计算",
        ),
        (
            "12 of 30 reasons are unknown: read the shares with care",
            "30 位流失客户中 12 位原因未知：占比仅供参考",
        ),
        (
            "running: figures up to now; only 3 customers held out: the lift is a rough guide",
            "进行中：数据截至目前；对照组仅 3 人：提升仅供粗略参考",
        ),
        ("no profiles yet: refresh the profiles first", "尚无客户画像：请先刷新客户画像"),
    ],
)
def test_notes_read_in_chinese(note: str, zh: str) -> None:
    assert note_text(note, "zh_CN") == zh
    assert note_text(note, "en") == note


def test_an_unknown_note_shows_as_it_is() -> None:
    assert note_text("something new; and more", "zh_CN") == "something new；and more"
