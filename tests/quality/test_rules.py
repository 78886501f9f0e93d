"""The rule engine on hand-made transcripts: each kind hits where it should and nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liuke.quality.customer_emotion import CustomerEmotion, LexiconNegativity, rising
from liuke.quality.inspector import inspect_many
from liuke.quality.rules import Msg, RuleSpec, Transcript, default_rules

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
EMOTION = CustomerEmotion(LexiconNegativity())
SPECS = [RuleSpec(code, kind, weight, params) for code, kind, weight, params in default_rules()]


def conv(*turns: tuple[str, str, int], **kw: object) -> Transcript:
    """(sender, body, seconds after start) turns; agent messages are from user 7."""
    msgs = [
        Msg(i + 1, sender, body, T0 + timedelta(seconds=at), 7 if sender == "agent" else None)
        for i, (sender, body, at) in enumerate(turns)
    ]
    return Transcript(msgs, **kw)  # type: ignore[arg-type]


def hits(t: Transcript) -> dict[str, list[int | None]]:
    [result] = inspect_many([t], SPECS, EMOTION)
    out: dict[str, list[int | None]] = {}
    for h in result.hits:
        out.setdefault(h.rule, []).append(h.seq)
    return out


GOOD = conv(
    ("customer", "你好，我的订单什么时候发货？", 0),
    ("agent", "您好，很高兴为您服务，我帮您查一下。", 20),
    ("agent", "您的订单今天下午发出，预计后天送达。", 40),
    ("customer", "好的谢谢", 60),
    ("agent", "不客气，还有什么可以帮您的吗？祝您生活愉快！", 75),
)


def test_a_good_conversation_scores_full() -> None:
    [result] = inspect_many([GOOD], SPECS, EMOTION)
    assert result.hits == []
    assert result.score == 100
    assert result.reasons == []


def test_rude_impatient_and_perfunctory_replies_are_each_named() -> None:
    t = conv(
        ("customer", "这个怎么安装？", 0),
        ("agent", "你自己看说明书，上面都写着呢。", 10),
        ("customer", "看不懂啊", 30),
        ("agent", "说了多少遍了，按说明书来。", 40),
        ("customer", "那能退吗？", 50),
        ("agent", "不知道。", 55),
    )
    [result] = inspect_many([t], SPECS, EMOTION)
    cats = {(h.category, h.seq) for h in result.hits if h.rule == "attitude"}
    assert cats == {("rude", 2), ("impatient", 4), ("perfunctory", 6)}
    assert all(h.agent_id == 7 for h in result.hits if h.rule == "attitude")
    rude = next(h for h in result.hits if h.category == "rude")
    assert rude.span == (0, 4)  # "你自己看" highlighted in the message
    assert result.score < 80


def test_polite_uses_of_perfunctory_words_do_not_count() -> None:
    t = conv(
        ("customer", "我想换货", 0),
        ("agent", "您好，不知道您方便提供一下订单号吗？", 10),
        ("agent", "您好，这个没办法直接换，我帮您申请退货再重新下单，可以吗？", 30),
    )
    assert "attitude" not in hits(t)


def test_greeting_and_closing_are_required() -> None:
    t = conv(
        ("customer", "发货了吗", 0),
        ("agent", "发了。今天的单。", 10),
        ("agent", "单号已经同步到订单页面。", 20),
        status="resolved",
    )
    h = hits(t)
    assert h["greeting"] == [2]
    assert h["closing"] == [3]
    assert "closing" not in hits(conv(*[(m.sender, m.body, 0) for m in t.messages], status="open"))


def test_one_word_replies_and_copy_paste() -> None:
    t = conv(
        ("customer", "能便宜点吗", 0),
        ("agent", "目前已经是活动最低价了哦", 5),
        ("customer", "再便宜点呢", 10),
        ("agent", "目前已经是活动最低价了哦", 15),
        ("customer", "好吧那怎么发货？", 20),
        ("agent", "嗯。", 25),
        ("customer", "发顺丰", 30),
        ("agent", "好的", 35),  # acknowledging a statement is fine
        ("agent", "请问还有其他问题吗？", 40),
        ("customer", "没了", 45),
        ("agent", "请问还有其他问题吗？", 50),  # a templated closing is meant to repeat
        ("customer", "可以开发票吗？", 55),
        ("agent", "嗯嗯", 60),  # "yes" to a yes-no question
    )
    h = hits(t)
    assert h["repetition"] == [4]
    assert h["one_word"] == [6]


def test_a_question_asked_again_after_a_reply_was_ignored() -> None:
    t = conv(
        ("customer", "请问这个冰箱保修几年？", 0),
        ("agent", "您好，这款冰箱是一级能效的。", 10),
        ("customer", "请问这个冰箱保修几年呢？", 20),
        ("agent", "您好，整机保修三年。", 30),
    )
    assert hits(t)["ignored_question"] == [2]


def test_slow_replies_and_silence_follow_the_channel_targets() -> None:
    t = conv(
        ("customer", "你好，在吗", 0),
        ("agent", "您好，在的", 90),  # 90 s > 60 s chat target
        ("customer", "我的快递怎么还没到", 100),
        ("customer", "还在吗", 220),  # pinging after being left unanswered
        ("agent", "您好，我查一下", 500),  # 400 s > 300 s silence
        ("customer", "在吗 再问个发票的事", 520),  # an opener after the agent's reply: no
    )
    h = hits(t)
    assert h["slow_response"] == [2, 5]
    assert sorted(h["long_silence"]) == [4, 5]
    # e-mail has its own, longer targets; JDDC-like exports without times get no timing hits
    assert "slow_response" not in hits(conv(*[(m.sender, m.body, 0) for m in t.messages]))
    email = Transcript(t.messages, channel_kind="email")
    assert "slow_response" not in hits(email)
    untimed = Transcript(t.messages, timed=False)
    assert "slow_response" not in hits(untimed)
    assert hits(untimed)["long_silence"] == [4]  # the ping still counts


def test_bounced_conversations_and_deflections_are_unjustified_transfers() -> None:
    t = conv(("customer", "发票怎么开", 0), ("agent", "您好，这个不归我管，你找别人吧", 5))
    assert hits(t)["transfer"] == [2]
    assert hits(Transcript(GOOD.messages, transfer_count=2))["transfer"] == [None]
    assert "transfer" not in hits(Transcript(GOOD.messages, transfer_count=1))


def test_a_promise_left_unanswered_at_the_end() -> None:
    t = conv(
        ("customer", "退款到哪了", 0),
        ("agent", "您好，我核实后给您回复，感谢您的耐心", 10),
        ("customer", "好的，那我等你消息，还有什么要提供的吗", 20),
        status="closed",
    )
    assert hits(t)["promise"] == [2]


def test_an_apology_is_owed_after_a_failure() -> None:
    t = conv(
        ("customer", "收到的杯子是破损的", 0),
        ("agent", "您好，请提供照片", 10),
        ("agent", "收到，给您补发", 20),
    )
    assert hits(t)["apology"] == [3]
    fixed = conv(
        ("customer", "收到的杯子是破损的", 0),
        ("agent", "您好，非常抱歉给您带来不便", 10),
        ("agent", "给您补发", 20),
    )
    assert "apology" not in hits(fixed)


def test_rising_anger_points_at_the_reply_before_it() -> None:
    t = conv(
        ("customer", "你好，快递到哪了？", 0),
        ("agent", "您好，自己去查物流。", 10),
        ("customer", "什么态度！我要投诉你！！", 20),
    )
    [result] = inspect_many([t], SPECS, EMOTION)
    anger = [h for h in result.hits if h.rule == "anger"]
    assert [h.seq for h in anger] == [2]
    assert result.escalation is True
    assert result.max_anger >= 0.9
    assert rising([0.1, 0.2, 0.9]) and not rising([0.9, 0.9]) and not rising([0.95])


def test_bad_input_gets_a_score_with_a_reason() -> None:
    empty = Transcript([])
    emoji = conv(("customer", "😡😡😡", 0), ("agent", "🙏", 5))
    huge = conv(("customer", "退款" * 50_000, 0), ("agent", "您好，" + "好" * 100_000, 5))
    mixed = conv(("customer", "My order 还没到 why???", 0), ("agent", "Hi 您好, sorry!", 5))
    only_customer = conv(("customer", "有人吗", 0))
    results = inspect_many([empty, emoji, huge, mixed, only_customer], SPECS, EMOTION)
    assert [r.reasons for r in results] == [
        ["empty"],
        [],
        ["truncated"],
        [],
        ["no_agent_messages"],
    ]
    assert all(0 <= r.score <= 100 for r in results)
    assert results[1].emotions[1].negativity == 0.5  # emoji only: nothing to read


def test_english_customer_emotion_uses_vader() -> None:
    calm, angry = EMOTION.score(["Thanks, that was helpful!", "This is ridiculous, worst service"])
    assert calm.negativity < 0.3 < 0.7 < angry.negativity
    assert angry.anger > calm.anger
    assert angry.cue == "ridiculous"
