"""The subjectivity filter: plain questions are pulled towards 'nothing to read'."""

from __future__ import annotations

from pathlib import Path

import pytest

from liuke.quality.customer_emotion import ChatNegativity, LexiconNegativity, load_negativity_model
from liuke.quality.subjectivity import (
    MODEL_FILE,
    SubjectivityModel,
    load_objective,
    train_subjectivity,
)
from tests.conftest import require_data

OPINIONS = [
    "质量太差了，非常失望",
    "东西很好，非常满意",
    "味道不错，下次还来",
    "物流太慢，包装都破了",
    "客服态度好，推荐购买",
    "垃圾产品，再也不买了",
] * 4
QUESTIONS = [
    "请问怎么开发票",
    "我的订单到哪了",
    "花呗怎么还款",
    "帮我查一下明天的天气",
    "借款可以提前还吗",
    "这个手机支持5G吗",
] * 4


@pytest.fixture(scope="module")
def subjectivity() -> SubjectivityModel:
    return train_subjectivity(OPINIONS, QUESTIONS)


def test_questions_are_objective_and_opinions_subjective(subjectivity: SubjectivityModel) -> None:
    opinion, question = subjectivity.subjective(["太差了，非常失望", "请问怎么查订单"])
    assert opinion > 0.5 > question
    assert subjectivity.subjective([]) == []


def test_scaling_keeps_the_side_and_damps_questions(
    subjectivity: SubjectivityModel, tmp_path: Path
) -> None:
    chat = ChatNegativity(LexiconNegativity(), subjectivity)
    raw = LexiconNegativity().negativity(["太差了，非常失望", "请问为什么这么慢", "没有"])
    scaled = chat.negativity(["太差了，非常失望", "请问为什么这么慢", "没有"])
    for r, c in zip(raw, scaled, strict=True):
        assert (r - 0.5) * (c - 0.5) >= 0  # the same side of 0.5
        assert abs(c - 0.5) <= abs(r - 0.5)
    assert abs(scaled[1] - 0.5) < abs(raw[1] - 0.5)  # the question is damped
    subjectivity.save(tmp_path / MODEL_FILE)
    again = SubjectivityModel.load(tmp_path / MODEL_FILE)
    assert again.subjective(["太差了"]) == subjectivity.subjective(["太差了"])


def test_without_model_files_the_lexicon_stands_in(tmp_path: Path) -> None:
    assert isinstance(load_negativity_model(tmp_path), LexiconNegativity)


@pytest.mark.data
def test_the_shared_query_sets_load() -> None:
    data = require_data("bq_corpus").parent
    questions = load_objective(data)
    assert len(questions) > 50_000
    assert len(set(questions)) == len(questions)
    assert len(load_objective(data, limit=1000)) == 1000
