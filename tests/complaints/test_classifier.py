"""The complaint classifier: learns a small bilingual set, survives odd input, round-trips."""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest

from liuke.complaints import classifier as clf
from liuke.complaints.classifier import (
    CATEGORIES,
    COLD_START_MIN_EXAMPLES,
    LEXICON_MAX_CONFIDENCE,
    MIN_TRAIN_EXAMPLES,
    CaseClassifier,
    Example,
    Suggestion,
    TextClassifier,
    suggest_category_cold,
)

PQ, SP, WQ = "product_quality", "service_policy", "work_quality"
PHONE, KITCHEN = "phones", "kitchen"

# (text, category, product line): hand-written complaints about phones and kitchen appliances.
TRAINING: list[tuple[str, str, str]] = [
    # product quality, phones
    ("手机屏幕碎了，刚买三天就坏了", PQ, PHONE),
    ("手机充电口接触不良，质量太差", PQ, PHONE),
    ("新手机开不了机，电池也鼓包了", PQ, PHONE),
    ("手机摄像头有故障，拍照全是花屏", PQ, PHONE),
    ("手机用了一周就死机，质量有问题", PQ, PHONE),
    ("The phone screen cracked after two days, poor quality", PQ, PHONE),
    ("My new phone is defective, the battery swells and it won't charge", PQ, PHONE),
    ("The phone camera is broken and the touch screen stopped working", PQ, PHONE),
    ("Phone keeps freezing and rebooting, clearly a faulty unit", PQ, PHONE),
    ("The phone speaker is broken, the quality is terrible", PQ, PHONE),
    # product quality, kitchen
    ("电饭煲用了两次就坏了，内胆掉漆", PQ, KITCHEN),
    ("微波炉加热不工作，质量太差", PQ, KITCHEN),
    ("烤箱温控有故障，面包全烤糊了", PQ, KITCHEN),
    ("电水壶漏水，底座也破损了", PQ, KITCHEN),
    ("冰箱不制冷，压缩机故障", PQ, KITCHEN),
    ("The rice cooker broke after a week, the inner pot is peeling", PQ, KITCHEN),
    ("The microwave stopped heating, it is defective", PQ, KITCHEN),
    ("The oven thermostat is faulty and burns everything", PQ, KITCHEN),
    ("The kettle leaks water and the base arrived damaged", PQ, KITCHEN),
    ("The fridge is not cooling, the compressor is broken", PQ, KITCHEN),
    # service policy, phones
    ("手机退货为什么要我出运费，你们的政策不合理", SP, PHONE),
    ("买手机七天无理由退款一直不给退", SP, PHONE),
    ("手机降价了要求退差价，客服说不符合规定", SP, PHONE),
    ("手机延保收费太贵，条款写得不清楚", SP, PHONE),
    ("手机分期手续费太高，利息也没说明", SP, PHONE),
    ("Why do I have to pay return shipping for the phone, unfair policy", SP, PHONE),
    ("I want a refund for the phone within seven days but you refuse", SP, PHONE),
    ("The phone price dropped a day later, please refund the difference", SP, PHONE),
    ("The phone warranty fee is too high and the terms are unclear", SP, PHONE),
    ("The installment plan for the phone charged hidden fees and interest", SP, PHONE),
    # service policy, kitchen
    ("电饭煲退货要收运费，这个政策太坑", SP, KITCHEN),
    ("冰箱安装费另外收费，价格和页面不一样", SP, KITCHEN),
    ("微波炉申请退款三周了还没到账，规定太死板", SP, KITCHEN),
    ("烤箱保修期只有三个月，条款不合理", SP, KITCHEN),
    ("电水壶换货还要我付邮费，政策不合理", SP, KITCHEN),
    ("You charge a restocking fee for returning the rice cooker, bad policy", SP, KITCHEN),
    ("The fridge installation fee was not in the price shown", SP, KITCHEN),
    ("I asked for a refund on the microwave three weeks ago, still nothing", SP, KITCHEN),
    ("The oven warranty is only three months, the terms are unfair", SP, KITCHEN),
    ("Exchanging the kettle costs me shipping, your return policy is bad", SP, KITCHEN),
    # work quality, phones
    ("手机客服态度很差，不耐烦还挂我电话", WQ, PHONE),
    ("问手机维修进度，客服敷衍了事", WQ, PHONE),
    ("手机发错颜色了，仓库搞错订单", WQ, PHONE),
    ("手机售后人员骂人，服务态度恶劣", WQ, PHONE),
    ("咨询手机问题客服一直推诿不回复", WQ, PHONE),
    ("The phone support agent was rude and hung up on me", WQ, PHONE),
    ("The agent ignored my question about the phone repair, very unprofessional", WQ, PHONE),
    ("You shipped the wrong phone colour, the warehouse made a mistake", WQ, PHONE),
    ("The phone store staff yelled at me, terrible attitude", WQ, PHONE),
    ("Nobody answers my messages about the phone, the agent is impatient", WQ, PHONE),
    # work quality, kitchen
    ("冰箱送货师傅态度恶劣，还骂人", WQ, KITCHEN),
    ("电饭煲客服不耐烦，问两句就不理人", WQ, KITCHEN),
    ("微波炉安装师傅搞错型号，装错位置", WQ, KITCHEN),
    ("烤箱售后客服敷衍，一直推诿", WQ, KITCHEN),
    ("电水壶发错型号，客服还不承认错误", WQ, KITCHEN),
    ("The fridge delivery driver was rude and shouted at me", WQ, KITCHEN),
    ("The rice cooker agent was impatient and ignored me", WQ, KITCHEN),
    ("The technician installed the microwave in the wrong place, a careless mistake", WQ, KITCHEN),
    ("The oven support agent kept giving the runaround, unprofessional", WQ, KITCHEN),
    ("You sent the wrong kettle model and the agent denied the mistake", WQ, KITCHEN),
]


def _texts() -> list[str]:
    return [t for t, _, _ in TRAINING]


@pytest.fixture(scope="module")
def category_model() -> TextClassifier:
    return TextClassifier().fit(_texts(), [c for _, c, _ in TRAINING])


@pytest.fixture(scope="module")
def case_model() -> CaseClassifier:
    return CaseClassifier().train([Example(t, c, p) for t, c, p in TRAINING])


def test_categories_match_the_case_table() -> None:
    from liuke.complaints.models import CATEGORIES as TABLE_CATEGORIES

    assert TABLE_CATEGORIES == CATEGORIES


def test_learns_the_training_set(category_model: TextClassifier) -> None:
    got = [s.label for s in category_model.predict(_texts())]
    assert got == [c for _, c, _ in TRAINING]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("这个手机质量太差，屏幕又坏了", PQ),
        ("烤箱刚到就坏了，有故障", PQ),
        ("The microwave is broken and defective", PQ),
        ("退货运费凭什么让我出，政策太坑了", SP),
        ("Please refund me, your return policy and fees are unfair", SP),
        ("客服态度恶劣，非常不耐烦", WQ),
        ("The agent was rude and impatient with me", WQ),
    ],
)
def test_classifies_unseen_paraphrases(
    category_model: TextClassifier, text: str, expected: str
) -> None:
    s = category_model.predict_one(text)
    assert s.label == expected, s
    assert s.source == "model"
    assert 0.0 < s.confidence <= 1.0
    assert s.alternatives[0] == (s.label, s.confidence)
    assert len(s.alternatives) == 3
    assert [p for _, p in s.alternatives] == sorted((p for _, p in s.alternatives), reverse=True)


def test_product_line_head_learns_lines(case_model: CaseClassifier) -> None:
    _, line = case_model.suggest("这个冰箱不制冷了")
    assert line is not None and line.label == KITCHEN
    _, line = case_model.suggest("My phone screen is cracked")
    assert line is not None and line.label == PHONE


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "😡😡😡🙏", "？？？!!!", "12345 678", "\u3000\u3000"],
)
def test_abstains_on_text_without_words(category_model: TextClassifier, text: str) -> None:
    s = category_model.predict_one(text)
    assert s == Suggestion(None, 0.0, (), "none")


@pytest.mark.parametrize(
    "text",
    [
        "质量太差坏了" * 50_000,  # 300k characters: clipped, not slow
        "\x00\x01\x02\xff\xfe binary \ud800 junk \udfff 坏了 broken",  # control, lone surrogates
        bytes(range(256)).decode("latin-1"),
        "ｒｕｄｅ ａｇｅｎｔ 态度差",  # full-width forms
    ],
)
def test_odd_input_does_not_crash(category_model: TextClassifier, text: str) -> None:
    s = category_model.predict_one(text)
    assert s.label in CATEGORIES
    assert 0.0 < s.confidence <= 1.0


def test_full_width_text_reads_like_half_width(category_model: TextClassifier) -> None:
    assert category_model.predict_one("ｒｕｄｅ ａｇｅｎｔ").label == WQ


def test_single_class_training_says_so() -> None:
    model = TextClassifier().fit([t for t, _, _ in TRAINING[:12]], [PQ] * 12)
    s = model.predict_one("anything at all 随便")
    assert (s.label, s.confidence, s.source) == (PQ, 1.0, "single_class")
    assert model.predict_one("😀").label is None


def test_too_few_examples_raise() -> None:
    texts = _texts()[: MIN_TRAIN_EXAMPLES - 1]
    with pytest.raises(ValueError, match="at least"):
        TextClassifier().fit(texts, [PQ, SP] * 4 + [WQ] * (len(texts) - 8))
    with pytest.raises(ValueError, match="labels"):
        TextClassifier().fit(_texts(), [PQ])
    with pytest.raises(ValueError, match="letters"):
        TextClassifier().fit(["😀"] * 12, [PQ, SP] * 6)


def test_unfitted_model_refuses() -> None:
    with pytest.raises(RuntimeError):
        TextClassifier().predict(["x"])


def test_save_load_round_trip(case_model: CaseClassifier, tmp_path: Path) -> None:
    path = tmp_path / "models" / "ws-1.joblib"
    case_model.save(path)
    case_model.save(path)  # overwriting is atomic too
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    loaded = CaseClassifier.load(path)
    probe = [*_texts()[:5], "退款太慢了", "rude agent", "", "😀"]
    assert loaded.suggest_many(probe) == case_model.suggest_many(probe)
    assert loaded.version == case_model.version
    assert loaded.n_examples == case_model.n_examples == len(TRAINING)


def test_load_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.joblib"
    joblib.dump({"not": "a model"}, path)
    with pytest.raises(TypeError):
        CaseClassifier.load(path)
    old = CaseClassifier()
    old.format = "liuke-case-classifier-0"
    old.save(path)
    with pytest.raises(ValueError, match="format"):
        CaseClassifier.load(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("收到的杯子是破损的，质量太差", PQ),
        ("洗衣机坏了，有故障", PQ),
        ("The blender arrived broken, clearly defective", PQ),
        ("退款什么时候到账？运费也要退", SP),
        ("Your refund policy and the return fee are unfair", SP),
        ("客服态度很差，说话不耐烦还骂人", WQ),
        ("The agent was rude and had a terrible attitude", WQ),
        ("有人冒用我的身份诈骗", "other"),
        ("I think this is a scam, somebody committed fraud", "other"),
    ],
)
def test_cold_start_lexicon_picks_clear_categories(text: str, expected: str) -> None:
    s = suggest_category_cold(text)
    assert s.label == expected, s
    assert s.source == "lexicon"
    assert 0.0 < s.confidence <= LEXICON_MAX_CONFIDENCE
    assert s.alternatives[0][0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "今天天气不错，我们去公园吧",
        "What time does the store open tomorrow?",
        "",
        "👍👍",
        "客服你好",  # a generic word alone is not evidence
        "质量不错，但是退款太慢",  # one product and one policy word: a tie
    ],
)
def test_cold_start_lexicon_abstains_on_unclear_text(text: str) -> None:
    s = suggest_category_cold(text)
    assert s.label is None
    assert s.confidence == 0.0


def test_cold_start_words_match_whole_english_words() -> None:
    assert suggest_category_cold("feedback about the agency").label is None  # not fee/agent
    assert suggest_category_cold("They refunded half and charged fees").label == SP


def test_case_classifier_uses_lexicon_until_enough_confirmed_cases() -> None:
    few = [Example(t, c, p) for t, c, p in TRAINING[: COLD_START_MIN_EXAMPLES - 1]]
    model = CaseClassifier().train(few)
    assert model.category_source == "lexicon"
    category, line = model.suggest("The agent was rude to me")
    assert (category.label, category.source) == (WQ, "lexicon")
    assert line is not None  # 29 product lines are enough for the product-line head

    one_class = [Example(t, PQ, None) for t in _texts()]
    model = CaseClassifier().train(one_class)
    assert model.category_source == "lexicon"  # >= 30 examples but one class
    assert model.product_line_head is None


def test_case_classifier_with_missing_product_lines() -> None:
    examples = [
        Example(t, c, p if i < MIN_TRAIN_EXAMPLES - 1 else None)
        for i, (t, c, p) in enumerate(TRAINING)
    ]
    model = CaseClassifier().train(examples)
    assert model.category_source == "model"
    assert model.product_line_head is None
    category, line = model.suggest("客服态度很差，非常不耐烦")
    assert category.label == WQ
    assert line is None

    examples = [Example(t, None, p) for t, _, p in TRAINING]  # product lines only
    model = CaseClassifier().train(examples)
    assert model.category_source == "lexicon"
    category, line = model.suggest("冰箱质量太差，坏了")
    assert category.label == PQ and category.source == "lexicon"
    assert line is not None and line.label == KITCHEN and line.source == "model"


def test_case_classifier_ignores_texts_without_words() -> None:
    model = CaseClassifier().train([Example("😀", PQ if i % 2 else SP, "x") for i in range(40)])
    assert model.category_source == "lexicon"
    assert model.product_line_head is None
    assert model.suggest("😀") == (Suggestion(None, 0.0, (), "none"), None)


def test_case_classifier_rejects_unknown_categories() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        CaseClassifier().train([Example("x", "billing")])


def test_version_fits_the_case_column(case_model: CaseClassifier) -> None:
    assert CaseClassifier().version == "lexicon-untrained"
    assert case_model.version.endswith(f"-n{len(TRAINING)}-model")
    assert len(case_model.version) <= 64


def test_prepare_clips_and_normalises() -> None:
    assert clf.prepare("  ＡＢＣ\x00  退款 ") == "abc 退款"
    assert len(clf.prepare("字" * 10_000)) == 2000
