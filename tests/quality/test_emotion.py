"""Emotion model: behaviour on a tiny in-memory corpus, robustness, persistence, real accuracy."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.model_selection import train_test_split

from liuke.quality.emotion import EmotionModel, evaluate, load_reviews, train
from tests.conftest import require_data

POSITIVE = [
    "质量很好，非常满意",
    "物流很快，包装完好，好评",
    "客服态度很好，耐心解答",
    "东西不错，下次还来买",
    "味道很好，分量足，推荐",
    "性价比高，很喜欢",
    "送货速度快，服务周到",
    "great product, very happy",
    "excellent service, thank you",
    "love it, works perfectly",
    "很好很好，谢谢卖家",
    "非常棒，超出预期",
]
NEGATIVE = [
    "质量太差了，非常失望",
    "物流太慢，包装破损，差评",
    "客服态度恶劣，不理人",
    "东西坏了，要求退货退款",
    "难吃，分量少，不推荐",
    "太贵了，很不值",
    "送货慢了两个小时，饭都凉了",
    "terrible product, very angry",
    "awful service, want a refund",
    "broken on arrival, hate it",
    "垃圾，再也不买了",
    "非常差，骗人的",
]


@pytest.fixture(scope="module")
def small() -> EmotionModel:
    texts = (POSITIVE + NEGATIVE) * 3
    labels = ([1] * len(POSITIVE) + [0] * len(NEGATIVE)) * 3
    domains: list[str | None] = ["shop" if i % 2 else "food" for i in range(len(texts))]
    return train(texts, labels, domains, seed=0, datasets=["inline"])


def test_separates_obvious_sentences(small: EmotionModel) -> None:
    neg = small.negativity(["质量很好，非常满意，好评", "太差了，要退货，差评"])
    assert neg[0] < 0.5 < neg[1]
    english = small.negativity(["very happy, great", "terrible, refund"])
    assert english[0] < english[1]


def test_metadata(small: EmotionModel) -> None:
    assert small.version
    assert small.trained_on["rows"] == 72
    assert small.trained_on["seed"] == 0
    assert small.trained_on["datasets"] == ["inline"]


def test_odd_inputs_give_probabilities(small: EmotionModel) -> None:
    texts = ["", "   ", "😀😀😀", "👍", "OK 好的 not bad 不错!!!", "差" * 100_000, "\x00\n\t"]
    for domains in (
        None,
        [None] * len(texts),
        ["shop", "never-seen", None, "food", "", "shop", None],
    ):
        neg = small.negativity(texts, domains)
        assert len(neg) == len(texts)
        assert all(0.0 <= p <= 1.0 for p in neg)
    assert small.negativity([]) == []


def test_domain_count_must_match(small: EmotionModel) -> None:
    with pytest.raises(ValueError):
        small.negativity(["好"], ["shop", "food"])


def test_save_load_round_trip(small: EmotionModel, tmp_path: Path) -> None:
    path = tmp_path / "m" / "emotion.joblib"
    small.save(path)
    loaded = EmotionModel.load(path)
    texts = ["很好", "很差", ""]
    assert loaded.negativity(texts) == small.negativity(texts)
    assert loaded.trained_on == small.trained_on


def test_load_rejects_other_objects(tmp_path: Path) -> None:
    import joblib

    path = tmp_path / "other.joblib"
    joblib.dump({"not": "a model"}, path)
    with pytest.raises(TypeError):
        EmotionModel.load(path)


def test_train_without_domains_and_bad_labels() -> None:
    texts = POSITIVE + NEGATIVE
    labels = [1] * len(POSITIVE) + [0] * len(NEGATIVE)
    model = train(texts, labels)
    assert model.negativity(["非常满意"])[0] < model.negativity(["非常失望，差评"])[0]
    with pytest.raises(ValueError):
        train(texts, [1] * len(texts))
    with pytest.raises(ValueError):
        train(texts, labels[:-1])


def test_load_reviews_formats(tmp_path: Path) -> None:
    shop = tmp_path / "shop.csv"
    shop.write_text("cat,label,review\n书籍,1,好书\n书籍,0,\n水果,0,烂了\n", encoding="utf-8")
    assert load_reviews(shop) == (["好书", "烂了"], [1, 0], ["书籍", "水果"])
    waimai = tmp_path / "waimai.csv"
    waimai.write_text("label,review\n1,好吃\n0,太慢\n", encoding="utf-8")
    assert load_reviews(waimai) == (["好吃", "太慢"], [1, 0], [None, None])


@pytest.mark.data
def test_online_shopping_accuracy() -> None:
    """bench/emotion_eval.py reached 95.27% with the cat domain and 94.998% without (seed 0, same
    split); allow 0.3 points for library drift."""
    path = require_data("online_shopping_10_cats", "online_shopping_10_cats.csv")
    texts, labels, domains = load_reviews(path)
    train_ix, test_ix = train_test_split(
        list(range(len(texts))), test_size=0.2, stratify=labels, random_state=0
    )
    model = train(
        [texts[i] for i in train_ix], [labels[i] for i in train_ix], [domains[i] for i in train_ix]
    )
    test_texts = [texts[i] for i in test_ix]
    test_labels = [labels[i] for i in test_ix]
    with_domain = evaluate(model, test_texts, test_labels, [domains[i] for i in test_ix])
    without = evaluate(model, test_texts, test_labels)
    assert with_domain.accuracy >= 0.9497
    assert without.accuracy >= 0.9469
